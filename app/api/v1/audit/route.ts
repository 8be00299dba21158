import { adminTokenFrom } from "@/server/config/server-settings";
import { handleListAudit } from "@/server/api/rest/audit-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const context = () => {
  const { sql, prisma } = getServerDatabase();
  return { db: sql, prisma, adminToken: adminTokenFrom(), nowMs: Date.now };
};

export const GET = timedRoute("/api/v1/audit", (request) => handleListAudit(request, context()));
