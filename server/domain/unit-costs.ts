/**
 * Cost per unit of work: what a job, model, experiment, team or GPU model paid
 * for a million tokens, a thousand requests or a million training samples, and
 * how much work a GPU-hour produced. Pure: the service hands in the allocation
 * engine's job costs and the measured work, this divides them.
 *
 * Formulas (also in docs/api.md, "GET /api/v1/unit-costs"):
 *  - a job's cost is its allocated cost from the allocation engine (allocation
 *    basis; its share of idle included when idle is shared), per GPU model and
 *    step, so every figure here agrees with GET /api/v1/allocation to the cent;
 *  - a job's work of one unit in a step is the sum of its work windows' counts,
 *    each spread over the hours it spans, one source per node and hour (work
 *    arriving two ways is counted once: countOneSourcePerHour in
 *    ./work-counters.ts); when the job ran on several GPU models
 *    in the step, its work is split between them by its GPU-hours on each;
 *  - for a group (the aggregate keys' values) and a unit:
 *      count = sum of the work of that unit of the group's jobs,
 *      cost = sum of the allocated cost of the group's jobs that counted the unit
 *             (jobs that did not count it are left out: their cost bought no
 *             measured work of that unit, and is shown as groupCost - cost),
 *      gpuHours = sum of the GPU-hours of those same jobs,
 *      costPerUnits = cost / count x per   (per: 1,000,000 tokens or samples,
 *                                           1,000 requests, steps, images or a custom unit),
 *      workPerGpuHour = count / gpuHours;
 *    so costPerUnits x count / per = cost: per-unit figures add back up to the
 *    allocated cost;
 *  - a job that counts several units (prompt and generated tokens, requests)
 *    pays its whole cost into each unit's figure: each is the cost of serving
 *    expressed per that unit, not a split of the cost between units;
 *  - work counted in a step in which its job held no GPU time is left out of the
 *    figures and reported as unattributed work.
 */
import type { ThroughputEvidence } from "../../solver/plan/types";

/** The job properties unit costs can be grouped by, plus the GPU model the work ran on. */
export const UNIT_COST_AGGREGATE_KEYS = ["cluster", "job", "team", "project", "model", "experiment", "user", "gpuModel"] as const;
export type UnitCostAggregateKey = (typeof UNIT_COST_AGGREGATE_KEYS)[number];
export type UnitCostJobProperties = Record<Exclude<UnitCostAggregateKey, "gpuModel">, string>;

/** How many units a figure is quoted per: per 1M tokens or samples, per 1k of anything else. */
export function unitsPerFigure(unit: string): number {
  return unit === "prompt_tokens" || unit === "generation_tokens" || unit === "tokens" || unit === "samples" ? 1_000_000 : 1_000;
}

/** One job's allocated cost on one GPU model in one step (the allocation engine's figures). */
export interface JobCostShare {
  /** Unique per job across the fleet (cluster and external id). */
  jobKey: string;
  properties: UnitCostJobProperties;
  gpuModel: string;
  stepStartMs: number;
  stepEndMs: number;
  gpuHours: number;
  cost: number;
}

/** One job's measured work of one unit in one step. */
export interface JobWorkCount {
  jobKey: string;
  unit: string;
  stepStartMs: number;
  count: number;
}

export interface UnitCostOptions {
  aggregate: readonly UnitCostAggregateKey[];
  /** Units to report; null for every unit measured. */
  units: readonly string[] | null;
}

export interface UnitCostRow {
  /** The aggregate values joined by "/", or "__total__" with no aggregate keys. */
  name: string;
  properties: Partial<Record<UnitCostAggregateKey, string>>;
  unit: string;
  /** The figure is per this many units. */
  per: number;
  startMs: number;
  endMs: number;
  count: number;
  /** GPU-hours and allocated cost of the group's jobs that counted this unit. */
  gpuHours: number;
  cost: number;
  /** Allocated cost of all the group's jobs in the step, measured or not. */
  groupCost: number;
  /** cost / count x per; null when nothing was counted. */
  costPerUnits: number | null;
  /** count / gpuHours; null without GPU-hours. */
  workPerGpuHour: number | null;
  /** Jobs that counted this unit. */
  jobs: number;
}

export interface UnitCostResult {
  rows: UnitCostRow[];
  /** One row per unit over everything (no aggregate keys). */
  totals: UnitCostRow[];
  /** Work counted while its job held no GPU time in the step: left out of the figures. */
  unattributedWork: { unit: string; count: number }[];
}

export const TOTAL_ROW_NAME = "__total__";

/** A job's work of one unit on one of its GPU models, with that share's cost. */
interface AttributedWork {
  share: JobCostShare;
  unit: string;
  count: number;
}

const stepKey = (jobKey: string, stepStartMs: number) => `${jobKey}\u0000${stepStartMs}`;

/** Work per job, unit and step, summed (the service may send one entry per source). */
function sumWork(work: readonly JobWorkCount[], units: UnitCostOptions["units"]): JobWorkCount[] {
  const byKey = new Map<string, JobWorkCount>();
  for (const entry of work) {
    if (units !== null && !units.includes(entry.unit)) continue;
    const key = `${stepKey(entry.jobKey, entry.stepStartMs)}\u0000${entry.unit}`;
    const stored = byKey.get(key);
    if (stored) stored.count += entry.count;
    else byKey.set(key, { ...entry });
  }
  return [...byKey.values()];
}

/**
 * Each work count split between its job's GPU models in the step by GPU-hours;
 * counts whose job held no GPU time in the step are unattributed.
 */
export function attributeWork(
  costs: readonly JobCostShare[],
  work: readonly JobWorkCount[],
): { attributed: AttributedWork[]; unattributed: Map<string, number> } {
  const sharesByJobStep = new Map<string, JobCostShare[]>();
  for (const share of costs) {
    const key = stepKey(share.jobKey, share.stepStartMs);
    const shares = sharesByJobStep.get(key);
    if (shares) shares.push(share);
    else sharesByJobStep.set(key, [share]);
  }
  const attributed: AttributedWork[] = [];
  const unattributed = new Map<string, number>();
  for (const entry of work) {
    const shares = sharesByJobStep.get(stepKey(entry.jobKey, entry.stepStartMs)) ?? [];
    const gpuHours = shares.reduce((total, share) => total + share.gpuHours, 0);
    if (gpuHours <= 0) {
      unattributed.set(entry.unit, (unattributed.get(entry.unit) ?? 0) + entry.count);
      continue;
    }
    for (const share of shares) attributed.push({ share, unit: entry.unit, count: (entry.count * share.gpuHours) / gpuHours });
  }
  return { attributed, unattributed };
}

/** The share's group: its display name, its properties, and a key no two groups share (names may hold "/"). */
function groupOf(share: JobCostShare, aggregate: readonly UnitCostAggregateKey[]): { name: string; properties: UnitCostRow["properties"]; key: string } {
  if (aggregate.length === 0) return { name: TOTAL_ROW_NAME, properties: {}, key: TOTAL_ROW_NAME };
  const properties: UnitCostRow["properties"] = {};
  for (const key of aggregate) properties[key] = key === "gpuModel" ? share.gpuModel : share.properties[key];
  const values = aggregate.map((key) => properties[key]);
  return { name: values.join("/"), properties, key: values.join("\u0000") };
}

type StepOf = (share: JobCostShare) => { startMs: number; endMs: number };

const ownStep: StepOf = (share) => ({ startMs: share.stepStartMs, endMs: share.stepEndMs });

/** Sums attributed work into rows per group, unit and step (stepOf: the step a share's figures go to), and divides. */
export function groupUnitCosts(
  costs: readonly JobCostShare[],
  attributed: readonly AttributedWork[],
  aggregate: readonly UnitCostAggregateKey[],
  stepOf: StepOf = ownStep,
): UnitCostRow[] {
  const groupCosts = new Map<string, number>();
  for (const share of costs) {
    const key = `${groupOf(share, aggregate).key}\u0001${stepOf(share).startMs}`;
    groupCosts.set(key, (groupCosts.get(key) ?? 0) + share.cost);
  }
  const rows = new Map<string, UnitCostRow & { jobKeys: Set<string> }>();
  for (const { share, unit, count } of attributed) {
    const { key: groupKey, ...group } = groupOf(share, aggregate);
    const step = stepOf(share);
    const key = `${groupKey}\u0001${step.startMs}\u0001${unit}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        ...group,
        unit,
        per: unitsPerFigure(unit),
        startMs: step.startMs,
        endMs: step.endMs,
        count: 0,
        gpuHours: 0,
        cost: 0,
        groupCost: groupCosts.get(`${groupKey}\u0001${step.startMs}`) ?? 0,
        costPerUnits: null,
        workPerGpuHour: null,
        jobs: 0,
        jobKeys: new Set(),
      };
      rows.set(key, row);
    }
    row.count += count;
    row.gpuHours += share.gpuHours;
    row.cost += share.cost;
    row.jobKeys.add(share.jobKey);
  }
  return [...rows.values()]
    .map(({ jobKeys, ...row }) => ({
      ...row,
      jobs: jobKeys.size,
      costPerUnits: row.count > 0 ? (row.cost / row.count) * row.per : null,
      workPerGpuHour: row.gpuHours > 0 ? row.count / row.gpuHours : null,
    }))
    .sort((a, b) => a.startMs - b.startMs || compareText(a.name, b.name) || compareText(a.unit, b.unit));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Unit costs per group (and step) and per unit over everything. See the module comment for the formulas. */
export function computeUnitCosts(costs: readonly JobCostShare[], work: readonly JobWorkCount[], options: UnitCostOptions): UnitCostResult {
  const { attributed, unattributed } = attributeWork(costs, sumWork(work, options.units));
  // Totals span every step: one row per unit over the whole window.
  const span = costs.reduce((bounds, share) => ({ startMs: Math.min(bounds.startMs, share.stepStartMs), endMs: Math.max(bounds.endMs, share.stepEndMs) }), { startMs: Infinity, endMs: -Infinity });
  return {
    rows: groupUnitCosts(costs, attributed, options.aggregate),
    totals: groupUnitCosts(costs, attributed, [], () => span),
    unattributedWork: [...unattributed].map(([unit, count]) => ({ unit, count })).sort((a, b) => compareText(a.unit, b.unit)),
  };
}

/**
 * Measured throughput of each job on each GPU model it ran on, as the fleet plan
 * takes it (solver/plan/types.ts): per unit, the job's work attributed to that
 * model over its GPU-hours there, all steps together. Keyed by jobKey.
 */
export function throughputEvidenceByJob(costs: readonly JobCostShare[], work: readonly JobWorkCount[]): Map<string, ThroughputEvidence[]> {
  const { attributed } = attributeWork(costs, sumWork(work, null));
  const sums = new Map<string, { jobKey: string; gpuModel: string; unit: string; count: number; gpuHours: number }>();
  for (const { share, unit, count } of attributed) {
    const key = `${share.jobKey}\u0000${share.gpuModel}\u0000${unit}`;
    const sum = sums.get(key) ?? { jobKey: share.jobKey, gpuModel: share.gpuModel, unit, count: 0, gpuHours: 0 };
    sum.count += count;
    sum.gpuHours += share.gpuHours;
    sums.set(key, sum);
  }
  const evidence = new Map<string, ThroughputEvidence[]>();
  for (const sum of sums.values()) {
    if (sum.gpuHours <= 0) continue;
    const list = evidence.get(sum.jobKey) ?? [];
    list.push({ gpuModel: sum.gpuModel, unit: sum.unit, workPerGpuHour: sum.count / sum.gpuHours });
    evidence.set(sum.jobKey, list);
  }
  return evidence;
}
