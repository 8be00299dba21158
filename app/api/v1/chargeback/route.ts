import { adminTokenFrom } from "@/server/config/server-settings";
import { handleChargebackRequest } from "@/server/api/rest/chargeback-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = timedRoute("/api/v1/chargeback", (request) => {
  const { sql, prisma } = getServerDatabase();
  return handleChargebackRequest(request, { db: sql, prisma, adminToken: adminTokenFrom(), nowMs: Date.now });
});
