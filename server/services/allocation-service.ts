import type { SqlDatabase } from "../db/sql-database";
import {
  allocateCosts,
  AllocationError,
  periodsOf,
  type AggregateKey,
  type AllocationBasis,
  type AllocationGpu,
  type AllocationJob,
  type AllocationResult,
  type IdleScope,
  type JobGpuUsage,
  type ShareIdle,
} from "../domain/allocation";
import { DAY_MS, HOUR_MS } from "../domain/rollup";
import { migFraction, priceChangePoints, type PriceEntry } from "../domain/pricing";
import type { TimeWindow } from "../domain/time-window";
import { ServiceError } from "./service-error";
import type { DataScope } from "../auth/principal";
import { scopedAllocationFilter } from "../auth/data-scope";

export interface AllocationQuery {
  window: TimeWindow;
  aggregate: AggregateKey[];
  basis: AllocationBasis;
  shareIdle: ShareIdle;
  idleBy: IdleScope;
  filter: Map<string, string[]>;
  /** ms; null for totals over the window. */
  stepMs: number | null;
}

export interface AllocationResponse extends AllocationResult {
  /** The window actually allocated: whole UTC hours (the current, unfinished hour is left out). */
  window: TimeWindow;
}

function parseLabels(json: string | null): Record<string, string> {
  if (!json) return {};
  try {
    const value = JSON.parse(json) as unknown;
    return value && typeof value === "object" ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}

export async function loadPriceEntries(db: SqlDatabase): Promise<PriceEntry[]> {
  const rows = await db.query<{
    id: number;
    gpu_model: string;
    cost_per_gpu_hour: number;
    currency: string;
    effective_from_ms: number;
    effective_to_ms: number | null;
    node_label_key: string | null;
    node_label_value: string | null;
    source: string;
  }>(`SELECT id, gpu_model, cost_per_gpu_hour, currency, effective_from_ms, effective_to_ms, node_label_key, node_label_value, source FROM price_book_entry`);
  return rows.map((row) => ({
    id: row.id,
    gpuModel: row.gpu_model,
    costPerGpuHour: Number(row.cost_per_gpu_hour),
    currency: row.currency,
    effectiveFromMs: Number(row.effective_from_ms),
    effectiveToMs: row.effective_to_ms === null ? null : Number(row.effective_to_ms),
    nodeLabelKey: row.node_label_key,
    nodeLabelValue: row.node_label_value,
    source: row.source,
  }));
}

/**
 * Loads the fleet, jobs, hourly usage and prices of a window and allocates its
 * cost (server/domain/allocation.ts). Steps:
 *  1. round the window to whole hours (rollups are hourly);
 *  2. cut it where prices change, so each usage sum has one price;
 *  3. sum each job's usage per GPU, step and price segment in SQL, from the daily
 *     rollup for whole days and the hourly one for the rest; when idle is shared
 *     (settled hour by hour), read the hourly rollup row by row instead;
 *  4. hand everything to allocateCosts, with the filter narrowed to `scope`'s
 *     teams (a member's rows are their teams' jobs; the fleet's cost and
 *     GPU-hours stay the fleet totals, and idle, being no team's, is shown only
 *     unfiltered or as shares of the member's rows).
 */
export async function allocate(db: SqlDatabase, query: AllocationQuery, scope: DataScope): Promise<AllocationResponse> {
  // 1. Whole hours.
  const startMs = Math.floor(query.window.startMs / HOUR_MS) * HOUR_MS;
  const endMs = Math.floor(query.window.endMs / HOUR_MS) * HOUR_MS;
  const window = { startMs, endMs };

  // 2. Prices and their change points.
  const prices = await loadPriceEntries(db);
  const changePoints = priceChangePoints(prices, startMs, endMs);
  const segmentStarts = [startMs, ...changePoints];

  // 3. Fleet, jobs and usage.
  const gpuRows = await db.query<{
    id: number;
    uuid: string;
    node_id: number;
    hostname: string;
    labels_json: string;
    cluster_name: string;
    model_name: string;
    mig_parent_uuid: string | null;
    mig_profile: string | null;
    first_seen_ms: number;
    last_seen_ms: number;
  }>(
    `SELECT g.id, g.uuid, g.node_id, n.hostname, n.labels_json, c.name AS cluster_name, g.model_name, g.mig_parent_uuid, g.mig_profile, g.first_seen_ms, g.last_seen_ms
       FROM gpu g JOIN node n ON n.id = g.node_id JOIN cluster c ON c.id = n.cluster_id
      WHERE g.first_seen_ms < ? AND g.last_seen_ms > ?`,
    [endMs, startMs],
  );
  // A MIG parent is looked up within its instance's node only (ingest lets a node
  // name a parent no node registered, as dcgm-exporter does).
  const nodeGpuKey = (nodeId: number, uuid: string) => `${nodeId}\u0000${uuid}`;
  const idByNodeAndUuid = new Map(gpuRows.map((row) => [nodeGpuKey(row.node_id, row.uuid), row.id]));
  const gpus: AllocationGpu[] = gpuRows.map((row) => ({
    gpuId: row.id,
    uuid: row.uuid,
    nodeId: row.node_id,
    hostname: row.hostname,
    clusterName: row.cluster_name,
    nodeLabels: parseLabels(row.labels_json),
    modelName: row.model_name,
    migParentGpuId: row.mig_parent_uuid === null ? null : (idByNodeAndUuid.get(nodeGpuKey(row.node_id, row.mig_parent_uuid)) ?? null),
    migParentUuid: row.mig_parent_uuid,
    // A MIG instance whose profile cannot be read is priced as a whole GPU rather than guessed smaller.
    fractionOfGpu: row.mig_parent_uuid === null ? 1 : (migFraction(row.mig_profile) ?? 1),
    firstSeenMs: Number(row.first_seen_ms),
    lastSeenMs: Number(row.last_seen_ms),
  }));

  const jobRows = await db.query<{
    id: number;
    external_id: string;
    kind: string;
    team: string | null;
    project: string | null;
    model: string | null;
    experiment: string | null;
    user_name: string | null;
    labels_json: string;
  }>(
    `SELECT id, external_id, kind, team, project, model, experiment, user_name, labels_json FROM job WHERE first_seen_ms < ? AND last_seen_ms > ?`,
    [endMs, startMs],
  );
  const jobs: AllocationJob[] = jobRows.map((row) => ({
    jobId: row.id,
    externalId: row.external_id,
    kind: row.kind,
    team: row.team,
    project: row.project,
    model: row.model,
    experiment: row.experiment,
    user: row.user_name,
    labels: parseLabels(row.labels_json),
  }));

  // Shared idle is settled hour by hour, so it needs each job's usage per hour.
  // Otherwise whole UTC days that lie inside one period are read from the daily
  // rollup, the other hours from the hourly one; both are summed per step and
  // price segment.
  let usageRows: UsageSumRow[];
  if (query.shareIdle !== "none") {
    usageRows = await sumUsageByHour(db, startMs, endMs);
  } else {
    const { dailyRanges, hourlyRanges } = splitDailyAndHourly(periodsOf({ windowStartMs: startMs, windowEndMs: endMs, periodStartsMs: changePoints, stepMs: query.stepMs }));
    usageRows = [
      ...(await sumUsage(db, "job_usage_daily", "day_start_ms", dailyRanges, query.stepMs, changePoints)),
      ...(await sumUsage(db, "job_usage_hourly", "hour_start_ms", hourlyRanges, query.stepMs, changePoints)),
    ];
  }
  const usage: JobGpuUsage[] = usageRows.map(([jobId, gpuId, hourOrStepIndex, segmentIndex, shareMs, activeMs, soleMs, utilizationSplitMs, memorySplitMs, evenSplitMs]) => ({
    jobId: Number(jobId),
    gpuId: Number(gpuId),
    // The period a row belongs to starts where the window, its hour or step
    // (aligned to the epoch) and its price segment have all begun.
    periodStartMs:
      query.shareIdle !== "none"
        ? Number(hourOrStepIndex)
        : Math.max(startMs, Number(hourOrStepIndex) * (query.stepMs ?? 0), segmentStarts[Number(segmentIndex)]),
    shareMs: Number(shareMs),
    activeMs: Number(activeMs),
    soleMs: Number(soleMs),
    utilizationSplitMs: Number(utilizationSplitMs),
    memorySplitMs: Number(memorySplitMs),
    evenSplitMs: Number(evenSplitMs),
  }));

  // 4. Allocate.
  try {
    const result = allocateCosts(gpus, jobs, usage, prices, {
      windowStartMs: startMs,
      windowEndMs: endMs,
      periodStartsMs: changePoints,
      stepMs: query.stepMs,
      aggregate: query.aggregate,
      basis: query.basis,
      shareIdle: query.shareIdle,
      idleBy: query.idleBy,
      filter: scopedAllocationFilter(query.filter, scope),
    });
    return { ...result, window };
  } catch (error) {
    if (error instanceof AllocationError) throw new ServiceError(409, error.message);
    throw error;
  }
}

type Range = { fromMs: number; toMs: number };

/** Appends a range, merging it with the previous one when they touch. */
function pushMerged(ranges: Range[], fromMs: number, toMs: number): void {
  if (toMs <= fromMs) return;
  const last = ranges[ranges.length - 1];
  if (last && last.toMs === fromMs) last.toMs = toMs;
  else ranges.push({ fromMs, toMs });
}

/** Splits periods into whole UTC days inside a single period and the remaining hours. */
export function splitDailyAndHourly(periods: readonly { startMs: number; endMs: number }[]): { dailyRanges: Range[]; hourlyRanges: Range[] } {
  const dailyRanges: Range[] = [];
  const hourlyRanges: Range[] = [];
  for (const period of periods) {
    const firstDayMs = Math.ceil(period.startMs / DAY_MS) * DAY_MS;
    const lastDayMs = Math.floor(period.endMs / DAY_MS) * DAY_MS;
    if (firstDayMs < lastDayMs) {
      pushMerged(hourlyRanges, period.startMs, firstDayMs);
      pushMerged(dailyRanges, firstDayMs, lastDayMs);
      pushMerged(hourlyRanges, lastDayMs, period.endMs);
    } else {
      pushMerged(hourlyRanges, period.startMs, period.endMs);
    }
  }
  return { dailyRanges, hourlyRanges };
}

/** job_id, gpu_id, step_index (or hour_start_ms), segment_index, then the sums of USAGE_SUM_COLUMNS. */
type UsageSumRow = [number, number, number, number, number, number, number, number, number, number];

/**
 * Sums a rollup table per job, GPU, step and price segment over the given ranges.
 * Every number inlined in the SQL is a whole-hour epoch value computed here.
 */
async function sumUsage(
  db: SqlDatabase,
  table: "job_usage_daily" | "job_usage_hourly",
  timeColumn: "day_start_ms" | "hour_start_ms",
  ranges: readonly Range[],
  stepMs: number | null,
  changePoints: readonly number[],
): Promise<UsageSumRow[]> {
  if (ranges.length === 0) return [];
  // Totals have one step: a constant keeps the GROUP BY to the keys that vary.
  const stepIndex = stepMs === null ? "0" : `${timeColumn} / ${stepMs}`;
  const segmentCase =
    changePoints.length === 0
      ? "0"
      : `CASE ${changePoints.map((point, index) => `WHEN ${timeColumn} < ${point} THEN ${index}`).join(" ")} ELSE ${changePoints.length} END`;
  const where = ranges.map(() => `(${timeColumn} >= ? AND ${timeColumn} < ?)`).join(" OR ");
  return (await db.queryArrays(
    `SELECT job_id, gpu_id, ${stepIndex} AS step_index, ${segmentCase} AS segment_index,
            SUM(share_ms) AS share_ms, SUM(active_ms) AS active_ms, SUM(sole_ms) AS sole_ms,
            SUM(utilization_split_ms) AS utilization_split_ms, SUM(memory_split_ms) AS memory_split_ms, SUM(even_split_ms) AS even_split_ms
       FROM ${table}
      WHERE ${where}
      GROUP BY job_id, gpu_id${stepMs === null ? "" : ", 3"}${changePoints.length === 0 ? "" : ", 4"}`,
    ranges.flatMap((range) => [range.fromMs, range.toMs]),
  )) as UsageSumRow[];
}

/** The hourly rollup's rows (one per job, GPU and hour) over [fromMs, toMs), whole hours. */
async function sumUsageByHour(db: SqlDatabase, fromMs: number, toMs: number): Promise<UsageSumRow[]> {
  if (toMs <= fromMs) return [];
  return (await db.queryArrays(
    `SELECT job_id, gpu_id, hour_start_ms, 0 AS segment_index, share_ms, active_ms, sole_ms, utilization_split_ms, memory_split_ms, even_split_ms
       FROM job_usage_hourly
      WHERE hour_start_ms >= ? AND hour_start_ms < ?`,
    [fromMs, toMs],
  )) as UsageSumRow[];
}
