import type { BulkInsert, SqlDatabase, SqlExecutor } from "../db/sql-database";
import { oldestRebuildableHourMs } from "./retention-service";
import { longestWorkWindowMs, rebuildWorkHours } from "./work-storage";
import {
  DAY_MS,
  HOUR_MS,
  dailyJobContributions,
  hourlyContributions,
  type GpuHourlyContribution,
  type GpuWindowUsage,
  type JobHourlyContribution,
  type JobWindowUsage,
} from "../domain/rollup";

/**
 * Adds hourly contributions to the rollup tables (inside the caller's
 * transaction): the GPU hours, the job hours and the job days, in one call (one
 * round trip on PostgreSQL).
 */
export async function addHourlyRollups(
  tx: SqlExecutor,
  contributions: { gpu: readonly GpuHourlyContribution[]; job: readonly JobHourlyContribution[] },
): Promise<void> {
  const inserts: BulkInsert[] = [];
  if (contributions.gpu.length > 0) {
    inserts.push({
      table: "gpu_usage_hourly",
      columns: [
        { name: "gpu_id", type: "integer" },
        { name: "hour_start_ms", type: "bigint" },
        { name: "reported_ms", type: "bigint" },
        { name: "utilization_measured_ms", type: "bigint" },
        { name: "utilization_pct_ms", type: "double precision" },
        { name: "memory_measured_ms", type: "bigint" },
        { name: "memory_mib_ms", type: "double precision" },
        { name: "energy_j", type: "double precision" },
      ],
      conflictColumns: ["gpu_id", "hour_start_ms"],
      rows: contributions.gpu.map((c) => [
        c.gpuId,
        c.hourStartMs,
        c.reportedMs,
        c.utilizationMeasuredMs,
        c.utilizationPctMs,
        c.memoryMeasuredMs,
        c.memoryMiBMs,
        c.energyJ,
      ]),
    });
  }
  if (contributions.job.length > 0) {
    inserts.push({ table: "job_usage_hourly", columns: jobColumns("hour_start_ms"), conflictColumns: ["job_id", "gpu_id", "hour_start_ms"], rows: contributions.job.map((c) => jobRow(c, c.hourStartMs)) });
    inserts.push({
      table: "job_usage_daily",
      columns: jobColumns("day_start_ms"),
      conflictColumns: ["job_id", "gpu_id", "day_start_ms"],
      rows: dailyJobContributions(contributions.job).map((c) => jobRow(c, c.dayStartMs)),
    });
  }
  if (inserts.length > 0) await tx.addManyTogether(inserts);
}

function jobColumns(timeColumn: "hour_start_ms" | "day_start_ms") {
  return [
    { name: "job_id", type: "integer" },
    { name: "gpu_id", type: "integer" },
    { name: timeColumn, type: "bigint" },
    { name: "reported_ms", type: "bigint" },
    { name: "share_ms", type: "double precision" },
    { name: "active_ms", type: "double precision" },
    { name: "sole_ms", type: "double precision" },
    { name: "utilization_split_ms", type: "double precision" },
    { name: "memory_split_ms", type: "double precision" },
    { name: "even_split_ms", type: "double precision" },
    { name: "memory_mib_ms", type: "double precision" },
  ] as const;
}

function jobRow(c: Omit<JobHourlyContribution, "hourStartMs">, startMs: number) {
  return [c.jobId, c.gpuId, startMs, c.reportedMs, c.shareMs, c.activeMs, c.soleMs, c.utilizationSplitMs, c.memorySplitMs, c.evenSplitMs, c.memoryMiBMs];
}

/**
 * Recomputes the rollups of whole hours [fromMs, toMs) from the raw windows still
 * kept (usage per GPU and per job, and work per job), in one transaction per day
 * so a long rebuild neither holds a lock for long nor leaves a half-rebuilt day. Used when rollups are missing (a database
 * from before they existed) or after the sharing rules change. Hours whose raw
 * windows the retention has deleted are left as they are (their rollups are all
 * that remains of them).
 */
export async function rebuildHourlyRollups(
  db: SqlDatabase,
  fromMs: number,
  toMs: number,
  onProgress?: (doneMs: number, totalMs: number) => void,
): Promise<void> {
  const dayMs = 24 * HOUR_MS;
  const keptFromMs = await oldestRebuildableHourMs(db);
  if (keptFromMs === null) return;
  const startMs = Math.max(Math.floor(fromMs / HOUR_MS) * HOUR_MS, keptFromMs);
  const endMs = Math.ceil(toMs / HOUR_MS) * HOUR_MS;
  const maxWorkWindowMs = await longestWorkWindowMs(db);
  for (let chunkStartMs = startMs; chunkStartMs < endMs; chunkStartMs += dayMs) {
    const chunkEndMs = Math.min(endMs, chunkStartMs + dayMs);
    await db.transaction(async (tx) => {
      await tx.query(`DELETE FROM gpu_usage_hourly WHERE hour_start_ms >= ? AND hour_start_ms < ?`, [chunkStartMs, chunkEndMs]);
      await tx.query(`DELETE FROM job_usage_hourly WHERE hour_start_ms >= ? AND hour_start_ms < ?`, [chunkStartMs, chunkEndMs]);
      const gpuWindows = (
        await tx.query<{ gpu_id: number; start_ms: number; end_ms: number; utilization_avg_pct: number | null; memory_used_avg_mib: number | null; energy_j: number | null }>(
          `SELECT gpu_id, start_ms, end_ms, utilization_avg_pct, memory_used_avg_mib, energy_j FROM gpu_usage_window WHERE start_ms >= ? AND start_ms < ?`,
          [chunkStartMs, chunkEndMs],
        )
      ).map<GpuWindowUsage>((row) => ({
        gpuId: row.gpu_id,
        startMs: Number(row.start_ms),
        endMs: Number(row.end_ms),
        utilizationAvgPct: row.utilization_avg_pct,
        memoryUsedAvgMiB: row.memory_used_avg_mib,
        energyJ: row.energy_j,
      }));
      const jobWindows = (
        await tx.query<{ gpu_id: number; job_id: number; start_ms: number; end_ms: number; utilization_avg_pct: number | null; memory_used_avg_mib: number | null }>(
          `SELECT gpu_id, job_id, start_ms, end_ms, utilization_avg_pct, memory_used_avg_mib FROM job_usage_window WHERE start_ms >= ? AND start_ms < ?`,
          [chunkStartMs, chunkEndMs],
        )
      ).map<JobWindowUsage>((row) => ({
        gpuId: row.gpu_id,
        jobId: row.job_id,
        startMs: Number(row.start_ms),
        endMs: Number(row.end_ms),
        utilizationAvgPct: row.utilization_avg_pct,
        memoryUsedAvgMiB: row.memory_used_avg_mib,
      }));
      // Windows that started in the previous chunk but reach into this one were
      // counted with that chunk; a window never spans more than an hour, so only
      // the chunk's first hour can miss a part, and only for windows not aligned
      // to hours (collectors align windows to their length, which divides an hour).
      await addHourlyRollups(tx, hourlyContributions(gpuWindows, jobWindows));
      // Work windows may span hours (and chunks): each hour takes its part of every window reaching into it.
      await rebuildWorkHours(tx, chunkStartMs, chunkEndMs, maxWorkWindowMs);
    });
    onProgress?.(chunkEndMs - startMs, endMs - startMs);
  }
  // The daily sums of every day the rebuild touched, from the hourly rollups.
  const firstDayMs = Math.floor(startMs / DAY_MS) * DAY_MS;
  const lastDayMs = Math.ceil(endMs / DAY_MS) * DAY_MS;
  await db.transaction(async (tx) => {
    await tx.query(`DELETE FROM job_usage_daily WHERE day_start_ms >= ? AND day_start_ms < ?`, [firstDayMs, lastDayMs]);
    await tx.query(
      `INSERT INTO job_usage_daily (job_id, gpu_id, day_start_ms, reported_ms, share_ms, active_ms, sole_ms, utilization_split_ms, memory_split_ms, even_split_ms, memory_mib_ms)
       SELECT job_id, gpu_id, (hour_start_ms / ${DAY_MS}) * ${DAY_MS}, SUM(reported_ms), SUM(share_ms), SUM(active_ms), SUM(sole_ms),
              SUM(utilization_split_ms), SUM(memory_split_ms), SUM(even_split_ms), SUM(memory_mib_ms)
         FROM job_usage_hourly
        WHERE hour_start_ms >= ? AND hour_start_ms < ?
        GROUP BY job_id, gpu_id, (hour_start_ms / ${DAY_MS}) * ${DAY_MS}`,
      [firstDayMs, lastDayMs],
    );
  });
}
