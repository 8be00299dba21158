/**
 * Inputs and outputs of GPU packing: which workloads share which GPUs.
 * Compute is in gpuMilli (1000 = one whole GPU), memory in MiB, CPU in millicores.
 */
export type WorkloadKind = "latency-sensitive" | "batch";

export interface Workload {
  id: string;
  /** GPUs the workload needs; more than one must all be on one node; 0 = CPU-only (node CPU and host memory). */
  gpuCount: number;
  /** Compute share of each of its GPUs, 1..1000 gpuMilli (1000 = the whole GPU); ignored when gpuCount is 0. */
  gpuMilli: number;
  /** GPU memory needed on each of its GPUs, MiB; 0 or absent when unknown. */
  memoryNeedMiB?: number;
  /** Host CPU request, millicores; absent = not constrained. */
  cpuMilli?: number;
  /** Host memory request, MiB; absent = not constrained. */
  hostMemoryMiB?: number;
  kind: WorkloadKind;
  /** GPU models it may run on; absent or empty = any. */
  allowedModels?: readonly string[];
  /** Where it runs now: node id and GPU indexes on that node. */
  current?: { node: string; gpuIndexes: readonly number[] };
  /** Key into the interference table (e.g. "training", "inference-llm"). */
  profile?: string;
}

export interface GpuNode {
  id: string;
  model: string;
  gpuCount: number;
  /** Memory of each GPU, MiB; absent = not constrained. */
  gpuMemoryMiB?: number;
  /** Allocatable CPU, millicores; absent = not constrained. */
  cpuMilli?: number;
  /** Allocatable host memory, MiB; absent = not constrained. */
  hostMemoryMiB?: number;
  /** Price of one GPU on this node, money per GPU-hour; absent = 1 (cost = GPU-hours). */
  costPerGpuHour?: number;
}

export interface InterferenceRule {
  profileA: string;
  profileB: string;
  /** Slow-down of sharing, 0..1; at or above `forbidAtPenalty` the pair never shares a GPU. */
  penalty: number;
}

export interface PackingOptions {
  /** Share of a GPU's compute and memory usable when two or more workloads share it (default 0.9). */
  headroom?: number;
  /** Most workloads on one GPU (default 2). */
  maxWorkloadsPerGpu?: number;
  /** Allow two latency-sensitive workloads on one GPU (default false). */
  allowLatencySensitiveSharing?: boolean;
  /** With current placements: most workloads that may move (default unlimited). */
  maxMoves?: number;
  interference?: readonly InterferenceRule[];
  /** Penalty at which a pair is forbidden to share (default 0.5). */
  forbidAtPenalty?: number;
  /** Wall-clock budget of the whole optimization, milliseconds (default 30,000). */
  timeLimitMs?: number;
  /**
   * Place CPU-only workloads (gpuCount 0) before the GPU workloads, their CPU
   * and memory reserved (they cannot move); default false: after them, in the
   * host room the GPU placement leaves.
   */
  cpuOnlyFirst?: boolean;
}

export interface ResolvedPackingOptions {
  /**
   * Set by the optimizer, not by callers: score taken off a node of this GPU
   * model when a workload that may run on any model goes there (models that
   * model-constrained workloads need most cost the most; see scarcity.ts).
   */
  modelPenalty?: ReadonlyMap<string, number>;
  headroom: number;
  maxWorkloadsPerGpu: number;
  allowLatencySensitiveSharing: boolean;
  maxMoves: number;
  interference: readonly InterferenceRule[];
  forbidAtPenalty: number;
  timeLimitMs: number;
}

export function resolveOptions(options: PackingOptions = {}): ResolvedPackingOptions {
  const headroom = options.headroom ?? 0.9;
  if (!(headroom > 0 && headroom <= 1)) throw new RangeError(`headroom must be in (0, 1], got ${headroom}`);
  const maxWorkloadsPerGpu = options.maxWorkloadsPerGpu ?? 2;
  if (!(maxWorkloadsPerGpu >= 1)) throw new RangeError(`maxWorkloadsPerGpu must be at least 1, got ${maxWorkloadsPerGpu}`);
  return {
    headroom,
    maxWorkloadsPerGpu,
    allowLatencySensitiveSharing: options.allowLatencySensitiveSharing ?? false,
    maxMoves: options.maxMoves ?? Number.POSITIVE_INFINITY,
    interference: options.interference ?? [],
    forbidAtPenalty: options.forbidAtPenalty ?? 0.5,
    timeLimitMs: options.timeLimitMs ?? 30_000,
  };
}

export interface Assignment {
  workload: string;
  node: string;
  gpuIndexes: number[];
  gpuMilli: number;
}

export interface Placement {
  /** Which method produced it: "current", "ffd", "best-fit", "column-generation". */
  method: string;
  assignments: Assignment[];
  /** Workloads it could not place, with the reason. */
  unplaced: { workload: string; reason: string }[];
  gpusUsed: number;
  nodesUsed: number;
  /** Sum over used GPUs of costPerGpuHour, money per hour. */
  costPerHour: number;
  /** gpuMilli x gpuCount placed, over the total asked. */
  placedDemandShare: number;
  /** Workloads whose node or GPUs differ from their current placement. */
  moves: number;
  /** Sum of interference penalties over pairs sharing a GPU. */
  interferencePenalty: number;
  /** Set when the method stopped at the time limit: the workloads it had not reached are unplaced. */
  stoppedEarly?: boolean;
}

/** One step of the optimizer, how long it took, and whether it finished or the time limit cut it short. */
export interface PackingPhase {
  name: string;
  seconds: number;
  complete: boolean;
}

export interface LeftoverCapacity {
  /** GPUs with no workload. */
  idleGpus: number;
  /** GPUs in use with compute left (0 < gpuMilli used < 1000). */
  partlyUsedGpus: number;
  /** Free compute on every GPU, GPUs (sum of free gpuMilli / 1000). */
  freeGpus: number;
  /**
   * Free compute no unplaced workload can use, GPUs: on GPUs where none of them
   * fits (GPU room, node CPU and memory, model). 0 when none is unplaced.
   */
  fragmentedGpus: number;
}

export interface PackingResult {
  status: "optimal" | "feasible" | "infeasible" | "timedout";
  best: Placement;
  baselines: { current?: Placement; ffd: Placement; bestFit: Placement };
  /**
   * Lower bound on GPUs used to place every placeable workload; `converged`:
   * the column generation finished (else Farley's bound, valid but looser).
   */
  lowerBound: { gpus: number; volumeGpus: number; method: "column-generation" | "volume"; converged: boolean };
  /**
   * (gpusUsed - lowerBound) / lowerBound x 100 when every placeable workload is
   * placed; null otherwise (the lower bound is for placing all of them, so the
   * gap would be negative and meaningless; see placedDemandGapPct).
   */
  gapPct: number | null;
  /** (placeableDemandBound.gpus - demand placed) / placeableDemandBound.gpus x 100: 0 when nothing placeable is left out. */
  placedDemandGapPct: number;
  /**
   * Upper bound on the demand any placement can put on the nodes, GPUs and
   * share of the demand asked. method: "all-placed" when the answer places every
   * placeable workload; else what proved it (upper-bound.ts): "lp" (converged),
   * "lagrangian" (LP prices before convergence) or "placeable-alone" (trivial:
   * every workload that fits on some node alone, when the time ran out first).
   */
  placeableDemandBound: { gpus: number; share: number; method: "all-placed" | "lp" | "lagrangian" | "placeable-alone"; converged: boolean; iterations: number };
  /** Capacity the answer leaves free, GPUs (see fragmentation.ts). */
  leftover: LeftoverCapacity;
  freedVsCurrent?: { gpus: number; nodes: number };
  /**
   * CPU-only workloads (gpuCount 0), when there are any: where they go (gpuIndexes
   * empty), which did not fit, how many landed on GPU nodes, and whether they
   * were placed after or before the GPU workloads. They are in no GPU figure
   * above (demand, GPUs used, bounds); `leftover` counts their host use.
   */
  cpuOnly?: { workloads: number; assignments: Assignment[]; unplaced: { workload: string; reason: string }[]; onGpuNodes: number; order: "after-gpu-workloads" | "before-gpu-workloads" };
  seconds: number;
  /** The steps that ran, in order (see optimize.ts); a step the time limit cut short has complete = false. */
  phases: PackingPhase[];
  /** Parts the instance was split into (1 = solved whole; see decompose.ts). */
  parts: number;
  /** Plain statements about inputs that were dropped or could not be honoured. */
  messages: string[];
}
