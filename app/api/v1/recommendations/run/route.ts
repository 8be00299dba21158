import { handleRunRecommendations } from "@/server/api/rest/recommendations-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const context = () => {
  const { sql, prisma } = getServerDatabase();
  return { db: sql, prisma, adminToken: process.env.GPU_ROI_ADMIN_TOKEN, nowMs: Date.now };
};

export const POST = timedRoute("/api/v1/recommendations/run", (request) => handleRunRecommendations(request, context()));
