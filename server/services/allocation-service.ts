import { sqlJsonTable, type SqlDatabase } from "../db/sql-database";
import {
  allocateCosts,
  AllocationError,
  cellUsageOfUnits,
  idleSettlementOf,
  idleWeightRangesOf,
  periodsOf,
  planAllocation,
  settleAllocation,
  type AggregateKey,
  type AllocationBasis,
  type AllocationGpu,
  type AllocationJob,
  type AllocationResult,
  type IdleCellUsage,
  type IdleCoefficient,
  type IdleScope,
  type IdleShare,
  type IdleWeightRange,
  type JobGpuUsage,
  type ShareIdle,
} from "../domain/allocation";
import { DAY_MS, HOUR_MS } from "../domain/rollup";
import { migFraction, priceChangePoints, type PriceEntry } from "../domain/pricing";
import type { TimeWindow } from "../domain/time-window";
import { ServiceError } from "./service-error";

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
  }>(`SELECT id, gpu_model, cost_per_gpu_hour, currency, effective_from_ms, effective_to_ms, node_label_key, node_label_value FROM price_book_entry`);
  return rows.map((row) => ({
    id: row.id,
    gpuModel: row.gpu_model,
    costPerGpuHour: Number(row.cost_per_gpu_hour),
    currency: row.currency,
    effectiveFromMs: Number(row.effective_from_ms),
    effectiveToMs: row.effective_to_ms === null ? null : Number(row.effective_to_ms),
    nodeLabelKey: row.node_label_key,
    nodeLabelValue: row.node_label_value,
  }));
}

/**
 * Loads the fleet, jobs, hourly usage and prices of a window and allocates its
 * cost (server/domain/allocation.ts). Steps:
 *  1. round the window to whole hours (rollups are hourly);
 *  2. cut it where prices change, so each usage sum has one price;
 *  3. sum each job's usage per GPU, step and price segment in SQL, from the daily
 *     rollup for whole days and the hourly one for the rest, and plan the
 *     allocation (planAllocation);
 *  4. when idle is shared (settled hour by hour), sum the hourly rollup in SQL per
 *     idle scope and hour, weighted as the plan says (idleWeightRangesOf); the
 *     domain turns that into each cell's idle per unit of weight, and SQL sums
 *     weight x coefficient per job, GPU, step and price segment. So no query
 *     returns a row per job-hour;
 *  5. settle the allocation (settleAllocation).
 */
export async function allocate(db: SqlDatabase, query: AllocationQuery): Promise<AllocationResponse> {
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
  const idByUuid = new Map(gpuRows.map((row) => [row.uuid, row.id]));
  const gpus: AllocationGpu[] = gpuRows.map((row) => ({
    gpuId: row.id,
    uuid: row.uuid,
    nodeId: row.node_id,
    hostname: row.hostname,
    clusterName: row.cluster_name,
    nodeLabels: parseLabels(row.labels_json),
    modelName: row.model_name,
    migParentGpuId: row.mig_parent_uuid === null ? null : (idByUuid.get(row.mig_parent_uuid) ?? null),
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

  // Whole UTC days that lie inside one period are read from the daily rollup, the
  // other hours from the hourly one; both are summed per step and price segment.
  // (Ingest adds to both in one transaction: a day's row is the sum of its hours'.)
  const { dailyRanges, hourlyRanges } = splitDailyAndHourly(periodsOf({ windowStartMs: startMs, windowEndMs: endMs, periodStartsMs: changePoints, stepMs: query.stepMs }));
  const usageRows = [
    ...(await sumUsage(db, "job_usage_daily", "day_start_ms", dailyRanges, query.stepMs, changePoints)),
    ...(await sumUsage(db, "job_usage_hourly", "hour_start_ms", hourlyRanges, query.stepMs, changePoints)),
  ];
  // The period a row belongs to starts where the window, its step (aligned to the
  // epoch) and its price segment have all begun.
  const periodStartOf = (stepIndex: unknown, segmentIndex: unknown) =>
    Math.max(startMs, Number(stepIndex) * (query.stepMs ?? 0), segmentStarts[Number(segmentIndex)]);
  const usageOf = (jobId: unknown, gpuId: unknown, [shareMs, activeMs, soleMs, utilizationSplitMs, memorySplitMs, evenSplitMs]: unknown[]) => ({
    jobId: Number(jobId),
    gpuId: Number(gpuId),
    shareMs: Number(shareMs),
    activeMs: Number(activeMs),
    soleMs: Number(soleMs),
    utilizationSplitMs: Number(utilizationSplitMs),
    memorySplitMs: Number(memorySplitMs),
    evenSplitMs: Number(evenSplitMs),
  });
  const usage: JobGpuUsage[] = usageRows.map(([jobId, gpuId, stepIndex, segmentIndex, ...sums]) => ({ ...usageOf(jobId, gpuId, sums), periodStartMs: periodStartOf(stepIndex, segmentIndex) }));

  try {
    const plan = planAllocation(gpus, jobs, usage, prices, {
      windowStartMs: startMs,
      windowEndMs: endMs,
      periodStartsMs: changePoints,
      stepMs: query.stepMs,
      aggregate: query.aggregate,
      basis: query.basis,
      shareIdle: query.shareIdle,
      idleBy: query.idleBy,
      filter: query.filter,
    });
    if (query.shareIdle === "none") return { ...settleAllocation(plan, idleSettlementOf(plan, cellUsageOfUnits(plan)), []), window };
    if (query.shareIdle === "even") {
      // Even sharing counts the jobs of each scope and hour and spreads each job's
      // part over its GPUs there: in SQL that took longer than settling the hourly
      // rows here, so it still reads them row by row.
      const hourlyUsage = (await sumUsageByHour(db, startMs, endMs)).map(([jobId, gpuId, hourStartMs, , ...sums]) => ({ ...usageOf(jobId, gpuId, sums), periodStartMs: Number(hourStartMs) }));
      return { ...allocateCosts(gpus, jobs, hourlyUsage, prices, plan.options), window };
    }

    // 4. Shared idle, hour by hour, summed in SQL.
    const hourly: HourlyIdleQuery = { weights: idleWeightRangesOf(plan), startMs, endMs, stepMs: query.stepMs, changePoints };
    const settlement = idleSettlementOf(plan, await sumIdleCells(db, hourly));
    const shares = (await sumIdleShares(db, hourly, settlement.coefficients)).map(({ jobId, gpuId, stepIndex, segmentIndex, idleCost }) => ({
      jobId,
      gpuId,
      periodStartMs: periodStartOf(stepIndex, segmentIndex),
      idleCost,
    }));

    // 5. Settle.
    return { ...settleAllocation(plan, settlement, shares), window };
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
  const { stepIndex, segmentIndex } = periodKeyColumns(timeColumn, stepMs, changePoints);
  const where = ranges.map(() => `(${timeColumn} >= ? AND ${timeColumn} < ?)`).join(" OR ");
  return (await db.queryArrays(
    `SELECT job_id, gpu_id, ${stepIndex} AS step_index, ${segmentIndex} AS segment_index,
            SUM(share_ms) AS share_ms, SUM(active_ms) AS active_ms, SUM(sole_ms) AS sole_ms,
            SUM(utilization_split_ms) AS utilization_split_ms, SUM(memory_split_ms) AS memory_split_ms, SUM(even_split_ms) AS even_split_ms
       FROM ${table}
      WHERE ${where}
      GROUP BY job_id, gpu_id${stepMs === null ? "" : ", 3"}${changePoints.length === 0 ? "" : ", 4"}`,
    ranges.flatMap((range) => [range.fromMs, range.toMs]),
  )) as UsageSumRow[];
}

interface HourlyIdleQuery {
  weights: readonly IdleWeightRange[];
  startMs: number;
  endMs: number;
  stepMs: number | null;
  changePoints: readonly number[];
}

/** The step and price segment of a rollup row, as SQL expressions over its time column. */
function periodKeyColumns(timeColumn: string, stepMs: number | null, changePoints: readonly number[]): { stepIndex: string; segmentIndex: string } {
  return {
    // Totals have one step: a constant keeps the GROUP BY to the keys that vary.
    stepIndex: stepMs === null ? "0" : `${timeColumn} / ${stepMs}`,
    segmentIndex:
      changePoints.length === 0
        ? "0"
        : `CASE ${changePoints.map((point, index) => `WHEN ${timeColumn} < ${point} THEN ${index}`).join(" ")} ELSE ${changePoints.length} END`,
  };
}

/**
 * The hourly rollup's rows of the window with their idle scope and weights
 * (IdleWeightRange): a CTE `weighed` of job_id, gpu_id, hour_start_ms, scope_id
 * and cost (allocated, by basis). Rows outside every range (a GPU or
 * job the allocation does not know) are left out, as planAllocation leaves them.
 */
function weighedHourlyRows(db: SqlDatabase, query: HourlyIdleQuery): { sql: string; params: (string | number)[] } {
  const weights = sqlJsonTable(db.dialect, [
    { name: "gpu_id", type: "bigint" },
    { name: "from_ms", type: "bigint" },
    { name: "to_ms", type: "bigint" },
    { name: "scope_id", type: "bigint" },
    { name: "cost_per_share_ms", type: "double precision" },
    { name: "cost_per_active_ms", type: "double precision" },
  ]);
  const rows = query.weights.map((w) => [w.gpuId, w.fromMs, w.toMs, w.scopeId, w.costPerShareMs, w.costPerActiveMs]);
  return {
    sql: `weights AS MATERIALIZED ${weights},
     weighed AS (
       SELECT u.job_id, u.gpu_id, u.hour_start_ms, w.scope_id,
              u.share_ms * w.cost_per_share_ms + u.active_ms * w.cost_per_active_ms AS cost
         FROM job_usage_hourly u
         JOIN weights w ON w.gpu_id = u.gpu_id AND u.hour_start_ms >= w.from_ms AND u.hour_start_ms < w.to_ms
         JOIN job j ON j.id = u.job_id AND j.first_seen_ms < ? AND j.last_seen_ms > ?
        WHERE u.hour_start_ms >= ? AND u.hour_start_ms < ?)`,
    params: [JSON.stringify(rows), query.endMs, query.startMs, query.startMs, query.endMs],
  };
}

/** What the jobs of each idle scope cost in each hour, by basis (weighted sharing: jobs are not counted). */
async function sumIdleCells(db: SqlDatabase, query: HourlyIdleQuery): Promise<IdleCellUsage[]> {
  if (query.weights.length === 0) return [];
  const weighed = weighedHourlyRows(db, query);
  const rows = await db.queryArrays(`WITH ${weighed.sql} SELECT scope_id, hour_start_ms, SUM(cost) FROM weighed GROUP BY scope_id, hour_start_ms`, weighed.params);
  return rows.map(([scopeId, hourStartMs, allocatedCost]) => ({
    scopeId: Number(scopeId),
    slotStartMs: Number(hourStartMs),
    allocatedCost: Number(allocatedCost),
    jobCount: 0,
  }));
}

/**
 * Each job's shared idle per GPU, step and price segment (weighted sharing): its
 * cost in each hour times the hour's idle per unit of cost (idleSettlementOf), summed.
 */
async function sumIdleShares(
  db: SqlDatabase,
  query: HourlyIdleQuery,
  coefficients: readonly IdleCoefficient[],
): Promise<(Omit<IdleShare, "periodStartMs"> & { stepIndex: number; segmentIndex: number })[]> {
  if (query.weights.length === 0 || coefficients.length === 0) return [];
  const weighed = weighedHourlyRows(db, query);
  const coefficientTable = sqlJsonTable(db.dialect, [
    { name: "scope_id", type: "bigint" },
    { name: "hour_start_ms", type: "bigint" },
    { name: "idle_per_weight", type: "double precision" },
  ]);
  const { stepIndex, segmentIndex } = periodKeyColumns("r.hour_start_ms", query.stepMs, query.changePoints);
  const rows = await db.queryArrays(
    `WITH ${weighed.sql},
     coefficients AS MATERIALIZED ${coefficientTable}
     SELECT r.job_id, r.gpu_id, ${stepIndex} AS step_index, ${segmentIndex} AS segment_index, SUM(r.cost * c.idle_per_weight)
       FROM weighed r JOIN coefficients c ON c.scope_id = r.scope_id AND c.hour_start_ms = r.hour_start_ms
      GROUP BY r.job_id, r.gpu_id${query.stepMs === null ? "" : ", 3"}${query.changePoints.length === 0 ? "" : ", 4"}`,
    [...weighed.params, JSON.stringify(coefficients.map((c) => [c.scopeId, c.slotStartMs, c.idlePerWeight]))],
  );
  return rows.map(([jobId, gpuId, step, segment, idleCost]) => ({
    jobId: Number(jobId),
    gpuId: Number(gpuId),
    stepIndex: Number(step),
    segmentIndex: Number(segment),
    idleCost: Number(idleCost),
  }));
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
