/**
 * Utilization figures from per-GPU usage totals. Pure.
 *
 * A GPU's utilization over a window is its time-weighted average: sum of
 * (utilization x window duration) / sum of window durations that reported a
 * utilization. Fleet averages weight each GPU by its GPU-hours.
 */
export interface GpuUsageTotals {
  gpuId: number;
  uuid: string;
  hostname: string;
  gpuIndex: number;
  modelName: string;
  /** Hours covered by usage windows in the query window. */
  gpuHours: number;
  /** Hours whose windows reported a utilization (excludes N/A readings). */
  measuredGpuHours: number;
  /** Sum over windows of utilization (%) x hours. */
  utilizationPctHours: number;
  memoryUsedAvgMiB: number | null;
  memoryTotalMiB: number;
}

export interface RankedGpu {
  uuid: string;
  hostname: string;
  gpuIndex: number;
  modelName: string;
  gpuHours: number;
  utilizationAvgPct: number | null;
  memoryUsedAvgMiB: number | null;
  memoryTotalMiB: number;
}

export function averageUtilizationPct(totals: { measuredGpuHours: number; utilizationPctHours: number }): number | null {
  return totals.measuredGpuHours > 0 ? totals.utilizationPctHours / totals.measuredGpuHours : null;
}

export interface FleetUtilizationSummary {
  gpuHours: number;
  /** Utilization-weighted GPU-hours: the hours the GPUs were actually busy. */
  activeGpuHours: number;
  utilizationAvgPct: number | null;
}

export function summarizeFleetUtilization(gpus: readonly GpuUsageTotals[]): FleetUtilizationSummary {
  let gpuHours = 0;
  let measuredGpuHours = 0;
  let utilizationPctHours = 0;
  for (const gpu of gpus) {
    gpuHours += gpu.gpuHours;
    measuredGpuHours += gpu.measuredGpuHours;
    utilizationPctHours += gpu.utilizationPctHours;
  }
  return {
    gpuHours,
    activeGpuHours: utilizationPctHours / 100,
    utilizationAvgPct: averageUtilizationPct({ measuredGpuHours, utilizationPctHours }),
  };
}

/**
 * The `count` busiest and idlest GPUs by average utilization. GPUs without any
 * utilization reading are left out of both lists (nothing to rank them by). Ties
 * are broken by hostname and index so the order is stable.
 */
export function rankGpusByUtilization(gpus: readonly GpuUsageTotals[], count: number): { busiest: RankedGpu[]; idlest: RankedGpu[] } {
  const ranked = gpus
    .map((gpu) => ({
      uuid: gpu.uuid,
      hostname: gpu.hostname,
      gpuIndex: gpu.gpuIndex,
      modelName: gpu.modelName,
      gpuHours: gpu.gpuHours,
      utilizationAvgPct: averageUtilizationPct(gpu),
      memoryUsedAvgMiB: gpu.memoryUsedAvgMiB,
      memoryTotalMiB: gpu.memoryTotalMiB,
    }))
    .filter((gpu) => gpu.utilizationAvgPct !== null);
  const byHost = (a: RankedGpu, b: RankedGpu) => a.hostname.localeCompare(b.hostname) || a.gpuIndex - b.gpuIndex;
  const busiest = [...ranked].sort((a, b) => b.utilizationAvgPct! - a.utilizationAvgPct! || byHost(a, b)).slice(0, count);
  const idlest = [...ranked].sort((a, b) => a.utilizationAvgPct! - b.utilizationAvgPct! || byHost(a, b)).slice(0, count);
  return { busiest, idlest };
}

export interface UtilizationPoint {
  startMs: number;
  gpuHours: number;
  utilizationAvgPct: number | null;
  gpusReporting: number;
}
