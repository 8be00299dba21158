import type { SqlDatabase } from "../db/sql-database";
import { sqlGreatest, sqlLeast } from "../db/sql-database";
import { lifetimeHoursInWindow, reportedHoursScale } from "../domain/gpu-lifetime";
import { HOUR_MS } from "../domain/rollup";
import { chooseBucketMs, type TimeWindow } from "../domain/time-window";
import {
  averageUtilizationPct,
  rankGpusByUtilization,
  summarizeFleetUtilization,
  type FleetUtilizationSummary,
  type GpuUsageTotals,
  type RankedGpu,
  type UtilizationPoint,
} from "../domain/utilization";
import { MAX_WINDOW_MS } from "../wire/ingest-v1";
import type { DataScope } from "../auth/principal";

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

/**
 * One row per usage window (raw) or GPU-hour (rollup) inside `window`, with its
 * bucket and its sums in ms, as the SQL of a subquery and its parameters. Whole
 * hours come from the hourly rollups when the buckets are an hour or longer; the
 * rest (the partial hours at the window's edges, or everything for finer
 * buckets) from the raw windows. Bucket sizes are whole minutes chosen by
 * chooseBucketMs, so inlining them is safe.
 */
function usageRowsSql(db: SqlDatabase, window: TimeWindow, bucketMs: number): { sql: string; params: number[] } {
  const fromWindows = (part: TimeWindow) => ({
    sql: `SELECT w.gpu_id, (w.start_ms / ${bucketMs}) * ${bucketMs} AS bucket_start_ms, w.overlap_ms AS reported_ms,
                 CASE WHEN w.utilization_avg_pct IS NULL THEN 0 ELSE w.overlap_ms END AS utilization_measured_ms,
                 COALESCE(w.utilization_avg_pct, 0) * w.overlap_ms AS utilization_pct_ms,
                 COALESCE(w.memory_used_avg_mib, 0) * w.overlap_ms AS memory_mib_ms,
                 CASE WHEN w.memory_used_avg_mib IS NULL THEN 0 ELSE w.overlap_ms END AS memory_measured_ms
            FROM (${overlappingWindowsSql(db)}) w`,
    params: overlapParams(part),
  });
  const fromRollups = (startMs: number, endMs: number) => ({
    sql: `SELECT gpu_id, (hour_start_ms / ${bucketMs}) * ${bucketMs} AS bucket_start_ms, reported_ms, utilization_measured_ms,
                 utilization_pct_ms, memory_mib_ms, memory_measured_ms
            FROM gpu_usage_hourly
           WHERE hour_start_ms >= ? AND hour_start_ms < ?`,
    params: [startMs, endMs],
  });
  const parts: { sql: string; params: number[] }[] = [];
  if (bucketMs >= HOUR_MS) {
    const firstWholeHourMs = Math.ceil(window.startMs / HOUR_MS) * HOUR_MS;
    const lastWholeHourMs = Math.max(firstWholeHourMs, Math.floor(window.endMs / HOUR_MS) * HOUR_MS);
    if (window.startMs < Math.min(firstWholeHourMs, window.endMs)) parts.push(fromWindows({ startMs: window.startMs, endMs: Math.min(firstWholeHourMs, window.endMs) }));
    if (firstWholeHourMs < lastWholeHourMs) parts.push(fromRollups(firstWholeHourMs, lastWholeHourMs));
    if (Math.max(lastWholeHourMs, window.startMs) < window.endMs) parts.push(fromWindows({ startMs: Math.max(lastWholeHourMs, window.startMs), endMs: window.endMs }));
  } else if (window.startMs < window.endMs) {
    parts.push(fromWindows(window));
  }
  if (parts.length === 0) parts.push({ sql: `${fromRollups(0, 0).sql} AND 1 = 0`, params: [0, 0] });
  return { sql: parts.map((part) => part.sql).join("\n UNION ALL \n"), params: parts.flatMap((part) => part.params) };
}

/** The sums every usage query returns, in ms (converted to hours in JavaScript). */
const USAGE_SUMS_SQL = `SUM(u.reported_ms) AS reported_ms, SUM(u.utilization_measured_ms) AS utilization_measured_ms,
            SUM(u.utilization_pct_ms) AS utilization_pct_ms, SUM(u.memory_mib_ms) AS memory_mib_ms,
            SUM(u.memory_measured_ms) AS memory_measured_ms`;

type UsageSumsRow = {
  reported_ms: number | string;
  utilization_measured_ms: number | string;
  utilization_pct_ms: number | string;
  memory_mib_ms: number | string | null;
  memory_measured_ms: number | string;
};

function hoursOf(row: UsageSumsRow) {
  return {
    gpuHours: Number(row.reported_ms) / HOUR_MS,
    measuredGpuHours: Number(row.utilization_measured_ms) / HOUR_MS,
    utilizationPctHours: Number(row.utilization_pct_ms) / HOUR_MS,
  };
}

/** The same sums times `scale` (from reportedHoursScale), so averages stay as they were. */
function scaledHours(hours: ReturnType<typeof hoursOf>, scale: number): ReturnType<typeof hoursOf> {
  if (scale === 1) return hours;
  return { gpuHours: hours.gpuHours * scale, measuredGpuHours: hours.measuredGpuHours * scale, utilizationPctHours: hours.utilizationPctHours * scale };
}

/**
 * The overview's bucket: chooseBucketMs's, but at least an hour for windows of a
 * day or more, so that long windows read the hourly rollups (a day of a
 * 10,000-GPU fleet is 14 million raw windows, and 240,000 GPU-hours).
 */
export function overviewBucketMs(window: TimeWindow): number {
  const bucketMs = chooseBucketMs(window);
  return window.endMs - window.startMs >= 24 * HOUR_MS ? Math.max(bucketMs, HOUR_MS) : bucketMs;
}

/**
 * The fleet's utilization over a window. A member's scope sees the fleet's totals
 * only: the busiest and idlest GPU lists (per-GPU detail) are empty for it.
 */
export async function getOverview(db: SqlDatabase, window: TimeWindow, rankCount: number, scope: DataScope): Promise<Overview> {
  // 1. Usage per GPU (for the ranking and the fleet's totals) and per bucket (the
  //    chart), each summed in the database, so a large fleet's GPU x bucket cells
  //    never travel to the server.
  const bucketMs = overviewBucketMs(window);
  const usage = usageRowsSql(db, window, bucketMs);
  const [gpuSums, bucketSums] = await Promise.all([
    db.query<UsageSumsRow & { gpu_id: number }>(`SELECT u.gpu_id, ${USAGE_SUMS_SQL} FROM (${usage.sql}) u GROUP BY u.gpu_id`, usage.params),
    db.query<UsageSumsRow & { bucket_start_ms: number | string; gpus_reporting: number | string }>(
      `SELECT u.bucket_start_ms, ${USAGE_SUMS_SQL}, COUNT(DISTINCT u.gpu_id) AS gpus_reporting FROM (${usage.sql}) u GROUP BY u.bucket_start_ms ORDER BY u.bucket_start_ms`,
      usage.params,
    ),
  ]);
  const perGpu = new Map(
    gpuSums.map((row) => {
      const memoryMeasuredMs = Number(row.memory_measured_ms);
      return [Number(row.gpu_id), { ...hoursOf(row), memoryUsedAvgMiB: memoryMeasuredMs > 0 ? Number(row.memory_mib_ms ?? 0) / memoryMeasuredMs : null }];
    }),
  );
  const series: UtilizationPoint[] = bucketSums.map((row) => {
    const startMs = Number(row.bucket_start_ms);
    const gpusReporting = Number(row.gpus_reporting);
    // Overlapping windows (different batches) never make a bucket hold more GPU-hours than passed for its GPUs.
    const bucketHours = (Math.min(startMs + bucketMs, window.endMs) - Math.max(startMs, window.startMs)) / HOUR_MS;
    const reported = hoursOf(row);
    const hours = scaledHours(reported, reportedHoursScale(reported.gpuHours, gpusReporting * bucketHours));
    return { startMs, gpuHours: hours.gpuHours, utilizationAvgPct: averageUtilizationPct(hours), gpusReporting };
  });

  // 2. The fleet's GPUs, to name the ones that reported.
  const gpus = await db.query<{ id: number; uuid: string; hostname: string; gpu_index: number; model_name: string; memory_total_mib: number; first_seen_ms: number; last_seen_ms: number }>(
    `SELECT g.id, g.uuid, n.hostname, g.gpu_index, g.model_name, g.memory_total_mib, g.first_seen_ms, g.last_seen_ms FROM gpu g JOIN node n ON n.id = g.node_id`,
  );
  const totals: GpuUsageTotals[] = [];
  const modelCounts = new Map<string, number>();
  for (const gpu of gpus) {
    modelCounts.set(gpu.model_name, (modelCounts.get(gpu.model_name) ?? 0) + 1);
    const reported = perGpu.get(gpu.id);
    if (!reported) continue;
    // A GPU reports at most the hours it existed (as allocation counts it), even if windows of it overlap.
    const lifetimeHours = lifetimeHoursInWindow({ firstSeenMs: Number(gpu.first_seen_ms), lastSeenMs: Number(gpu.last_seen_ms) }, window);
    const usage = { ...reported, ...scaledHours(reported, reportedHoursScale(reported.gpuHours, lifetimeHours)) };
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
    ...(scope.kind === "all" ? rankGpusByUtilization(totals, rankCount) : { busiest: [], idlest: [] }),
    latestWindowStartMs: latestRow.latest === null ? null : Number(latestRow.latest),
  };
}
