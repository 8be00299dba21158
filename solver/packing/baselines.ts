/**
 * Reference placements the optimizer must never lose to: the current
 * placement, first-fit decreasing by dominant share, and best fit scored like
 * Volcano's binpack plugin (fullest node first, then the fullest GPU).
 */
import { ClusterState, GPU_MILLI, workloadShape } from "./cluster-state.ts";
import type { GpuNode, Placement, ResolvedPackingOptions, Workload } from "./types.ts";

/** Reasons by workload shape, per node list: the check scans every node, and large instances repeat few shapes. */
const reasonsByNodes = new WeakMap<readonly GpuNode[], Map<string, string | undefined>>();

/** A reason a workload can never be placed on these nodes, whatever else runs; undefined if it could be. */
export function whyUnplaceable(workload: Workload, nodes: readonly GpuNode[]): string | undefined {
  let reasons = reasonsByNodes.get(nodes);
  if (!reasons) reasonsByNodes.set(nodes, (reasons = new Map()));
  const shape = workloadShape(workload);
  if (reasons.has(shape)) return reasons.get(shape);
  const reason = whyShapeUnplaceable(workload, nodes);
  reasons.set(shape, reason);
  return reason;
}

function whyShapeUnplaceable(workload: Workload, nodes: readonly GpuNode[]): string | undefined {
  if (!(workload.gpuCount >= 1) || !Number.isInteger(workload.gpuCount)) return `gpuCount must be a whole number of at least 1, got ${workload.gpuCount}`;
  if (!(workload.gpuMilli > 0 && workload.gpuMilli <= GPU_MILLI)) return `gpuMilli must be in 1..1000, got ${workload.gpuMilli}`;
  if (nodes.length === 0) return "there are no GPU nodes";
  const models = workload.allowedModels;
  const eligible = nodes.filter((n) => !models || models.length === 0 || models.includes(n.model));
  if (eligible.length === 0) return `no node has an allowed GPU model (${models!.join("|")})`;
  const bigEnough = eligible.filter((n) => n.gpuCount >= workload.gpuCount);
  if (bigEnough.length === 0) return `needs ${workload.gpuCount} GPUs on one node; the largest eligible node has ${Math.max(...eligible.map((n) => n.gpuCount))}`;
  const memoryNeedMiB = workload.memoryNeedMiB ?? 0;
  const memoryFits = bigEnough.filter((n) => memoryNeedMiB <= (n.gpuMemoryMiB ?? Number.POSITIVE_INFINITY));
  if (memoryFits.length === 0) return `needs ${memoryNeedMiB} MiB of GPU memory; eligible GPUs have at most ${Math.max(...bigEnough.map((n) => n.gpuMemoryMiB ?? 0))} MiB`;
  const hostFits = memoryFits.filter(
    (n) => (workload.cpuMilli ?? 0) <= (n.cpuMilli ?? Number.POSITIVE_INFINITY) && (workload.hostMemoryMiB ?? 0) <= (n.hostMemoryMiB ?? Number.POSITIVE_INFINITY),
  );
  if (hostFits.length === 0) return `needs ${workload.cpuMilli ?? 0} CPU millicores and ${workload.hostMemoryMiB ?? 0} MiB host memory; no eligible node is that large`;
  return undefined;
}

/**
 * Largest share of the cluster's GPU compute, CPU or host memory that the
 * workload asks for (Dominant Resource Fairness's dominant share).
 */
export function dominantShares(workloads: readonly Workload[], nodes: readonly GpuNode[]): Map<string, number> {
  let gpuMilli = 0;
  let cpuMilli = 0;
  let hostMemoryMiB = 0;
  for (const n of nodes) {
    gpuMilli += n.gpuCount * GPU_MILLI;
    cpuMilli += n.cpuMilli ?? 0;
    hostMemoryMiB += n.hostMemoryMiB ?? 0;
  }
  return new Map(
    workloads.map((w) => [
      w.id,
      Math.max((w.gpuMilli * w.gpuCount) / gpuMilli, cpuMilli > 0 ? (w.cpuMilli ?? 0) / cpuMilli : 0, hostMemoryMiB > 0 ? (w.hostMemoryMiB ?? 0) / hostMemoryMiB : 0),
    ]),
  );
}

/** Workloads sorted by decreasing dominant share (ties: more GPU compute, then id for determinism). */
export function byDecreasingDominantShare(workloads: readonly Workload[], nodes: readonly GpuNode[]): Workload[] {
  const share = dominantShares(workloads, nodes);
  return [...workloads].sort(
    (a, b) => share.get(b.id)! - share.get(a.id)! || b.gpuMilli * b.gpuCount - a.gpuMilli * a.gpuCount || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

function staticallyPlaceable(workloads: readonly Workload[], nodes: readonly GpuNode[]): { placeable: Workload[]; unplaced: Placement["unplaced"] } {
  const placeable: Workload[] = [];
  const unplaced: Placement["unplaced"] = [];
  for (const w of workloads) {
    const reason = whyUnplaceable(w, nodes);
    if (reason) unplaced.push({ workload: w.id, reason });
    else placeable.push(w);
  }
  return { placeable, unplaced };
}

export const NO_ROOM = "no node had room left for it";
export const TIME_UP = "the time limit was reached before this method got to it";

/** Every `TIME_CHECK_EVERY` workloads a baseline looks at the clock. */
const TIME_CHECK_EVERY = 32;

/**
 * First-fit decreasing: each workload, largest dominant share first, on the
 * first node and GPUs with room. Nodes only fill up, so a node that had no room
 * for a shape never will: each shape resumes where the last one of it landed.
 * Stops at `deadline` (performance.now() milliseconds); the rest is unplaced
 * with TIME_UP and the placement says `stoppedEarly`.
 */
export function firstFitDecreasing(workloads: readonly Workload[], nodes: readonly GpuNode[], options: ResolvedPackingOptions, deadline = Number.POSITIVE_INFINITY): Placement {
  const state = new ClusterState(nodes, options);
  const { placeable, unplaced } = staticallyPlaceable(workloads, nodes);
  const resumeAt = new Map<string, number>();
  const order = byDecreasingDominantShare(placeable, nodes);
  for (let i = 0; i < order.length; i++) {
    if (i % TIME_CHECK_EVERY === 0 && performance.now() > deadline) return stoppedAt(state, "ffd", workloads, unplaced, order.slice(i));
    const w = order[i];
    const shape = workloadShape(w);
    let placedOn = nodes.length;
    for (let n = resumeAt.get(shape) ?? 0; n < nodes.length; n++) {
      const gpus = state.findGpus(w, n, "first");
      if (gpus) {
        state.place(w, gpus);
        placedOn = n;
        break;
      }
    }
    resumeAt.set(shape, placedOn);
    if (placedOn === nodes.length) unplaced.push({ workload: w.id, reason: NO_ROOM });
  }
  return state.summarize("ffd", workloads, unplaced);
}

function stoppedAt(state: ClusterState, method: string, workloads: readonly Workload[], unplaced: Placement["unplaced"], rest: readonly Workload[]): Placement {
  return { ...state.summarize(method, workloads, [...unplaced, ...rest.map((w) => ({ workload: w.id, reason: TIME_UP }))]), stoppedEarly: true };
}

/**
 * Places one workload by best fit: the node with the highest binpack score,
 * then its fullest GPUs; only on nodes `nodeAllowed` accepts. With the
 * optimizer's model penalties (options.modelPenalty) a workload that may run
 * anywhere keeps off the models constrained workloads need.
 */
export function placeBestFit(state: ClusterState, w: Workload, preferBusyGpus = true, nodeAllowed?: (node: number) => boolean): boolean {
  let bestNode = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  let bestGpus: number[] | undefined;
  for (let n = 0; n < state.nodes.length; n++) {
    if (nodeAllowed && !nodeAllowed(n)) continue;
    const gpus = state.findGpus(w, n, preferBusyGpus ? "tightest" : "first");
    if (!gpus) continue;
    // Prefer GPUs already in use (no new GPU switched on), then the fuller node.
    const newGpus = gpus.filter((g) => state.gpuWorkloads[g] === 0).length;
    const score = state.binpackScore(w, n) - newGpus * 10 - state.placementPenalty(w, n);
    if (score > bestScore) {
      bestScore = score;
      bestNode = n;
      bestGpus = gpus;
    }
  }
  if (bestNode < 0 || !bestGpus) return false;
  state.place(w, bestGpus);
  return true;
}

/** Best-fit decreasing with Volcano's binpack score; stops at `deadline` like firstFitDecreasing. */
export function bestFit(workloads: readonly Workload[], nodes: readonly GpuNode[], options: ResolvedPackingOptions, deadline = Number.POSITIVE_INFINITY): Placement {
  const state = new ClusterState(nodes, options);
  const { placeable, unplaced } = staticallyPlaceable(workloads, nodes);
  const order = byDecreasingDominantShare(placeable, nodes);
  for (let i = 0; i < order.length; i++) {
    if (i % TIME_CHECK_EVERY === 0 && performance.now() > deadline) return stoppedAt(state, "best-fit", workloads, unplaced, order.slice(i));
    if (!placeBestFit(state, order[i])) unplaced.push({ workload: order[i].id, reason: NO_ROOM });
  }
  return state.summarize("best-fit", workloads, unplaced);
}

/**
 * The placement as it is now, checked against the same rules; undefined when
 * no workload has a current placement. Workloads without one are listed as unplaced.
 */
export function currentPlacement(workloads: readonly Workload[], nodes: readonly GpuNode[], options: ResolvedPackingOptions): { placement: Placement; state: ClusterState } | undefined {
  if (!workloads.some((w) => w.current)) return undefined;
  const state = new ClusterState(nodes, options);
  const unplaced: Placement["unplaced"] = [];
  for (const w of workloads) {
    if (!w.current) {
      unplaced.push({ workload: w.id, reason: "not placed today" });
      continue;
    }
    let node: number;
    try {
      node = state.nodeIndex(w.current.node);
    } catch {
      unplaced.push({ workload: w.id, reason: `current node ${w.current.node} is not in the node list` });
      continue;
    }
    const gpus = w.current.gpuIndexes.map((i) => state.firstGpu[node] + i);
    // Today's placement is taken as it is (it may break today's headroom rules); only impossible indexes are refused.
    if (gpus.length === 0 || w.current.gpuIndexes.some((i) => !(i >= 0 && i < nodes[node].gpuCount))) {
      unplaced.push({ workload: w.id, reason: `current GPUs ${w.current.gpuIndexes.join(",")} do not exist on ${w.current.node}` });
      continue;
    }
    state.place(w, gpus);
  }
  return { placement: state.summarize("current", workloads, unplaced), state };
}
