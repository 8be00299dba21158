import { handleGetRecommendationPlan } from "@/server/api/rest/recommendations-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const context = () => {
  const { sql, prisma } = getServerDatabase();
  return { db: sql, prisma, adminToken: process.env.GPU_ROI_ADMIN_TOKEN, nowMs: Date.now };
};

export const GET = timedRoute(
  "/api/v1/recommendations/[id]/plan",
  async (request: Request, { params }: { params: Promise<{ id: string }> }) => handleGetRecommendationPlan(request, (await params).id, context()),
);
