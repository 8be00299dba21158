import { handleGetFleetPlan } from "@/server/api/rest/recommendations-handler";
import { serverRecommendationsContext } from "@/server/api/rest/recommendations-context";
import { timedRoute } from "@/server/api/rest/timed-route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const context = serverRecommendationsContext;

export const GET = timedRoute("/api/v1/recommendations/fleet-plan", (request) => handleGetFleetPlan(request, context()));
