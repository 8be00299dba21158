/**
 * Step 2 of the fleet plan: the shapes each workload may take. Today's shape
 * first, then fewer GPUs of the same model (from its measured p95 busy GPUs at
 * the target utilization), a fraction of one GPU, and other GPU models of its
 * cluster where throughput is measured on both models or assumed from peak
 * ratios. Assumed speedups count at a share (slowdowns in full), and assumed
 * throughput alone never cuts the GPUs the workload needs on its own model by
 * more than half.
 */
import type { Pool } from "./fleet-pools.ts";
import { poolKey } from "./fleet-pools.ts";
import type { ResolvedPlanOptions } from "./validate-plan-input.ts";
import type { PlanWorkload, WorkloadAssignment, WorkloadShape } from "./types.ts";

export interface ShapeOption extends WorkloadShape {
  pool: string;
  throughput: WorkloadAssignment["throughput"];
  /**
   * GPUs of pool capacity one occupied GPU of this shape takes in the plan's
   * model: 1 for whole GPUs; for a fraction, its share of a shared GPU's usable
   * compute, and at least 1 / maxWorkloadsPerGpu (the packing rules).
   */
  capacityPerGpu: number;
}

const MILLI_STEP = 10;

function roundMilliUp(gpus: number): number {
  return Math.min(1000, Math.max(MILLI_STEP, Math.ceil((gpus * 1000) / MILLI_STEP - 1e-9) * MILLI_STEP));
}

export function capacityPerGpu(gpuMilli: number, options: ResolvedPlanOptions): number {
  return gpuMilli >= 1000 ? 1 : Math.min(1, Math.max(gpuMilli / (options.headroom * 1000), 1 / options.maxWorkloadsPerGpu));
}

/** Speed of `target` relative to the workload's model, and whether measured or assumed; null when unknown. */
export function relativeSpeed(
  w: PlanWorkload,
  target: string,
  relativeThroughput: Readonly<Record<string, number>> | undefined,
  assumedSpeedupShare: number,
): { ratio: number; throughput: "measured" | "assumed" } | null {
  // Work on two models compares only in one unit (samples on one and tokens on the other say nothing).
  const measuredTo = w.throughput?.filter((t) => t.gpuModel === target) ?? [];
  const measuredPair = (w.throughput ?? [])
    .filter((from) => from.gpuModel === w.gpuModel)
    .map((from) => ({ from, to: measuredTo.find((to) => to.unit === from.unit) }))
    .find((pair) => pair.to !== undefined);
  if (measuredPair) return { ratio: measuredPair.to!.workPerGpuHour / measuredPair.from.workPerGpuHour, throughput: "measured" };
  const from = relativeThroughput?.[w.gpuModel];
  const to = relativeThroughput?.[target];
  if (from === undefined || to === undefined) return null;
  const peakRatio = to / from;
  return { ratio: peakRatio > 1 ? 1 + (peakRatio - 1) * assumedSpeedupShare : peakRatio, throughput: "assumed" };
}

export function todayShape(w: PlanWorkload, options: ResolvedPlanOptions): ShapeOption {
  return { gpuModel: w.gpuModel, gpuCount: w.gpuCount, gpuMilli: 1000, pool: poolKey(w.cluster, w.gpuModel), throughput: "unchanged", capacityPerGpu: capacityPerGpu(1000, options) };
}

/** Today's shape first, then every distinct smaller or cheaper candidate that fits its pool's GPU memory. */
export function shapeOptions(
  w: PlanWorkload,
  pools: ReadonlyMap<string, Pool>,
  relativeThroughput: Readonly<Record<string, number>> | undefined,
  options: ResolvedPlanOptions,
): ShapeOption[] {
  const today = todayShape(w, options);
  const gpusNeeded = w.busyGpusP95 / options.targetUtilization;
  const memoryNeedMiB = w.memoryPerGpuP99MiB * options.memoryHeadroom;
  const sameModelGpus = Math.max(1, Math.ceil(gpusNeeded - 1e-9));
  const sameModelMilli = gpusNeeded < 1 ? roundMilliUp(gpusNeeded) : 1000 * sameModelGpus;
  const shapes: ShapeOption[] = [today];
  const add = (pool: Pool, gpuCount: number, gpuMilli: number, throughput: ShapeOption["throughput"]) => {
    const shared = gpuMilli < 1000;
    if (shared && (gpuMilli > options.headroom * 1000 || memoryNeedMiB > options.headroom * pool.gpuMemoryMiB)) return;
    if (!shared && memoryNeedMiB > pool.gpuMemoryMiB) return;
    if (gpuCount > pool.gpus) return;
    if (shapes.some((s) => s.gpuModel === pool.gpuModel && s.gpuCount === gpuCount && s.gpuMilli === gpuMilli)) return;
    shapes.push({ gpuModel: pool.gpuModel, gpuCount, gpuMilli, pool: pool.key, throughput, capacityPerGpu: capacityPerGpu(gpuMilli, options) });
  };
  const ownPool = pools.get(today.pool)!;
  if (sameModelGpus < w.gpuCount) add(ownPool, sameModelGpus, 1000, "unchanged");
  if (gpusNeeded < 1) add(ownPool, 1, roundMilliUp(gpusNeeded), "unchanged");
  for (const pool of pools.values()) {
    if (pool.cluster !== w.cluster || pool.gpuModel === w.gpuModel) continue;
    const speed = relativeSpeed(w, pool.gpuModel, relativeThroughput, options.assumedSpeedupShare);
    if (!speed) continue;
    const needed = gpusNeeded / speed.ratio;
    // Assumed throughput may at most halve what the workload needs on its own model.
    const floorGpus = speed.throughput === "assumed" ? Math.ceil(sameModelGpus / 2 - 1e-9) : 1;
    const floorMilli = speed.throughput === "assumed" ? roundMilliUp(sameModelMilli / 2000) : MILLI_STEP;
    add(pool, Math.max(1, floorGpus, Math.ceil(needed - 1e-9)), 1000, speed.throughput);
    if (needed < 1 && sameModelGpus === 1) add(pool, 1, Math.max(floorMilli, roundMilliUp(needed)), speed.throughput);
  }
  return shapes;
}
