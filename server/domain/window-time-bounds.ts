/**
 * Which usage windows the server accepts in time, given its own clock: pure, the
 * caller passes the server's now (epoch ms, UTC).
 *
 * - A window may end at most `futureToleranceMs` after the server's now. A window
 *   is only closed once it has ended, so a later end means the node's clock runs
 *   ahead; storing it would put cost into hours that have not happened yet.
 * - A window may start at most `maxAgeMs` before the server's now. By default this
 *   is the raw-window retention: duplicate windows are recognised against the raw
 *   windows still stored, and retention deletes every window that starts before
 *   its whole-hour cutoff (at or before now - retention). A window accepted under
 *   this bound therefore starts after everything retention has deleted so far, so
 *   a resend of it is always recognised and never counted twice in the rollups.
 */

export const DEFAULT_FUTURE_TOLERANCE_MS = 5 * 60 * 1000;

export interface WindowTimeBounds {
  /** How far past the server's now a window may end, in ms. */
  futureToleranceMs: number;
  /** How far before the server's now a window may start, in ms. */
  maxAgeMs: number;
}

export type WindowTimeRejectionReason = "clock_skew_future" | "too_old";

export interface WindowTimeIssue {
  /** `gpuWindows[3].endMs` */
  field: string;
  kind: "gpu" | "job" | "work";
  reason: WindowTimeRejectionReason;
  message: string;
}

interface TimedWindow {
  startMs: number;
  endMs: number;
}

const MINUTE_MS = 60 * 1000;
const DAY_MS = 24 * 60 * MINUTE_MS;

function describeSpan(ms: number): string {
  if (ms >= 2 * DAY_MS) return `${(ms / DAY_MS).toFixed(1)} days`;
  if (ms >= 2 * 60 * MINUTE_MS) return `${(ms / (60 * MINUTE_MS)).toFixed(1)} hours`;
  return `${(ms / MINUTE_MS).toFixed(1)} min`;
}

function isoOrNumber(ms: number): string {
  // A window time can be any safe integer; only the representable ones read as dates.
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

/** Every window of the batch outside the bounds, one issue per window, in body order (GPU, job, then work windows). */
export function windowTimeIssues(
  batch: { gpuWindows: readonly TimedWindow[]; jobWindows: readonly TimedWindow[]; workWindows?: readonly TimedWindow[] },
  nowMs: number,
  bounds: WindowTimeBounds,
): WindowTimeIssue[] {
  const latestEndMs = nowMs + bounds.futureToleranceMs;
  const earliestStartMs = nowMs - bounds.maxAgeMs;
  const issues: WindowTimeIssue[] = [];
  const check = (windows: readonly TimedWindow[], list: "gpuWindows" | "jobWindows" | "workWindows", kind: WindowTimeIssue["kind"]) => {
    windows.forEach((window, index) => {
      if (window.endMs > latestEndMs) {
        const field = `${list}[${index}].endMs`;
        issues.push({
          field,
          kind,
          reason: "clock_skew_future",
          message:
            `${field}: ${isoOrNumber(window.endMs)} is ${describeSpan(window.endMs - nowMs)} after the server's clock (${isoOrNumber(nowMs)}); ` +
            `windows may end at most ${describeSpan(bounds.futureToleranceMs)} ahead: check the node's clock (NTP)`,
        });
      } else if (window.startMs < earliestStartMs) {
        const field = `${list}[${index}].startMs`;
        issues.push({
          field,
          kind,
          reason: "too_old",
          message:
            `${field}: ${isoOrNumber(window.startMs)} is older than the oldest accepted start ${isoOrNumber(earliestStartMs)} ` +
            `(${describeSpan(bounds.maxAgeMs)} before the server's clock)`,
        });
      }
    });
  };
  check(batch.gpuWindows, "gpuWindows", "gpu");
  check(batch.jobWindows, "jobWindows", "job");
  check(batch.workWindows ?? [], "workWindows", "work");
  return issues;
}
