/**
 * Right-sizing: jobs that hold more GPU than they use, and the smaller shape that
 * would do (fewer GPUs, a cheaper GPU model, or a MIG slice), with the saving.
 * Pure: measured job statistics and prices in, recommendations out.
 *
 * Units: GPU-hours, MiB, money per GPU-hour in one currency.
 */

export interface JobUsageProfile {
  jobId: string;
  gpuModel: string;
  /** GPUs the job holds. */
  gpuCount: number;
  /** Hours the job held its GPUs in the lookback. */
  heldHours: number;
  /** Share of its held hours whose efficiency (busy / held) was under the threshold, 0..1. */
  lowEfficiencyShareOfRuntime: number;
  /** 95th percentile over its hours of busy GPUs (sum over its GPUs of utilization), in GPUs. */
  busyGpusP95: number;
  /** 99th percentile of the memory it used on its busiest GPU, MiB. */
  memoryPerGpuP99MiB: number;
}

export interface GpuOffer {
  gpuModel: string;
  memoryMiB: number;
  costPerGpuHour: number;
  /** MIG slices the model offers (fraction of the GPU's compute and the slice's memory). */
  migSlices?: readonly { profile: string; computeFraction: number; memoryMiB: number }[];
}

export interface RightSizingOptions {
  /** A job is a candidate when most of its runtime (this share) ran below the efficiency threshold. */
  minLowEfficiencyShare: number;
  /** Utilization the new shape should run at, at the job's p95 (headroom for peaks). */
  targetUtilization: number;
  /** Memory headroom over the p99 (1.1 = 10 % more). */
  memoryHeadroom: number;
  /** Days of measured usage the held hours cover (the saving is scaled to 30 days). */
  lookbackDays: number;
  /** Smallest monthly saving worth a recommendation (in the price book's currency). */
  minMonthlySaving: number;
}

export const DEFAULT_RIGHT_SIZING_OPTIONS: RightSizingOptions = {
  minLowEfficiencyShare: 0.5,
  targetUtilization: 0.8,
  memoryHeadroom: 1.1,
  lookbackDays: 14,
  minMonthlySaving: 10,
};

export type RightSizingChange =
  | { kind: "fewer-gpus"; gpuCount: number }
  | { kind: "smaller-model"; gpuModel: string; gpuCount: number }
  | { kind: "mig-slice"; gpuModel: string; profile: string };

export interface RightSizingRecommendation {
  jobId: string;
  change: RightSizingChange;
  currentCostPerHour: number;
  proposedCostPerHour: number;
  /** (current - proposed) x the job's held hours scaled from the lookback to a month (30 days). */
  monthlySaving: number;
  reason: string;
}

/**
 * For each candidate job, the cheapest shape that keeps its p95 compute at the
 * target utilization and its p99 memory (with headroom) in GPU memory:
 *  1. GPUs needed = ceil(busy GPUs p95 / target utilization), at least 1;
 *  2. every priced model whose memory holds the need is a shape with that count;
 *  3. a single-GPU need that fits a MIG slice's compute and memory is a slice shape;
 *  4. the cheapest shape cheaper than now is the recommendation, when it saves at
 *     least minMonthlySaving a month (smaller ones are noise to the people acting on them).
 */
export function recommendRightSizing(
  jobs: readonly JobUsageProfile[],
  offers: readonly GpuOffer[],
  options: RightSizingOptions = DEFAULT_RIGHT_SIZING_OPTIONS,
): RightSizingRecommendation[] {
  const offerByModel = new Map(offers.map((offer) => [offer.gpuModel, offer]));
  const monthScale = 30 / options.lookbackDays;
  const recommendations: RightSizingRecommendation[] = [];
  for (const job of jobs) {
    const current = offerByModel.get(job.gpuModel);
    if (!current || job.lowEfficiencyShareOfRuntime < options.minLowEfficiencyShare) continue;
    const currentCostPerHour = current.costPerGpuHour * job.gpuCount;
    // 1. What the job needs.
    const gpusNeeded = Math.max(1, Math.ceil(job.busyGpusP95 / options.targetUtilization - 1e-9));
    const memoryNeedMiB = job.memoryPerGpuP99MiB * options.memoryHeadroom;
    let best: { change: RightSizingChange; costPerHour: number } | null = null;
    const consider = (change: RightSizingChange, costPerHour: number) => {
      if (costPerHour < currentCostPerHour - 1e-9 && (best === null || costPerHour < best.costPerHour)) best = { change, costPerHour };
    };
    // 2. Whole GPUs of any priced model that holds the memory.
    for (const offer of offers) {
      if (offer.memoryMiB < memoryNeedMiB || gpusNeeded > job.gpuCount) continue;
      const change: RightSizingChange =
        offer.gpuModel === job.gpuModel ? { kind: "fewer-gpus", gpuCount: gpusNeeded } : { kind: "smaller-model", gpuModel: offer.gpuModel, gpuCount: gpusNeeded };
      consider(change, offer.costPerGpuHour * gpusNeeded);
    }
    // 3. A MIG slice for a job that needs less than one GPU.
    if (job.busyGpusP95 / options.targetUtilization <= 1) {
      for (const offer of offers) {
        for (const slice of offer.migSlices ?? []) {
          if (slice.memoryMiB >= memoryNeedMiB && slice.computeFraction * options.targetUtilization >= job.busyGpusP95) {
            consider({ kind: "mig-slice", gpuModel: offer.gpuModel, profile: slice.profile }, offer.costPerGpuHour * slice.computeFraction);
          }
        }
      }
    }
    // 4. The cheapest, when cheaper than now.
    const chosen = best as { change: RightSizingChange; costPerHour: number } | null;
    if (!chosen || (currentCostPerHour - chosen.costPerHour) * job.heldHours * monthScale < options.minMonthlySaving) continue;
    recommendations.push({
      jobId: job.jobId,
      change: chosen.change,
      currentCostPerHour,
      proposedCostPerHour: chosen.costPerHour,
      monthlySaving: (currentCostPerHour - chosen.costPerHour) * job.heldHours * monthScale,
      reason:
        `${Math.round(job.lowEfficiencyShareOfRuntime * 100)} % of its runtime below the efficiency threshold; ` +
        `p95 ${job.busyGpusP95.toFixed(2)} busy GPUs of ${job.gpuCount}, p99 memory ${Math.round(job.memoryPerGpuP99MiB)} MiB per GPU`,
    });
  }
  return recommendations.sort((a, b) => b.monthlySaving - a.monthlySaving);
}
