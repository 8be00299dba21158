/**
 * Local search that places more of the demand after a placement is built.
 * For each unplaced workload u, largest demand first:
 *  1. place it directly by best fit if it fits somewhere;
 *  2. ejection: on a node that could hold u, take off one placed workload v so
 *     that u fits, and put v on another node (demand placed rises by u);
 *  3. exchange: if v fits nowhere else but is worth less demand than u, u takes
 *     its place and v becomes unplaced (demand placed rises by u - v);
 *  4. once steps 1-3 find nothing, chains of two: on a node n where u has GPU
 *     room but not enough CPU or memory, v leaves n for a node n2 that x
 *     leaves, and x comes to n (or goes where it is known to fit). This is the
 *     step that swaps host-heavy workloads onto host-rich nodes (on openb:
 *     1,000 millicores and 30 GiB per GPU off 8-core-per-GPU nodes).
 * Every step goes through ClusterState, so every rule still holds; every
 * accepted step strictly raises the demand placed, so it ends. Passes repeat
 * until nothing improves or the deadline (performance.now() milliseconds).
 * A shape that found no step is skipped until the next accepted step.
 */
import { placeBestFit } from "./baselines.ts";
import { ClusterState, GPU_MILLI, workloadShape } from "./cluster-state.ts";
import type { Workload } from "./types.ts";

const EPSILON = 1e-9;

function demandOf(w: Workload): number {
  return w.gpuMilli * w.gpuCount;
}

const shapeKey = workloadShape;

export interface ImproveStats {
  direct: number;
  ejections: number;
  chains: number;
  exchanges: number;
  passes: number;
}

/**
 * Improves `state` in place; `unplaced` are the workloads it does not hold
 * (only ones that could fit on some node alone). Returns the workloads still
 * unplaced and what it did.
 */
export function improvePlacement(state: ClusterState, placedWorkloads: readonly Workload[], unplaced: readonly Workload[], deadline: number): { unplaced: Workload[]; stats: ImproveStats; finished: boolean } {
  const nodeCount = state.nodes.length;
  const onNode: Set<Workload>[] = Array.from({ length: nodeCount }, () => new Set());
  for (const w of placedWorkloads) {
    const a = state.assignments.get(w.id);
    if (a) onNode[state.nodeIndex(a.node)].add(w);
  }
  const stats: ImproveStats = { direct: 0, ejections: 0, chains: 0, exchanges: 0, passes: 0 };
  // Per shape: a node it fits on in the committed state, or -1 for none. After a
  // commit only the touched nodes changed: a witness there is dropped, and a
  // "none" is re-checked on those nodes alone.
  const witness = new Map<string, { w: Workload; node: number }>();
  const touched = new Set<number>();
  let commits = 0;
  const failedAt = new Map<string, number>();
  const commit = () => {
    for (const entry of witness.values()) {
      if (entry.node >= 0 && touched.has(entry.node)) witness.delete(shapeKey(entry.w));
      else if (entry.node < 0) for (const n of touched) if (state.findGpus(entry.w, n, "first")) {
        entry.node = n;
        break;
      }
    }
    touched.clear();
    commits++;
  };
  const fitsSomewhere = (w: Workload): boolean => {
    const key = shapeKey(w);
    const known = witness.get(key);
    if (known) return known.node >= 0;
    let found = -1;
    for (let n = 0; n < nodeCount && found < 0; n++) if (state.findGpus(w, n, "first")) found = n;
    witness.set(key, { w, node: found });
    return found >= 0;
  };
  const place = (w: Workload, gpus: number[]) => {
    state.place(w, gpus);
    onNode[state.gpuNode[gpus[0]]].add(w);
  };
  const remove = (w: Workload): number[] => {
    const a = state.assignments.get(w.id)!;
    const n = state.nodeIndex(a.node);
    const gpus = a.gpuIndexes.map((i) => state.firstGpu[n] + i);
    state.remove(w);
    onNode[n].delete(w);
    return gpus;
  };
  const bestFitExcept = (w: Workload, except: number): number[] | undefined => {
    let bestScore = Number.NEGATIVE_INFINITY;
    let best: number[] | undefined;
    for (let n = 0; n < nodeCount; n++) {
      if (n === except) continue;
      const gpus = state.findGpus(w, n, "tightest");
      if (!gpus) continue;
      const newGpus = gpus.filter((g) => state.gpuWorkloads[g] === 0).length;
      const score = state.binpackScore(w, n) - newGpus * 10 - state.placementPenalty(w, n);
      if (score > bestScore) [bestScore, best] = [score, gpus];
    }
    return best;
  };
  const hostRoomWithout = (w: Workload, n: number, out: Workload) =>
    (w.cpuMilli ?? 0) <= state.nodeCpuFreeMilli[n] + (out.cpuMilli ?? 0) && (w.hostMemoryMiB ?? 0) <= state.nodeMemoryFreeMiB[n] + (out.hostMemoryMiB ?? 0);
  const eligible = (w: Workload, n: number) => {
    const node = state.nodes[n];
    return node.gpuCount >= w.gpuCount && state.modelAllowed(w, n) && (w.cpuMilli ?? 0) <= (node.cpuMilli ?? Number.POSITIVE_INFINITY) && (w.hostMemoryMiB ?? 0) <= (node.hostMemoryMiB ?? Number.POSITIVE_INFINITY);
  };
  /** GPU room on node n: the most free compute on one GPU, and the idle GPUs. */
  const gpuRoom = (n: number) => {
    let maxFree = 0;
    let idle = 0;
    for (let g = state.firstGpu[n]; g < state.firstGpu[n + 1]; g++) {
      maxFree = Math.max(maxFree, GPU_MILLI - state.gpuMilliUsed[g]);
      if (state.gpuWorkloads[g] === 0) idle++;
    }
    return { maxFree, idle };
  };
  const gpuFitsRoom = (w: Workload, room: { maxFree: number; idle: number }) => (w.gpuCount === 1 ? w.gpuMilli <= room.maxFree : w.gpuCount <= room.idle);
  /**
   * Chain of two, on nodes where u has GPU room but not CPU or memory: v leaves
   * n for a node n2 that x leaves, and x comes to n (lighter on the host than v)
   * or goes to a node it is known to fit on.
   */
  const ejectionChain = (u: Workload): boolean => {
    for (let n = 0; n < nodeCount; n++) {
      if (performance.now() >= deadline) return false;
      if (!eligible(u, n) || !gpuFitsRoom(u, gpuRoom(n)) || state.nodeHasHostRoom(u, n)) continue;
      for (const v of [...onNode[n]]) {
        if (!hostRoomWithout(u, n, v)) continue;
        const vKey = shapeKey(v);
        const vGpus = remove(v);
        const uGpus = state.findGpus(u, n, "tightest");
        if (!uGpus) {
          place(v, vGpus);
          continue;
        }
        place(u, uGpus);
        const home = gpuRoom(n);
        for (let n2 = 0; n2 < nodeCount; n2++) {
          if (n2 === n || !eligible(v, n2)) continue;
          const room2 = gpuRoom(n2);
          for (const x of [...onNode[n2]]) {
            if (!hostRoomWithout(v, n2, x) || shapeKey(x) === vKey) continue;
            if (!gpuFitsRoom(v, room2)) {
              // x's GPUs must free enough for v.
              if (v.gpuCount > 1) continue;
              const xa = state.assignments.get(x.id)!;
              if (!xa.gpuIndexes.some((i) => GPU_MILLI - state.gpuMilliUsed[state.firstGpu[n2] + i] + x.gpuMilli >= v.gpuMilli)) continue;
            }
            const homeRoom = state.modelAllowed(x, n) && state.nodeHasHostRoom(x, n) && gpuFitsRoom(x, home);
            const w = homeRoom ? -1 : fitsSomewhere(x) ? witness.get(shapeKey(x))!.node : -1;
            if (!homeRoom && (w < 0 || w === n || w === n2)) continue;
            const xGpus = remove(x);
            const vTarget = state.findGpus(v, n2, "tightest");
            if (vTarget) {
              place(v, vTarget);
              const xTarget = state.findGpus(x, homeRoom ? n : w, "tightest");
              if (xTarget) {
                place(x, xTarget);
                touched.add(n).add(n2).add(state.gpuNode[xTarget[0]]);
                stats.chains++;
                return true;
              }
              remove(v);
            }
            place(x, xGpus);
          }
        }
        remove(u);
        place(v, vGpus);
      }
    }
    return false;
  };
  let waiting = [...unplaced].sort((a, b) => demandOf(b) - demandOf(a));
  let chainsOn = false;
  let improved = true;
  // Set when no step improves any more (rather than the deadline ending the search).
  let finished = waiting.length === 0;
  while (performance.now() < deadline) {
    if (!improved) {
      if (chainsOn) {
        finished = true;
        break;
      }
      chainsOn = true;
      // New moves: forget which shapes found nothing.
      commits++;
    }
    improved = false;
    stats.passes++;
    const next: Workload[] = [];
    for (let i = 0; i < waiting.length; i++) {
      const u = waiting[i];
      if (performance.now() >= deadline) {
        next.push(...waiting.slice(i));
        break;
      }
      // A shape that found nothing since the last commit finds nothing now.
      if (failedAt.get(shapeKey(u)) === commits) {
        next.push(u);
        continue;
      }
      if (placeBestFit(state, u)) {
        const a = state.assignments.get(u.id)!;
        onNode[state.nodeIndex(a.node)].add(u);
        touched.add(state.nodeIndex(a.node));
        stats.direct++;
        commit();
        improved = true;
        continue;
      }
      let done = false;
      let exchange: { n: number; v: Workload; gain: number } | undefined;
      for (let n = 0; n < nodeCount && !done; n++) {
        const node = state.nodes[n];
        if (node.gpuCount < u.gpuCount || !state.modelAllowed(u, n)) continue;
        if ((u.cpuMilli ?? 0) > (node.cpuMilli ?? Number.POSITIVE_INFINITY) || (u.hostMemoryMiB ?? 0) > (node.hostMemoryMiB ?? Number.POSITIVE_INFINITY)) continue;
        for (const v of [...onNode[n]]) {
          // Removing v must free enough CPU and memory for u.
          if ((u.cpuMilli ?? 0) > state.nodeCpuFreeMilli[n] + (v.cpuMilli ?? 0) || (u.hostMemoryMiB ?? 0) > state.nodeMemoryFreeMiB[n] + (v.hostMemoryMiB ?? 0)) continue;
          const gain = demandOf(u) - demandOf(v);
          const canMove = fitsSomewhere(v);
          if (!canMove && !(gain > EPSILON && (!exchange || gain > exchange.gain))) continue;
          const vGpus = remove(v);
          const uGpus = state.findGpus(u, n, "tightest");
          if (uGpus) {
            place(u, uGpus);
            const target = canMove ? bestFitExcept(v, n) : undefined;
            if (target) {
              place(v, target);
              touched.add(n).add(state.gpuNode[target[0]]);
              stats.ejections++;
              done = true;
              break;
            }
            remove(u);
            if (gain > EPSILON && (!exchange || gain > exchange.gain)) exchange = { n, v, gain };
          }
          place(v, vGpus);
        }
      }
      if (!done && exchange) {
        remove(exchange.v);
        const uGpus = state.findGpus(u, exchange.n, "tightest")!;
        place(u, uGpus);
        next.push(exchange.v);
        touched.add(exchange.n);
        stats.exchanges++;
        done = true;
      }
      // Chains cost far more: only once the cheaper steps have run dry.
      if (!done && chainsOn) done = ejectionChain(u);
      if (done) {
        commit();
        improved = true;
      } else {
        failedAt.set(shapeKey(u), commits);
        next.push(u);
      }
    }
    waiting = next.sort((a, b) => demandOf(b) - demandOf(a));
  }
  return { unplaced: waiting, stats, finished };
}


