/**
 * Mutable occupancy of a cluster while a placement is built. Every method in
 * solver/packing places through this class, so the feasibility rules live in
 * one place: compute and memory within capacity (x headroom when a GPU is
 * shared), at most K workloads per GPU, one latency-sensitive per GPU unless
 * allowed, forbidden interference pairs, node CPU and host memory, GPU model.
 */
import type { Assignment, GpuNode, Placement, ResolvedPackingOptions, Workload } from "./types.ts";

/** Whole GPU, gpuMilli. */
export const GPU_MILLI = 1000;

/** Workloads with the same key are interchangeable for every placement rule. */
export function workloadShape(w: Workload): string {
  return `${w.gpuCount}/${w.gpuMilli}/${w.memoryNeedMiB ?? 0}/${w.cpuMilli ?? 0}/${w.hostMemoryMiB ?? 0}/${w.kind}/${w.profile ?? ""}/${(w.allowedModels ?? []).join("|")}`;
}

/** Nodes with the same key are interchangeable for every placement rule. */
export function nodeShape(n: GpuNode): string {
  return `${n.model}/${n.gpuCount}/${n.gpuMemoryMiB ?? ""}/${n.cpuMilli ?? ""}/${n.hostMemoryMiB ?? ""}/${n.costPerGpuHour ?? ""}`;
}

export class ClusterState {
  readonly nodes: readonly GpuNode[];
  readonly options: ResolvedPackingOptions;
  /** First global GPU index of each node. */
  readonly firstGpu: Int32Array;
  readonly gpuNode: Int32Array;
  readonly gpuMilliUsed: Float64Array;
  readonly gpuMemoryUsedMiB: Float64Array;
  readonly gpuWorkloads: Int32Array;
  readonly gpuLatencySensitive: Int32Array;
  readonly gpuProfiles: (string[] | undefined)[];
  readonly nodeCpuFreeMilli: Float64Array;
  readonly nodeMemoryFreeMiB: Float64Array;
  readonly nodeGpusBusy: Int32Array;
  readonly assignments = new Map<string, Assignment>();
  /** Score off each node by its GPU model (options.modelPenalty), for workloads without allowed models. */
  readonly nodeModelPenalty: Float64Array;
  /** Least model penalty over each set of allowed models (key: the models joined by "|"). */
  private readonly leastPenaltyOf = new Map<string, number>();
  private readonly forbidden = new Set<string>();

  constructor(nodes: readonly GpuNode[], options: ResolvedPackingOptions) {
    this.nodes = nodes;
    this.options = options;
    this.firstGpu = new Int32Array(nodes.length + 1);
    for (let n = 0; n < nodes.length; n++) this.firstGpu[n + 1] = this.firstGpu[n] + nodes[n].gpuCount;
    const gpus = this.firstGpu[nodes.length];
    this.gpuNode = new Int32Array(gpus);
    for (let n = 0; n < nodes.length; n++) this.gpuNode.fill(n, this.firstGpu[n], this.firstGpu[n + 1]);
    this.gpuMilliUsed = new Float64Array(gpus);
    this.gpuMemoryUsedMiB = new Float64Array(gpus);
    this.gpuWorkloads = new Int32Array(gpus);
    this.gpuLatencySensitive = new Int32Array(gpus);
    this.gpuProfiles = new Array(gpus).fill(undefined);
    this.nodeCpuFreeMilli = Float64Array.from(nodes, (n) => n.cpuMilli ?? Number.POSITIVE_INFINITY);
    this.nodeMemoryFreeMiB = Float64Array.from(nodes, (n) => n.hostMemoryMiB ?? Number.POSITIVE_INFINITY);
    this.nodeGpusBusy = new Int32Array(nodes.length);
    this.nodeModelPenalty = Float64Array.from(nodes, (n) => options.modelPenalty?.get(n.model) ?? 0);
    for (const rule of options.interference) {
      if (rule.penalty >= options.forbidAtPenalty) {
        this.forbidden.add(`${rule.profileA}\u0000${rule.profileB}`);
        this.forbidden.add(`${rule.profileB}\u0000${rule.profileA}`);
      }
    }
  }

  get gpuTotal(): number {
    return this.gpuNode.length;
  }

  /**
   * What placing `workload` on `node` costs the workloads with fewer models to
   * choose from: the node model's penalty, less the least penalty among the
   * models the workload may use (so 0 on its least-pressed model, and always 0
   * for a workload allowed on one model only).
   */
  placementPenalty(workload: Workload, node: number): number {
    const models = workload.allowedModels;
    if (!models || models.length === 0) return this.nodeModelPenalty[node];
    const penalties = this.options.modelPenalty;
    if (!penalties || models.length === 1) return 0;
    const key = models.join("|");
    let least = this.leastPenaltyOf.get(key);
    if (least === undefined) {
      least = Math.min(...models.map((m) => penalties.get(m) ?? Number.POSITIVE_INFINITY));
      if (!Number.isFinite(least)) least = 0;
      this.leastPenaltyOf.set(key, least);
    }
    return this.nodeModelPenalty[node] - least;
  }

  modelAllowed(workload: Workload, node: number): boolean {
    const models = workload.allowedModels;
    return !models || models.length === 0 || models.includes(this.nodes[node].model);
  }

  nodeHasHostRoom(workload: Workload, node: number): boolean {
    return (workload.cpuMilli ?? 0) <= this.nodeCpuFreeMilli[node] && (workload.hostMemoryMiB ?? 0) <= this.nodeMemoryFreeMiB[node];
  }

  /** Can one more GPU-slice of `workload` go on GPU `gpu`? (Node-level checks are separate.) */
  gpuFits(workload: Workload, gpu: number): boolean {
    const count = this.gpuWorkloads[gpu];
    if (count >= this.options.maxWorkloadsPerGpu) return false;
    const node = this.nodes[this.gpuNode[gpu]];
    const memoryNeedMiB = workload.memoryNeedMiB ?? 0;
    const memoryMiB = node.gpuMemoryMiB ?? Number.POSITIVE_INFINITY;
    if (count === 0) return workload.gpuMilli <= GPU_MILLI && memoryNeedMiB <= memoryMiB;
    // Sharing: everything on the GPU must stay within capacity x headroom.
    const headroom = this.options.headroom;
    if (this.gpuMilliUsed[gpu] + workload.gpuMilli > GPU_MILLI * headroom + 1e-9) return false;
    if (this.gpuMemoryUsedMiB[gpu] + memoryNeedMiB > memoryMiB * headroom + 1e-9) return false;
    if (workload.kind === "latency-sensitive" && !this.options.allowLatencySensitiveSharing && this.gpuLatencySensitive[gpu] > 0) return false;
    if (this.forbidden.size > 0 && workload.profile !== undefined) {
      for (const other of this.gpuProfiles[gpu] ?? []) if (this.forbidden.has(`${workload.profile}\u0000${other}`)) return false;
    }
    return true;
  }

  /**
   * GPUs on `node` for `workload`, or undefined. `pick` orders the candidates:
   * "first" = lowest index, "tightest" = most gpuMilli already used (best fit).
   */
  findGpus(workload: Workload, node: number, pick: "first" | "tightest" | "empty"): number[] | undefined {
    if (!this.modelAllowed(workload, node) || !this.nodeHasHostRoom(workload, node)) return undefined;
    const from = this.firstGpu[node];
    const to = this.firstGpu[node + 1];
    if (to - from < workload.gpuCount) return undefined;
    const fits: number[] = [];
    for (let g = from; g < to; g++) {
      if (pick === "empty" && this.gpuWorkloads[g] > 0) continue;
      if (this.gpuFits(workload, g)) {
        fits.push(g);
        if (pick !== "tightest" && fits.length === workload.gpuCount) return fits;
      }
    }
    if (fits.length < workload.gpuCount) return undefined;
    if (pick === "tightest") fits.sort((a, b) => this.gpuMilliUsed[b] - this.gpuMilliUsed[a] || a - b);
    return fits.slice(0, workload.gpuCount);
  }

  place(workload: Workload, gpus: readonly number[]): void {
    const node = this.gpuNode[gpus[0]];
    for (const g of gpus) {
      if (this.gpuWorkloads[g] === 0) this.nodeGpusBusy[node]++;
      this.gpuMilliUsed[g] += workload.gpuMilli;
      this.gpuMemoryUsedMiB[g] += workload.memoryNeedMiB ?? 0;
      this.gpuWorkloads[g]++;
      if (workload.kind === "latency-sensitive") this.gpuLatencySensitive[g]++;
      if (workload.profile !== undefined) (this.gpuProfiles[g] ??= []).push(workload.profile);
    }
    this.nodeCpuFreeMilli[node] -= workload.cpuMilli ?? 0;
    this.nodeMemoryFreeMiB[node] -= workload.hostMemoryMiB ?? 0;
    this.assignments.set(workload.id, {
      workload: workload.id,
      node: this.nodes[node].id,
      gpuIndexes: gpus.map((g) => g - this.firstGpu[node]),
      gpuMilli: workload.gpuMilli,
    });
  }

  /** A CPU-only workload (gpuCount 0) on `node`: host CPU and memory only. */
  placeOnHost(workload: Workload, node: number): void {
    this.nodeCpuFreeMilli[node] -= workload.cpuMilli ?? 0;
    this.nodeMemoryFreeMiB[node] -= workload.hostMemoryMiB ?? 0;
    this.assignments.set(workload.id, { workload: workload.id, node: this.nodes[node].id, gpuIndexes: [], gpuMilli: 0 });
  }

  remove(workload: Workload): void {
    const assignment = this.assignments.get(workload.id);
    if (!assignment) return;
    const node = this.nodeIndex(assignment.node);
    for (const index of assignment.gpuIndexes) {
      const g = this.firstGpu[node] + index;
      this.gpuMilliUsed[g] -= workload.gpuMilli;
      this.gpuMemoryUsedMiB[g] -= workload.memoryNeedMiB ?? 0;
      this.gpuWorkloads[g]--;
      if (workload.kind === "latency-sensitive") this.gpuLatencySensitive[g]--;
      if (workload.profile !== undefined) {
        const profiles = this.gpuProfiles[g]!;
        profiles.splice(profiles.indexOf(workload.profile), 1);
      }
      if (this.gpuWorkloads[g] === 0) this.nodeGpusBusy[node]--;
    }
    this.nodeCpuFreeMilli[node] += workload.cpuMilli ?? 0;
    this.nodeMemoryFreeMiB[node] += workload.hostMemoryMiB ?? 0;
    this.assignments.delete(workload.id);
  }

  private nodeIndexById?: Map<string, number>;
  nodeIndex(id: string): number {
    this.nodeIndexById ??= new Map(this.nodes.map((n, i) => [n.id, i]));
    const index = this.nodeIndexById.get(id);
    if (index === undefined) throw new Error(`unknown node ${id}`);
    return index;
  }

  /**
   * Volcano's binpack score of putting `workload` on `node`: sum over the
   * resources it requests of (used + request) / allocatable, averaged; higher = fuller.
   */
  binpackScore(workload: Workload, node: number): number {
    const n = this.nodes[node];
    let score = 0;
    let weights = 0;
    const gpuAllocatable = n.gpuCount * GPU_MILLI;
    let gpuUsed = 0;
    for (let g = this.firstGpu[node]; g < this.firstGpu[node + 1]; g++) gpuUsed += this.gpuMilliUsed[g];
    score += (gpuUsed + workload.gpuMilli * workload.gpuCount) / gpuAllocatable;
    weights++;
    if (n.cpuMilli && workload.cpuMilli) {
      score += (n.cpuMilli - this.nodeCpuFreeMilli[node] + workload.cpuMilli) / n.cpuMilli;
      weights++;
    }
    if (n.hostMemoryMiB && workload.hostMemoryMiB) {
      score += (n.hostMemoryMiB - this.nodeMemoryFreeMiB[node] + workload.hostMemoryMiB) / n.hostMemoryMiB;
      weights++;
    }
    return score / weights;
  }

  /** Summary figures of the current occupancy. */
  summarize(method: string, workloads: readonly Workload[], unplaced: Placement["unplaced"]): Placement {
    let gpusUsed = 0;
    let costPerHour = 0;
    for (let g = 0; g < this.gpuTotal; g++) {
      if (this.gpuWorkloads[g] > 0) {
        gpusUsed++;
        costPerHour += this.nodes[this.gpuNode[g]].costPerGpuHour ?? 1;
      }
    }
    let nodesUsed = 0;
    for (let n = 0; n < this.nodes.length; n++) if (this.nodeGpusBusy[n] > 0) nodesUsed++;
    let demand = 0;
    let placedDemand = 0;
    let moves = 0;
    for (const w of workloads) {
      const size = w.gpuMilli * w.gpuCount;
      demand += size;
      const a = this.assignments.get(w.id);
      if (!a) continue;
      placedDemand += size;
      if (w.current && (w.current.node !== a.node || w.current.gpuIndexes.join(",") !== a.gpuIndexes.join(","))) moves++;
    }
    return {
      method,
      assignments: workloads.flatMap((w) => this.assignments.get(w.id) ?? []),
      unplaced,
      gpusUsed,
      nodesUsed,
      costPerHour,
      placedDemandShare: demand === 0 ? 1 : placedDemand / demand,
      moves,
      interferencePenalty: this.interferencePenalty(),
    };
  }

  private interferencePenalty(): number {
    const rules = this.options.interference;
    if (rules.length === 0) return 0;
    const penalty = new Map<string, number>();
    for (const r of rules) {
      penalty.set(`${r.profileA}\u0000${r.profileB}`, r.penalty);
      penalty.set(`${r.profileB}\u0000${r.profileA}`, r.penalty);
    }
    let total = 0;
    for (const profiles of this.gpuProfiles) {
      if (!profiles) continue;
      for (let i = 0; i < profiles.length; i++) for (let j = i + 1; j < profiles.length; j++) total += penalty.get(`${profiles[i]}\u0000${profiles[j]}`) ?? 0;
    }
    return total;
  }
}
