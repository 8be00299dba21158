/**
 * Query windows, in OpenCost's vocabulary. Pure: `nowMs` is an argument.
 * Every window is half-open [startMs, endMs) in epoch milliseconds, UTC.
 */
export interface TimeWindow {
  startMs: number;
  endMs: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Longest window accepted, so one query cannot ask for decades of rows. */
export const MAX_WINDOW_DAYS = 400;

export class TimeWindowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TimeWindowError";
  }
}

function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/**
 * Resolves a window: `24h`, `7d`, `30d` (any N with h or d: the N units up to now),
 * `today`, `yesterday`, `week` (since Monday 00:00 UTC), `month`, `lastmonth`, or
 * `START,END` in RFC 3339. No window ends after now: an END in the future is cut
 * to now, and a START at or after now is an error naming the window.
 */
export function resolveTimeWindow(spec: string, nowMs: number): TimeWindow {
  const text = spec.trim().toLowerCase();
  const relative = /^(\d+)(h|d)$/.exec(text);
  let window: TimeWindow;
  if (relative) {
    const amount = Number(relative[1]);
    const lengthMs = amount * (relative[2] === "h" ? HOUR_MS : DAY_MS);
    window = { startMs: nowMs - lengthMs, endMs: nowMs };
  } else if (text === "today") {
    window = { startMs: startOfUtcDay(nowMs), endMs: nowMs };
  } else if (text === "yesterday") {
    const today = startOfUtcDay(nowMs);
    window = { startMs: today - DAY_MS, endMs: today };
  } else if (text === "week") {
    const today = startOfUtcDay(nowMs);
    const daysSinceMonday = (new Date(today).getUTCDay() + 6) % 7;
    window = { startMs: today - daysSinceMonday * DAY_MS, endMs: nowMs };
  } else if (text === "month" || text === "lastmonth") {
    const now = new Date(nowMs);
    const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    window =
      text === "month"
        ? { startMs: monthStart, endMs: nowMs }
        : { startMs: Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1), endMs: monthStart };
  } else if (spec.includes(",")) {
    const [startText, endText, ...rest] = spec.split(",");
    const startMs = Date.parse(startText.trim());
    const endMs = Date.parse((endText ?? "").trim());
    const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;
    if (rest.length > 0 || !rfc3339.test(startText.trim()) || !rfc3339.test((endText ?? "").trim()) || Number.isNaN(startMs) || Number.isNaN(endMs)) {
      throw new TimeWindowError(`window: "${spec}" is not START,END in RFC 3339 (e.g. 2026-11-01T00:00:00Z,2026-11-08T00:00:00Z)`);
    }
    // Nothing is measured after now: a window reaching into the future ends now,
    // like `24h` or `today`, so the unfinished hour is left out downstream and no
    // hour that has not happened is reported or charged.
    if (startMs >= nowMs) {
      throw new TimeWindowError(
        `window: "${spec}" starts at ${new Date(startMs).toISOString()}, not before now (${new Date(nowMs).toISOString()}): nothing has been measured in it yet`,
      );
    }
    window = { startMs, endMs: Math.min(endMs, nowMs) };
  } else {
    throw new TimeWindowError(
      `window: "${spec}" is not one of today, yesterday, week, month, lastmonth, Nh, Nd or START,END`,
    );
  }
  if (window.endMs <= window.startMs) throw new TimeWindowError(`window: "${spec}" is empty (its end is not after its start)`);
  if (window.endMs - window.startMs > MAX_WINDOW_DAYS * DAY_MS) {
    throw new TimeWindowError(`window: "${spec}" is longer than ${MAX_WINDOW_DAYS} days`);
  }
  return window;
}

/** Bucket sizes a time series may use, smallest first. */
const BUCKET_SIZES_MS = [60_000, 5 * 60_000, 15 * 60_000, HOUR_MS, 3 * HOUR_MS, 6 * HOUR_MS, DAY_MS] as const;

/** The smallest bucket that keeps a series at or under `maxPoints` points. */
export function chooseBucketMs(window: TimeWindow, maxPoints = 200): number {
  const lengthMs = window.endMs - window.startMs;
  return BUCKET_SIZES_MS.find((size) => lengthMs / size <= maxPoints) ?? DAY_MS;
}
