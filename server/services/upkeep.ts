import { getServerDatabase } from "../db/server-database";
import type { SqlDatabase } from "../db/sql-database";
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
 * One retention pass, run by one replica at a time: every server process
 * schedules it, and on PostgreSQL an advisory lock lets only one of them delete
 * while the others skip this turn (their deletes would only wait on the same rows).
 * Returns whether this process ran it, and the windows it deleted.
 */
export async function runRetentionUpkeep(db: SqlDatabase, nowMs: number, retentionDays: number): Promise<{ ran: boolean; deleted: number }> {
  const outcome = await db.runExclusive("retention", () => deleteExpiredWindows(db, nowMs, retentionDays));
  return outcome.ran ? { ran: true, deleted: outcome.result } : { ran: false, deleted: 0 };
}

/**
 * Deletes raw windows past their retention (GPU_ROI_RAW_RETENTION_DAYS, default
 * 14) a minute after start and then hourly; with several replicas, one of them
 * does it each time (runRetentionUpkeep).
 */
export function startUpkeep(): void {
  const retentionDays = rawRetentionDaysFromEnv(process.env);
  const run = async () => {
    try {
      const { ran, deleted } = await runRetentionUpkeep(getServerDatabase().sql, Date.now(), retentionDays);
      if (!ran) console.log("gpu-roi: retention: another server process is running it; skipped");
      else if (deleted > 0) console.log(`gpu-roi: retention: deleted ${deleted} raw windows and work counter readings older than ${retentionDays} days (hourly rollups kept)`);
    } catch (error) {
      console.error(`gpu-roi: retention failed, will retry in an hour: ${(error as Error).message}`);
    }
  };
  setTimeout(() => void run(), 60_000).unref();
  setInterval(() => void run(), UPKEEP_INTERVAL_MS).unref();
}
