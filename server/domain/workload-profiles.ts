/**
 * Workload profiles: what each job (workload) measurably needs, computed from its
 * usage rows, for the fleet plan (server/domain/plan-input.ts). Pure: rows in,
 * profiles out; percentiles are computed here from the rows.
 */

/** Nearest-rank percentile (p in 0..100) of the values; null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return null;
  const sorted = [...finite].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export interface ProfileJobRow {
  jobId: number;
  /** The scheduler's id: unique only within the job's cluster. */
  externalId: string;
  clusterName: string;
  /** training | inference | notebook | other */
  kind: string;
  requestedGpus: number | null;
  team: string | null;
  project: string | null;
  /** The ML model it trains or serves (GPU_ROI_MODEL), where reported. */
  model?: string | null;
  /** The scheduler's labels (pod labels, Slurm partition…), where reported. */
  labels?: Readonly<Record<string, string>>;
}

export interface ProfileGpuRow {
  gpuId: number;
  gpuIndex: number;
  modelName: string;
  memoryTotalMiB: number;
  nodeId: number;
  hostname: string;
  clusterName: string;
  migProfile: string | null;
}

export interface ProfileJobWindowRow {
  jobId: number;
  gpuId: number;
  startMs: number;
  endMs: number;
  /** The job's own utilization (%), where the source measures it. */
  utilizationAvgPct: number | null;
  /** Its GPU's utilization (%) in the same window, where the caller joined it already. */
  gpuUtilizationAvgPct?: number | null;
  memoryUsedMaxMiB: number | null;
}

export interface ProfileGpuWindowRow {
  gpuId: number;
  startMs: number;
  utilizationAvgPct: number | null;
}

export interface ProfileJobHourRow {
  jobId: number;
  gpuId: number;
  hourStartMs: number;
  reportedMs: number;
  shareMs: number;
  activeMs: number;
}

export interface WorkloadProfileOptions {
  /** Memory need = p99 of the job's max memory x this (default 1.1). */
  memoryHeadroom: number;
  /** An hour is "low efficiency" when active / share is under this (default 0.3). */
  efficiencyThreshold: number;
}

export const DEFAULT_WORKLOAD_PROFILE_OPTIONS: WorkloadProfileOptions = { memoryHeadroom: 1.1, efficiencyThreshold: 0.3 };

export interface WorkloadPlacement {
  nodeId: number;
  hostname: string;
  gpuIndexes: number[];
}

export interface WorkloadProfile {
  jobId: number;
  /** The job is (clusterName, externalId): the same external id may run in another cluster. */
  externalId: string;
  clusterName: string;
  jobKind: string;
  /** inference is latency-sensitive; everything else is batch. */
  kind: "latency-sensitive" | "batch";
  team: string | null;
  project: string | null;
  /** The ML model it trains or serves, where reported. */
  model: string | null;
  labels: Readonly<Record<string, string>>;
  /** Distinct GPUs the job had windows on in the lookback. */
  gpuCount: number;
  /** GPU model it ran on (the one of most of its windows). */
  gpuModel: string;
  /** Memory of the GPUs it ran on, MiB (smallest of them). */
  gpuMemoryMiB: number;
  /** p99 of memory_used_max_mib over its windows x headroom, MiB per GPU. */
  memoryNeedMiB: number;
  memoryP99MiB: number;
  /** p95 of the utilization of its GPUs while it ran (its own where measured) / 100, 0..1. */
  computeShare: number;
  /** Where it ran last: per node, the GPU indexes of its latest windows. */
  current: WorkloadPlacement[];
  /** GPUs per node now (latest windows). */
  gpusPerNode: number;
  firstSeenMs: number;
  lastSeenMs: number;
  windowCount: number;
  rightSizing: RightSizingStats;
}

export interface RightSizingStats {
  /** Wall-clock hours it held its GPUs: share GPU-hours / GPU count. */
  heldHours: number;
  /** GPU-hours held (share) and kept busy (active). */
  gpuHours: number;
  activeGpuHours: number;
  /** Share of its held GPU time in hours whose efficiency (active / share) was under the threshold, 0..1. */
  lowEfficiencyShareOfRuntime: number;
  /** p95 over its hours of busy GPUs: sum over its GPUs of active / reported time. */
  busyGpusP95: number;
  memoryPerGpuP99MiB: number;
}

export interface WorkloadProfileInput {
  jobs: readonly ProfileJobRow[];
  gpus: readonly ProfileGpuRow[];
  jobWindows: readonly ProfileJobWindowRow[];
  gpuWindows: readonly ProfileGpuWindowRow[];
  jobHours: readonly ProfileJobHourRow[];
}

/** Right-sizing statistics of one job from its hourly rows. */
export function rightSizingStats(hours: readonly ProfileJobHourRow[], gpuCount: number, memoryP99MiB: number, efficiencyThreshold: number): RightSizingStats {
  const byHour = new Map<number, { share: number; active: number; busy: number }>();
  for (const h of hours) {
    const entry = byHour.get(h.hourStartMs) ?? { share: 0, active: 0, busy: 0 };
    entry.share += h.shareMs;
    entry.active += h.activeMs;
    entry.busy += h.reportedMs > 0 ? Math.min(1, h.activeMs / h.reportedMs) : 0;
    byHour.set(h.hourStartMs, entry);
  }
  let share = 0;
  let active = 0;
  let lowShare = 0;
  const busy: number[] = [];
  for (const entry of byHour.values()) {
    share += entry.share;
    active += entry.active;
    if (entry.share > 0 && entry.active / entry.share < efficiencyThreshold) lowShare += entry.share;
    busy.push(entry.busy);
  }
  const gpuHours = share / 3_600_000;
  return {
    heldHours: gpuCount > 0 ? gpuHours / gpuCount : 0,
    gpuHours,
    activeGpuHours: active / 3_600_000,
    lowEfficiencyShareOfRuntime: share > 0 ? lowShare / share : 0,
    busyGpusP95: percentile(busy, 95) ?? 0,
    memoryPerGpuP99MiB: memoryP99MiB,
  };
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

/**
 * One profile per job with windows in the input. The compute share of a window is
 * the job's own utilization where measured, else its GPU's utilization in the
 * window that started at the same time (windows of one node are aligned).
 */
export function buildWorkloadProfiles(input: WorkloadProfileInput, options: WorkloadProfileOptions = DEFAULT_WORKLOAD_PROFILE_OPTIONS): WorkloadProfile[] {
  const gpuById = new Map(input.gpus.map((g) => [g.gpuId, g]));
  const gpuUtil = new Map<string, number>();
  for (const w of input.gpuWindows) if (w.utilizationAvgPct !== null) gpuUtil.set(`${w.gpuId}|${w.startMs}`, w.utilizationAvgPct);
  const windowsByJob = groupBy(input.jobWindows, (w) => w.jobId);
  const hoursByJob = groupBy(input.jobHours, (h) => h.jobId);
  const profiles: WorkloadProfile[] = [];
  for (const job of input.jobs) {
    const windows = (windowsByJob.get(job.jobId) ?? []).filter((w) => gpuById.has(w.gpuId));
    if (windows.length === 0) continue;
    const gpuIds = new Set(windows.map((w) => w.gpuId));
    const utilization: number[] = [];
    const memory: number[] = [];
    const modelCount = new Map<string, number>();
    let firstSeenMs = Number.POSITIVE_INFINITY;
    let lastSeenMs = Number.NEGATIVE_INFINITY;
    let latestStartMs = Number.NEGATIVE_INFINITY;
    for (const w of windows) {
      const own = w.utilizationAvgPct;
      const util = own !== null ? own : (w.gpuUtilizationAvgPct ?? gpuUtil.get(`${w.gpuId}|${w.startMs}`));
      if (util !== undefined) utilization.push(util);
      if (w.memoryUsedMaxMiB !== null) memory.push(w.memoryUsedMaxMiB);
      const model = gpuById.get(w.gpuId)!.modelName;
      modelCount.set(model, (modelCount.get(model) ?? 0) + 1);
      firstSeenMs = Math.min(firstSeenMs, w.startMs);
      lastSeenMs = Math.max(lastSeenMs, w.endMs);
      latestStartMs = Math.max(latestStartMs, w.startMs);
    }
    const gpuModel = [...modelCount.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0];
    const gpuMemoryMiB = Math.min(...[...gpuIds].map((id) => gpuById.get(id)!).filter((g) => g.modelName === gpuModel).map((g) => g.memoryTotalMiB));
    // Current placement: the GPUs of its latest windows, per node.
    const latest = windows.filter((w) => w.startMs === latestStartMs);
    const perNode = new Map<number, WorkloadPlacement>();
    for (const w of latest) {
      const gpu = gpuById.get(w.gpuId)!;
      const placement = perNode.get(gpu.nodeId) ?? { nodeId: gpu.nodeId, hostname: gpu.hostname, gpuIndexes: [] };
      if (!placement.gpuIndexes.includes(gpu.gpuIndex)) placement.gpuIndexes.push(gpu.gpuIndex);
      perNode.set(gpu.nodeId, placement);
    }
    const current = [...perNode.values()].map((p) => ({ ...p, gpuIndexes: p.gpuIndexes.sort((a, b) => a - b) })).sort((a, b) => a.nodeId - b.nodeId);
    const memoryP99MiB = percentile(memory, 99) ?? 0;
    const computeP95 = percentile(utilization, 95);
    profiles.push({
      jobId: job.jobId,
      externalId: job.externalId,
      clusterName: job.clusterName,
      jobKind: job.kind,
      kind: job.kind === "inference" ? "latency-sensitive" : "batch",
      team: job.team,
      project: job.project,
      model: job.model ?? null,
      labels: job.labels ?? {},
      gpuCount: gpuIds.size,
      gpuModel,
      gpuMemoryMiB,
      memoryNeedMiB: Math.min(gpuMemoryMiB, memoryP99MiB * options.memoryHeadroom),
      memoryP99MiB,
      // Unknown utilization is taken as the whole GPU, never guessed smaller.
      computeShare: computeP95 === null ? 1 : Math.min(1, Math.max(0, computeP95 / 100)),
      current,
      gpusPerNode: Math.max(0, ...current.map((p) => p.gpuIndexes.length)),
      firstSeenMs,
      lastSeenMs,
      windowCount: windows.length,
      rightSizing: rightSizingStats(hoursByJob.get(job.jobId) ?? [], gpuIds.size, memoryP99MiB, options.efficiencyThreshold),
    });
  }
  return profiles.sort((a, b) => a.externalId.localeCompare(b.externalId) || a.clusterName.localeCompare(b.clusterName));
}

export interface RealizedSaving {
  status: "measured" | "pending";
  /** Whole days compared on each side. */
  daysBefore: number;
  daysAfter: number;
  dailyCostBefore: number | null;
  dailyCostAfter: number | null;
  /** dailyCostBefore - dailyCostAfter (negative: it cost more after). */
  dailySaving: number | null;
  /** dailySaving x 730 / 24. */
  monthlySaving: number | null;
  /** monthlySaving / projected, when a projection exists. */
  shareOfProjected: number | null;
}

/**
 * Realized saving: mean daily cost over the days before applying minus the mean
 * over the days after, scaled to a month of 730 hours. Pending until there is at
 * least one whole day on each side.
 */
export function compareDailyCosts(before: readonly number[], after: readonly number[], projectedMonthlySaving: number | null): RealizedSaving {
  const mean = (values: readonly number[]) => (values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length);
  const dailyCostBefore = mean(before);
  const dailyCostAfter = mean(after);
  if (dailyCostBefore === null || dailyCostAfter === null) {
    return { status: "pending", daysBefore: before.length, daysAfter: after.length, dailyCostBefore, dailyCostAfter, dailySaving: null, monthlySaving: null, shareOfProjected: null };
  }
  const dailySaving = dailyCostBefore - dailyCostAfter;
  const monthlySaving = (dailySaving * 730) / 24;
  return {
    status: "measured",
    daysBefore: before.length,
    daysAfter: after.length,
    dailyCostBefore,
    dailyCostAfter,
    dailySaving,
    monthlySaving,
    shareOfProjected: projectedMonthlySaving && projectedMonthlySaving > 0 ? monthlySaving / projectedMonthlySaving : null,
  };
}

/** Hour of the week of an instant, 0 = Monday 00:00 UTC. */
export function hourOfWeek(ms: number): number {
  const day = (new Date(ms).getUTCDay() + 6) % 7;
  return day * 24 + new Date(ms).getUTCHours();
}
