/**
 * Which GPU models the model-constrained workloads (gpu_spec) need most, and
 * a repair pass that keeps unconstrained work off them.
 *
 * Pressure of model m = constrained demand that can only go to m's nodes (a
 * workload allowed on several models counts on each in proportion to its
 * GPUs) over m's GPUs or CPU, whichever is tighter. At 1 or more the
 * constrained work alone fills the model: a workload that may run anywhere
 * should go there only when nothing else fits. Below 1, a mild preference for
 * the least-pressed models; a workload allowed on several models prefers the
 * least pressed of them in the same way.
 */
import { placeBestFit } from "./baselines.ts";
import type { ClusterState } from "./cluster-state.ts";
import { GPU_MILLI } from "./cluster-state.ts";
import type { GpuNode, Workload } from "./types.ts";

/** Score off a full model (the cost of a new GPU in placeBestFit is 10): only used when nothing else fits. */
const FULL_MODEL_PENALTY = 100;
/** Score off per unit of pressure below 1: more than the binpack score (0..1), less than a new GPU. */
const PRESSURE_PENALTY = 2;

export function isConstrained(w: Workload): boolean {
  return w.allowedModels !== undefined && w.allowedModels.length > 0;
}

/** GPUs the workload may run on: those of its allowed models, or every GPU when it may use any. */
export function modelBreadth(workload: Workload, gpusByModel: ReadonlyMap<string, number>): number {
  const models = workload.allowedModels;
  if (!models || models.length === 0) return Number.POSITIVE_INFINITY;
  return [...new Set(models)].reduce((sum, m) => sum + (gpusByModel.get(m) ?? 0), 0);
}

export function gpusByModel(nodes: readonly GpuNode[]): Map<string, number> {
  const gpus = new Map<string, number>();
  for (const n of nodes) gpus.set(n.model, (gpus.get(n.model) ?? 0) + n.gpuCount);
  return gpus;
}

/**
 * Pressure per GPU model: the constrained demand that can only go to its
 * nodes over what they have, GPUs or CPU, whichever is the tighter (a
 * workload allowed on several models counts on each in proportion to its GPUs).
 */
export function modelPressures(workloads: readonly Workload[], nodes: readonly GpuNode[]): Map<string, number> {
  const gpus = gpusByModel(nodes);
  const cpuMilli = new Map<string, number>();
  for (const n of nodes) cpuMilli.set(n.model, (cpuMilli.get(n.model) ?? 0) + (n.cpuMilli ?? Number.POSITIVE_INFINITY));
  const needGpus = new Map<string, number>();
  const needCpuMilli = new Map<string, number>();
  for (const w of workloads) {
    if (!isConstrained(w)) continue;
    const models = [...new Set(w.allowedModels)].filter((m) => (gpus.get(m) ?? 0) > 0);
    const total = models.reduce((s, m) => s + gpus.get(m)!, 0);
    for (const m of models) {
      const share = gpus.get(m)! / total;
      needGpus.set(m, (needGpus.get(m) ?? 0) + ((w.gpuMilli * w.gpuCount) / GPU_MILLI) * share);
      needCpuMilli.set(m, (needCpuMilli.get(m) ?? 0) + (w.cpuMilli ?? 0) * share);
    }
  }
  const pressures = new Map<string, number>();
  for (const [model, count] of gpus) {
    const cpu = cpuMilli.get(model)!;
    pressures.set(model, Math.max((needGpus.get(model) ?? 0) / Math.max(1, count), Number.isFinite(cpu) && cpu > 0 ? (needCpuMilli.get(model) ?? 0) / cpu : 0));
  }
  return pressures;
}

/** Penalty per GPU model (see ClusterState.placementPenalty); undefined when no workload is model-constrained. */
export function modelPenalties(workloads: readonly Workload[], nodes: readonly GpuNode[]): Map<string, number> | undefined {
  if (!workloads.some(isConstrained)) return undefined;
  const penalties = new Map<string, number>();
  for (const [model, pressure] of modelPressures(workloads, nodes)) penalties.set(model, pressure >= 1 ? FULL_MODEL_PENALTY : PRESSURE_PENALTY * pressure);
  return penalties;
}

const demandOf = (w: Workload) => w.gpuMilli * w.gpuCount;

/**
 * Destroy and repair, node by node on the models that unplaced constrained
 * workloads may use: take the workloads that may run on another model off the
 * node, put the waiting constrained ones there (largest first), and move the
 * others to other models (or back anywhere that fits). Kept when the demand
 * placed rises, undone otherwise. Updates `state`; returns the still unplaced.
 */
export function repinUnconstrained(state: ClusterState, placed: readonly Workload[], unplaced: readonly Workload[], deadline: number): { unplaced: Workload[]; moves: number } {
  const onNode: Set<Workload>[] = Array.from({ length: state.nodes.length }, () => new Set());
  for (const w of placed) {
    const a = state.assignments.get(w.id);
    if (a) onNode[state.nodeIndex(a.node)].add(w);
  }
  let waiting = [...unplaced].sort((a, b) => demandOf(b) - demandOf(a));
  let moves = 0;
  const gpusOf = (w: Workload) => {
    const a = state.assignments.get(w.id)!;
    const n = state.nodeIndex(a.node);
    return { node: n, gpus: a.gpuIndexes.map((i) => state.firstGpu[n] + i) };
  };
  const place = (w: Workload, nodeAllowed?: (n: number) => boolean) => {
    if (!placeBestFit(state, w, true, nodeAllowed)) return false;
    onNode[gpusOf(w).node].add(w);
    return true;
  };
  const remove = (w: Workload) => {
    onNode[gpusOf(w).node].delete(w);
    state.remove(w);
  };
  let improved = true;
  while (improved && performance.now() < deadline) {
    improved = false;
    for (let n = 0; n < state.nodes.length && performance.now() < deadline; n++) {
      const model = state.nodes[n].model;
      const targets = waiting.filter((w) => isConstrained(w) && w.allowedModels!.includes(model));
      if (targets.length === 0) continue;
      // Work that may run on another model: unconstrained, or allowed elsewhere too.
      const evicted = [...onNode[n]].filter((w) => !isConstrained(w) || w.allowedModels!.some((m) => m !== model));
      if (evicted.length === 0) continue;
      const origin = evicted.map((w) => ({ w, gpus: gpusOf(w).gpus }));
      for (const w of evicted) remove(w);
      const added: Workload[] = [];
      let gain = -evicted.reduce((s, w) => s + demandOf(w), 0);
      for (const w of targets) {
        if (place(w, (m) => m === n)) {
          added.push(w);
          gain += demandOf(w);
        }
      }
      const back: Workload[] = [];
      for (const w of evicted.sort((a, b) => demandOf(b) - demandOf(a))) {
        // Away from this model first; back anywhere only if it must.
        if (place(w, (m) => state.nodes[m].model !== model) || place(w)) {
          back.push(w);
          gain += demandOf(w);
        }
      }
      if (added.length > 0 && gain > 1e-9) {
        const addedIds = new Set(added.map((w) => w.id));
        const lost = evicted.filter((w) => !back.includes(w));
        waiting = [...waiting.filter((w) => !addedIds.has(w.id)), ...lost].sort((a, b) => demandOf(b) - demandOf(a));
        moves++;
        improved = true;
        continue;
      }
      for (const w of [...added, ...back]) remove(w);
      for (const { w, gpus } of origin) {
        state.place(w, gpus);
        onNode[n].add(w);
      }
    }
  }
  return { unplaced: waiting, moves };
}
