import type { SqlDatabase } from "../db/sql-database";
import { HOUR_MS } from "../domain/rollup";

export const DEFAULT_RAW_RETENTION_DAYS = 14;

/** What retention keeps for ever: the rollups (deleteExpiredWindows deletes only raw windows). */
export const KEPT_ROLLUPS = [
  { rollup: "hourly per GPU", table: "gpu_usage_hourly", startColumn: "hour_start_ms" },
  { rollup: "hourly per job and GPU", table: "job_usage_hourly", startColumn: "hour_start_ms" },
  { rollup: "daily per job and GPU", table: "job_usage_daily", startColumn: "day_start_ms" },
  { rollup: "hourly work per job and unit", table: "job_work_hourly", startColumn: "hour_start_ms" },
] as const;

export interface RetentionStatus {
  /** Days raw usage windows are kept (the value the server's hourly upkeep uses). */
  rawWindowRetentionDays: number;
  /** Start of the oldest raw GPU window still stored (epoch ms), null when none. */
  oldestRawWindowMs: number | null;
  /** Each rollup, kept for ever, with the start of its oldest row (epoch ms), null when empty. */
  rollups: { rollup: string; keptForever: true; oldestStartMs: number | null }[];
}

/** The retention in force and how far back each kind of data reaches now. */
export async function retentionStatus(db: SqlDatabase, rawWindowRetentionDays: number): Promise<RetentionStatus> {
  const [raw] = await db.query<{ first: number | null }>(`SELECT MIN(start_ms) AS first FROM gpu_usage_window`);
  const rollups: RetentionStatus["rollups"] = [];
  for (const kept of KEPT_ROLLUPS) {
    const [row] = await db.query<{ first: number | null }>(`SELECT MIN(${kept.startColumn}) AS first FROM ${kept.table}`);
    rollups.push({ rollup: kept.rollup, keptForever: true, oldestStartMs: row.first === null ? null : Number(row.first) });
  }
  return { rawWindowRetentionDays, oldestRawWindowMs: raw.first === null ? null : Number(raw.first), rollups };
}

/**
 * Deletes raw usage and work windows older than the retention; the hourly
 * rollups built from them are kept for ever. The cut-off is a whole hour, so every hour is
 * either fully kept or fully rolled up, and it deletes one hour per transaction
 * so ingest is never blocked for long. A work window is deleted once it ended by
 * the cut-off: one that reaches past it (a job reporting every few hours) still
 * holds work of kept hours, which a rebuild of those hours needs. Then the
 * counter readings of POST /api/v1/work past the retention go too
 * (deleteExpiredCounterReports). Returns the windows and readings deleted.
 */
export async function deleteExpiredWindows(db: SqlDatabase, nowMs: number, retentionDays: number): Promise<number> {
  const cutoffMs = retentionCutoffMs(nowMs, retentionDays);
  const [oldest] = await db.query<{ first: number | null }>(`SELECT MIN(start_ms) AS first FROM gpu_usage_window`);
  const [oldestJob] = await db.query<{ first: number | null }>(`SELECT MIN(start_ms) AS first FROM job_usage_window`);
  const [oldestWork] = await db.query<{ first: number | null }>(`SELECT MIN(start_ms) AS first FROM job_work_window WHERE end_ms <= ?`, [cutoffMs]);
  const firstMs = Math.min(Number(oldest.first ?? Infinity), Number(oldestJob.first ?? Infinity), Number(oldestWork.first ?? Infinity));
  let deleted = 0;
  for (let hourMs = Math.floor(firstMs / HOUR_MS) * HOUR_MS; Number.isFinite(firstMs) && hourMs < cutoffMs; hourMs += HOUR_MS) {
    deleted += await db.transaction(async (tx) => {
      const [counts] = await tx.query<{ gpu: number; job: number; work: number }>(
        `SELECT (SELECT COUNT(*) FROM gpu_usage_window WHERE start_ms >= ? AND start_ms < ?) AS gpu,
                (SELECT COUNT(*) FROM job_usage_window WHERE start_ms >= ? AND start_ms < ?) AS job,
                (SELECT COUNT(*) FROM job_work_window WHERE start_ms >= ? AND start_ms < ? AND end_ms <= ?) AS work`,
        [hourMs, hourMs + HOUR_MS, hourMs, hourMs + HOUR_MS, hourMs, hourMs + HOUR_MS, cutoffMs],
      );
      await tx.query(`DELETE FROM gpu_usage_window WHERE start_ms >= ? AND start_ms < ?`, [hourMs, hourMs + HOUR_MS]);
      await tx.query(`DELETE FROM job_usage_window WHERE start_ms >= ? AND start_ms < ?`, [hourMs, hourMs + HOUR_MS]);
      await tx.query(`DELETE FROM job_work_window WHERE start_ms >= ? AND start_ms < ? AND end_ms <= ?`, [hourMs, hourMs + HOUR_MS, cutoffMs]);
      return Number(counts.gpu) + Number(counts.job) + Number(counts.work);
    });
  }
  return deleted + (await deleteExpiredCounterReports(db, cutoffMs));
}

/** The start of the oldest hour the retention keeps. */
function retentionCutoffMs(nowMs: number, retentionDays: number): number {
  return Math.floor((nowMs - retentionDays * 24 * HOUR_MS) / HOUR_MS) * HOUR_MS;
}

/**
 * Deletes the counter readings of POST /api/v1/work taken before the cut-off,
 * except each counter's latest (per node, job and unit): the next report's
 * increase is computed against it, and without it a job reporting again after a
 * long pause would have its whole counter counted a second time. So a counter
 * keeps one reading for ever, and a report repeated after the retention is
 * answered as one out of order (409) rather than as a duplicate. One
 * transaction. Returns the readings deleted.
 */
export async function deleteExpiredCounterReports(db: SqlDatabase, cutoffMs: number): Promise<number> {
  const expired = `FROM work_counter_report
     WHERE time_ms < ?
       AND EXISTS (SELECT 1 FROM work_counter_report later
                    WHERE later.node_id = work_counter_report.node_id AND later.job_id = work_counter_report.job_id
                      AND later.unit = work_counter_report.unit AND later.time_ms > work_counter_report.time_ms)`;
  return db.transaction(async (tx) => {
    const [counted] = await tx.query<{ n: number }>(`SELECT COUNT(*) AS n ${expired}`, [cutoffMs]);
    if (Number(counted.n) > 0) await tx.query(`DELETE ${expired}`, [cutoffMs]);
    return Number(counted.n);
  });
}

/** The oldest whole hour whose raw windows are all still kept (rollups before it cannot be rebuilt). */
export async function oldestRebuildableHourMs(db: SqlDatabase): Promise<number | null> {
  const [row] = await db.query<{ first: number | null }>(`SELECT MIN(start_ms) AS first FROM gpu_usage_window`);
  return row.first === null ? null : Math.ceil(Number(row.first) / HOUR_MS) * HOUR_MS;
}
