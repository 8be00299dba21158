import { handleListRecommendations } from "@/server/api/rest/recommendations-handler";
import { serverRecommendationsContext } from "@/server/api/rest/recommendations-context";
import { timedRoute } from "@/server/api/rest/timed-route";
import { withPrincipal } from "@/server/api/rest/authorized-route";
import { dataScopeOf } from "@/server/auth/principal";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = timedRoute("/api/v1/recommendations", withPrincipal((request, principal) => handleListRecommendations(request, serverRecommendationsContext(dataScopeOf(principal)))));
