import { DEFAULT_FUTURE_TOLERANCE_MS, type WindowTimeBounds } from "../../domain/window-time-bounds";
import { rawRetentionDaysFromEnv } from "../../config/retention-days";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The ingest endpoint's time bounds from the environment: windows may end at most
 * 5 min after the server's clock, and start at most GPU_ROI_INGEST_MAX_AGE_DAYS
 * before it (default: the raw-window retention, GPU_ROI_RAW_RETENTION_DAYS, so
 * every accepted window can still be recognised when resent).
 */
export function windowTimeBoundsFromEnv(env: Readonly<Record<string, string | undefined>>): WindowTimeBounds {
  const raw = env.GPU_ROI_INGEST_MAX_AGE_DAYS;
  let maxAgeDays = rawRetentionDaysFromEnv(env);
  if (raw !== undefined && raw !== "") {
    maxAgeDays = Number(raw);
    if (!Number.isFinite(maxAgeDays) || maxAgeDays <= 0) {
      throw new Error(`GPU_ROI_INGEST_MAX_AGE_DAYS: expected a number of days > 0, got "${raw}"`);
    }
  }
  return { futureToleranceMs: DEFAULT_FUTURE_TOLERANCE_MS, maxAgeMs: maxAgeDays * DAY_MS };
}
