import type { SqlDatabase } from "../../db/sql-database";
import type { WindowTimeBounds } from "../../domain/window-time-bounds";
import { ServiceError } from "../../services/service-error";
import { storeWorkReport } from "../../services/work-report-service";
import { errorResponse, jsonResponse, parseOrThrow, responseForError } from "./http-responses";
import { DEFAULT_WINDOW_TIME_BOUNDS } from "./ingest-handler";
import type { IngestRateLimiter } from "./ingest-rate-limiter";
import { authenticateNodeRequest } from "./node-auth";
import { readJsonBody, requireJsonContentType } from "./read-request-body";
import { workReportSchema } from "./work-report-schema";

/** Limit on a work report's body: one reading is a few hundred bytes. */
export const DEFAULT_WORK_REPORT_MAX_BYTES = 64 * 1024;

export interface WorkReportHandlerContext {
  db: SqlDatabase;
  nowMs: () => number;
  maxBodyBytes?: number;
  /** Default DEFAULT_WINDOW_TIME_BOUNDS, as ingest. */
  windowTimeBounds?: WindowTimeBounds;
  /** Requests per node token (429 past it), with ingest's rate; none: no limit. */
  rateLimiter?: IngestRateLimiter;
}

/**
 * POST /api/v1/work: a job's cumulative work counter (samples, tokens, steps,
 * images or a custom unit), authenticated with the node token. Refusals come
 * before any write: 401 (token), 429 (rate), 415 (type), 413 (size), 400 (a field), 404 (a
 * job that has not run on this node), 409 (a counter going backwards without
 * `reset`, or a time not after the counter's latest report).
 */
export async function handleWorkReportRequest(request: Request, context: WorkReportHandlerContext): Promise<Response> {
  try {
    const authenticated = await authenticateNodeRequest(request, context.db);
    if ("refusal" in authenticated) return authenticated.refusal;
    const limited = context.rateLimiter?.take(authenticated.node.tokenId, context.nowMs());
    if (limited && !limited.allowed) {
      return errorResponse(
        429,
        `rate limit: more than ${context.rateLimiter!.ratePerMinute} work reports per minute for this node token; retry after ${limited.retryAfterS} s`,
        "authorization",
        { "retry-after": String(limited.retryAfterS) },
      );
    }
    requireJsonContentType(request);
    const body = parseOrThrow(workReportSchema, await readJsonBody(request, context.maxBodyBytes ?? DEFAULT_WORK_REPORT_MAX_BYTES));
    const nowMs = context.nowMs();
    refuseTimeOutOfBounds(body.time, nowMs, context.windowTimeBounds ?? DEFAULT_WINDOW_TIME_BOUNDS);
    const ack = await storeWorkReport(
      context.db,
      authenticated.node,
      { jobId: body.jobId, unit: body.unit, count: body.count, timeMs: body.time, reset: body.reset, reportId: body.reportId ?? null },
      nowMs,
    );
    return jsonResponse(ack, ack.duplicate ? 200 : 201);
  } catch (error) {
    return responseForError(error);
  }
}

/** The same clock rules as ingest's windows: not past the server's now plus the tolerance, not older than raw retention. */
function refuseTimeOutOfBounds(timeMs: number, nowMs: number, bounds: WindowTimeBounds): void {
  if (timeMs > nowMs + bounds.futureToleranceMs) {
    throw new ServiceError(400, `time: ${new Date(timeMs).toISOString()} is ahead of the server's clock (${new Date(nowMs).toISOString()}) by more than ${bounds.futureToleranceMs / 1000} s: check the node's clock (NTP)`, "time");
  }
  if (timeMs < nowMs - bounds.maxAgeMs) {
    throw new ServiceError(400, `time: ${new Date(timeMs).toISOString()} is older than the oldest accepted time ${new Date(nowMs - bounds.maxAgeMs).toISOString()}`, "time");
  }
}
