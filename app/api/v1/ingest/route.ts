import { windowTimeBoundsFromEnv } from "@/server/api/rest/ingest-config";
import { DEFAULT_INGEST_MAX_BYTES, handleIngestRequest } from "@/server/api/rest/ingest-handler";
import { ingestRateLimiterFromEnv } from "@/server/api/rest/ingest-rate-limiter";
import { timedRoute } from "@/server/api/rest/timed-route";
import { getServerDatabase } from "@/server/db/server-database";
import { getDatabaseWriteHealth } from "@/server/services/database-write-health";
import { getServerMetrics } from "@/server/services/metrics";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const maxBodyBytes = Number(process.env.GPU_ROI_INGEST_MAX_BYTES ?? DEFAULT_INGEST_MAX_BYTES);
const windowTimeBounds = windowTimeBoundsFromEnv(process.env);
/** One limiter per server process (per replica). */
const rateLimiter = ingestRateLimiterFromEnv(process.env);

export const POST = timedRoute("/api/v1/ingest", (request) =>
  handleIngestRequest(request, { db: getServerDatabase().sql, metrics: getServerMetrics(), maxBodyBytes, nowMs: Date.now, windowTimeBounds, rateLimiter, writeHealth: getDatabaseWriteHealth() }),
);
