import type { SqlDatabase } from "../db/sql-database";
import { sqlGreatest, sqlLeast } from "../db/sql-database";
import { HOUR_MS } from "../domain/rollup";
import { chooseBucketMs, type TimeWindow } from "../domain/time-window";
import {
  foldGpuBucketUsage,
  rankGpusByUtilization,
  summarizeFleetUtilization,
  type FleetUtilizationSummary,
  type GpuUsageTotals,
  type RankedGpu,
  type UtilizationPoint,
} from "../domain/utilization";
import { MAX_WINDOW_MS } from "../wire/ingest-v1";

export interface Overview {
  window: TimeWindow;
  fleet: { nodeCount: number; gpuCount: number; gpuModels: { modelName: string; gpuCount: number }[] };
  summary: FleetUtilizationSummary & { gpusReporting: number };
  series: { bucketMs: number; points: UtilizationPoint[] };
  busiest: RankedGpu[];
  idlest: RankedGpu[];
  /** Start of the newest stored window, or null before the first ingest. */
  latestWindowStartMs: number | null;
}

/**
 * The usage windows that overlap the query window, each with the milliseconds of
 * overlap. The lower bound on start_ms (windows are at most MAX_WINDOW_MS long)
 * lets the start_ms index bound the scan on both sides.
 */
function overlappingWindowsSql(db: SqlDatabase): string {
  const overlap = `${sqlLeast(db.dialect, "end_ms", "?")} - ${sqlGreatest(db.dialect, "start_ms", "?")}`;
  return `SELECT gpu_id, start_ms, utilization_avg_pct, memory_used_avg_mib, ${overlap} AS overlap_ms
            FROM gpu_usage_window
           WHERE start_ms >= ? AND start_ms < ? AND end_ms > ?`;
}

function overlapParams(window: TimeWindow): number[] {
  return [window.endMs, window.startMs, window.startMs - MAX_WINDOW_MS, window.endMs, window.startMs];
}

const HOURS = "3600000.0";

type UsageCellRow = {
  gpu_id: number;
  bucket_start_ms: number;
  gpu_hours: number;
  measured_gpu_hours: number;
  utilization_pct_hours: number;
  memory_mib_hours: number | null;
  memory_measured_gpu_hours: number;
};

/** Per GPU and bucket sums from the raw windows overlapping `window`. */
function cellsFromWindows(db: SqlDatabase, window: TimeWindow, bucketMs: number): Promise<UsageCellRow[]> {
  if (window.endMs <= window.startMs) return Promise.resolve([]);
  return db.query<UsageCellRow>(
    `SELECT w.gpu_id, (w.start_ms / ${bucketMs}) * ${bucketMs} AS bucket_start_ms,
            SUM(w.overlap_ms) / ${HOURS} AS gpu_hours,
            SUM(CASE WHEN w.utilization_avg_pct IS NULL THEN 0 ELSE w.overlap_ms END) / ${HOURS} AS measured_gpu_hours,
            SUM(COALESCE(w.utilization_avg_pct, 0) * w.overlap_ms) / ${HOURS} AS utilization_pct_hours,
            SUM(COALESCE(w.memory_used_avg_mib, 0) * w.overlap_ms) / ${HOURS} AS memory_mib_hours,
            SUM(CASE WHEN w.memory_used_avg_mib IS NULL THEN 0 ELSE w.overlap_ms END) / ${HOURS} AS memory_measured_gpu_hours
       FROM (${overlappingWindowsSql(db)}) w
      GROUP BY w.gpu_id, 2`,
    overlapParams(window),
  );
}

/** Per GPU and bucket sums from the hourly rollups of whole hours [startMs, endMs). */
function cellsFromRollups(db: SqlDatabase, startMs: number, endMs: number, bucketMs: number): Promise<UsageCellRow[]> {
  if (endMs <= startMs) return Promise.resolve([]);
  return db.query<UsageCellRow>(
    `SELECT gpu_id, (hour_start_ms / ${bucketMs}) * ${bucketMs} AS bucket_start_ms,
            SUM(reported_ms) / ${HOURS} AS gpu_hours,
            SUM(utilization_measured_ms) / ${HOURS} AS measured_gpu_hours,
            SUM(utilization_pct_ms) / ${HOURS} AS utilization_pct_hours,
            SUM(memory_mib_ms) / ${HOURS} AS memory_mib_hours,
            SUM(memory_measured_ms) / ${HOURS} AS memory_measured_gpu_hours
       FROM gpu_usage_hourly
      WHERE hour_start_ms >= ? AND hour_start_ms < ?
      GROUP BY gpu_id, 2`,
    [startMs, endMs],
  );
}

export async function getOverview(db: SqlDatabase, window: TimeWindow, rankCount = 10): Promise<Overview> {
  // 1. Usage summed per GPU and time bucket. Buckets of an hour or more read the
  //    hourly rollups for the window's whole hours and the raw windows only for
  //    the partial hours at its edges; smaller buckets read the raw windows.
  //    Bucket sizes are whole minutes chosen by chooseBucketMs, so inlining them is safe.
  const bucketMs = chooseBucketMs(window);
  let cells: UsageCellRow[];
  if (bucketMs >= HOUR_MS) {
    const firstWholeHourMs = Math.ceil(window.startMs / HOUR_MS) * HOUR_MS;
    const lastWholeHourMs = Math.max(firstWholeHourMs, Math.floor(window.endMs / HOUR_MS) * HOUR_MS);
    cells = [
      ...(await cellsFromWindows(db, { startMs: window.startMs, endMs: Math.min(firstWholeHourMs, window.endMs) }, bucketMs)),
      ...(await cellsFromRollups(db, firstWholeHourMs, lastWholeHourMs, bucketMs)),
      ...(await cellsFromWindows(db, { startMs: Math.max(lastWholeHourMs, window.startMs), endMs: window.endMs }, bucketMs)),
    ];
  } else {
    cells = await cellsFromWindows(db, window, bucketMs);
  }
  const { perGpu, series } = foldGpuBucketUsage(
    cells.map((cell) => ({
      gpuId: cell.gpu_id,
      bucketStartMs: Number(cell.bucket_start_ms),
      gpuHours: Number(cell.gpu_hours),
      measuredGpuHours: Number(cell.measured_gpu_hours),
      utilizationPctHours: Number(cell.utilization_pct_hours),
      memoryMiBHours: Number(cell.memory_mib_hours ?? 0),
      memoryMeasuredGpuHours: Number(cell.memory_measured_gpu_hours),
    })),
  );

  // 2. The fleet's GPUs, to name the ones that reported.
  const gpus = await db.query<{ id: number; uuid: string; hostname: string; gpu_index: number; model_name: string; memory_total_mib: number }>(
    `SELECT g.id, g.uuid, n.hostname, g.gpu_index, g.model_name, g.memory_total_mib FROM gpu g JOIN node n ON n.id = g.node_id`,
  );
  const totals: GpuUsageTotals[] = [];
  const modelCounts = new Map<string, number>();
  for (const gpu of gpus) {
    modelCounts.set(gpu.model_name, (modelCounts.get(gpu.model_name) ?? 0) + 1);
    const usage = perGpu.get(gpu.id);
    if (!usage) continue;
    totals.push({
      gpuId: gpu.id,
      uuid: gpu.uuid,
      hostname: gpu.hostname,
      gpuIndex: gpu.gpu_index,
      modelName: gpu.model_name,
      memoryTotalMiB: gpu.memory_total_mib,
      ...usage,
    });
  }
  const [nodeRow] = await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM node WHERE last_seen_ms IS NOT NULL`);
  const [latestRow] = await db.query<{ latest: number | null }>(`SELECT MAX(start_ms) AS latest FROM gpu_usage_window`);

  return {
    window,
    fleet: {
      nodeCount: Number(nodeRow.n),
      gpuCount: gpus.length,
      gpuModels: [...modelCounts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([modelName, gpuCount]) => ({ modelName, gpuCount })),
    },
    summary: { ...summarizeFleetUtilization(totals), gpusReporting: totals.length },
    series: { bucketMs, points: series },
    ...rankGpusByUtilization(totals, rankCount),
    latestWindowStartMs: latestRow.latest === null ? null : Number(latestRow.latest),
  };
}
