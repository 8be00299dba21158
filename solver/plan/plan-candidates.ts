/**
 * Each workload as the plan's models see it: its shapes, the share of its GPUs
 * it holds in each hour, whether its hours may move (unpinned batch work), and
 * the GPUs of pool capacity a shape takes in an hour.
 */
import type { FleetPools } from "./fleet-pools.ts";
import { activeShareByHour, occupiedGpus, workloadKey } from "./fleet-pools.ts";
import { shapeOptions, todayShape, type ShapeOption } from "./shape-options.ts";
import type { PlanInput, PlanWorkload } from "./types.ts";
import type { ResolvedPlanOptions } from "./validate-plan-input.ts";

export interface PlanCandidate {
  key: string;
  workload: PlanWorkload;
  /** Today's shape first. */
  shapes: ShapeOption[];
  /** Share of its GPUs held in each hour of the week, 0..1 (today's hours). */
  activeShare: number[];
  pinned: boolean;
  /** Unpinned batch work: its hours may move inside [releaseSlot, deadlineSlot). */
  movableInTime: boolean;
}

export function buildCandidates(input: PlanInput, fleet: FleetPools, options: ResolvedPlanOptions): PlanCandidate[] {
  return input.workloads.map((workload) => {
    const key = workloadKey(workload);
    const pinned = fleet.pinnedWorkloads.has(key);
    return {
      key,
      workload,
      shapes: pinned ? [todayShape(workload, options)] : shapeOptions(workload, fleet.pools, input.relativeThroughput, options),
      activeShare: activeShareByHour(workload),
      pinned,
      movableInTime: !pinned && workload.kind === "batch",
    };
  });
}

/** GPUs of pool capacity a shape takes in each hour, for the given hourly shares. */
export function capacityByHour(shape: ShapeOption, activeShare: readonly number[]): number[] {
  return activeShare.map((share) => occupiedGpus(share, shape.gpuCount) * shape.capacityPerGpu);
}

/** GPUs a shape holds in each hour (a fraction counts its share of the GPU): the hourly figures people see. */
export function gpusHeldByHour(shape: Pick<ShapeOption, "gpuCount" | "gpuMilli">, activeShare: readonly number[]): number[] {
  return activeShare.map((share) => (occupiedGpus(share, shape.gpuCount) * shape.gpuMilli) / 1000);
}
