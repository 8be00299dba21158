import { signedInPrincipal } from "@/server/api/rest/authorized-route";
import { handleSetRecommendationState } from "@/server/api/rest/recommendations-handler";
import { serverRecommendationsContext } from "@/server/api/rest/recommendations-context";
import { timedRoute } from "@/server/api/rest/timed-route";
import { ALL_DATA } from "@/server/auth/principal";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// Admin writes: the handler checks for an admin (requireAdmin) before anything else.
export const POST = timedRoute(
  "/api/v1/recommendations/[id]/state",
  async (request: Request, { params }: { params: Promise<{ id: string }> }) => handleSetRecommendationState(request, (await params).id, { ...serverRecommendationsContext(ALL_DATA), signedIn: await signedInPrincipal(request) }),
);
