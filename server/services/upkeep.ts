import { getServerDatabase } from "../db/server-database";
import { DEFAULT_RAW_RETENTION_DAYS, deleteExpiredWindows } from "./retention-service";

const UPKEEP_INTERVAL_MS = 60 * 60 * 1000;

export function rawRetentionDaysFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.GPU_ROI_RAW_RETENTION_DAYS;
  if (raw === undefined || raw === "") return DEFAULT_RAW_RETENTION_DAYS;
  const days = Number(raw);
  if (!Number.isFinite(days) || days < 1) throw new Error(`GPU_ROI_RAW_RETENTION_DAYS: expected a number of days >= 1, got "${raw}"`);
  return days;
}

/**
 * Deletes raw windows past their retention (GPU_ROI_RAW_RETENTION_DAYS, default
 * 14) a minute after start and then hourly. Several replicas may run it at once:
 * deletes of the same hour are idempotent.
 */
export function startUpkeep(): void {
  const retentionDays = rawRetentionDaysFromEnv(process.env);
  const run = async () => {
    try {
      const deleted = await deleteExpiredWindows(getServerDatabase().sql, Date.now(), retentionDays);
      if (deleted > 0) console.log(`gpu-roi: retention: deleted ${deleted} raw windows older than ${retentionDays} days (hourly rollups kept)`);
    } catch (error) {
      console.error(`gpu-roi: retention failed, will retry in an hour: ${(error as Error).message}`);
    }
  };
  setTimeout(() => void run(), 60_000).unref();
  setInterval(() => void run(), UPKEEP_INTERVAL_MS).unref();
}
