import { handleGetRecommendationPlan } from "@/server/api/rest/recommendations-handler";
import { serverRecommendationsContext } from "@/server/api/rest/recommendations-context";
import { timedRoute } from "@/server/api/rest/timed-route";
import { withPrincipal } from "@/server/api/rest/authorized-route";
import { dataScopeOf } from "@/server/auth/principal";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = timedRoute(
  "/api/v1/recommendations/[id]/plan",
  withPrincipal(async (request: Request, principal, { params }: { params: Promise<{ id: string }> }) =>
    handleGetRecommendationPlan(request, (await params).id, serverRecommendationsContext(dataScopeOf(principal))),
  ),
);
