import { handleIngestRequest } from "@/server/api/rest/ingest-handler";
import { timedRoute } from "@/server/api/rest/timed-route";
import { ingestRateLimiterFrom, ingestSettingsFrom } from "@/server/config/server-settings";
import { getServerDatabase } from "@/server/db/server-database";
import { getDatabaseWriteHealth } from "@/server/services/database-write-health";
import { getServerMetrics } from "@/server/services/metrics";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const { maxBodyBytes, windowTimeBounds } = ingestSettingsFrom();
/** One limiter per server process (per replica). */
const rateLimiter = ingestRateLimiterFrom();

export const POST = timedRoute("/api/v1/ingest", (request) =>
  handleIngestRequest(request, { db: getServerDatabase().sql, metrics: getServerMetrics(), maxBodyBytes, nowMs: Date.now, windowTimeBounds, rateLimiter, writeHealth: getDatabaseWriteHealth() }),
);
