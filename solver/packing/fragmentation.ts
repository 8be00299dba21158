/**
 * What a placement leaves free, and how much of it is fragmented: free GPU
 * compute that none of the unplaced workloads can use where it is (not enough
 * room on that GPU, or on its node's CPU, memory or free GPUs, or the wrong model).
 */
import { ClusterState, GPU_MILLI, workloadShape } from "./cluster-state.ts";
import type { LeftoverCapacity, Workload } from "./types.ts";

export function leftoverCapacity(state: ClusterState, unplaced: readonly Workload[]): LeftoverCapacity {
  // One workload per shape is enough to test where the unplaced ones could go.
  const shapes = new Map<string, Workload>();
  for (const w of unplaced) shapes.set(workloadShape(w), w);
  let idleGpus = 0;
  let partlyUsedGpus = 0;
  let freeMilli = 0;
  let fragmentedMilli = 0;
  for (let n = 0; n < state.nodes.length; n++) {
    // GPUs of this node some unplaced workload could use now.
    const usable = new Set<number>();
    let maxFree = 0;
    for (let g = state.firstGpu[n]; g < state.firstGpu[n + 1]; g++) maxFree = Math.max(maxFree, GPU_MILLI - state.gpuMilliUsed[g]);
    for (const w of maxFree > 0 ? shapes.values() : []) {
      // A quick no: not one GPU here has the compute it needs.
      if (w.gpuMilli > maxFree) continue;
      if (!state.modelAllowed(w, n) || !state.nodeHasHostRoom(w, n)) continue;
      if (w.gpuCount === 1) {
        for (let g = state.firstGpu[n]; g < state.firstGpu[n + 1]; g++) if (state.gpuFits(w, g)) usable.add(g);
      } else if (state.findGpus(w, n, "first")) {
        for (let g = state.firstGpu[n]; g < state.firstGpu[n + 1]; g++) if (state.gpuFits(w, g)) usable.add(g);
      }
    }
    for (let g = state.firstGpu[n]; g < state.firstGpu[n + 1]; g++) {
      const free = Math.max(0, GPU_MILLI - state.gpuMilliUsed[g]);
      if (state.gpuWorkloads[g] === 0) idleGpus++;
      else if (free > 0) partlyUsedGpus++;
      freeMilli += free;
      if (!usable.has(g)) fragmentedMilli += free;
    }
  }
  return { idleGpus, partlyUsedGpus, freeGpus: freeMilli / GPU_MILLI, fragmentedGpus: unplaced.length === 0 ? 0 : fragmentedMilli / GPU_MILLI };
}
