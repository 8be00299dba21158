/**
 * Cost allocation: the GPU fleet's cost over a window, split among the jobs that
 * used it, with the rest shown as idle or shared out. Pure: the service loads the
 * usage, prices and fleet, this computes every figure.
 *
 * Vocabulary follows OpenCost. Units: times in epoch ms, durations in GPU-hours,
 * money in the price book's currency.
 *
 * The invariant every result keeps: the sum of all rows' totalCost (idle rows
 * included) equals the fleet's cost for the window.
 */
import { priceFor, type PriceEntry } from "./pricing";

const HOUR_MS = 3_600_000;

export const IDLE_ROW_NAME = "__idle__";
export const UNALLOCATED_VALUE = "__unallocated__";

export type AllocationBasis = "allocation" | "usage";
export type ShareIdle = "none" | "weighted" | "even";
export type IdleScope = "cluster" | "node";
export type AggregateKey = "cluster" | "node" | "gpu" | "team" | "project" | "model" | "experiment" | "job" | "user" | `label:${string}`;

export const AGGREGATE_KEYS: readonly string[] = ["cluster", "node", "gpu", "team", "project", "model", "experiment", "job", "user"];

export interface AllocationGpu {
  gpuId: number;
  uuid: string;
  nodeId: number;
  hostname: string;
  clusterName: string;
  nodeLabels: Readonly<Record<string, string>>;
  modelName: string;
  /** For a MIG instance: its parent GPU's id when the parent is registered. */
  migParentGpuId: number | null;
  /** Share of a whole GPU this device is (1 for a whole GPU; 3/7 for a 3g MIG instance). */
  fractionOfGpu: number;
  /** When the GPU first and last reported (ms): it costs money over [first, last). */
  firstSeenMs: number;
  lastSeenMs: number;
}

export interface AllocationJob {
  jobId: number;
  externalId: string;
  kind: string;
  team: string | null;
  project: string | null;
  model: string | null;
  experiment: string | null;
  user: string | null;
  labels: Readonly<Record<string, string>>;
}

/**
 * A job's usage of one GPU summed over a period in which every price is constant
 * (the service cuts periods at price changes and at steps).
 */
export interface JobGpuUsage {
  jobId: number;
  gpuId: number;
  periodStartMs: number;
  /** GPU time held by the job (its share when shared), in ms. */
  shareMs: number;
  /** GPU time the job kept busy, in ms. */
  activeMs: number;
  soleMs: number;
  utilizationSplitMs: number;
  memorySplitMs: number;
  evenSplitMs: number;
}

export interface AllocationOptions {
  windowStartMs: number;
  windowEndMs: number;
  /** Period boundaries (ms) inside the window where prices change or steps start; sorted. */
  periodStartsMs: readonly number[];
  /**
   * Step of a time series in ms; null for one total per row over the window.
   * Steps are aligned to multiples of the step since the epoch (whole UTC hours or
   * days), so a daily series has one row per calendar day; the first and last may
   * be partial.
   */
  stepMs: number | null;
  aggregate: readonly AggregateKey[];
  basis: AllocationBasis;
  shareIdle: ShareIdle;
  idleBy: IdleScope;
  /** key → accepted values; a row's unit must match every key (any of its values). */
  filter: ReadonlyMap<string, readonly string[]>;
}

export interface SplitGpuHours {
  sole: number;
  utilization: number;
  memory: number;
  even: number;
}

export interface AllocationRow {
  name: string;
  properties: Record<string, string>;
  startMs: number;
  endMs: number;
  gpuHours: number;
  activeGpuHours: number;
  gpuCost: number;
  idleCost: number;
  totalCost: number;
  /** activeGpuHours / gpuHours; null when no GPU-hours. */
  efficiency: number | null;
  /** Allocation-basis cost of the held-but-unused GPU time: cost x (1 - efficiency). */
  wasteCost: number;
  /** How the GPU-hours of shared GPUs were split between jobs. */
  splitGpuHours: SplitGpuHours;
}

export interface AllocationResult {
  currency: string | null;
  rows: AllocationRow[];
  totals: AllocationRow;
  /** Cost of every priced GPU over its lifetime in the window: sum of totalCost over unfiltered rows. */
  fleetCost: number;
  fleetGpuHours: number;
  /** GPU models with usage or lifetime in the window but no price: their cost is left out, never guessed. */
  unpricedGpuModels: string[];
}

export class AllocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AllocationError";
  }
}

export interface Period {
  startMs: number;
  endMs: number;
  /** Which output step the period belongs to. */
  stepStartMs: number;
  stepEndMs: number;
}

/**
 * The window cut at price changes and steps: within a period every price is
 * constant and it belongs to one step.
 */
export function periodsOf(options: Pick<AllocationOptions, "windowStartMs" | "windowEndMs" | "periodStartsMs" | "stepMs">): Period[] {
  if (options.windowEndMs <= options.windowStartMs) return [];
  const cuts = new Set<number>(options.periodStartsMs.filter((ms) => ms > options.windowStartMs && ms < options.windowEndMs));
  if (options.stepMs !== null) {
    const firstCutMs = (Math.floor(options.windowStartMs / options.stepMs) + 1) * options.stepMs;
    for (let ms = firstCutMs; ms < options.windowEndMs; ms += options.stepMs) cuts.add(ms);
  }
  const bounds = [options.windowStartMs, ...[...cuts].sort((a, b) => a - b), options.windowEndMs];
  const periods: Period[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const startMs = bounds[i];
    const alignedStepStartMs = options.stepMs === null ? options.windowStartMs : Math.floor(startMs / options.stepMs) * options.stepMs;
    const stepStartMs = Math.max(options.windowStartMs, alignedStepStartMs);
    const stepEndMs = options.stepMs === null ? options.windowEndMs : Math.min(options.windowEndMs, alignedStepStartMs + options.stepMs);
    periods.push({ startMs, endMs: bounds[i + 1], stepStartMs, stepEndMs });
  }
  return periods;
}

/** The period that contains `ms` (periods are sorted and contiguous). */
function periodIndexAt(periods: readonly Period[], ms: number): number {
  let low = 0;
  let high = periods.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (periods[middle].startMs <= ms) low = middle;
    else high = middle - 1;
  }
  return low;
}

function propertyValue(key: AggregateKey, job: AllocationJob, gpu: AllocationGpu): string {
  switch (key) {
    case "cluster":
      return gpu.clusterName;
    case "node":
      return gpu.hostname;
    case "gpu":
      return gpu.uuid;
    case "job":
      return job.externalId;
    case "user":
      return job.user ?? UNALLOCATED_VALUE;
    case "team":
    case "project":
    case "model":
    case "experiment":
      return job[key] ?? UNALLOCATED_VALUE;
    default: {
      const labelKey = key.slice("label:".length);
      return job.labels[labelKey] ?? gpu.nodeLabels[labelKey] ?? UNALLOCATED_VALUE;
    }
  }
}

function matchesFilter(filter: AllocationOptions["filter"], job: AllocationJob, gpu: AllocationGpu): boolean {
  for (const [key, values] of filter) {
    if (!values.includes(propertyValue(key as AggregateKey, job, gpu))) return false;
  }
  return true;
}

function emptyRow(name: string, properties: Record<string, string>, startMs: number, endMs: number): AllocationRow {
  return {
    name,
    properties,
    startMs,
    endMs,
    gpuHours: 0,
    activeGpuHours: 0,
    gpuCost: 0,
    idleCost: 0,
    totalCost: 0,
    efficiency: null,
    wasteCost: 0,
    splitGpuHours: { sole: 0, utilization: 0, memory: 0, even: 0 },
  };
}

/** One job's usage of one GPU in one period, priced. */
interface Unit {
  job: AllocationJob;
  gpu: AllocationGpu;
  period: Period;
  periodIndex: number;
  scopeKey: string;
  gpuHours: number;
  activeGpuHours: number;
  /** What the job pays under the chosen basis. */
  cost: number;
  /** What it would pay under the allocation basis (for waste). */
  allocationCost: number;
  split: SplitGpuHours;
  idleCost: number;
}

/**
 * Allocates the fleet's cost. Steps:
 *  1. cut the window into periods of constant prices (and steps);
 *  2. the fleet's cost: each physical GPU (MIG instances are parts of their parent)
 *     costs its price for the hours of its lifetime in each period;
 *  3. each job's usage of each GPU in each period is priced by basis: allocation
 *     pays the GPU time held (its share when shared), usage pays the busy time;
 *     a GPU whose jobs hold more time than it lived is scaled down to it;
 *  4. idle = fleet cost - allocated cost, per cluster or node and step; shown as
 *     an __idle__ row, or shared to the jobs of the same scope by cost (weighted)
 *     or equally per job (even); a scope with nothing to share with keeps its idle;
 *  5. units are filtered, grouped by the aggregate keys (and step), and summed.
 */
export function allocateCosts(
  gpus: readonly AllocationGpu[],
  jobs: readonly AllocationJob[],
  usage: readonly JobGpuUsage[],
  prices: readonly PriceEntry[],
  options: AllocationOptions,
): AllocationResult {
  // 1. Periods.
  const periods = periodsOf(options);
  const gpuById = new Map(gpus.map((gpu) => [gpu.gpuId, gpu]));
  const jobById = new Map(jobs.map((job) => [job.jobId, job]));
  const unpriced = new Set<string>();
  const currencies = new Set<string>();
  // Numeric keys for (GPU, period) pairs keep the hot loops free of string building.
  const gpuPeriodKey = (gpuId: number, periodIndex: number) => periodIndex * 2 ** 31 + gpuId;
  // A MIG instance's cost is part of its parent's, so its idle is settled where the parent's is.
  const scopeCache = new Map<number, string>();
  const scopeOf = (device: AllocationGpu) => {
    let scope = scopeCache.get(device.gpuId);
    if (scope === undefined) {
      const gpu = device.migParentGpuId !== null ? (gpuById.get(device.migParentGpuId) ?? device) : device;
      scope = options.idleBy === "node" ? `node:${gpu.nodeId}` : `cluster:${gpu.clusterName}`;
      scopeCache.set(device.gpuId, scope);
    }
    return scope;
  };

  /**
   * Price of a whole GPU of this device's model (a MIG instance: its parent's), in
   * force at the period's start; null = unpriced.
   */
  const priceCache = new Map<number, number | null>();
  const pricePerWholeGpuHour = (device: AllocationGpu, periodIndex: number): number | null => {
    const gpu = device.migParentGpuId !== null ? (gpuById.get(device.migParentGpuId) ?? device) : device;
    const key = gpuPeriodKey(gpu.gpuId, periodIndex);
    let price = priceCache.get(key);
    if (price === undefined) {
      const entry = priceFor(prices, gpu.modelName, gpu.nodeLabels, periods[periodIndex].startMs);
      if (entry) currencies.add(entry.currency);
      else unpriced.add(gpu.modelName);
      price = entry ? entry.costPerGpuHour : null;
      priceCache.set(key, price);
    }
    return price;
  };

  // 2. Fleet cost per idle scope and step (not per price period: a price change
  //    must not change how idle is shared). A MIG instance whose parent is
  //    registered is part of the parent; one whose parent never reported stands
  //    for its slice.
  const fleetCost = new Map<string, number>(); // `${scope}|${stepStartMs}`
  const gpuLifetimeHours = new Map<number, number>(); // by gpuPeriodKey
  let fleetGpuHours = 0;
  for (const gpu of gpus) {
    const lifeStartMs = Math.floor(gpu.firstSeenMs / HOUR_MS) * HOUR_MS;
    const lifeEndMs = Math.ceil(gpu.lastSeenMs / HOUR_MS) * HOUR_MS;
    periods.forEach((period, index) => {
      const hours = Math.max(0, Math.min(lifeEndMs, period.endMs) - Math.max(lifeStartMs, period.startMs)) / HOUR_MS;
      gpuLifetimeHours.set(gpuPeriodKey(gpu.gpuId, index), hours);
      const isPartOfParent = gpu.migParentGpuId !== null && gpuById.has(gpu.migParentGpuId);
      if (hours === 0 || isPartOfParent) return;
      const price = pricePerWholeGpuHour(gpu, index);
      fleetGpuHours += hours * gpu.fractionOfGpu;
      if (price === null) return;
      const key = `${scopeOf(gpu)}|${period.stepStartMs}`;
      fleetCost.set(key, (fleetCost.get(key) ?? 0) + hours * gpu.fractionOfGpu * price);
    });
  }

  // 3. Units: usage priced by basis.
  const unitsByGpuPeriod = new Map<number, Map<number, Unit>>(); // gpuPeriodKey → jobId → unit
  const units: Unit[] = [];
  const heldHoursByGpuPeriod = new Map<number, number>();
  for (const row of usage) {
    const gpu = gpuById.get(row.gpuId);
    const job = jobById.get(row.jobId);
    if (!gpu || !job || periods.length === 0) continue;
    const periodIndex = periodIndexAt(periods, row.periodStartMs);
    const period = periods[periodIndex];
    if (row.periodStartMs < period.startMs || row.periodStartMs >= period.endMs) continue;
    const gpuPeriod = gpuPeriodKey(row.gpuId, periodIndex);
    let jobsOnGpu = unitsByGpuPeriod.get(gpuPeriod);
    if (!jobsOnGpu) {
      jobsOnGpu = new Map();
      unitsByGpuPeriod.set(gpuPeriod, jobsOnGpu);
    }
    let unit = jobsOnGpu.get(row.jobId);
    if (!unit) {
      unit = {
        job,
        gpu,
        period,
        periodIndex,
        scopeKey: `${scopeOf(gpu)}|${period.stepStartMs}`,
        gpuHours: 0,
        activeGpuHours: 0,
        cost: 0,
        allocationCost: 0,
        split: { sole: 0, utilization: 0, memory: 0, even: 0 },
        idleCost: 0,
      };
      jobsOnGpu.set(row.jobId, unit);
      units.push(unit);
    }
    unit.gpuHours += row.shareMs / HOUR_MS;
    unit.activeGpuHours += row.activeMs / HOUR_MS;
    unit.split.sole += row.soleMs / HOUR_MS;
    unit.split.utilization += row.utilizationSplitMs / HOUR_MS;
    unit.split.memory += row.memorySplitMs / HOUR_MS;
    unit.split.even += row.evenSplitMs / HOUR_MS;
    heldHoursByGpuPeriod.set(gpuPeriod, (heldHoursByGpuPeriod.get(gpuPeriod) ?? 0) + row.shareMs / HOUR_MS);
  }
  for (const unit of units) {
    // A GPU cannot be held for longer than it existed in the period: scale down
    // (guards against overlapping windows of jobs stored by different batches).
    const gpuPeriod = gpuPeriodKey(unit.gpu.gpuId, unit.periodIndex);
    const lifetime = gpuLifetimeHours.get(gpuPeriod) ?? 0;
    const held = heldHoursByGpuPeriod.get(gpuPeriod) ?? 0;
    const scale = held > lifetime ? (lifetime > 0 ? lifetime / held : 0) : 1;
    if (scale < 1) {
      unit.gpuHours *= scale;
      unit.activeGpuHours *= scale;
      for (const method of ["sole", "utilization", "memory", "even"] as const) unit.split[method] *= scale;
    }
    const price = pricePerWholeGpuHour(unit.gpu, unit.periodIndex);
    if (price === null) continue;
    const perDeviceHour = price * unit.gpu.fractionOfGpu;
    unit.allocationCost = unit.gpuHours * perDeviceHour;
    unit.cost = options.basis === "usage" ? unit.activeGpuHours * perDeviceHour : unit.allocationCost;
  }
  if (currencies.size > 1) {
    throw new AllocationError(`the price book mixes currencies in this window (${[...currencies].sort().join(", ")}); price every GPU model in one currency`);
  }

  // 4. Idle per scope and step.
  const allocatedByScope = new Map<string, number>();
  const unitsByScope = new Map<string, Unit[]>();
  for (const unit of units) {
    allocatedByScope.set(unit.scopeKey, (allocatedByScope.get(unit.scopeKey) ?? 0) + unit.cost);
    const list = unitsByScope.get(unit.scopeKey);
    if (list) list.push(unit);
    else unitsByScope.set(unit.scopeKey, [unit]);
  }
  const idleRowsByStep = new Map<number, AllocationRow>();
  const stepEndOf = new Map(periods.map((period) => [period.stepStartMs, period.stepEndMs]));
  const keepIdle = (stepStartMs: number, amount: number) => {
    let row = idleRowsByStep.get(stepStartMs);
    if (!row) {
      row = emptyRow(IDLE_ROW_NAME, {}, stepStartMs, stepEndOf.get(stepStartMs)!);
      idleRowsByStep.set(stepStartMs, row);
    }
    row.idleCost += amount;
    row.totalCost += amount;
  };
  const scopes = new Set<string>([...fleetCost.keys(), ...allocatedByScope.keys()]);
  for (const scopeKey of scopes) {
    const stepStartMs = Number(scopeKey.slice(scopeKey.lastIndexOf("|") + 1));
    const idle = (fleetCost.get(scopeKey) ?? 0) - (allocatedByScope.get(scopeKey) ?? 0);
    if (idle === 0) continue;
    const members = unitsByScope.get(scopeKey) ?? [];
    const allocated = allocatedByScope.get(scopeKey) ?? 0;
    // Shares are handed out by ratio and the last member takes the remainder, so
    // the parts add up to the idle cost exactly, whatever the rounding.
    const distribute = (parts: { unit: Unit; ratio: number }[]) => {
      let given = 0;
      parts.forEach(({ unit, ratio }, index) => {
        const amount = index === parts.length - 1 ? idle - given : idle * ratio;
        unit.idleCost += amount;
        given += amount;
      });
    };
    // Below a millionth of a currency unit there is nothing meaningful to weight by.
    if (options.shareIdle === "weighted" && allocated > 1e-6) {
      distribute(members.map((unit) => ({ unit, ratio: unit.cost / allocated })));
    } else if (options.shareIdle === "even" && members.length > 0) {
      // Equal parts per job; a job's part is spread over its units by GPU-hours
      // (or equally, when it has none).
      const byJob = new Map<number, Unit[]>();
      for (const unit of members) {
        const jobUnits = byJob.get(unit.job.jobId);
        if (jobUnits) jobUnits.push(unit);
        else byJob.set(unit.job.jobId, [unit]);
      }
      const parts: { unit: Unit; ratio: number }[] = [];
      for (const jobUnits of byJob.values()) {
        const hours = jobUnits.reduce((sum, unit) => sum + unit.gpuHours, 0);
        for (const unit of jobUnits) {
          parts.push({ unit, ratio: (hours > 0 ? unit.gpuHours / hours : 1 / jobUnits.length) / byJob.size });
        }
      }
      distribute(parts);
    } else {
      keepIdle(stepStartMs, idle);
    }
  }

  // 5. Filter, group, sum.
  const rowsByKey = new Map<string, AllocationRow>();
  const totals = emptyRow("__total__", {}, options.windowStartMs, options.windowEndMs);
  const addTo = (row: AllocationRow, unit: Unit) => {
    row.gpuHours += unit.gpuHours;
    row.activeGpuHours += unit.activeGpuHours;
    row.gpuCost += unit.cost;
    row.idleCost += unit.idleCost;
    row.totalCost += unit.cost + unit.idleCost;
    row.wasteCost += unit.gpuHours > 0 ? unit.allocationCost * (1 - unit.activeGpuHours / unit.gpuHours) : 0;
    for (const method of ["sole", "utilization", "memory", "even"] as const) row.splitGpuHours[method] += unit.split[method];
  };
  for (const unit of units) {
    if (!matchesFilter(options.filter, unit.job, unit.gpu)) continue;
    const values = options.aggregate.map((key) => propertyValue(key, unit.job, unit.gpu));
    const name = options.aggregate.length === 0 ? "__all__" : values.join("/");
    const rowKey = `${name}\u0000${unit.period.stepStartMs}`;
    let row = rowsByKey.get(rowKey);
    if (!row) {
      const properties = Object.fromEntries(options.aggregate.map((key, index) => [key, values[index]]));
      row = emptyRow(name, properties, unit.period.stepStartMs, unit.period.stepEndMs);
      rowsByKey.set(rowKey, row);
    }
    addTo(row, unit);
    addTo(totals, unit);
  }
  const rows = [...rowsByKey.values()];
  // With a filter the fleet's idle is not the filtered rows' to show.
  if (options.filter.size === 0) {
    for (const idleRow of idleRowsByStep.values()) {
      rows.push(idleRow);
      totals.idleCost += idleRow.idleCost;
      totals.totalCost += idleRow.totalCost;
    }
  }
  for (const row of [...rows, totals]) {
    row.efficiency = row.gpuHours > 0 ? Math.min(1, row.activeGpuHours / row.gpuHours) : null;
  }
  rows.sort((a, b) => a.startMs - b.startMs || b.totalCost - a.totalCost || a.name.localeCompare(b.name));
  return {
    currency: currencies.size === 1 ? [...currencies][0] : null,
    rows,
    totals,
    fleetCost: [...fleetCost.values()].reduce((sum, cost) => sum + cost, 0),
    fleetGpuHours,
    unpricedGpuModels: [...unpriced].sort(),
  };
}
