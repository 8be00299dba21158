/**
 * Tidal scheduling: run batch work in the troughs of inference demand.
 * Time-indexed model over 168 hourly slots of a week:
 *   x[j][t] GPUs given to batch job j in slot t, 0 <= x <= maxParallelGpus, only in [release, deadline)
 *   inference[t] + sum_j x[j][t] <= peak            (every slot)
 *   sum_t x[j][t] + unfinished[j] >= gpuHours[j]     (every job; unfinished is penalised)
 *   minimize peak (+ penalty x unfinished)
 * For a fixed peak the constraints form a transportation problem, so this LP is
 * solved exactly by maximum flow with a binary search on the peak (whole GPUs):
 * milliseconds for 168 slots x 500 jobs, where a general LP would take minutes.
 *
 * With time-of-use prices (cost of one batch GPU-hour in each slot) the second
 * objective is cost: under the peak (the minimal one, or a fleet's capacity),
 *   minimize sum_t price[t] * sum_j x[j][t]   with all schedulable work done.
 * The slot loads that a transportation network can deliver form a polymatroid,
 * so the greedy "fill the cheapest slot as far as the rest allows, then the next"
 * is optimal; each step is an incremental max flow that opens one more slot.
 */
import { FlowNetwork } from "./max-flow.ts";

export const SLOTS_PER_WEEK = 168;

export interface BatchJob {
  id: string;
  /** Queue or team, for the guidance lines. */
  queue: string;
  gpuHours: number;
  maxParallelGpus: number;
  /** First slot it may run (0 = Monday 00:00), a whole slot 0..167. */
  releaseSlot: number;
  /** Slot by which it must be done (exclusive), a whole slot 1..168. */
  deadlineSlot: number;
}

export interface TidalOptions {
  /**
   * Cost of one batch GPU-hour in each of the 168 slots (energy at time-of-use
   * rates, say watts/1000 x PUE x price per kWh): batch work then goes to the
   * cheapest hours the peak allows.
   */
  pricePerGpuHourBySlot?: readonly number[];
  /**
   * "peak" (default): provision the fewest GPUs, then (with prices) the cheapest
   * hours under that peak. "cost": the fleet has `capacityGpus`; use them to
   * finish the work at the lowest time-of-use cost (needs prices and capacity).
   */
  objective?: "peak" | "cost";
  /** GPUs the fleet has (objective "cost"); at least the inference peak. */
  capacityGpus?: number;
}

export interface TidalPlan {
  /** Whole GPUs to provision, peak over the week. */
  peakGpus: number;
  /** GPUs per slot: inference + batch. */
  hourly: { slot: number; inferenceGpus: number; batchGpus: number }[];
  perJob: { id: string; scheduledGpuHours: number; unfinishedGpuHours: number }[];
  baselines: {
    /** Inference peak reserved all week and batch on top at its max parallelism while released. */
    reserveInferencePeak: number;
    /** Batch only in fixed night windows 22:00-08:00. */
    nightWindow: number;
  };
  gpusSavedAtPeak: { vsReservePeak: number; vsNightWindow: number };
  utilization: { beforePct: number; afterPct: number };
  /** With time-of-use prices: batch cost as planned and as run as soon as released (same prices). */
  timeOfUse?: { plannedBatchCost: number; asSoonAsPossibleBatchCost: number; saving: number };
  guidance: string[];
  seconds: number;
}

type Schedule = { flow: number; edges: { job: number; slot: number; id: number }[]; network: FlowNetwork };

/**
 * The transportation network without its slot -> sink edges: source -> job
 * (its GPU-hours), job -> each slot of its window (its max parallelism).
 * Nodes: 0 source, 1..J jobs, J+1..J+168 slots, then the sink.
 */
function jobSlotNetwork(jobs: readonly BatchJob[]): Omit<Schedule, "flow"> & { source: number; sink: number; slotNode: (slot: number) => number } {
  const source = 0;
  const sink = 1 + jobs.length + SLOTS_PER_WEEK;
  const slotNode = (slot: number) => 1 + jobs.length + slot;
  const network = new FlowNetwork(sink + 1);
  const edges: Schedule["edges"] = [];
  jobs.forEach((job, j) => {
    network.addEdge(source, 1 + j, job.gpuHours);
    for (let t = Math.max(0, job.releaseSlot); t < Math.min(SLOTS_PER_WEEK, job.deadlineSlot); t++) {
      edges.push({ job: j, slot: t, id: network.addEdge(1 + j, slotNode(t), job.maxParallelGpus) });
    }
  });
  return { network, edges, source, sink, slotNode };
}

/** Max GPU-hours of batch work that fit under `peak` (and the flow network, to read the schedule). */
function scheduleUnder(peak: number, inference: readonly number[], jobs: readonly BatchJob[]): Schedule {
  const { network, edges, source, sink, slotNode } = jobSlotNetwork(jobs);
  for (let t = 0; t < SLOTS_PER_WEEK; t++) network.addEdge(slotNode(t), sink, Math.max(0, peak - inference[t]));
  return { flow: network.maxFlow(source, sink), edges, network };
}

/**
 * Max flow under `peak` with the slots opened one at a time, cheapest first
 * (ties by slot): the cost-optimal schedule among the maximum ones (see the header).
 */
function cheapestScheduleUnder(peak: number, inference: readonly number[], jobs: readonly BatchJob[], prices: readonly number[]): Schedule {
  const { network, edges, source, sink, slotNode } = jobSlotNetwork(jobs);
  const order = Array.from({ length: SLOTS_PER_WEEK }, (_, t) => t).sort((a, b) => prices[a] - prices[b] || a - b);
  let flow = 0;
  for (const t of order) {
    // Flow already into earlier (cheaper) slots never leaves them: augmenting
    // paths end on a sink edge, and only the new slot's edge has room to add.
    network.addEdge(slotNode(t), sink, Math.max(0, peak - inference[t]));
    flow += network.maxFlow(source, sink);
  }
  return { flow, edges, network };
}

function validate(inference: readonly number[], jobs: readonly BatchJob[], options: TidalOptions): void {
  if (inference.length !== SLOTS_PER_WEEK) throw new Error(`inference demand needs ${SLOTS_PER_WEEK} hourly slots, got ${inference.length}`);
  inference.forEach((v, t) => {
    if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`inference demand: slot ${t} must be a finite number of GPUs >= 0, got ${v}`);
  });
  const prices = options.pricePerGpuHourBySlot;
  if (prices !== undefined) {
    if (prices.length !== SLOTS_PER_WEEK) throw new Error(`time-of-use prices need ${SLOTS_PER_WEEK} hourly slots, got ${prices.length}`);
    prices.forEach((v, t) => {
      if (!Number.isFinite(v)) throw new Error(`time-of-use prices: slot ${t} must be a finite number, got ${v}`);
    });
  }
  if (options.objective === "cost") {
    if (prices === undefined) throw new Error('objective "cost" needs time-of-use prices (pricePerGpuHourBySlot)');
    const capacity = options.capacityGpus;
    if (capacity === undefined || !Number.isFinite(capacity)) throw new Error('objective "cost" needs capacityGpus, the GPUs the fleet has');
    const inferencePeak = Math.max(...inference);
    if (capacity < inferencePeak - 1e-9) throw new Error(`capacityGpus ${capacity} is below the inference peak of ${inferencePeak} GPUs`);
  }
  for (const job of jobs) {
    if (!(job.gpuHours >= 0) || !(job.maxParallelGpus > 0)) throw new Error(`job ${job.id}: gpuHours must be >= 0 and maxParallelGpus > 0`);
    // A window edge inside an hour would be read as the whole hour or none of it: refuse rather than guess.
    if (!(Number.isInteger(job.releaseSlot) && job.releaseSlot >= 0 && job.releaseSlot < SLOTS_PER_WEEK)) throw new Error(`job ${job.id}: releaseSlot must be a whole hourly slot 0..${SLOTS_PER_WEEK - 1}, got ${job.releaseSlot}`);
    if (!(Number.isInteger(job.deadlineSlot) && job.deadlineSlot >= 1 && job.deadlineSlot <= SLOTS_PER_WEEK)) throw new Error(`job ${job.id}: deadlineSlot must be a whole hourly slot 1..${SLOTS_PER_WEEK} (exclusive), got ${job.deadlineSlot}`);
    if (!(job.releaseSlot < job.deadlineSlot)) throw new Error(`job ${job.id}: releaseSlot ${job.releaseSlot} must be before deadlineSlot ${job.deadlineSlot}`);
  }
}

/** Hour of day of a slot (slot 0 = Monday 00:00). */
const hourOf = (slot: number) => slot % 24;

/** Peak GPUs when batch may run only in the night window 22:00-08:00, found the same exact way. */
function nightWindowPeak(inference: readonly number[], jobs: readonly BatchJob[], needed: number): number {
  const night = (t: number) => hourOf(t) >= 22 || hourOf(t) < 8;
  // Outside the window batch gets no GPUs: model it as inference = +infinity there for the batch edges.
  const blocked = inference.map((v, t) => (night(t) ? v : Number.POSITIVE_INFINITY));
  const inferencePeak = Math.ceil(Math.max(...inference));
  let low = inferencePeak;
  let high = inferencePeak + Math.ceil(jobs.reduce((s, j) => s + j.maxParallelGpus, 0));
  if (scheduleUnder(high, blocked, jobs).flow < needed - 1e-6) return high;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (scheduleUnder(mid, blocked, jobs).flow >= needed - 1e-6) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Plans batch jobs around inference demand (GPUs per hour of the week, p95 + headroom). */
export function planTidal(inferenceGpus: readonly number[], jobs: readonly BatchJob[], options: TidalOptions = {}): TidalPlan {
  const started = performance.now();
  validate(inferenceGpus, jobs, options);
  const prices = options.pricePerGpuHourBySlot;
  // 1. Work that can never finish (window x parallelism too small) is the unfinished part, whatever the peak.
  const possible = jobs.map((j) => Math.min(j.gpuHours, j.maxParallelGpus * (Math.min(SLOTS_PER_WEEK, j.deadlineSlot) - Math.max(0, j.releaseSlot))));
  const needed = possible.reduce((s, v) => s + v, 0);
  const inferencePeak = Math.ceil(Math.max(...inferenceGpus) - 1e-9);
  // 2. The peak: the fleet's capacity (objective "cost"), or by binary search on
  //    whole GPUs the smallest peak under which max flow carries all possible work.
  let peakGpus: number;
  if (options.objective === "cost") {
    peakGpus = Math.floor(options.capacityGpus! + 1e-9);
  } else {
    let low = inferencePeak;
    let high = inferencePeak + Math.ceil(jobs.reduce((s, j) => s + j.maxParallelGpus, 0));
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (scheduleUnder(mid, inferenceGpus, jobs).flow >= needed - 1e-6) high = mid;
      else low = mid + 1;
    }
    peakGpus = low;
  }
  // 3. Read the schedule from the flow on job->slot edges (cheapest hours first when priced).
  const final = prices ? cheapestScheduleUnder(peakGpus, inferenceGpus, jobs, prices) : scheduleUnder(peakGpus, inferenceGpus, jobs);
  const batch = new Array(SLOTS_PER_WEEK).fill(0);
  const scheduled = new Array(jobs.length).fill(0);
  const queueSlots = new Map<string, number[]>();
  for (const e of final.edges) {
    const f = final.network.flowOn(e.id);
    if (f <= 1e-9) continue;
    batch[e.slot] += f;
    scheduled[e.job] += f;
    const q = jobs[e.job].queue;
    const slots = queueSlots.get(q) ?? new Array(SLOTS_PER_WEEK).fill(0);
    slots[e.slot] += f;
    queueSlots.set(q, slots);
  }
  // 4. Baselines.
  const reserveInferencePeak = inferencePeak + Math.ceil(peakOfConcurrentBatch(jobs));
  const nightWindow = nightWindowPeak(inferenceGpus, jobs, needed);
  // 5. Utilization: busy GPU-hours over provisioned GPU-hours.
  const inferenceHours = inferenceGpus.reduce((s, v) => s + v, 0);
  const busy = inferenceHours + batch.reduce((s, v) => s + v, 0);
  const guidance = [...queueSlots.entries()].map(([queue, slots]) => guidanceLine(queue, slots));
  const timeOfUse = prices ? timeOfUseCosts(batch, asSoonAsPossibleLoad(jobs), prices) : undefined;
  return {
    peakGpus,
    hourly: inferenceGpus.map((v, slot) => ({ slot, inferenceGpus: v, batchGpus: batch[slot] })),
    perJob: jobs.map((j, i) => ({ id: j.id, scheduledGpuHours: scheduled[i], unfinishedGpuHours: Math.max(0, j.gpuHours - scheduled[i]) })),
    baselines: { reserveInferencePeak, nightWindow },
    gpusSavedAtPeak: { vsReservePeak: reserveInferencePeak - peakGpus, vsNightWindow: nightWindow - peakGpus },
    utilization: { beforePct: (busy / (reserveInferencePeak * SLOTS_PER_WEEK)) * 100, afterPct: (busy / (peakGpus * SLOTS_PER_WEEK)) * 100 },
    ...(timeOfUse ? { timeOfUse } : {}),
    guidance,
    seconds: (performance.now() - started) / 1000,
  };
}

function timeOfUseCosts(planned: readonly number[], asSoonAsPossible: readonly number[], prices: readonly number[]): NonNullable<TidalPlan["timeOfUse"]> {
  const cost = (load: readonly number[]) => load.reduce((sum, gpus, t) => sum + gpus * prices[t], 0);
  const plannedBatchCost = cost(planned);
  const asSoonAsPossibleBatchCost = cost(asSoonAsPossible);
  return { plannedBatchCost, asSoonAsPossibleBatchCost, saving: asSoonAsPossibleBatchCost - plannedBatchCost };
}

/** Batch GPUs per slot when every job runs at full parallelism from its release until done (the "as soon as possible" habit). */
function asSoonAsPossibleLoad(jobs: readonly BatchJob[]): number[] {
  const load = new Array(SLOTS_PER_WEEK).fill(0);
  for (const j of jobs) {
    let left = j.gpuHours;
    for (let t = Math.max(0, j.releaseSlot); t < Math.min(SLOTS_PER_WEEK, j.deadlineSlot) && left > 1e-9; t++) {
      const use = Math.min(j.maxParallelGpus, left);
      load[t] += use;
      left -= use;
    }
  }
  return load;
}

function peakOfConcurrentBatch(jobs: readonly BatchJob[]): number {
  return Math.max(0, ...asSoonAsPossibleLoad(jobs));
}

function guidanceLine(queue: string, slots: readonly number[]): string {
  const hours = new Array(24).fill(0);
  slots.forEach((v, t) => (hours[hourOf(t)] = Math.max(hours[hourOf(t)], v)));
  const active = hours.map((v, h) => (v > 1e-6 ? h : -1)).filter((h) => h >= 0);
  const maxGpus = Math.ceil(Math.max(...hours) - 1e-9);
  if (active.length === 0) return `queue ${queue}: nothing scheduled`;
  // Longest circular run of active hours gives the window to state.
  const on = new Set(active);
  let bestStart = active[0];
  let bestLength = 0;
  for (const h of active) {
    if (on.has((h + 23) % 24)) continue;
    let length = 0;
    while (length < 24 && on.has((h + length) % 24)) length++;
    if (length > bestLength) [bestStart, bestLength] = [h, length];
  }
  const pad = (h: number) => `${String(h % 24).padStart(2, "0")}:00`;
  return bestLength >= 24
    ? `run queue ${queue} at any hour with up to ${maxGpus} GPUs`
    : `run queue ${queue} between ${pad(bestStart)} and ${pad(bestStart + bestLength)} with up to ${maxGpus} GPUs`;
}
