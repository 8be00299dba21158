import type { SqlDatabase } from "../db/sql-database";
import { lifetimeHoursInWindow } from "../domain/gpu-lifetime";
import { HOUR_MS } from "../domain/rollup";
import type { TimeWindow } from "../domain/time-window";
import type { DataScope } from "../auth/principal";

/** One GPU's row of the heatmap, with its figures over the whole window. */
export interface HeatmapGpu {
  gpuId: number;
  uuid: string;
  hostname: string;
  gpuIndex: number;
  modelName: string;
  memoryTotalMiB: number;
  /** At most the hours the GPU existed in the window, even if windows of it overlap. */
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
  /** Every GPU, ordered by hostname and index, with its figures over the window. */
  gpus: HeatmapGpu[];
  /** The GPU rows that `cells` covers: gpus[firstRow] to gpus[firstRow + rowCount - 1]. */
  cellRows: { firstRow: number; rowCount: number };
  /**
   * One entry per GPU and hour that reported, for the GPU rows in cellRows: [gpu
   * row (index into gpus), hour column, utilization % (null if unmeasured), jobs on
   * the GPU that hour, memory used MiB (null if unmeasured)]. Tuples keep a week
   * of a large fleet small on the wire.
   */
  cells: [number, number, number | null, number, number | null][];
  /** True when the caller's scope (a team member's) leaves per-GPU rows out: gpus and cells are then empty. */
  perGpuHidden?: boolean;
}

export interface HeatmapRows {
  /** First GPU row (in hostname, index order) whose cells are returned. Default 0. */
  firstRow?: number;
  /** How many GPU rows get cells. Default: all. A week of 10,000 GPUs is 1.7 million cells. */
  rowCount?: number;
}

type SumsRow = {
  gpu_id: number;
  reported_ms: number | string;
  utilization_measured_ms: number | string;
  utilization_pct_ms: number | string;
  memory_measured_ms: number | string;
  memory_mib_ms: number | string;
  reported_hours: number | string;
};

type JobHoursRow = { gpu_id: number; hours_with_jobs: number | string; shared_hours: number | string };

type HourRow = {
  gpu_id: number;
  hour_start_ms: number;
  utilization_measured_ms: number;
  utilization_pct_ms: number;
  memory_measured_ms: number;
  memory_mib_ms: number;
  job_count: number | string | null;
};

/** Jobs that reported on each GPU in each hour: the rollup's key is (job, GPU, hour), so COUNT(*) counts jobs. */
const JOBS_PER_GPU_HOUR_SQL = `SELECT gpu_id, hour_start_ms, COUNT(*) AS job_count
       FROM job_usage_hourly
      WHERE hour_start_ms >= ? AND hour_start_ms < ? AND reported_ms > 0
      GROUP BY gpu_id, hour_start_ms`;

/**
 * GPU × hour utilization from the hourly rollups, with the number of jobs per
 * GPU-hour from the job rollups, so idle and shared GPUs stand out. Every GPU's
 * figures over the window are summed in the database; the cells (one per GPU
 * and hour) only for the GPU rows asked for, so a large fleet is paged through.
 */
export async function getUtilizationHeatmap(db: SqlDatabase, window: TimeWindow, rows: HeatmapRows, scope: DataScope): Promise<UtilizationHeatmap> {
  const startMs = Math.floor(window.startMs / HOUR_MS) * HOUR_MS;
  const endMs = Math.max(startMs, Math.ceil(window.endMs / HOUR_MS) * HOUR_MS);
  const hourStartsMs: number[] = [];
  for (let hour = startMs; hour < endMs; hour += HOUR_MS) hourStartsMs.push(hour);
  // Per-GPU rows are fleet detail: a member's scope sees the fleet's totals (overview) only.
  if (scope.kind !== "all") return { window: { startMs, endMs }, hourStartsMs, gpus: [], cellRows: { firstRow: 0, rowCount: 0 }, cells: [], perGpuHidden: true };

  const [gpus, sums, jobHours] = await Promise.all([
    db.query<{ id: number; uuid: string; hostname: string; gpu_index: number; model_name: string; memory_total_mib: number; first_seen_ms: number; last_seen_ms: number }>(
      `SELECT g.id, g.uuid, n.hostname, g.gpu_index, g.model_name, g.memory_total_mib, g.first_seen_ms, g.last_seen_ms
         FROM gpu g JOIN node n ON n.id = g.node_id
        ORDER BY n.hostname, g.gpu_index, g.id`,
    ),
    db.query<SumsRow>(
      `SELECT gpu_id, SUM(reported_ms) AS reported_ms, SUM(utilization_measured_ms) AS utilization_measured_ms,
              SUM(utilization_pct_ms) AS utilization_pct_ms, SUM(memory_measured_ms) AS memory_measured_ms,
              SUM(memory_mib_ms) AS memory_mib_ms, COUNT(*) AS reported_hours
         FROM gpu_usage_hourly
        WHERE hour_start_ms >= ? AND hour_start_ms < ?
        GROUP BY gpu_id`,
      [startMs, endMs],
    ),
    // Hours with at least one job, and with two or more, per GPU. Every job-hour
    // has its GPU-hour (both come from the same batches), so the hours without a
    // job are the GPU's reported hours less these.
    db.query<JobHoursRow>(
      `SELECT gpu_id, COUNT(*) AS hours_with_jobs, SUM(CASE WHEN job_count >= 2 THEN 1 ELSE 0 END) AS shared_hours
         FROM (${JOBS_PER_GPU_HOUR_SQL}) j
        GROUP BY gpu_id`,
      [startMs, endMs],
    ),
  ]);

  const firstRow = Math.min(Math.max(0, rows.firstRow ?? 0), gpus.length);
  const rowCount = Math.min(gpus.length - firstRow, rows.rowCount ?? gpus.length);
  const rowOf = new Map(gpus.map((gpu, index) => [gpu.id, index]));
  const cells: UtilizationHeatmap["cells"] = [];
  if (rowCount > 0) {
    const pageGpuIds = gpus.slice(firstRow, firstRow + rowCount).map((gpu) => gpu.id);
    // The whole fleet in one statement when every row is asked for; else the page's GPUs (their rollups' key starts with gpu_id).
    const pageFilter = rowCount === gpus.length ? "" : ` AND h.gpu_id IN (${pageGpuIds.map(() => "?").join(", ")})`;
    const hours = await db.query<HourRow>(
      `SELECT h.gpu_id, h.hour_start_ms, h.utilization_measured_ms, h.utilization_pct_ms, h.memory_measured_ms, h.memory_mib_ms, j.job_count
         FROM gpu_usage_hourly h
         LEFT JOIN (${JOBS_PER_GPU_HOUR_SQL}) j ON j.gpu_id = h.gpu_id AND j.hour_start_ms = h.hour_start_ms
        WHERE h.hour_start_ms >= ? AND h.hour_start_ms < ?${pageFilter}`,
      [startMs, endMs, startMs, endMs, ...(pageFilter ? pageGpuIds : [])],
    );
    for (const row of hours) {
      const gpuRow = rowOf.get(row.gpu_id);
      if (gpuRow === undefined) continue;
      const column = (Number(row.hour_start_ms) - startMs) / HOUR_MS;
      const utilMeasuredMs = Number(row.utilization_measured_ms);
      const memMeasuredMs = Number(row.memory_measured_ms);
      const utilizationPct = utilMeasuredMs > 0 ? Number(row.utilization_pct_ms) / utilMeasuredMs : null;
      const memoryMiB = memMeasuredMs > 0 ? Number(row.memory_mib_ms) / memMeasuredMs : null;
      cells.push([gpuRow, column, utilizationPct === null ? null : Math.round(utilizationPct * 10) / 10, Number(row.job_count ?? 0), memoryMiB === null ? null : Math.round(memoryMiB)]);
    }
    cells.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }

  const sumsOf = new Map(sums.map((row) => [Number(row.gpu_id), row]));
  const jobHoursOf = new Map(jobHours.map((row) => [Number(row.gpu_id), row]));
  return {
    window: { startMs, endMs },
    hourStartsMs,
    gpus: gpus.map((gpu) => {
      const sum = sumsOf.get(gpu.id);
      const withJobs = jobHoursOf.get(gpu.id);
      const utilMeasuredMs = Number(sum?.utilization_measured_ms ?? 0);
      const memMeasuredMs = Number(sum?.memory_measured_ms ?? 0);
      return {
        gpuId: gpu.id,
        uuid: gpu.uuid,
        hostname: gpu.hostname,
        gpuIndex: Number(gpu.gpu_index),
        modelName: gpu.model_name,
        memoryTotalMiB: Number(gpu.memory_total_mib),
        reportedGpuHours: Math.min(
          Number(sum?.reported_ms ?? 0) / HOUR_MS,
          lifetimeHoursInWindow({ firstSeenMs: Number(gpu.first_seen_ms), lastSeenMs: Number(gpu.last_seen_ms) }, { startMs, endMs }),
        ),
        utilizationAvgPct: utilMeasuredMs > 0 ? Number(sum!.utilization_pct_ms) / utilMeasuredMs : null,
        memoryUsedAvgMiB: memMeasuredMs > 0 ? Number(sum!.memory_mib_ms) / memMeasuredMs : null,
        sharedHours: Number(withJobs?.shared_hours ?? 0),
        jobFreeHours: Math.max(0, Number(sum?.reported_hours ?? 0) - Number(withJobs?.hours_with_jobs ?? 0)),
      };
    }),
    cellRows: { firstRow, rowCount },
    cells,
  };
}
