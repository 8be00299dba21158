/**
 * Steps 4-6 of the fleet plan, pool by pool: schedule the batch hours
 * (schedule-batch.ts), place the shapes on as few nodes as possible
 * (pack-per-pool.ts), and repair what does not fit. Repair is per pool: a pool
 * that cannot be packed on all its nodes gives a quarter of the workloads moved
 * into it (the largest first) back their today's shape and is planned again
 * with the pools they return to, and a
 * pool whose workloads all have today's shapes and still cannot be packed by
 * the placer keeps today's placement and every node, so the answer is always
 * feasible.
 */
import type { Pool, PoolNode } from "./fleet-pools.ts";
import { occupiedGpus } from "./fleet-pools.ts";
import type { PlanCandidate } from "./plan-candidates.ts";
import { capacityByHour } from "./plan-candidates.ts";
import { packPool, type PackItem, type PackRules } from "./pack-per-pool.ts";
import { moveHours, scheduleBatch } from "./schedule-batch.ts";
import { HOURS_PER_WEEK } from "./types.ts";
import type { ResolvedPlanOptions } from "./validate-plan-input.ts";

export interface WorkloadPlan {
  shapeIndex: number;
  /** Share of its GPUs held in each hour under the plan (today's, or batch hours moved). */
  activeShare: number[];
  hoursMoved: boolean;
  placement: { node: string; gpuIndexes: number[] }[];
}

export interface PoolPlan {
  pool: Pool;
  keptNodes: PoolNode[];
  drainedNodes: PoolNode[];
  /** The placer found no packing even with today's shapes: today's placement, every node kept. */
  todayPlacement: boolean;
}

/** Share of the workloads moved into a pool that go back per repair round when it cannot be packed. */
const REVERT_SHARE = 0.25;

/** GPUs of the fewest nodes (pinned ones first, then the cheapest) that hold a peak load. */
export function gpusCovering(pool: Pool, peak: number): number {
  const nodes = [...pool.nodes].sort((a, b) => Number(b.pinned) - Number(a.pinned) || a.costPerGpuHour - b.costPerGpuHour || b.gpuCount - a.gpuCount);
  let gpus = 0;
  for (const node of nodes) {
    if (!node.pinned && gpus >= peak - 1e-9) break;
    gpus += node.gpuCount;
  }
  return gpus;
}

function packItem(candidate: PlanCandidate, index: number, shapeIndex: number, activeShare: readonly number[], pool: Pool, options: ResolvedPlanOptions): PackItem {
  const shape = candidate.shapes[shapeIndex];
  const w = candidate.workload;
  return {
    index,
    kind: w.kind,
    gpuCount: shape.gpuCount,
    gpuMilli: shape.gpuMilli,
    memoryNeedMiB: w.memoryPerGpuP99MiB * options.memoryHeadroom,
    occupiedByHour: activeShare.map((share) => occupiedGpus(share, shape.gpuCount)),
    current: shape.gpuModel === w.gpuModel ? w.current : [],
    pinned: candidate.pinned,
    mayBeSplit: w.current.length > 1 || shape.gpuCount > pool.maxNodeGpus,
  };
}

/** One pool: batch hours scheduled when that keeps fewer GPUs, then packed; null when even all its nodes do not hold it. */
export function planPool(
  pool: Pool,
  members: readonly number[],
  candidates: readonly PlanCandidate[],
  chosen: readonly number[],
  options: ResolvedPlanOptions,
): { pool: PoolPlan; workloads: Map<number, WorkloadPlan> } | null {
  const rules: PackRules = { headroom: options.headroom, maxWorkloadsPerGpu: options.maxWorkloadsPerGpu };
  const loadOf = (i: number) => capacityByHour(candidates[i].shapes[chosen[i]], candidates[i].activeShare);
  const movable = members.filter((i) => candidates[i].movableInTime);
  const fixedLoad = new Array<number>(HOURS_PER_WEEK).fill(0);
  for (const i of members) {
    if (candidates[i].movableInTime) continue;
    loadOf(i).forEach((v, t) => (fixedLoad[t] += v));
  }
  const schedule = scheduleBatch(
    fixedLoad,
    movable.map((i) => ({ load: loadOf(i), releaseSlot: candidates[i].workload.releaseSlot ?? 0, deadlineSlot: candidates[i].workload.deadlineSlot ?? HOURS_PER_WEEK })),
    (peak) => gpusCovering(pool, peak),
  );
  const attempt = (slotMapOf: (i: number) => number[] | null, peak: number) => {
    const shares = new Map(members.map((i) => [i, moveHours(candidates[i].activeShare, slotMapOf(i))]));
    const items = members.map((i) => packItem(candidates[i], i, chosen[i], shares.get(i)!, pool, options));
    const packed = packPool(pool, items, gpusCovering(pool, peak), rules);
    if (!packed.ok) return null;
    const workloads = new Map(members.map((i) => [i, { shapeIndex: chosen[i], activeShare: shares.get(i)!, hoursMoved: slotMapOf(i) !== null, placement: packed.placements.get(i) ?? [] }]));
    return { pool: { pool, keptNodes: packed.keptNodes, drainedNodes: packed.drainedNodes, todayPlacement: false }, workloads };
  };
  const slotMapByMember = new Map(movable.map((i, k) => [i, schedule.slotMaps[k]]));
  return attempt((i) => slotMapByMember.get(i) ?? null, schedule.peakAfter) ?? (schedule.peakAfter < schedule.peakBefore ? attempt(() => null, schedule.peakBefore) : null);
}

/** Today's placement and hours for a pool's workloads, every node kept. */
export function todayPool(pool: Pool, members: readonly number[], candidates: readonly PlanCandidate[]): { pool: PoolPlan; workloads: Map<number, WorkloadPlan> } {
  const workloads = new Map(
    members.map((i) => [i, { shapeIndex: 0, activeShare: [...candidates[i].activeShare], hoursMoved: false, placement: candidates[i].workload.current.map((p) => ({ node: p.node, gpuIndexes: [...p.gpuIndexes] })) }]),
  );
  return { pool: { pool, keptNodes: [...pool.nodes], drainedNodes: [], todayPlacement: true }, workloads };
}

/**
 * Plans every pool, repairing as described in the header. `chosen` is updated
 * in place where workloads take back today's shape. Messages say what was repaired.
 */
export function planPools(
  pools: ReadonlyMap<string, Pool>,
  candidates: readonly PlanCandidate[],
  chosen: number[],
  options: ResolvedPlanOptions,
  messages: string[],
): { pools: Map<string, PoolPlan>; workloads: WorkloadPlan[] } {
  const gpuHoursOf = (i: number) => capacityByHour(candidates[i].shapes[chosen[i]], candidates[i].activeShare).reduce((sum, v) => sum + v, 0);
  const membersOf = (pool: string) => candidates.flatMap((c, i) => (c.shapes[chosen[i]].pool === pool ? [i] : []));
  const results = new Map<string, ReturnType<typeof todayPool>>();
  let dirty = new Set(pools.keys());
  while (dirty.size > 0) {
    const next = new Set<string>();
    for (const key of dirty) {
      const pool = pools.get(key)!;
      const members = membersOf(key);
      const planned = planPool(pool, members, candidates, chosen, options);
      if (planned) {
        results.set(key, planned);
        continue;
      }
      const changed = members.filter((i) => chosen[i] !== 0);
      if (changed.length === 0) {
        messages.push(`${key}: the placer could not pack today's shapes on its nodes; today's placement is kept`);
        results.set(key, todayPool(pool, members, candidates));
        continue;
      }
      // Work moved in from other models goes back first, the largest first, a quarter at a time.
      const movedIn = changed.filter((i) => candidates[i].shapes[0].pool !== key);
      const revertable = (movedIn.length > 0 ? movedIn : changed).sort((a, b) => gpuHoursOf(b) - gpuHoursOf(a) || a - b);
      const reverted = revertable.slice(0, Math.max(1, Math.ceil(revertable.length * REVERT_SHARE)));
      messages.push(`${key}: the chosen shapes did not fit its nodes with the co-location rules; ${reverted.length} workloads take back today's shape`);
      for (const i of reverted) {
        chosen[i] = 0;
        next.add(candidates[i].shapes[0].pool);
      }
      next.add(key);
    }
    dirty = next;
  }
  const workloads: WorkloadPlan[] = candidates.map((_, i) => [...results.values()].find((r) => r.workloads.has(i))!.workloads.get(i)!);
  return { pools: new Map([...results].map(([key, r]) => [key, r.pool])), workloads };
}
