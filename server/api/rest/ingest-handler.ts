import type { SqlDatabase } from "../../db/sql-database";
import { DEFAULT_FUTURE_TOLERANCE_MS, windowTimeIssues, type WindowTimeBounds } from "../../domain/window-time-bounds";
import { isDatabaseWriteFailure, type DatabaseWriteHealth } from "../../services/database-write-health";
import { recordIngestRefusal, type IngestRefusal } from "../../services/ingest-refusals";
import { ingestBatch } from "../../services/ingest-service";
import type { ServerMetrics } from "../../services/metrics";
import { DEFAULT_RAW_RETENTION_DAYS } from "../../services/retention-service";
import { ServiceError } from "../../services/service-error";
import { formatIssuePath } from "../../wire/ingest-v1";
import { parseIngestBatch } from "../../wire/parse-ingest-batch";
import { errorResponse, isDatabaseUnavailable, jsonResponse, responseForError } from "./http-responses";
import type { IngestRateLimiter } from "./ingest-rate-limiter";
import { authenticateNodeRequest } from "./node-auth";
import { readJsonBody, requireJsonContentType } from "./read-request-body";

/** Default limit on an ingest body, after decompression. */
export const DEFAULT_INGEST_MAX_BYTES = 16 * 1024 * 1024;

/** Issues listed in a 400 answer; the first one is also in the message. */
const MAX_REPORTED_ISSUES = 20;

/** Windows accepted in time by default: 5 min ahead of the server's clock, back to the raw-window retention. */
export const DEFAULT_WINDOW_TIME_BOUNDS: WindowTimeBounds = {
  futureToleranceMs: DEFAULT_FUTURE_TOLERANCE_MS,
  maxAgeMs: DEFAULT_RAW_RETENTION_DAYS * 24 * 60 * 60 * 1000,
};

export interface IngestHandlerContext {
  db: SqlDatabase;
  metrics: ServerMetrics;
  maxBodyBytes: number;
  nowMs: () => number;
  /** Default DEFAULT_WINDOW_TIME_BOUNDS. */
  windowTimeBounds?: WindowTimeBounds;
  /** Requests per node token (429 past it); none: no limit. */
  rateLimiter?: IngestRateLimiter;
  /** Told whether each batch's write succeeded, for /api/health. */
  writeHealth?: DatabaseWriteHealth;
}

/**
 * POST /api/v1/ingest. Order matters: authenticate (401) and rate-limit the token
 * (429) before reading the body, check its type (415), enforce the size limit
 * (413) while reading, validate fields and window times (400), then store in one
 * transaction. Every refusal happens before the first write.
 */
export async function handleIngestRequest(request: Request, context: IngestHandlerContext): Promise<Response> {
  const { metrics } = context;
  // Windows the body carried, counted as rejected when the batch is refused.
  let gpuWindowsInBody = 0;
  let jobWindowsInBody = 0;
  let workWindowsInBody = 0;
  try {
    const authenticated = await authenticateNodeRequest(request, context.db, context.nowMs());
    if ("refusal" in authenticated) {
      metrics.ingestBatches.inc({ result: "rejected" });
      if (authenticated.refused) await noteRefusal(context.db, authenticated.refused);
      return authenticated.refusal;
    }
    const { node } = authenticated;

    // Rate limit per token, before the body is read: a flood costs no parsing.
    const limited = context.rateLimiter?.take(node.tokenId, context.nowMs());
    if (limited && !limited.allowed) {
      metrics.ingestBatches.inc({ result: "rate_limited" });
      return errorResponse(
        429,
        `rate limit: more than ${context.rateLimiter!.ratePerMinute} ingest requests per minute for this node token; retry after ${limited.retryAfterS} s`,
        "authorization",
        { "retry-after": String(limited.retryAfterS) },
      );
    }

    requireJsonContentType(request);
    const body = await readJsonBody(request, context.maxBodyBytes);
    gpuWindowsInBody = arrayLength(body, "gpuWindows");
    jobWindowsInBody = arrayLength(body, "jobWindows");
    workWindowsInBody = arrayLength(body, "workWindows");
    const parsed = parseIngestBatch(body);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => ({
        field: formatIssuePath(issue.path),
        message: issue.message,
      }));
      throw new ServiceError(400, `${issues[0].field}: ${issues[0].message}`, issues[0].field, issues);
    }

    // Clock skew: a batch with a window outside the accepted time range is refused whole.
    const nowMs = context.nowMs();
    const timeIssues = windowTimeIssues(parsed.data, nowMs, context.windowTimeBounds ?? DEFAULT_WINDOW_TIME_BOUNDS);
    if (timeIssues.length > 0) {
      for (const issue of timeIssues) metrics.ingestWindowsRejected.inc({ kind: issue.kind, reason: issue.reason });
      const issues = timeIssues.slice(0, MAX_REPORTED_ISSUES).map(({ field, message }) => ({ field, message }));
      await noteRefusal(context.db, { subjectKey: `node:${node.nodeId}`, nodeId: node.nodeId, reason: "clock-skew", atMs: nowMs, message: issues[0].message });
      throw new ServiceError(400, issues[0].message, issues[0].field, issues);
    }

    const ack = await ingestBatch(context.db, node, parsed.data, nowMs);
    context.writeHealth?.recordSuccess();
    metrics.ingestBatches.inc({ result: ack.duplicate ? "duplicate" : "accepted" });
    if (!ack.duplicate) {
      metrics.ingestWindows.inc({ kind: "gpu", result: "stored" }, ack.gpuWindowsStored);
      metrics.ingestWindows.inc({ kind: "job", result: "stored" }, ack.jobWindowsStored);
      metrics.ingestWindows.inc({ kind: "gpu", result: "already_stored" }, parsed.data.gpuWindows.length - ack.gpuWindowsStored);
      metrics.ingestWindows.inc({ kind: "job", result: "already_stored" }, parsed.data.jobWindows.length - ack.jobWindowsStored);
      metrics.ingestWindows.inc({ kind: "work", result: "stored" }, ack.workWindowsStored ?? 0);
      metrics.ingestWindows.inc({ kind: "work", result: "already_stored" }, (parsed.data.workWindows?.length ?? 0) - (ack.workWindowsStored ?? 0));
    }
    return jsonResponse(ack);
  } catch (error) {
    metrics.ingestBatches.inc({ result: "rejected" });
    metrics.ingestWindows.inc({ kind: "gpu", result: "rejected" }, gpuWindowsInBody);
    metrics.ingestWindows.inc({ kind: "job", result: "rejected" }, jobWindowsInBody);
    metrics.ingestWindows.inc({ kind: "work", result: "rejected" }, workWindowsInBody);
    if (isDatabaseUnavailable(error)) metrics.databaseUnavailable.inc({ route: "/api/v1/ingest" });
    if (isDatabaseWriteFailure(error)) context.writeHealth?.recordFailure(error);
    return responseForError(error);
  }
}

/**
 * Counts a refusal for the refused-batches alert. The answer to the collector does
 * not depend on it: a failure to count is logged, never turned into a 5xx.
 */
async function noteRefusal(db: SqlDatabase, refusal: IngestRefusal): Promise<void> {
  try {
    await recordIngestRefusal(db, refusal);
  } catch (error) {
    console.error(`gpu-roi: could not record an ingest refusal (${refusal.reason}, ${refusal.subjectKey}): ${(error as Error).message}`);
  }
}

function arrayLength(body: unknown, key: string): number {
  const value = (body as Record<string, unknown> | null)?.[key];
  return Array.isArray(value) ? value.length : 0;
}
