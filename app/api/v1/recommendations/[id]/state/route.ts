import { handleSetRecommendationState } from "@/server/api/rest/recommendations-handler";
import { serverRecommendationsContext } from "@/server/api/rest/recommendations-context";
import { timedRoute } from "@/server/api/rest/timed-route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const context = serverRecommendationsContext;

export const POST = timedRoute(
  "/api/v1/recommendations/[id]/state",
  async (request: Request, { params }: { params: Promise<{ id: string }> }) => handleSetRecommendationState(request, (await params).id, context()),
);
