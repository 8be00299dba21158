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
import { lifetimeHoursInWindow, wholeHourLifetime } from "./gpu-lifetime";
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
  /** For a MIG instance: its parent GPU's UUID, registered or not (see fleetDevicesOf). */
  migParentUuid?: string | null;
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
 * (the service cuts periods at price changes and at steps, and, when idle is
 * shared, sends one row per UTC hour).
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
  gpuHours: number;
  activeGpuHours: number;
  /** What the job pays under the chosen basis. */
  cost: number;
  /** What it would pay under the allocation basis (for waste). */
  allocationCost: number;
  splitSole: number;
  splitUtilization: number;
  splitMemory: number;
  splitEven: number;
  idleCost: number;
  /** Its GPU's idle scope (see scopeIdOf). */
  scopeId: number;
  /** How much its GPU-hours were scaled down (a GPU held longer than it lived); 1 when not. */
  scale: number;
  /** Price of one GPU-hour of this device (its fraction of a whole GPU's); null = unpriced. */
  pricePerDeviceHour: number | null;
}

/** A device that costs money in the fleet: a GPU, or a MIG parent known only from its instances. */
interface FleetDevice {
  /** The device whose node, model and labels price it and settle its idle. */
  device: AllocationGpu;
  fractionOfGpu: number;
  firstSeenMs: number;
  lastSeenMs: number;
}

/**
 * The devices the fleet pays for. A MIG instance is part of its parent GPU, which
 * costs a whole GPU: the registered parent itself, or, when the parent never
 * reported (dcgm-exporter lists only the instances), a whole GPU over the span of
 * its instances, so slices left unconfigured or unused are idle cost like an
 * unused GPU. An instance whose parent is not even named stands for its slice.
 */
function fleetDevicesOf(gpus: readonly AllocationGpu[], gpuById: ReadonlyMap<number, AllocationGpu>): FleetDevice[] {
  const devices: FleetDevice[] = [];
  const unreportedParents = new Map<string, FleetDevice>();
  for (const gpu of gpus) {
    if (gpu.migParentGpuId !== null && gpuById.has(gpu.migParentGpuId)) continue;
    const parentUuid = gpu.migParentGpuId === null ? (gpu.migParentUuid ?? null) : null;
    if (parentUuid === null) {
      devices.push({ device: gpu, fractionOfGpu: gpu.fractionOfGpu, firstSeenMs: gpu.firstSeenMs, lastSeenMs: gpu.lastSeenMs });
      continue;
    }
    const parent = unreportedParents.get(parentUuid);
    if (parent) {
      parent.firstSeenMs = Math.min(parent.firstSeenMs, gpu.firstSeenMs);
      parent.lastSeenMs = Math.max(parent.lastSeenMs, gpu.lastSeenMs);
    } else {
      const whole: FleetDevice = { device: gpu, fractionOfGpu: 1, firstSeenMs: gpu.firstSeenMs, lastSeenMs: gpu.lastSeenMs };
      unreportedParents.set(parentUuid, whole);
      devices.push(whole);
    }
  }
  return devices;
}

/**
 * The slots idle is settled in: the steps when idle is shown, every UTC hour
 * (within the steps) when it is shared. Sharing hour by hour gives an hour's idle
 * to the jobs that ran in that hour, whatever the step, so a series' rows add up
 * to the window's total and each step's rows to that step's fleet cost.
 */
function idleSlotStartsOf(periods: readonly Period[], shareIdle: ShareIdle): number[] {
  if (periods.length === 0) return [];
  const windowEndMs = periods[periods.length - 1].endMs;
  const starts = new Set<number>();
  for (const period of periods) starts.add(period.stepStartMs);
  if (shareIdle !== "none") {
    for (let hourMs = (Math.floor(periods[0].startMs / HOUR_MS) + 1) * HOUR_MS; hourMs < windowEndMs; hourMs += HOUR_MS) starts.add(hourMs);
  }
  return [...starts].sort((a, b) => a - b);
}

/** Index of the slot (sorted starts) that contains `ms`. */
function slotIndexAt(slotStartsMs: readonly number[], ms: number): number {
  let low = 0;
  let high = slotStartsMs.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (slotStartsMs[middle] <= ms) low = middle;
    else high = middle - 1;
  }
  return low;
}

/**
 * Allocates the fleet's cost. Steps:
 *  1. cut the window into periods of constant prices (and steps), and into the
 *     slots where idle is settled (steps; hours when idle is shared);
 *  2. the fleet's cost per idle scope and slot: each device (a MIG parent is one
 *     whole GPU, see fleetDevicesOf) costs its price for the hours of its lifetime;
 *  3. each job's usage of each GPU in each period is priced by basis: allocation
 *     pays the GPU time held (its share when shared), usage pays the busy time;
 *     a GPU whose jobs hold more time than it lived is scaled down to it;
 *  4. idle = fleet cost - allocated cost, per cluster or node and slot; shown as
 *     an __idle__ row, or shared to the jobs of the same scope and hour by cost
 *     (weighted) or equally per job (even); a scope and hour with nothing to
 *     share with keeps its idle;
 *  5. units are filtered, grouped by the aggregate keys (and step), and summed.
 *
 * Usage rows must each lie in one slot: when idle is shared, in one UTC hour (the
 * service then reads the hourly rollup hour by hour).
 *
 * A month of a 10,000-GPU fleet is hundreds of thousands of usage rows: the hot
 * loops key their maps by numbers, not strings, and allocate one object per unit.
 */
export function allocateCosts(
  gpus: readonly AllocationGpu[],
  jobs: readonly AllocationJob[],
  usage: readonly JobGpuUsage[],
  prices: readonly PriceEntry[],
  options: AllocationOptions,
): AllocationResult {
  // 1. Periods, steps and idle slots.
  const periods = periodsOf(options);
  const stepEndOf = new Map(periods.map((period) => [period.stepStartMs, period.stepEndMs]));
  const slotStartsMs = idleSlotStartsOf(periods, options.shareIdle);
  const slotCount = Math.max(1, slotStartsMs.length);
  const slotEndMs = (slot: number) => (slot + 1 < slotStartsMs.length ? slotStartsMs[slot + 1] : options.windowEndMs);
  const stepStartOfSlot = slotStartsMs.map((startMs) => periods[periodIndexAt(periods, startMs)].stepStartMs);
  const gpuById = new Map(gpus.map((gpu) => [gpu.gpuId, gpu]));
  const jobById = new Map(jobs.map((job) => [job.jobId, job]));
  const unpriced = new Set<string>();
  const currencies = new Set<string>();
  // Numeric keys for (GPU, period) pairs keep the hot loops free of string building;
  // GPUs are numbered densely so the keys stay small integers, which maps hash fastest.
  const gpuIndexById = new Map(gpus.map((gpu, index) => [gpu.gpuId, index]));
  const gpuPeriodKey = (gpuId: number, periodIndex: number) => periodIndex * gpus.length + gpuIndexById.get(gpuId)!;
  // Idle scopes (a cluster or a node) by number; a MIG instance's cost is part of
  // its parent's, so its idle is settled where the parent's is.
  const scopeIds = new Map<string, number>();
  const scopeIdCache = new Map<number, number>();
  const scopeIdOf = (device: AllocationGpu) => {
    let scopeId = scopeIdCache.get(device.gpuId);
    if (scopeId === undefined) {
      const gpu = device.migParentGpuId !== null ? (gpuById.get(device.migParentGpuId) ?? device) : device;
      const scope = options.idleBy === "node" ? `node:${gpu.nodeId}` : `cluster:${gpu.clusterName}`;
      scopeId = scopeIds.get(scope);
      if (scopeId === undefined) {
        scopeId = scopeIds.size;
        scopeIds.set(scope, scopeId);
      }
      scopeIdCache.set(device.gpuId, scopeId);
    }
    return scopeId;
  };
  // Cells: an idle scope in one slot, numbered densely as they are met, with their
  // sums in arrays (a month of hours over a thousand nodes is too many to allocate
  // up front, and too many map updates to make per usage row).
  const cellIndexByKey = new Map<number, number>();
  const cellSlot: number[] = [];
  const cellFleetCost: number[] = [];
  const cellAllocated: number[] = [];
  const cellOf = (scopeId: number, slot: number) => {
    const key = scopeId * slotCount + slot;
    let cell = cellIndexByKey.get(key);
    if (cell === undefined) {
      cell = cellSlot.length;
      cellIndexByKey.set(key, cell);
      cellSlot.push(slot);
      cellFleetCost.push(0);
      cellAllocated.push(0);
    }
    return cell;
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
  /** Hours of the period the device existed (its first to last report, widened to whole hours). */
  const lifetimeHours = (gpu: AllocationGpu, period: Period) => lifetimeHoursInWindow(gpu, period);

  // 2. Fleet cost per idle scope and slot (not per price period: a price change
  //    must not change how idle is shared).
  let fleetGpuHours = 0;
  for (const { device, fractionOfGpu, firstSeenMs, lastSeenMs } of fleetDevicesOf(gpus, gpuById)) {
    const { lifeStartMs, lifeEndMs } = wholeHourLifetime({ firstSeenMs, lastSeenMs });
    periods.forEach((period, index) => {
      const fromMs = Math.max(lifeStartMs, period.startMs);
      const toMs = Math.min(lifeEndMs, period.endMs);
      if (toMs <= fromMs) return;
      const price = pricePerWholeGpuHour(device, index);
      fleetGpuHours += ((toMs - fromMs) / HOUR_MS) * fractionOfGpu;
      if (price === null) return;
      for (let slot = slotIndexAt(slotStartsMs, fromMs); slot < slotStartsMs.length && slotStartsMs[slot] < toMs; slot++) {
        const hours = (Math.min(toMs, slotEndMs(slot)) - Math.max(fromMs, slotStartsMs[slot])) / HOUR_MS;
        cellFleetCost[cellOf(scopeIdOf(device), slot)] += hours * fractionOfGpu * price;
      }
    });
  }

  // 3. Units: usage priced by basis. Each usage row remembers its unit and slot.
  const unitsByGpuPeriod = new Map<number, Map<number, Unit>>(); // gpuPeriodKey → job id → unit
  const units: Unit[] = [];
  const unitOfRow: (Unit | undefined)[] = new Array(usage.length);
  const slotOfRow = new Int32Array(usage.length);
  usage.forEach((row, rowIndex) => {
    const gpu = gpuById.get(row.gpuId);
    const job = jobById.get(row.jobId);
    if (!gpu || !job || periods.length === 0) return;
    const periodIndex = periodIndexAt(periods, row.periodStartMs);
    const period = periods[periodIndex];
    if (row.periodStartMs < period.startMs || row.periodStartMs >= period.endMs) return;
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
        gpuHours: 0,
        activeGpuHours: 0,
        cost: 0,
        allocationCost: 0,
        splitSole: 0,
        splitUtilization: 0,
        splitMemory: 0,
        splitEven: 0,
        idleCost: 0,
        scopeId: scopeIdOf(gpu),
        scale: 1,
        pricePerDeviceHour: null,
      };
      jobsOnGpu.set(row.jobId, unit);
      units.push(unit);
    }
    unit.gpuHours += row.shareMs / HOUR_MS;
    unit.activeGpuHours += row.activeMs / HOUR_MS;
    unit.splitSole += row.soleMs / HOUR_MS;
    unit.splitUtilization += row.utilizationSplitMs / HOUR_MS;
    unit.splitMemory += row.memorySplitMs / HOUR_MS;
    unit.splitEven += row.evenSplitMs / HOUR_MS;
    unitOfRow[rowIndex] = unit;
    slotOfRow[rowIndex] = slotIndexAt(slotStartsMs, row.periodStartMs);
  });
  for (const jobsOnGpu of unitsByGpuPeriod.values()) {
    // A GPU cannot be held for longer than it existed in the period: scale down
    // (guards against overlapping windows of jobs stored by different batches).
    let held = 0;
    let any: Unit | undefined;
    for (const unit of jobsOnGpu.values()) {
      held += unit.gpuHours;
      any = unit;
    }
    const lifetime = lifetimeHours(any!.gpu, any!.period);
    const scale = held > lifetime ? (lifetime > 0 ? lifetime / held : 0) : 1;
    if (scale >= 1) continue;
    for (const unit of jobsOnGpu.values()) {
      unit.scale = scale;
      unit.gpuHours *= scale;
      unit.activeGpuHours *= scale;
      unit.splitSole *= scale;
      unit.splitUtilization *= scale;
      unit.splitMemory *= scale;
      unit.splitEven *= scale;
    }
  }
  for (const unit of units) {
    const price = pricePerWholeGpuHour(unit.gpu, unit.periodIndex);
    if (price === null) continue;
    unit.pricePerDeviceHour = price * unit.gpu.fractionOfGpu;
    unit.allocationCost = unit.gpuHours * unit.pricePerDeviceHour;
    unit.cost = options.basis === "usage" ? unit.activeGpuHours * unit.pricePerDeviceHour : unit.allocationCost;
  }
  if (currencies.size > 1) {
    throw new AllocationError(`the price book mixes currencies in this window (${[...currencies].sort().join(", ")}); price every GPU model in one currency`);
  }

  // 4. Idle per scope and slot: what each usage row held and cost there.
  const cellOfRow = new Int32Array(usage.length);
  const rowHours = new Float64Array(usage.length);
  const rowCost = new Float64Array(usage.length);
  /** Per cell, per job: its GPU-hours and usage rows there (for even sharing). */
  const jobsByCell = new Map<number, Map<number, { gpuHours: number; rows: number }>>();
  usage.forEach((row, rowIndex) => {
    const unit = unitOfRow[rowIndex];
    if (!unit) return;
    const cell = cellOf(unit.scopeId, slotOfRow[rowIndex]);
    cellOfRow[rowIndex] = cell;
    rowHours[rowIndex] = (row.shareMs / HOUR_MS) * unit.scale;
    if (unit.pricePerDeviceHour !== null) {
      const hours = options.basis === "usage" ? (row.activeMs / HOUR_MS) * unit.scale : rowHours[rowIndex];
      rowCost[rowIndex] = hours * unit.pricePerDeviceHour;
    }
    cellAllocated[cell] += rowCost[rowIndex];
    if (options.shareIdle === "even") {
      let jobsInCell = jobsByCell.get(cell);
      if (!jobsInCell) {
        jobsInCell = new Map();
        jobsByCell.set(cell, jobsInCell);
      }
      const entry = jobsInCell.get(unit.job.jobId);
      if (entry) {
        entry.gpuHours += rowHours[rowIndex];
        entry.rows += 1;
      } else jobsInCell.set(unit.job.jobId, { gpuHours: rowHours[rowIndex], rows: 1 });
    }
  });
  const idleRowsByStep = new Map<number, AllocationRow>();
  const keepIdle = (stepStartMs: number, amount: number) => {
    let row = idleRowsByStep.get(stepStartMs);
    if (!row) {
      row = emptyRow(IDLE_ROW_NAME, {}, stepStartMs, stepEndOf.get(stepStartMs)!);
      idleRowsByStep.set(stepStartMs, row);
    }
    row.idleCost += amount;
    row.totalCost += amount;
  };
  /** Idle to share, by cell (NaN: none); a cell with nothing to share with keeps its idle as an __idle__ row. */
  const cellIdleToShare = new Float64Array(cellSlot.length).fill(Number.NaN);
  let anyToShare = false;
  for (let cell = 0; cell < cellSlot.length; cell++) {
    const allocated = cellAllocated[cell];
    const idle = cellFleetCost[cell] - allocated;
    if (idle === 0) continue;
    // Below a millionth of a currency unit there is nothing meaningful to weight by.
    const canShare = (options.shareIdle === "weighted" && allocated > 1e-6) || (options.shareIdle === "even" && jobsByCell.has(cell));
    if (canShare) {
      cellIdleToShare[cell] = idle;
      anyToShare = true;
    } else keepIdle(stepStartOfSlot[cellSlot[cell]], idle);
  }
  if (anyToShare) {
    // Shares are handed out by ratio and the last row of a cell takes the
    // remainder, so the parts add up to the cell's idle exactly, whatever the rounding.
    const givenByCell = new Float64Array(cellSlot.length);
    const lastRowOfCell = new Int32Array(cellSlot.length).fill(-1);
    usage.forEach((_, rowIndex) => {
      const unit = unitOfRow[rowIndex];
      if (!unit) return;
      const cell = cellOfRow[rowIndex];
      const idle = cellIdleToShare[cell];
      if (Number.isNaN(idle)) return;
      let ratio: number;
      if (options.shareIdle === "weighted") {
        ratio = rowCost[rowIndex] / cellAllocated[cell];
      } else {
        // Equal parts per job; a job's part is spread over its rows by GPU-hours
        // (or equally, when it has none).
        const jobsInCell = jobsByCell.get(cell)!;
        const mine = jobsInCell.get(unit.job.jobId)!;
        ratio = (mine.gpuHours > 0 ? rowHours[rowIndex] / mine.gpuHours : 1 / mine.rows) / jobsInCell.size;
      }
      const amount = idle * ratio;
      unit.idleCost += amount;
      givenByCell[cell] += amount;
      lastRowOfCell[cell] = rowIndex;
    });
    lastRowOfCell.forEach((rowIndex, cell) => {
      if (rowIndex >= 0) unitOfRow[rowIndex]!.idleCost += cellIdleToShare[cell] - givenByCell[cell];
    });
  }

  // 5. Filter, group, sum. A row's name depends on the unit's job and GPU only:
  //    computed once per pair.
  const rowsByName = new Map<string, Map<number, AllocationRow>>(); // name → step start → row
  const nameByJobGpu = new Map<number, Map<number, string | null>>(); // job id → GPU id → name; null: filtered out
  const totals = emptyRow("__total__", {}, options.windowStartMs, options.windowEndMs);
  const addTo = (row: AllocationRow, unit: Unit) => {
    row.gpuHours += unit.gpuHours;
    row.activeGpuHours += unit.activeGpuHours;
    row.gpuCost += unit.cost;
    row.idleCost += unit.idleCost;
    row.totalCost += unit.cost + unit.idleCost;
    row.wasteCost += unit.gpuHours > 0 ? unit.allocationCost * (1 - unit.activeGpuHours / unit.gpuHours) : 0;
    row.splitGpuHours.sole += unit.splitSole;
    row.splitGpuHours.utilization += unit.splitUtilization;
    row.splitGpuHours.memory += unit.splitMemory;
    row.splitGpuHours.even += unit.splitEven;
  };
  const rows: AllocationRow[] = [];
  for (const unit of units) {
    let namesOfJob = nameByJobGpu.get(unit.job.jobId);
    if (!namesOfJob) {
      namesOfJob = new Map();
      nameByJobGpu.set(unit.job.jobId, namesOfJob);
    }
    let name = namesOfJob.get(unit.gpu.gpuId);
    if (name === undefined) {
      name = matchesFilter(options.filter, unit.job, unit.gpu)
        ? options.aggregate.length === 0
          ? "__all__"
          : options.aggregate.map((key) => propertyValue(key, unit.job, unit.gpu)).join("/")
        : null;
      namesOfJob.set(unit.gpu.gpuId, name);
    }
    if (name === null) continue;
    let rowsOfName = rowsByName.get(name);
    if (!rowsOfName) {
      rowsOfName = new Map();
      rowsByName.set(name, rowsOfName);
    }
    let row = rowsOfName.get(unit.period.stepStartMs);
    if (!row) {
      const properties = Object.fromEntries(options.aggregate.map((key) => [key, propertyValue(key, unit.job, unit.gpu)]));
      row = emptyRow(name, properties, unit.period.stepStartMs, unit.period.stepEndMs);
      rowsOfName.set(unit.period.stepStartMs, row);
      rows.push(row);
    }
    addTo(row, unit);
    addTo(totals, unit);
  }
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
    fleetCost: cellFleetCost.reduce((sum, cost) => sum + cost, 0),
    fleetGpuHours,
    unpricedGpuModels: [...unpriced].sort(),
  };
}
