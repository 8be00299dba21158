/**
 * Step 5 of the fleet plan (tidal): in one pool, move the hours of batch work
 * inside each job's [releaseSlot, deadlineSlot) so that the pool's peak load
 * drops, when that keeps fewer GPUs. Latency-sensitive and pinned work keeps its
 * hours. A job keeps its hourly loads and only changes the slots they run in
 * (whole hours, at its shape), so placement stays static; solver/tidal's flow
 * model splits GPU-hours freely across slots, which a static placement cannot
 * follow, so this greedy is the plan's own: each job (tightest window first)
 * puts its largest hourly loads into the least loaded free slots of its window;
 * then every job whose today's hours fit under the new peak goes back to them,
 * so that only the jobs that must move do.
 */
import { HOURS_PER_WEEK } from "./types.ts";

export interface BatchHours {
  /** Capacity load in each hour of the week at today's hours. */
  load: readonly number[];
  releaseSlot: number;
  deadlineSlot: number;
}

export interface BatchSchedule {
  /** Per job: new slot of each today's slot (identity when it stays), or null when it keeps today's hours. */
  slotMaps: (number[] | null)[];
  peakBefore: number;
  peakAfter: number;
}

function peakOf(load: ArrayLike<number>): number {
  let peak = 0;
  for (let t = 0; t < load.length; t++) peak = Math.max(peak, load[t]);
  return peak;
}

function addLoad(target: Float64Array, load: readonly number[], slotMap: readonly number[] | null, sign: 1 | -1): void {
  for (let t = 0; t < HOURS_PER_WEEK; t++) if (load[t] > 0) target[slotMap ? slotMap[t] : t] += sign * load[t];
}

/** Greedy placement of one job's hourly loads into the least loaded slots of its window; null when they do not fit in it. */
function spreadJob(job: BatchHours, pool: Float64Array): number[] | null {
  const entries = [...job.load.keys()].filter((t) => job.load[t] > 0).sort((a, b) => job.load[b] - job.load[a] || a - b);
  const release = job.releaseSlot;
  const deadline = Math.min(HOURS_PER_WEEK, job.deadlineSlot);
  if (entries.length > deadline - release) return null;
  const slotMap = Array.from({ length: HOURS_PER_WEEK }, (_, t) => t);
  const used = new Uint8Array(HOURS_PER_WEEK);
  for (const t of entries) {
    let best = -1;
    for (let slot = release; slot < deadline; slot++) {
      if (used[slot]) continue;
      // Ties go to the job's own slot, then the earliest.
      if (best < 0 || pool[slot] < pool[best] - 1e-9 || (Math.abs(pool[slot] - pool[best]) <= 1e-9 && slot === t)) best = slot;
    }
    used[best] = 1;
    slotMap[t] = best;
    pool[best] += job.load[t];
  }
  return slotMap;
}

/**
 * Reschedules the jobs when that lowers `gpusToKeep(peak)` (the GPUs a peak
 * needs, in whole nodes); otherwise every job keeps today's hours.
 */
export function scheduleBatch(fixedLoad: readonly number[], jobs: readonly BatchHours[], gpusToKeep: (peak: number) => number): BatchSchedule {
  const today = Float64Array.from(fixedLoad);
  for (const job of jobs) addLoad(today, job.load, null, 1);
  const peakBefore = peakOf(today);
  const keep: BatchSchedule = { slotMaps: jobs.map(() => null), peakBefore, peakAfter: peakBefore };
  if (jobs.length === 0) return keep;
  const pool = Float64Array.from(fixedLoad);
  const windowLength = (job: BatchHours) => Math.min(HOURS_PER_WEEK, job.deadlineSlot) - job.releaseSlot;
  const totalLoad = (job: BatchHours) => job.load.reduce((sum, v) => sum + v, 0);
  const order = [...jobs.keys()].sort((a, b) => windowLength(jobs[a]) - windowLength(jobs[b]) || totalLoad(jobs[b]) - totalLoad(jobs[a]) || a - b);
  const slotMaps: (number[] | null)[] = jobs.map(() => null);
  for (const j of order) {
    slotMaps[j] = spreadJob(jobs[j], pool);
    if (!slotMaps[j]) addLoad(pool, jobs[j].load, null, 1);
  }
  const peakAfter = peakOf(pool);
  if (gpusToKeep(peakAfter) >= gpusToKeep(peakBefore)) return keep;
  for (const j of order) {
    const slotMap = slotMaps[j];
    if (!slotMap) continue;
    addLoad(pool, jobs[j].load, slotMap, -1);
    addLoad(pool, jobs[j].load, null, 1);
    if (peakOf(pool) <= peakAfter + 1e-9) slotMaps[j] = null;
    else {
      addLoad(pool, jobs[j].load, null, -1);
      addLoad(pool, jobs[j].load, slotMap, 1);
    }
  }
  return { slotMaps: slotMaps.map((m) => (m && m.some((slot, t) => slot !== t) ? m : null)), peakBefore, peakAfter };
}

/** Hourly values moved by a slot map (today's slot t goes to slotMap[t]). */
export function moveHours(values: readonly number[], slotMap: readonly number[] | null): number[] {
  if (!slotMap) return [...values];
  const moved = new Array<number>(HOURS_PER_WEEK).fill(0);
  values.forEach((v, t) => (moved[slotMap[t]] += v));
  return moved;
}
