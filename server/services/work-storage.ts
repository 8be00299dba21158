import type { SqlExecutor } from "../db/sql-database";
import { hourlyWorkContributions, rebuiltWorkHours, type SourcedWorkWindow, type WorkHourlyContribution } from "../domain/work-counters";

export type StoredWorkWindow = SourcedWorkWindow;

/**
 * Stores work windows and adds the new ones to the hourly sums (inside the
 * caller's transaction). A window already stored for the same job, node, unit,
 * source and start is skipped and adds nothing, so a resend never doubles work.
 * Returns how many windows were new.
 */
export async function storeWorkWindows(tx: SqlExecutor, windows: readonly StoredWorkWindow[]): Promise<number> {
  if (windows.length === 0) return 0;
  const inserted = await tx.insertMany({
    table: "job_work_window",
    columns: [
      { name: "job_id", type: "integer" },
      { name: "node_id", type: "integer" },
      { name: "unit", type: "text" },
      { name: "source", type: "text" },
      { name: "start_ms", type: "bigint" },
      { name: "end_ms", type: "bigint" },
      { name: "count", type: "double precision" },
    ],
    conflictColumns: ["job_id", "node_id", "unit", "source", "start_ms"],
    rows: windows.map((w) => [w.jobId, w.nodeId, w.unit, w.source, w.startMs, w.endMs, w.count]),
  });
  await addWorkHours(tx, hourlyWorkContributions(inserted.map((index) => windows[index])));
  return inserted.length;
}

/** Adds hourly work to the sums (inside the caller's transaction). */
async function addWorkHours(tx: SqlExecutor, contributions: readonly WorkHourlyContribution[]): Promise<void> {
  if (contributions.length === 0) return;
  await tx.addMany({
    table: "job_work_hourly",
    columns: [
      { name: "job_id", type: "integer" },
      { name: "unit", type: "text" },
      { name: "hour_start_ms", type: "bigint" },
      { name: "node_id", type: "integer" },
      { name: "source", type: "text" },
      { name: "count", type: "double precision" },
    ],
    conflictColumns: ["job_id", "unit", "hour_start_ms", "node_id", "source"],
    rows: contributions.map((c) => [c.jobId, c.unit, c.hourStartMs, c.nodeId, c.source, c.count]),
  });
}

/**
 * Recomputes the hourly work of [fromMs, toMs) (whole hours) from the raw work
 * windows still kept, inside the caller's transaction: the hours' sums are
 * deleted and rebuilt from every window reaching into them, including windows
 * that started before fromMs (looked up as far back as the longest stored
 * window, `maxWindowMs`).
 */
export async function rebuildWorkHours(tx: SqlExecutor, fromMs: number, toMs: number, maxWindowMs: number): Promise<void> {
  await tx.query(`DELETE FROM job_work_hourly WHERE hour_start_ms >= ? AND hour_start_ms < ?`, [fromMs, toMs]);
  const windows = (
    await tx.query<{ job_id: number; node_id: number; unit: string; source: string; start_ms: number; end_ms: number; count: number }>(
      `SELECT job_id, node_id, unit, source, start_ms, end_ms, count FROM job_work_window
        WHERE start_ms >= ? AND start_ms < ? AND end_ms > ?`,
      [fromMs - maxWindowMs, toMs, fromMs],
    )
  ).map<SourcedWorkWindow>((row) => ({
    jobId: row.job_id,
    nodeId: row.node_id,
    unit: row.unit,
    source: row.source,
    startMs: Number(row.start_ms),
    endMs: Number(row.end_ms),
    count: Number(row.count),
  }));
  await addWorkHours(tx, rebuiltWorkHours(windows, fromMs, toMs));
}

/** The longest stored work window (ms), how far back a rebuild looks for windows reaching into its hours. */
export async function longestWorkWindowMs(db: SqlExecutor): Promise<number> {
  const [row] = await db.query<{ longest: number | null }>(`SELECT MAX(end_ms - start_ms) AS longest FROM job_work_window`);
  return Number(row?.longest ?? 0);
}
