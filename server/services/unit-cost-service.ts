import type { SqlDatabase } from "../db/sql-database";
import { IDLE_ROW_NAME, type AllocationRow, type IdleScope, type ShareIdle } from "../domain/allocation";
import type { TimeWindow } from "../domain/time-window";
import {
  computeUnitCosts,
  throughputEvidenceByJob,
  type JobCostShare,
  type JobWorkCount,
  type UnitCostAggregateKey,
  type UnitCostResult,
} from "../domain/unit-costs";
import { countedStepWork, countersWithSeveralSources, type SourceStepWork, type WorkHourlyContribution } from "../domain/work-counters";
import type { ThroughputEvidence } from "../../solver/plan/types";
import { allocate } from "./allocation-service";
import { ALL_DATA, teamVisible, type DataScope } from "../auth/principal";

export interface UnitCostQuery {
  window: TimeWindow;
  aggregate: UnitCostAggregateKey[];
  /** Units to report; null for every unit measured. */
  units: string[] | null;
  shareIdle: ShareIdle;
  idleBy: IdleScope;
  /** ms; null for totals over the window. */
  stepMs: number | null;
}

export interface UnitCostResponse extends UnitCostResult {
  /** The window priced: whole UTC hours, as allocation. */
  window: TimeWindow;
  currency: string | null;
  /** The allocation engine's figures for the same window: fleet = allocated + idle. */
  fleetCost: number;
  allocatedCost: number;
  /** Idle cost left unshared (shareIdle=none, or a scope and hour with no job to share it with). */
  idleCost: number;
  unpricedGpuModels: string[];
}

/** Every job property, so each allocation row is one job on one GPU. */
const JOB_GPU_AGGREGATE = ["cluster", "job", "gpu", "team", "project", "model", "experiment", "user"] as const;

const jobKeyOf = (cluster: string, externalId: string) => `${cluster}\u0000${externalId}`;

/**
 * The allocation engine's job costs of a window, per job, GPU model and step
 * (allocation basis; idle shared as asked), and its totals. The whole fleet is
 * allocated (its totals are the fleet's); unitCosts keeps the rows in scope.
 */
async function loadJobCosts(db: SqlDatabase, query: UnitCostQuery) {
  const allocation = await allocate(db, {
    window: query.window,
    aggregate: [...JOB_GPU_AGGREGATE],
    basis: "allocation",
    shareIdle: query.shareIdle,
    idleBy: query.idleBy,
    filter: new Map(),
    stepMs: query.stepMs,
  }, ALL_DATA);
  const modelByUuid = new Map(
    (await db.query<{ uuid: string; model_name: string }>(`SELECT uuid, model_name FROM gpu`)).map((row) => [row.uuid, row.model_name]),
  );
  const shares = new Map<string, JobCostShare>();
  let idleCost = 0;
  for (const row of allocation.rows) {
    if (row.name === IDLE_ROW_NAME) {
      idleCost += row.totalCost;
      continue;
    }
    const share = shareOf(row, modelByUuid);
    const key = `${share.jobKey}\u0000${share.gpuModel}\u0000${share.stepStartMs}`;
    const stored = shares.get(key);
    if (stored) {
      stored.gpuHours += share.gpuHours;
      stored.cost += share.cost;
    } else shares.set(key, share);
  }
  return { allocation, idleCost, costs: [...shares.values()] };
}

function shareOf(row: AllocationRow, modelByUuid: ReadonlyMap<string, string>): JobCostShare {
  const p = row.properties;
  return {
    jobKey: jobKeyOf(p.cluster, p.job),
    properties: { cluster: p.cluster, job: p.job, team: p.team, project: p.project, model: p.model, experiment: p.experiment, user: p.user },
    gpuModel: modelByUuid.get(p.gpu) ?? p.gpu,
    stepStartMs: row.startMs,
    stepEndMs: row.endMs,
    gpuHours: row.gpuHours,
    cost: row.totalCost,
  };
}

/**
 * Work per job, unit and step from the hourly sums (steps aligned as
 * allocation's: to the epoch, clipped to the window), counted once when it
 * arrived two ways (server/domain/work-counters.ts, countedStepWork): the sums
 * per job, node, unit, source and step come from the database; only the hours of
 * counters several sources counted are read one by one.
 */
async function loadJobWork(db: SqlDatabase, window: TimeWindow, stepMs: number | null): Promise<JobWorkCount[]> {
  if (window.endMs <= window.startMs) return [];
  const stepOf = (hourStartMs: number) => (stepMs === null ? 0 : Math.floor(hourStartMs / stepMs));
  const sums = (
    await db.queryArrays(
      `SELECT job_id, node_id, unit, source, ${stepMs === null ? "0" : `hour_start_ms / ${stepMs}`} AS step_index, SUM(count)
         FROM job_work_hourly
        WHERE hour_start_ms >= ? AND hour_start_ms < ?
        GROUP BY job_id, node_id, unit, source${stepMs === null ? "" : ", 5"}`,
      [window.startMs, window.endMs],
    )
  ).map<SourceStepWork>(([jobId, nodeId, unit, source, stepIndex, count]) => ({
    jobId: Number(jobId),
    nodeId: Number(nodeId),
    unit: String(unit),
    source: String(source),
    stepIndex: Number(stepIndex),
    count: Number(count),
  }));
  const several = countersWithSeveralSources(sums);
  const hoursOfSeveral: WorkHourlyContribution[] = [];
  const severalKeys = new Set(several.map((c) => `${c.jobId}\u0000${c.nodeId}\u0000${c.unit}`));
  const jobIds = [...new Set(several.map((c) => c.jobId))];
  for (let i = 0; i < jobIds.length; i += ID_CHUNK) {
    const chunk = jobIds.slice(i, i + ID_CHUNK);
    const rows = await db.queryArrays(
      `SELECT job_id, node_id, unit, source, hour_start_ms, count FROM job_work_hourly
        WHERE hour_start_ms >= ? AND hour_start_ms < ? AND job_id IN (${chunk.map(() => "?").join(", ")})`,
      [window.startMs, window.endMs, ...chunk],
    );
    for (const [jobId, nodeId, unit, source, hourStartMs, count] of rows) {
      const hour = { jobId: Number(jobId), nodeId: Number(nodeId), unit: String(unit), source: String(source), hourStartMs: Number(hourStartMs), count: Number(count) };
      if (severalKeys.has(`${hour.jobId}\u0000${hour.nodeId}\u0000${hour.unit}`)) hoursOfSeveral.push(hour);
    }
  }
  const counted = countedStepWork(sums, hoursOfSeveral, stepOf);
  const names = await jobNames(db, [...new Set(counted.map((w) => w.jobId))]);
  return counted.map((w) => ({
    jobKey: names.get(w.jobId)!,
    unit: w.unit,
    stepStartMs: stepMs === null ? window.startMs : Math.max(window.startMs, w.stepIndex * stepMs),
    count: w.count,
  }));
}

/** Job ids per query: well under SQLite's and PostgreSQL's limits on bound parameters. */
const ID_CHUNK = 500;

/** Each job's key (cluster and external id), by job id. */
async function jobNames(db: SqlDatabase, jobIds: readonly number[]): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (let i = 0; i < jobIds.length; i += ID_CHUNK) {
    const chunk = jobIds.slice(i, i + ID_CHUNK);
    const rows = await db.queryArrays(
      `SELECT j.id, c.name, j.external_id FROM job j JOIN cluster c ON c.id = j.cluster_id WHERE j.id IN (${chunk.map(() => "?").join(", ")})`,
      chunk,
    );
    for (const [id, cluster, externalId] of rows) names.set(Number(id), jobKeyOf(String(cluster), String(externalId)));
  }
  return names;
}

/**
 * Cost per unit of work over a window (server/domain/unit-costs.ts): the
 * allocation engine's job costs, the measured work of the same hours, divided.
 */
export async function unitCosts(db: SqlDatabase, query: UnitCostQuery, scope: DataScope): Promise<UnitCostResponse> {
  const { allocation, idleCost, costs: allCosts } = await loadJobCosts(db, query);
  // A member's rows are their teams' jobs; the fleet, allocated and idle figures stay fleet totals.
  const costs = scope.kind === "all" ? allCosts : allCosts.filter((share) => teamVisible(scope, share.properties.team ?? null));
  const jobsInScope = new Set(costs.map((share) => share.jobKey));
  const allWork = await loadJobWork(db, allocation.window, query.stepMs);
  const work = scope.kind === "all" ? allWork : allWork.filter((count) => jobsInScope.has(count.jobKey));
  const result = computeUnitCosts(costs, work, { aggregate: query.aggregate, units: query.units });
  return {
    ...result,
    window: allocation.window,
    currency: allocation.currency,
    fleetCost: allocation.fleetCost,
    allocatedCost: allocation.fleetCost - idleCost,
    idleCost,
    unpricedGpuModels: allocation.unpricedGpuModels,
  };
}

/**
 * Measured throughput per job and GPU model over a window, for the fleet plan and
 * the estimator: keyed by cluster and the job's external id.
 */
export async function measuredThroughput(db: SqlDatabase, window: TimeWindow): Promise<Map<string, { cluster: string; job: string; throughput: ThroughputEvidence[] }>> {
  const query: UnitCostQuery = { window, aggregate: [], units: null, shareIdle: "none", idleBy: "cluster", stepMs: null };
  const { allocation, costs } = await loadJobCosts(db, query);
  const evidence = throughputEvidenceByJob(costs, await loadJobWork(db, allocation.window, null));
  const propertiesByKey = new Map(costs.map((share) => [share.jobKey, share.properties]));
  const byJob = new Map<string, { cluster: string; job: string; throughput: ThroughputEvidence[] }>();
  for (const [jobKey, throughput] of evidence) {
    const properties = propertiesByKey.get(jobKey)!;
    byJob.set(`${properties.cluster}/${properties.job}`, { cluster: properties.cluster, job: properties.job, throughput });
  }
  return byJob;
}
