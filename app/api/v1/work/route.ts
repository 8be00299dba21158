import { timedRoute } from "@/server/api/rest/timed-route";
import { handleWorkReportRequest } from "@/server/api/rest/work-report-handler";
import { ingestRateLimiterFrom, ingestSettingsFrom } from "@/server/config/server-settings";
import { getServerDatabase } from "@/server/db/server-database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const { windowTimeBounds } = ingestSettingsFrom();
/** Its own buckets, at ingest's rate: a node's reports never use up its ingest budget. */
const rateLimiter = ingestRateLimiterFrom();

export const POST = timedRoute("/api/v1/work", (request) =>
  handleWorkReportRequest(request, { db: getServerDatabase().sql, nowMs: Date.now, windowTimeBounds, rateLimiter }),
);
