/**
 * Hourly rollups of usage windows, and how a GPU window is shared between the
 * jobs on it. Pure: windows in, rollup contributions out.
 *
 * Units: times in epoch ms; durations in ms; utilization in percent; memory in MiB.
 */
export const HOUR_MS = 3_600_000;

export interface GpuWindowUsage {
  gpuId: number;
  startMs: number;
  endMs: number;
  utilizationAvgPct: number | null;
  memoryUsedAvgMiB: number | null;
  energyJ: number | null;
}

export interface JobWindowUsage {
  gpuId: number;
  jobId: number;
  startMs: number;
  endMs: number;
  /** The job's own utilization where the source measures it. */
  utilizationAvgPct: number | null;
  memoryUsedAvgMiB: number | null;
}

export type ShareMethod = "sole" | "utilization" | "memory" | "even";

export interface JobShare {
  jobId: number;
  /** Fraction of the GPU the job held in the window (the shares of a window sum to 1). */
  share: number;
  method: ShareMethod;
  /** Fraction of the GPU the job kept busy: at most its share. */
  activeFraction: number;
}

/**
 * Splits one GPU window between the jobs that ran on it:
 *  1. one job holds the whole GPU;
 *  2. several jobs: by their measured utilization share when every job has one
 *     and they sum above zero, else by memory share on the same terms, else evenly.
 * A job's busy fraction is its own utilization when measured, else the GPU's
 * utilization times its share (unknown GPU utilization counts as idle), capped at
 * its share so efficiency never exceeds 100 %.
 */
export function shareGpuWindow(gpuUtilizationPct: number | null, jobs: readonly JobWindowUsage[]): JobShare[] {
  if (jobs.length === 0) return [];
  if (jobs.length === 1) {
    // The usual case, without the arrays the split below needs.
    const job = jobs[0];
    const busy = job.utilizationAvgPct !== null ? job.utilizationAvgPct / 100 : (gpuUtilizationPct ?? 0) / 100;
    return [{ jobId: job.jobId, share: 1, method: "sole", activeFraction: Math.min(1, Math.max(0, busy)) }];
  }
  const sum = (values: (number | null)[]) => values.reduce<number>((total, value) => total + (value ?? 0), 0);
  const utilizations = jobs.map((job) => job.utilizationAvgPct);
  const memories = jobs.map((job) => job.memoryUsedAvgMiB);
  let method: ShareMethod;
  let weights: number[];
  if (utilizations.every((value) => value !== null) && sum(utilizations) > 0) {
    method = "utilization";
    weights = utilizations.map((value) => value! / sum(utilizations));
  } else if (memories.every((value) => value !== null) && sum(memories) > 0) {
    method = "memory";
    weights = memories.map((value) => value! / sum(memories));
  } else {
    method = "even";
    weights = jobs.map(() => 1 / jobs.length);
  }
  return jobs.map((job, index) => {
    const share = weights[index];
    const busy = job.utilizationAvgPct !== null ? job.utilizationAvgPct / 100 : ((gpuUtilizationPct ?? 0) / 100) * share;
    return { jobId: job.jobId, share, method, activeFraction: Math.min(share, Math.max(0, busy)) };
  });
}

/** The parts of [startMs, endMs) in each UTC hour it touches. */
export function splitByHour(startMs: number, endMs: number): { hourStartMs: number; ms: number }[] {
  const firstHourStartMs = Math.floor(startMs / HOUR_MS) * HOUR_MS;
  // The usual case: a window inside one hour.
  if (endMs <= firstHourStartMs + HOUR_MS) return endMs > startMs ? [{ hourStartMs: firstHourStartMs, ms: endMs - startMs }] : [];
  const parts: { hourStartMs: number; ms: number }[] = [];
  for (let hourStartMs = Math.floor(startMs / HOUR_MS) * HOUR_MS; hourStartMs < endMs; hourStartMs += HOUR_MS) {
    const ms = Math.min(endMs, hourStartMs + HOUR_MS) - Math.max(startMs, hourStartMs);
    if (ms > 0) parts.push({ hourStartMs, ms });
  }
  return parts;
}

/** A map keyed by two numbers (an id and a time), as nested maps. */
class PairMap<V> {
  private readonly outer = new Map<number, Map<number, V>>();

  get(first: number, second: number): V | undefined {
    return this.outer.get(first)?.get(second);
  }

  set(first: number, second: number, value: V): void {
    let inner = this.outer.get(first);
    if (!inner) {
      inner = new Map();
      this.outer.set(first, inner);
    }
    inner.set(second, value);
  }
}

export interface GpuHourlyContribution {
  gpuId: number;
  hourStartMs: number;
  reportedMs: number;
  utilizationMeasuredMs: number;
  utilizationPctMs: number;
  memoryMeasuredMs: number;
  memoryMiBMs: number;
  energyJ: number;
}

export interface JobHourlyContribution {
  jobId: number;
  gpuId: number;
  hourStartMs: number;
  reportedMs: number;
  shareMs: number;
  activeMs: number;
  soleMs: number;
  utilizationSplitMs: number;
  memorySplitMs: number;
  evenSplitMs: number;
  memoryMiBMs: number;
}

/**
 * What a set of stored windows adds to the hourly rollups, one entry per key.
 * `gpuWindows` and `jobWindows` are the windows to count (those newly stored);
 * `context` holds every window of the batch, so a job's share is decided against
 * all the jobs that shared its GPU window even when some were stored before.
 */
export function hourlyContributions(
  gpuWindows: readonly GpuWindowUsage[],
  jobWindows: readonly JobWindowUsage[],
  context: { gpuWindows: readonly GpuWindowUsage[]; jobWindows: readonly JobWindowUsage[] } = { gpuWindows, jobWindows },
): { gpu: GpuHourlyContribution[]; job: JobHourlyContribution[] } {
  // Keyed by numbers in nested maps (ids, then times): string keys cost more than
  // the sums themselves. Entries are also kept in a list, in the order first met.
  const gpuHours = new PairMap<GpuHourlyContribution>();
  const gpuEntries: GpuHourlyContribution[] = [];
  for (const window of gpuWindows) {
    const durationMs = window.endMs - window.startMs;
    for (const part of splitByHour(window.startMs, window.endMs)) {
      let entry = gpuHours.get(window.gpuId, part.hourStartMs);
      if (!entry) {
        entry = { gpuId: window.gpuId, hourStartMs: part.hourStartMs, reportedMs: 0, utilizationMeasuredMs: 0, utilizationPctMs: 0, memoryMeasuredMs: 0, memoryMiBMs: 0, energyJ: 0 };
        gpuHours.set(window.gpuId, part.hourStartMs, entry);
        gpuEntries.push(entry);
      }
      entry.reportedMs += part.ms;
      if (window.utilizationAvgPct !== null) {
        entry.utilizationMeasuredMs += part.ms;
        entry.utilizationPctMs += window.utilizationAvgPct * part.ms;
      }
      if (window.memoryUsedAvgMiB !== null) {
        entry.memoryMeasuredMs += part.ms;
        entry.memoryMiBMs += window.memoryUsedAvgMiB * part.ms;
      }
      entry.energyJ += (window.energyJ ?? 0) * (part.ms / durationMs);
    }
  }

  // GPU windows by (GPU, start): their utilization, and the job windows that shared them.
  const gpuUtilization = new PairMap<number | null>();
  for (const window of context.gpuWindows) gpuUtilization.set(window.gpuId, window.startMs, window.utilizationAvgPct);
  const sharedBy = new PairMap<JobWindowUsage[]>();
  for (const window of context.jobWindows) {
    const list = sharedBy.get(window.gpuId, window.startMs);
    if (list) list.push(window);
    else sharedBy.set(window.gpuId, window.startMs, [window]);
  }
  // Job hours by (job, GPU) and hour.
  const jobHours = new Map<number, PairMap<JobHourlyContribution>>();
  const jobEntries: JobHourlyContribution[] = [];
  for (const window of jobWindows) {
    const shares = shareGpuWindow(gpuUtilization.get(window.gpuId, window.startMs) ?? null, sharedBy.get(window.gpuId, window.startMs) ?? [window]);
    const mine = shares.find((share) => share.jobId === window.jobId)!;
    let hoursOfJob = jobHours.get(window.jobId);
    if (!hoursOfJob) {
      hoursOfJob = new PairMap();
      jobHours.set(window.jobId, hoursOfJob);
    }
    for (const part of splitByHour(window.startMs, window.endMs)) {
      let entry = hoursOfJob.get(window.gpuId, part.hourStartMs);
      if (!entry) {
        entry = { jobId: window.jobId, gpuId: window.gpuId, hourStartMs: part.hourStartMs, reportedMs: 0, shareMs: 0, activeMs: 0, soleMs: 0, utilizationSplitMs: 0, memorySplitMs: 0, evenSplitMs: 0, memoryMiBMs: 0 };
        hoursOfJob.set(window.gpuId, part.hourStartMs, entry);
        jobEntries.push(entry);
      }
      const shareMs = mine.share * part.ms;
      entry.reportedMs += part.ms;
      entry.shareMs += shareMs;
      entry.activeMs += mine.activeFraction * part.ms;
      if (mine.method === "sole") entry.soleMs += shareMs;
      else if (mine.method === "utilization") entry.utilizationSplitMs += shareMs;
      else if (mine.method === "memory") entry.memorySplitMs += shareMs;
      else entry.evenSplitMs += shareMs;
      entry.memoryMiBMs += (window.memoryUsedAvgMiB ?? 0) * part.ms;
    }
  }
  return { gpu: gpuEntries, job: jobEntries };
}

export const DAY_MS = 24 * HOUR_MS;

export interface JobDailyContribution extends Omit<JobHourlyContribution, "hourStartMs"> {
  dayStartMs: number;
}

/** The hourly job contributions summed per UTC day (for the daily rollup). */
export function dailyJobContributions(hourly: readonly JobHourlyContribution[]): JobDailyContribution[] {
  const days = new Map<string, JobDailyContribution>();
  for (const { hourStartMs, ...sums } of hourly) {
    const dayStartMs = Math.floor(hourStartMs / DAY_MS) * DAY_MS;
    const key = `${sums.jobId}:${sums.gpuId}:${dayStartMs}`;
    const day = days.get(key);
    if (!day) {
      days.set(key, { ...sums, dayStartMs });
      continue;
    }
    day.reportedMs += sums.reportedMs;
    day.shareMs += sums.shareMs;
    day.activeMs += sums.activeMs;
    day.soleMs += sums.soleMs;
    day.utilizationSplitMs += sums.utilizationSplitMs;
    day.memorySplitMs += sums.memorySplitMs;
    day.evenSplitMs += sums.evenSplitMs;
    day.memoryMiBMs += sums.memoryMiBMs;
  }
  return [...days.values()];
}
