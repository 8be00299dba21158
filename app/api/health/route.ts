import { handleHealthRequest } from "@/server/api/rest/health-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";
import { getDatabaseWriteHealth } from "@/server/services/database-write-health";
import { getServerMetrics } from "@/server/services/metrics";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = timedRoute("/api/health", () => {
  const { sql, target } = getServerDatabase();
  return handleHealthRequest({ db: sql, target, projectRoot: process.cwd(), metrics: getServerMetrics(), writeHealth: getDatabaseWriteHealth() });
});
