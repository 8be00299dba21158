import type { SqlDatabase } from "../db/sql-database";
import { HOUR_MS } from "../domain/rollup";
import type { TimeWindow } from "../domain/time-window";

/** One GPU's row of the heatmap, with its figures over the whole window. */
export interface HeatmapGpu {
  gpuId: number;
  uuid: string;
  hostname: string;
  gpuIndex: number;
  modelName: string;
  memoryTotalMiB: number;
  reportedGpuHours: number;
  /** Time-weighted over the hours with a utilization reading; null without one. */
  utilizationAvgPct: number | null;
  memoryUsedAvgMiB: number | null;
  /** Hours in which two or more jobs ran on the GPU. */
  sharedHours: number;
  /** Hours the GPU reported with no job on it. */
  jobFreeHours: number;
}

export interface UtilizationHeatmap {
  /** Whole UTC hours: [first hour start, last hour end). */
  window: TimeWindow;
  hourStartsMs: number[];
  gpus: HeatmapGpu[];
  /**
   * One entry per GPU and hour that reported: [gpu row, hour column, utilization %
   * (null if unmeasured), jobs on the GPU that hour, memory used MiB (null if unmeasured)].
   * Tuples keep a week of a large fleet small on the wire.
   */
  cells: [number, number, number | null, number, number | null][];
}

type HourRow = {
  gpu_id: number;
  hour_start_ms: number;
  reported_ms: number;
  utilization_measured_ms: number;
  utilization_pct_ms: number;
  memory_measured_ms: number;
  memory_mib_ms: number;
};

/**
 * GPU × hour utilization from the hourly rollups, with the number of jobs per
 * GPU-hour from the job rollups, so idle and shared GPUs stand out.
 */
export async function getUtilizationHeatmap(db: SqlDatabase, window: TimeWindow): Promise<UtilizationHeatmap> {
  const startMs = Math.floor(window.startMs / HOUR_MS) * HOUR_MS;
  const endMs = Math.max(startMs, Math.ceil(window.endMs / HOUR_MS) * HOUR_MS);
  const hourStartsMs: number[] = [];
  for (let hour = startMs; hour < endMs; hour += HOUR_MS) hourStartsMs.push(hour);

  const gpus = await db.query<{ id: number; uuid: string; hostname: string; gpu_index: number; model_name: string; memory_total_mib: number }>(
    `SELECT g.id, g.uuid, n.hostname, g.gpu_index, g.model_name, g.memory_total_mib
       FROM gpu g JOIN node n ON n.id = g.node_id
      ORDER BY n.hostname, g.gpu_index, g.id`,
  );
  const hours = await db.query<HourRow>(
    `SELECT gpu_id, hour_start_ms, reported_ms, utilization_measured_ms, utilization_pct_ms, memory_measured_ms, memory_mib_ms
       FROM gpu_usage_hourly
      WHERE hour_start_ms >= ? AND hour_start_ms < ?`,
    [startMs, endMs],
  );
  const jobCounts = await db.query<{ gpu_id: number; hour_start_ms: number; job_count: number }>(
    `SELECT gpu_id, hour_start_ms, COUNT(DISTINCT job_id) AS job_count
       FROM job_usage_hourly
      WHERE hour_start_ms >= ? AND hour_start_ms < ? AND reported_ms > 0
      GROUP BY gpu_id, hour_start_ms`,
    [startMs, endMs],
  );
  const jobsAt = new Map<string, number>();
  for (const row of jobCounts) jobsAt.set(`${row.gpu_id}:${Number(row.hour_start_ms)}`, Number(row.job_count));

  const rowOf = new Map(gpus.map((gpu, index) => [gpu.id, index]));
  const sums = gpus.map(() => ({ reportedMs: 0, utilMeasuredMs: 0, utilPctMs: 0, memMeasuredMs: 0, memMiBMs: 0, sharedHours: 0, jobFreeHours: 0 }));
  const cells: UtilizationHeatmap["cells"] = [];
  for (const row of hours) {
    const gpuRow = rowOf.get(row.gpu_id);
    if (gpuRow === undefined) continue;
    const hourStartMs = Number(row.hour_start_ms);
    const column = (hourStartMs - startMs) / HOUR_MS;
    const utilMeasuredMs = Number(row.utilization_measured_ms);
    const memMeasuredMs = Number(row.memory_measured_ms);
    const jobCount = jobsAt.get(`${row.gpu_id}:${hourStartMs}`) ?? 0;
    const utilizationPct = utilMeasuredMs > 0 ? Number(row.utilization_pct_ms) / utilMeasuredMs : null;
    const memoryMiB = memMeasuredMs > 0 ? Number(row.memory_mib_ms) / memMeasuredMs : null;
    cells.push([gpuRow, column, utilizationPct === null ? null : Math.round(utilizationPct * 10) / 10, jobCount, memoryMiB === null ? null : Math.round(memoryMiB)]);
    const sum = sums[gpuRow];
    sum.reportedMs += Number(row.reported_ms);
    sum.utilMeasuredMs += utilMeasuredMs;
    sum.utilPctMs += Number(row.utilization_pct_ms);
    sum.memMeasuredMs += memMeasuredMs;
    sum.memMiBMs += Number(row.memory_mib_ms);
    if (jobCount >= 2) sum.sharedHours += 1;
    if (jobCount === 0) sum.jobFreeHours += 1;
  }

  return {
    window: { startMs, endMs },
    hourStartsMs,
    gpus: gpus.map((gpu, index) => {
      const sum = sums[index];
      return {
        gpuId: gpu.id,
        uuid: gpu.uuid,
        hostname: gpu.hostname,
        gpuIndex: Number(gpu.gpu_index),
        modelName: gpu.model_name,
        memoryTotalMiB: Number(gpu.memory_total_mib),
        reportedGpuHours: sum.reportedMs / HOUR_MS,
        utilizationAvgPct: sum.utilMeasuredMs > 0 ? sum.utilPctMs / sum.utilMeasuredMs : null,
        memoryUsedAvgMiB: sum.memMeasuredMs > 0 ? sum.memMiBMs / sum.memMeasuredMs : null,
        sharedHours: sum.sharedHours,
        jobFreeHours: sum.jobFreeHours,
      };
    }),
    cells,
  };
}
