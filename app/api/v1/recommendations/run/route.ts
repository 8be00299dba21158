import { signedInPrincipal } from "@/server/api/rest/authorized-route";
import { handleRunRecommendations } from "@/server/api/rest/recommendations-handler";
import { serverRecommendationsContext } from "@/server/api/rest/recommendations-context";
import { timedRoute } from "@/server/api/rest/timed-route";
import { ALL_DATA } from "@/server/auth/principal";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// Admin writes: the handler checks for an admin (requireAdmin) before anything else.
export const POST = timedRoute("/api/v1/recommendations/run", async (request) => handleRunRecommendations(request, { ...serverRecommendationsContext(ALL_DATA), signedIn: await signedInPrincipal(request) }));
