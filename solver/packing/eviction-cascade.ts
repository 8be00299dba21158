/**
 * Repair for workloads limited to some GPU models (gpu_spec) that the search
 * left out: make room for each on a node of a model it may use by moving
 * workloads that have more choice elsewhere, and let those, in turn, move
 * work with still more choice (a cascade, a few levels deep).
 *
 * Choice is measured by `modelBreadth`: the GPUs of the models a workload may
 * use (every GPU when it may use any). A constrained workload only displaces
 * workloads of strictly greater breadth, so the scarce models end up holding
 * the work that can only run there; one that may run anywhere may displace
 * any workload into leftover room elsewhere (consolidation, to free a GPU).
 * Chains end at a fixed depth, and a workload placed by the chain under way
 * is not moved again. A cascade is kept only when every displaced workload
 * found a new place (so the demand placed rises by the waiting workload), else
 * undone exactly.
 */
import { placeBestFit } from "./baselines.ts";
import { type ClusterState, GPU_MILLI, workloadShape } from "./cluster-state.ts";
import { gpusByModel, modelBreadth } from "./scarcity.ts";
import type { Workload } from "./types.ts";

const demandOf = (w: Workload) => w.gpuMilli * w.gpuCount;

/** Limits of one cascade: how deep displacements may chain, and how many nodes each level tries. */
export interface CascadeLimits {
  depth: number;
  nodesPerLevel: number;
}

const DEFAULT_LIMITS: CascadeLimits = { depth: 3, nodesPerLevel: 12 };

/**
 * Waiting workloads in a row that found no cascade after which the pass ends:
 * on a cluster where the models they may use are full (every GPU busy with
 * work that has no other place) each try only costs time the local search could use.
 */
const GIVE_UP_AFTER_FAILURES = 64;

/**
 * The state's workloads by node, kept in step with every place and remove made
 * through it, with a log of those changes so that a failed cascade is undone
 * exactly.
 */
export class TrackedPlacement {
  readonly onNode: Set<Workload>[];
  private readonly log: { w: Workload; gpus: number[]; placed: boolean }[] = [];

  constructor(
    readonly state: ClusterState,
    placed: readonly Workload[],
  ) {
    this.onNode = Array.from({ length: state.nodes.length }, () => new Set());
    for (const w of placed) {
      const node = this.nodeOf(w);
      if (node !== undefined) this.onNode[node].add(w);
    }
  }

  nodeOf(w: Workload): number | undefined {
    const a = this.state.assignments.get(w.id);
    return a ? this.state.nodeIndex(a.node) : undefined;
  }

  private gpusOf(w: Workload): number[] {
    const a = this.state.assignments.get(w.id)!;
    const n = this.state.nodeIndex(a.node);
    return a.gpuIndexes.map((i) => this.state.firstGpu[n] + i);
  }

  /** Best fit (with the optimizer's model penalties) on nodes `nodeAllowed` accepts. */
  placeBestFit(w: Workload, nodeAllowed?: (node: number) => boolean): boolean {
    if (!placeBestFit(this.state, w, true, nodeAllowed)) return false;
    this.onNode[this.nodeOf(w)!].add(w);
    this.log.push({ w, gpus: this.gpusOf(w), placed: true });
    return true;
  }

  remove(w: Workload): void {
    const gpus = this.gpusOf(w);
    this.onNode[this.nodeOf(w)!].delete(w);
    this.state.remove(w);
    this.log.push({ w, gpus, placed: false });
  }

  mark(): number {
    return this.log.length;
  }

  /** Undoes every change since `mark`. */
  rollback(mark: number): void {
    while (this.log.length > mark) {
      const { w, gpus, placed } = this.log.pop()!;
      if (placed) {
        this.onNode[this.nodeOf(w)!].delete(w);
        this.state.remove(w);
      } else {
        this.state.place(w, gpus);
        this.onNode[this.state.gpuNode[gpus[0]]].add(w);
      }
    }
  }

  /** Forgets the log (changes so far are kept). */
  commit(): void {
    this.log.length = 0;
  }
}

/**
 * Could `w` fit on node `n` once `victims` leave it? A quick necessary check
 * (host room, and enough GPUs with room), so hopeless nodes cost no moves.
 */
export function fitsWithout(state: ClusterState, w: Workload, n: number, victims: readonly Workload[]): boolean {
  if (!state.modelAllowed(w, n) || state.nodes[n].gpuCount < w.gpuCount) return false;
  let cpu = state.nodeCpuFreeMilli[n];
  let memory = state.nodeMemoryFreeMiB[n];
  for (const v of victims) {
    cpu += v.cpuMilli ?? 0;
    memory += v.hostMemoryMiB ?? 0;
  }
  if ((w.cpuMilli ?? 0) > cpu || (w.hostMemoryMiB ?? 0) > memory) return false;
  const freed = new Map<number, number>();
  for (const v of victims) {
    const a = state.assignments.get(v.id)!;
    for (const i of a.gpuIndexes) freed.set(state.firstGpu[n] + i, (freed.get(state.firstGpu[n] + i) ?? 0) + v.gpuMilli);
  }
  let gpusWithRoom = 0;
  for (let g = state.firstGpu[n]; g < state.firstGpu[n + 1]; g++) {
    if (GPU_MILLI - state.gpuMilliUsed[g] + (freed.get(g) ?? 0) >= w.gpuMilli - 1e-9) gpusWithRoom++;
  }
  return gpusWithRoom >= w.gpuCount;
}

/** A node to make room on, and the workloads to move off it, in the order to try. */
export interface CascadeCandidate {
  node: number;
  victims: Workload[];
  /** Demand (gpuMilli) expected to move. */
  moved: number;
}

/**
 * For a single-GPU workload: the GPU of node `n` that frees room for it by
 * moving the least demand, and which of `victims` to move (smallest first);
 * undefined when no GPU can.
 */
export function cheapestGpuToClear(state: ClusterState, w: Workload, n: number, victims: readonly Workload[]): { gpu: number; clear: Workload[]; moved: number } | undefined {
  let best: { gpu: number; clear: Workload[]; moved: number } | undefined;
  for (let g = state.firstGpu[n]; g < state.firstGpu[n + 1]; g++) {
    const index = g - state.firstGpu[n];
    const occupants = victims.filter((v) => state.assignments.get(v.id)!.gpuIndexes.includes(index)).sort((a, b) => demandOf(a) - demandOf(b));
    let free = GPU_MILLI - state.gpuMilliUsed[g];
    const clear: Workload[] = [];
    for (const v of occupants) {
      if (free >= w.gpuMilli - 1e-9) break;
      free += v.gpuMilli;
      clear.push(v);
    }
    if (free < w.gpuMilli - 1e-9) continue;
    const moved = clear.reduce((s, v) => s + demandOf(v), 0);
    if (!best || moved < best.moved) best = { gpu: g, clear, moved };
  }
  return best;
}

/**
 * Nodes to try for `w`, cheapest first: those where moving workloads that
 * `mayMove` accepts would make room, ordered by the demand that would move.
 */
export function cascadeCandidates(tracked: TrackedPlacement, w: Workload, mayMove: (v: Workload) => boolean, limit: number): CascadeCandidate[] {
  const { state } = tracked;
  const found: CascadeCandidate[] = [];
  for (let n = 0; n < state.nodes.length; n++) {
    if (!state.modelAllowed(w, n) || state.nodes[n].gpuCount < w.gpuCount) continue;
    const victims = [...tracked.onNode[n]].filter(mayMove);
    if (victims.length === 0 || !fitsWithout(state, w, n, victims)) continue;
    const bySize = victims.sort((a, b) => demandOf(a) - demandOf(b));
    if (w.gpuCount === 1) {
      const gpu = cheapestGpuToClear(state, w, n, bySize);
      if (!gpu) continue;
      // That GPU's workloads first; the others only if the host needs the room.
      found.push({ node: n, victims: [...gpu.clear, ...bySize.filter((v) => !gpu.clear.includes(v))], moved: gpu.moved });
    } else found.push({ node: n, victims: bySize, moved: bySize.reduce((s, v) => s + demandOf(v), 0) });
  }
  return found.sort((a, b) => a.moved - b.moved || a.node - b.node).slice(0, limit);
}

/** What one round of cascades shares. */
export interface Cascade {
  tracked: TrackedPlacement;
  breadthOf: (v: Workload) => number;
  deadline: number;
  /** Placed by the cascade under way: they stay where they are. */
  pinned: Set<Workload>;
  /**
   * Shapes (with the depth left) that found no place, forgotten at the next
   * success: a shape that failed fails again until something moved for good.
   */
  failed: Set<string>;
}

/**
 * Places `w` by best fit, or else on a candidate node after moving workloads
 * off it until it fits, each re-placed the same way one level down. Only
 * workloads with more choice than `w` move (any, when `w` may run anywhere:
 * then it is consolidation, making a GPU free), never one this cascade has
 * already placed. On failure everything since the call is undone.
 */
export function placeByCascade(cascade: Cascade, w: Workload, limits: CascadeLimits): boolean {
  const { tracked, breadthOf, pinned, failed } = cascade;
  if (tracked.placeBestFit(w)) return true;
  if (limits.depth <= 0 || performance.now() >= cascade.deadline) return false;
  const shape = `${limits.depth}:${workloadShape(w)}`;
  if (failed.has(shape)) return false;
  const breadth = breadthOf(w);
  const mayMove = (v: Workload) => !pinned.has(v) && (breadthOf(v) > breadth || !Number.isFinite(breadth));
  const deeper = { ...limits, depth: limits.depth - 1 };
  for (const { node, victims } of cascadeCandidates(tracked, w, mayMove, limits.nodesPerLevel)) {
    if (performance.now() >= cascade.deadline) return false;
    const mark = tracked.mark();
    const pinnedBefore = pinned.size;
    pinned.add(w);
    if (makeRoomAndPlace(cascade, w, node, victims, deeper)) return true;
    // Sets iterate in insertion order: what this attempt pinned comes last.
    for (const v of [...pinned].slice(pinnedBefore)) pinned.delete(v);
    tracked.rollback(mark);
  }
  failed.add(shape);
  return false;
}

/** Moves `victims` off `node` (in order) until `w` fits there, places it, then re-places the victims, largest first. */
function makeRoomAndPlace(cascade: Cascade, w: Workload, node: number, victims: readonly Workload[], limits: CascadeLimits): boolean {
  const { tracked } = cascade;
  const moved: Workload[] = [];
  for (const v of victims) {
    tracked.remove(v);
    moved.push(v);
    if (tracked.placeBestFit(w, (n) => n === node)) break;
  }
  if (tracked.nodeOf(w) === undefined) return false;
  for (const v of moved.sort((a, b) => demandOf(b) - demandOf(a))) {
    if (!placeByCascade(cascade, v, limits)) return false;
  }
  return true;
}

/**
 * Tries a cascade for each waiting model-constrained workload, narrowest
 * choice first, then largest. Updates `state`; returns the workloads still
 * waiting (those the cascade did not reach or could not place) and how many it placed.
 */
export function placeConstrainedByCascade(
  state: ClusterState,
  placed: readonly Workload[],
  waiting: readonly Workload[],
  deadline: number,
  limits: CascadeLimits = DEFAULT_LIMITS,
): { unplaced: Workload[]; placed: number } {
  const byModel = gpusByModel(state.nodes);
  const breadth = new Map<Workload, number>();
  const breadthOf = (v: Workload) => {
    let b = breadth.get(v);
    if (b === undefined) breadth.set(v, (b = modelBreadth(v, byModel)));
    return b;
  };
  const cascade: Cascade = { tracked: new TrackedPlacement(state, placed), breadthOf, deadline, pinned: new Set(), failed: new Set() };
  const order = [...waiting].sort((a, b) => breadthOf(a) - breadthOf(b) || demandOf(b) - demandOf(a));
  const unplaced: Workload[] = [];
  let count = 0;
  let failuresInARow = 0;
  for (const w of order) {
    if (!Number.isFinite(breadthOf(w)) || failuresInARow >= GIVE_UP_AFTER_FAILURES || performance.now() >= deadline) {
      unplaced.push(w);
      continue;
    }
    cascade.pinned.clear();
    if (placeByCascade(cascade, w, limits)) {
      cascade.tracked.commit();
      cascade.failed.clear();
      count++;
      failuresInARow = 0;
    } else {
      cascade.tracked.rollback(0);
      failuresInARow++;
      unplaced.push(w);
    }
  }
  return { unplaced, placed: count };
}
