import type { SqlExecutor } from "../db/sql-database";
import { hourlyWorkContributions, type WorkWindow } from "../domain/work-counters";

export interface StoredWorkWindow extends WorkWindow {
  nodeId: number;
  source: string;
}

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
  const contributions = hourlyWorkContributions(inserted.map((index) => windows[index]));
  if (contributions.length > 0) {
    await tx.addMany({
      table: "job_work_hourly",
      columns: [
        { name: "job_id", type: "integer" },
        { name: "unit", type: "text" },
        { name: "hour_start_ms", type: "bigint" },
        { name: "count", type: "double precision" },
      ],
      conflictColumns: ["job_id", "unit", "hour_start_ms"],
      rows: contributions.map((c) => [c.jobId, c.unit, c.hourStartMs, c.count]),
    });
  }
  return inserted.length;
}
