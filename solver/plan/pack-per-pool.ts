/**
 * Step 4 of the fleet plan: put the chosen shapes on the nodes and GPU indexes
 * of one pool, hour by hour, with today's co-location rules: a GPU shared in an
 * hour gives its workloads together at most `headroom` of its compute and
 * memory, at most `maxWorkloadsPerGpu` workloads run on a GPU in an hour, and no
 * two latency-sensitive workloads run on one in the same hour. Workloads whose
 * hours never overlap take turns on a GPU (batch at night on an inference GPU,
 * one job after another), as they do today.
 *
 * solver/packing places static requests with no hours, so the plan has its own
 * placer: first fit over the nodes kept (fullest first, busiest GPU first),
 * in a few orders (PLACEMENT_ORDERS: first, workloads that keep their shape
 * stay on their GPUs where they still fit), and the pool keeps as
 * few nodes as it can (the cheapest, then those holding the most work today),
 * adding one node at a time until everything is placed.
 */
import type { Pool, PoolNode } from "./fleet-pools.ts";
import { HOURS_PER_WEEK } from "./types.ts";

export interface PackItem {
  /** Index of the workload in the plan's candidates. */
  index: number;
  kind: "latency-sensitive" | "batch";
  gpuCount: number;
  gpuMilli: number;
  /** Memory the workload needs on each GPU, MiB (p99 × memory headroom). */
  memoryNeedMiB: number;
  /** GPUs occupied in each hour of the week (0..gpuCount). */
  occupiedByHour: readonly number[];
  /** Where it runs today (hostnames of this pool); tried first, and kept as is when pinned. */
  current: readonly { node: string; gpuIndexes: readonly number[] }[];
  pinned: boolean;
  /** May spread over several nodes (replicas, or more GPUs than any node has). */
  mayBeSplit: boolean;
}

export interface PackRules {
  headroom: number;
  maxWorkloadsPerGpu: number;
}

export type PoolPacking =
  | { ok: true; placements: Map<number, { node: string; gpuIndexes: number[] }[]>; keptNodes: PoolNode[]; drainedNodes: PoolNode[] }
  | { ok: false; reason: string };

class GpuState {
  readonly milli = new Float64Array(HOURS_PER_WEEK);
  readonly memoryMiB = new Float64Array(HOURS_PER_WEEK);
  readonly active = new Uint8Array(HOURS_PER_WEEK);
  readonly latencySensitiveActive = new Uint8Array(HOURS_PER_WEEK);
  /** gpuMilli × hours taken so far: GPUs already busy are filled first (best fit). */
  busyMilliHours = 0;
  constructor(
    readonly node: PoolNode,
    readonly index: number,
  ) {}

  /** The rules hold hour by hour: work that runs at other hours (one job after another) does not share the GPU. */
  fits(item: PackItem, hours: readonly number[], rules: PackRules): boolean {
    const latencySensitive = item.kind === "latency-sensitive";
    const sharedMilli = rules.headroom * 1000 + 1e-9;
    const sharedMemoryMiB = rules.headroom * this.node.gpuMemoryMiB + 1e-9;
    for (const t of hours) {
      if (this.active[t] === 0) continue;
      if (this.active[t] >= rules.maxWorkloadsPerGpu || (latencySensitive && this.latencySensitiveActive[t] > 0)) return false;
      if (this.milli[t] + item.gpuMilli > sharedMilli || this.memoryMiB[t] + item.memoryNeedMiB > sharedMemoryMiB) return false;
    }
    return true;
  }

  take(item: PackItem, hours: readonly number[]): void {
    this.busyMilliHours += item.gpuMilli * hours.length;
    const latencySensitive = item.kind === "latency-sensitive";
    for (const t of hours) {
      this.milli[t] += item.gpuMilli;
      this.memoryMiB[t] += item.memoryNeedMiB;
      this.active[t] += 1;
      if (latencySensitive) this.latencySensitiveActive[t] += 1;
    }
  }
}

/** Hours in which the item's j-th GPU is occupied. */
function hoursOfGpu(item: PackItem, j: number): number[] {
  const hours: number[] = [];
  item.occupiedByHour.forEach((gpus, t) => {
    if (gpus > j) hours.push(t);
  });
  return hours;
}

/** GPUs of one node for the item's GPUs from `first` on; prefers its current indexes, then the busiest GPUs it fits on (pairs, turns). */
function pickOnNode(item: PackItem, gpus: readonly GpuState[], hours: readonly number[][], first: number, preferred: ReadonlySet<number>, rules: PackRules, taken: Set<GpuState>): GpuState[] {
  const picked: GpuState[] = [];
  for (let j = first; j < item.gpuCount; j++) {
    let best: GpuState | undefined;
    for (const gpu of gpus) {
      if (taken.has(gpu) || !gpu.fits(item, hours[j], rules)) continue;
      if (!best || Number(preferred.has(gpu.index)) - Number(preferred.has(best.index)) > 0 || (preferred.has(gpu.index) === preferred.has(best.index) && gpu.busyMilliHours > best.busyMilliHours)) best = gpu;
    }
    if (!best) break;
    picked.push(best);
    taken.add(best);
  }
  return picked;
}

function placeOn(item: PackItem, picked: readonly GpuState[], hours: readonly number[][]): { node: string; gpuIndexes: number[] }[] {
  const byNode = new Map<string, number[]>();
  picked.forEach((gpu, j) => {
    gpu.take(item, hours[j]);
    byNode.set(gpu.node.hostname, [...(byNode.get(gpu.node.hostname) ?? []), gpu.index]);
  });
  return [...byNode].map(([node, gpuIndexes]) => ({ node, gpuIndexes }));
}

/**
 * Orders the placer tries, first to last: work that keeps its shape stays on
 * its GPUs, then the largest first; the largest (GPUs, then hours) first with
 * nobody staying; the longest-running first.
 */
export const PLACEMENT_ORDERS = ["stay-then-largest", "largest", "longest"] as const;
export type PlacementOrder = (typeof PLACEMENT_ORDERS)[number];

const activeHours = (item: PackItem) => item.occupiedByHour.reduce((sum, v) => sum + (v > 0 ? 1 : 0), 0);

function placementComparator(order: PlacementOrder): (a: PackItem, b: PackItem) => number {
  if (order === "stay-then-largest") return (a, b) => b.gpuCount * b.gpuMilli * activeHours(b) - a.gpuCount * a.gpuMilli * activeHours(a) || a.index - b.index;
  if (order === "largest") return (a, b) => b.gpuCount - a.gpuCount || activeHours(b) - activeHours(a) || b.gpuMilli - a.gpuMilli || a.index - b.index;
  return (a, b) => activeHours(b) - activeHours(a) || b.gpuCount - a.gpuCount || b.gpuMilli - a.gpuMilli || a.index - b.index;
}

/** Places every item on the given nodes; fails naming the first workload that does not fit. */
export function packOnNodes(keptNodes: readonly PoolNode[], items: readonly PackItem[], rules: PackRules, order: PlacementOrder = "stay-then-largest"): Map<number, { node: string; gpuIndexes: number[] }[]> | string {
  const gpusByNode = new Map(keptNodes.map((node) => [node.hostname, Array.from({ length: node.gpuCount }, (_, i) => new GpuState(node, i))]));
  const placements = new Map<number, { node: string; gpuIndexes: number[] }[]>();
  const hoursOf = new Map(items.map((item) => [item.index, Array.from({ length: item.gpuCount }, (_, j) => hoursOfGpu(item, j))]));
  const currentGpus = (item: PackItem) => item.current.flatMap((place) => (gpusByNode.get(place.node) ?? []).filter((gpu) => place.gpuIndexes.includes(gpu.index)));
  // Pinned work stays where it is, whatever the rules say about it.
  for (const item of items.filter((i) => i.pinned)) placements.set(item.index, placeOn(item, currentGpus(item).slice(0, item.gpuCount), hoursOf.get(item.index)!));
  // Work that keeps its GPU count stays on its GPUs where they are kept and it still fits.
  for (const item of order === "stay-then-largest" ? items : []) {
    if (item.pinned) continue;
    const current = currentGpus(item).slice(0, item.gpuCount);
    const hours = hoursOf.get(item.index)!;
    if (current.length === item.gpuCount && current.every((gpu, j) => gpu.fits(item, hours[j], rules))) placements.set(item.index, placeOn(item, current, hours));
  }
  const rest = items.filter((item) => !placements.has(item.index)).sort(placementComparator(order));
  const nodeBusy = new Map(keptNodes.map((node) => [node.hostname, gpusByNode.get(node.hostname)!.reduce((sum, gpu) => sum + gpu.busyMilliHours, 0)]));
  for (const item of rest) {
    const hours = hoursOf.get(item.index)!;
    const currentNodes = new Set(item.current.map((place) => place.node));
    const nodeOrder = [...keptNodes].sort((a, b) => Number(currentNodes.has(b.hostname)) - Number(currentNodes.has(a.hostname)) || nodeBusy.get(b.hostname)! - nodeBusy.get(a.hostname)!);
    let picked: GpuState[] | undefined;
    for (const node of nodeOrder) {
      const preferred = new Set(item.current.find((place) => place.node === node.hostname)?.gpuIndexes ?? []);
      const onNode = pickOnNode(item, gpusByNode.get(node.hostname)!, hours, 0, preferred, rules, new Set());
      if (onNode.length === item.gpuCount) {
        picked = onNode;
        break;
      }
    }
    if (!picked && item.mayBeSplit) {
      const taken = new Set<GpuState>();
      const spread: GpuState[] = [];
      for (const node of nodeOrder) {
        spread.push(...pickOnNode(item, gpusByNode.get(node.hostname)!, hours, spread.length, new Set(), rules, taken));
        if (spread.length === item.gpuCount) break;
      }
      if (spread.length === item.gpuCount) picked = spread;
    }
    if (!picked) return `no room for workload #${item.index} (${item.gpuCount} x ${item.gpuMilli} gpuMilli) on the ${keptNodes.length} nodes kept`;
    placements.set(item.index, placeOn(item, picked, hours));
    for (const gpu of picked) nodeBusy.set(gpu.node.hostname, nodeBusy.get(gpu.node.hostname)! + item.gpuMilli * hours[0].length);
  }
  return placements;
}

/**
 * The pool's nodes in the order they are kept: pinned ones, then the cheapest,
 * then those where the most work runs today (fewer moves), then by name.
 */
export function keepOrder(pool: Pool, items: readonly PackItem[]): PoolNode[] {
  const workToday = new Map<string, number>();
  for (const item of items) {
    const hours = item.occupiedByHour.reduce((sum, v) => sum + v, 0);
    for (const place of item.current) workToday.set(place.node, (workToday.get(place.node) ?? 0) + hours * place.gpuIndexes.length);
  }
  return [...pool.nodes].sort(
    (a, b) => Number(b.pinned) - Number(a.pinned) || a.costPerGpuHour - b.costPerGpuHour || (workToday.get(b.hostname) ?? 0) - (workToday.get(a.hostname) ?? 0) || a.hostname.localeCompare(b.hostname),
  );
}

/** Packs the pool on as few nodes as it can, starting from enough nodes for `targetGpus` and adding one at a time. */
export function packPool(pool: Pool, items: readonly PackItem[], targetGpus: number, rules: PackRules): PoolPacking {
  const order = keepOrder(pool, items);
  let count = 0;
  let gpus = 0;
  while (count < order.length && (order[count].pinned || gpus < targetGpus - 1e-9)) gpus += order[count++].gpuCount;
  let reason = "";
  for (; count <= order.length; count++) {
    const kept = order.slice(0, count);
    for (const placementOrder of PLACEMENT_ORDERS) {
      const placed = packOnNodes(kept, items, rules, placementOrder);
      if (typeof placed !== "string") return { ok: true, placements: placed, keptNodes: kept, drainedNodes: order.slice(count) };
      reason = placed;
    }
  }
  return { ok: false, reason };
}
