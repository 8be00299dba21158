/**
 * Decomposition of a large packing instance into parts that look alike
 * (POP, SOSP'21: split into k random sub-problems, solve one, stay close to
 * optimal). Nodes and workloads are sorted by shape and dealt round-robin into
 * k parts, so each part holds about 1/k of every node shape and workload shape;
 * when every shape's count is a multiple of k the parts are identical up to ids.
 * The optimizer solves the first part in full and transplants its answer to the
 * others shape by shape (warm start): the r-th workload of a shape goes where
 * the r-th workload of that shape went in part 0, on the node of the same shape
 * and rank. What does not transplant is repaired by best fit within its part.
 */
import { byDecreasingDominantShare, placeBestFit } from "./baselines.ts";
import { ClusterState, nodeShape, workloadShape } from "./cluster-state.ts";
import type { GpuNode, Placement, Workload } from "./types.ts";

/** About one openb cluster (1,213 nodes) per part: the size the full pipeline handles in seconds. */
export const NODES_PER_PART = 1_250;

export function partCount(nodes: readonly GpuNode[]): number {
  return Math.max(1, Math.ceil(nodes.length / NODES_PER_PART));
}

export interface Part {
  nodes: GpuNode[];
  workloads: Workload[];
  /** Rank lists by shape, in dealing order: the transplant maps rank r of a shape to rank r. */
  nodesByShape: Map<string, GpuNode[]>;
  workloadsByShape: Map<string, Workload[]>;
}

function dealt<T>(items: readonly T[], shapeOf: (item: T) => string, k: number): { parts: T[][]; byShape: Map<string, T[]>[] } {
  const keyed = items.map((item, i) => ({ item, key: shapeOf(item), i }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
  const parts: T[][] = Array.from({ length: k }, () => []);
  const byShape: Map<string, T[]>[] = Array.from({ length: k }, () => new Map());
  // One counter across shapes: a shape whose count is not a multiple of k leaves the next one's start where it stopped.
  keyed.forEach(({ item, key }, c) => {
    const p = c % k;
    parts[p].push(item);
    const list = byShape[p].get(key);
    if (list) list.push(item);
    else byShape[p].set(key, [item]);
  });
  return { parts, byShape };
}

export function dealIntoParts(workloads: readonly Workload[], nodes: readonly GpuNode[], k: number): Part[] {
  const n = dealt(nodes, nodeShape, k);
  const w = dealt(workloads, workloadShape, k);
  return n.parts.map((partNodes, p) => ({ nodes: partNodes, workloads: w.parts[p], nodesByShape: n.byShape[p], workloadsByShape: w.byShape[p] }));
}

/**
 * Places `target`'s workloads on `state` (built on target.nodes) as part 0's
 * answer `source` placed theirs, then the rest by best fit within the part.
 * Returns the workloads that still did not fit.
 */
export function transplant(placement: Placement, source: Part, target: Part, state: ClusterState): Workload[] {
  const rankOfWorkload = new Map<string, { key: string; rank: number }>();
  for (const [key, list] of source.workloadsByShape) list.forEach((w, rank) => rankOfWorkload.set(w.id, { key, rank }));
  const rankOfNode = new Map<string, { key: string; rank: number }>();
  for (const [key, list] of source.nodesByShape) list.forEach((n, rank) => rankOfNode.set(n.id, { key, rank }));
  const placed = new Set<string>();
  for (const a of placement.assignments) {
    const w = rankOfWorkload.get(a.workload);
    const n = rankOfNode.get(a.node);
    const workload = w && target.workloadsByShape.get(w.key)?.[w.rank];
    const node = n && target.nodesByShape.get(n.key)?.[n.rank];
    if (!workload || !node) continue;
    const index = state.nodeIndex(node.id);
    const gpus = a.gpuIndexes.map((i) => state.firstGpu[index] + i);
    if (!state.modelAllowed(workload, index) || !state.nodeHasHostRoom(workload, index) || !gpus.every((g) => state.gpuFits(workload, g))) continue;
    state.place(workload, gpus);
    placed.add(workload.id);
  }
  const left: Workload[] = [];
  for (const w of byDecreasingDominantShare(target.workloads.filter((x) => !placed.has(x.id)), target.nodes)) if (!placeBestFit(state, w)) left.push(w);
  return left;
}
