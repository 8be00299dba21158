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
  const sum = (values: (number | null)[]) => values.reduce<number>((total, value) => total + (value ?? 0), 0);
  const utilizations = jobs.map((job) => job.utilizationAvgPct);
  const memories = jobs.map((job) => job.memoryUsedAvgMiB);
  let method: ShareMethod;
  let weights: number[];
  if (jobs.length === 1) {
    method = "sole";
    weights = [1];
  } else if (utilizations.every((value) => value !== null) && sum(utilizations) > 0) {
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
  const parts: { hourStartMs: number; ms: number }[] = [];
  for (let hourStartMs = Math.floor(startMs / HOUR_MS) * HOUR_MS; hourStartMs < endMs; hourStartMs += HOUR_MS) {
    const ms = Math.min(endMs, hourStartMs + HOUR_MS) - Math.max(startMs, hourStartMs);
    if (ms > 0) parts.push({ hourStartMs, ms });
  }
  return parts;
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
  const gpuHours = new Map<string, GpuHourlyContribution>();
  for (const window of gpuWindows) {
    // Energy is spread over the hours in proportion to the time in each.
    const durationMs = window.endMs - window.startMs;
    for (const part of splitByHour(window.startMs, window.endMs)) {
      const key = `${window.gpuId}:${part.hourStartMs}`;
      let entry = gpuHours.get(key);
      if (!entry) {
        entry = { gpuId: window.gpuId, hourStartMs: part.hourStartMs, reportedMs: 0, utilizationMeasuredMs: 0, utilizationPctMs: 0, memoryMeasuredMs: 0, memoryMiBMs: 0, energyJ: 0 };
        gpuHours.set(key, entry);
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

  // Shares are decided per GPU window: group the batch's job windows by (GPU, start).
  const gpuUtilization = new Map<string, number | null>();
  for (const window of context.gpuWindows) gpuUtilization.set(`${window.gpuId}:${window.startMs}`, window.utilizationAvgPct);
  const sharedBy = new Map<string, JobWindowUsage[]>();
  for (const window of context.jobWindows) {
    const key = `${window.gpuId}:${window.startMs}`;
    const list = sharedBy.get(key);
    if (list) list.push(window);
    else sharedBy.set(key, [window]);
  }
  const jobHours = new Map<string, JobHourlyContribution>();
  for (const window of jobWindows) {
    const windowKey = `${window.gpuId}:${window.startMs}`;
    const shares = shareGpuWindow(gpuUtilization.get(windowKey) ?? null, sharedBy.get(windowKey) ?? [window]);
    const mine = shares.find((share) => share.jobId === window.jobId)!;
    for (const part of splitByHour(window.startMs, window.endMs)) {
      const key = `${window.jobId}:${window.gpuId}:${part.hourStartMs}`;
      let entry = jobHours.get(key);
      if (!entry) {
        entry = { jobId: window.jobId, gpuId: window.gpuId, hourStartMs: part.hourStartMs, reportedMs: 0, shareMs: 0, activeMs: 0, soleMs: 0, utilizationSplitMs: 0, memorySplitMs: 0, evenSplitMs: 0, memoryMiBMs: 0 };
        jobHours.set(key, entry);
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
  return { gpu: [...gpuHours.values()], job: [...jobHours.values()] };
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
