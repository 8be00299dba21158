/**
 * The fleet plan: one capacity-aware answer for the whole fleet. Inputs are what
 * each workload measurably needs and what the fleet has (nodes, GPU models and
 * their prices); the output is where every workload runs, on which GPU model and
 * how many GPUs, in which hours of the week, which nodes are drained, what that
 * saves (cash on rented GPUs, capacity on owned ones), and a lower bound on the
 * optimum. Pure: no I/O, no clock.
 *
 * Units: GPUs, GPU-hours, MiB, money per GPU-hour in one currency; the week has
 * 168 hourly slots, slot 0 = Monday 00:00 UTC (as the tidal planner).
 */

export const HOURS_PER_WEEK = 168;

/**
 * Where a price comes from (the price book's `source`). Only `cloud-on-demand`
 * GPUs turn into cash when freed (the rental stops); `on-prem-tco` (owned) and
 * `cloud-reserved` (committed) GPUs freed are capacity: GPU-hours for other work.
 */
export type PlanPriceSource = "cloud-on-demand" | "cloud-reserved" | "on-prem-tco";

export interface PlanPrice {
  gpuModel: string;
  costPerGpuHour: number;
  currency: string;
  source: PlanPriceSource;
}

export interface PlanNode {
  /** Jobs never move across clusters (another scheduler); a hostname is unique within its cluster. */
  cluster: string;
  hostname: string;
  gpuModel: string;
  gpuCount: number;
  /** Memory of each GPU, MiB. */
  gpuMemoryMiB: number;
  /** This node's price where a node-label price overrides the model's; absent = the model's price. */
  costPerGpuHour?: number;
  source?: PlanPriceSource;
}

/** Measured work per GPU-hour of a workload on one GPU model (from reported work counters). */
export interface ThroughputEvidence {
  gpuModel: string;
  /** Units of work (samples, tokens, requests) per GPU-hour. */
  workPerGpuHour: number;
  unit: string;
}

export interface PlanWorkload {
  /** Unique within its cluster: a job's id, or an inference service's name when its replicas are grouped. */
  id: string;
  cluster: string;
  /** The scheduler's jobs it stands for (one, or the replicas of a service). */
  jobIds: string[];
  team: string | null;
  project: string | null;
  /** Latency-sensitive work (inference) never moves in time and never shares a GPU with other latency-sensitive work. */
  kind: "latency-sensitive" | "batch";
  /** Today: its GPU model and the whole GPUs it holds (all replicas together). */
  gpuModel: string;
  gpuCount: number;
  /** Today: where it runs (node hostname in its cluster and GPU indexes). */
  current: { node: string; gpuIndexes: number[] }[];
  /** p95 over its hours of busy GPUs on its current model (sum over its GPUs of utilization / 100). */
  busyGpusP95: number;
  /** p99 of the memory it used on its busiest GPU, MiB. */
  memoryPerGpuP99MiB: number;
  /** GPUs it holds in each hour of the week today (168 values). */
  heldGpusByHourOfWeek: number[];
  /** Batch work may run only in slots [releaseSlot, deadlineSlot) of the week (default 0..168). */
  releaseSlot?: number;
  deadlineSlot?: number;
  /** Measured throughput per GPU model; absent or missing a model = assumed from relativeThroughput. */
  throughput?: ThroughputEvidence[];
  /** What the figures rest on, shown with every finding. */
  evidence: { hoursObserved: number; firstSeenMs?: number; lastSeenMs?: number };
}

export interface PlanOptions {
  /** Utilization a new shape should run at, at the workload's p95 (default 0.8). */
  targetUtilization?: number;
  /** Memory headroom over the p99 (default 1.1). */
  memoryHeadroom?: number;
  /**
   * Share of an assumed (peak-ratio) speedup the plan counts on (default 0.5: a GPU
   * with twice the peak throughput is assumed 1.5x as fast); slowdowns count in full.
   */
  assumedSpeedupShare?: number;
  /** Today's co-location rules, as packing: usable share of a shared GPU (0.9), at most 2 per GPU. */
  headroom?: number;
  maxWorkloadsPerGpu?: number;
  /** Wall-clock budget of the whole plan, ms (default 60,000). */
  timeLimitMs?: number;
}

export interface PlanInput {
  nodes: PlanNode[];
  prices: PlanPrice[];
  workloads: PlanWorkload[];
  /**
   * Peak throughput of each GPU model relative to a reference (A100 = 1): used,
   * discounted, only where a workload has no measured throughput on both models.
   * A model missing here takes no workload from another model on assumed throughput.
   */
  relativeThroughput?: Record<string, number>;
  /** Workloads (cluster/id) and nodes (cluster/hostname) the plan must leave as they are (what-if). */
  exclude?: { workloads?: string[]; nodes?: string[] };
  options?: PlanOptions;
}

/** A workload's shape: on which model, how many GPUs, or a fraction of one GPU (gpuMilli < 1000 when shared). */
export interface WorkloadShape {
  gpuModel: string;
  gpuCount: number;
  /** Compute share of each of its GPUs, 1..1000 (1000 = the whole GPU). */
  gpuMilli: number;
}

export interface WorkloadAssignment {
  workloadId: string;
  cluster: string;
  jobIds: string[];
  team: string | null;
  from: WorkloadShape;
  to: WorkloadShape;
  placement: { node: string; gpuIndexes: number[] }[];
  /** Slots of the week it runs (GPUs per slot); latency-sensitive work: every slot, as today. */
  gpusByHourOfWeek: number[];
  /** Where the throughput on `to.gpuModel` comes from: unchanged model, measured, or assumed (peak ratio, discounted). */
  throughput: "unchanged" | "measured" | "assumed";
}

export type PlanActionKind = "move" | "pack" | "schedule";

export interface PlanAction {
  /** Stable across runs of the same plan: kind and what it touches (e.g. "move:cluster-a/job-7"). */
  id: string;
  kind: PlanActionKind;
  title: string;
  cluster: string;
  gpuModel: string;
  /** Workloads (cluster/id) and teams it touches. */
  workloads: string[];
  teams: string[];
  /** Pack: the nodes workloads go onto and the nodes drained. */
  nodes: string[];
  drainedNodes: string[];
  before: { gpusByModel: Record<string, number>; peakGpus: number };
  after: { gpusByModel: Record<string, number>; peakGpus: number };
  /** Schedule: the slots of the week the batch work runs in. */
  hoursOfWeek?: number[];
  /** Its share of the plan's saving (see attribution in docs/api.md); the shares sum to the plan's totals. */
  cashSavingPerMonth: number;
  capacityFreedGpuHoursPerMonth: number;
  /** What the freed owned capacity would cost to rent at a cloud rate of the same model; null when the price book has none. */
  rentEquivalentPerMonth: number | null;
  evidence: { busyGpusP95: number; memoryPerGpuP99MiB: number; hoursObserved: number }[];
  risk: { memoryHeadroomMiB: number; latencySensitiveNeighbours: string[]; throughput: "unchanged" | "measured" | "assumed" };
}

export interface PlanModelSummary {
  cluster: string;
  gpuModel: string;
  source: PlanPriceSource;
  costPerGpuHour: number;
  gpusInFleet: number;
  gpusKept: number;
  gpusFreed: number;
  heldByHourToday: number[];
  heldByHourPlan: number[];
}

export interface FleetPlan {
  status: "optimal" | "feasible" | "time-limit" | "today-kept";
  currency: string | null;
  /** The fleet's cost per week at the price book's rates (owned GPUs at cost of ownership). */
  costPerWeek: { today: number; plan: number };
  /** A lower bound on the cost of any feasible plan, how it was proved, and the gap (plan − bound) / plan, %. */
  bound: { costPerWeek: number; method: string; converged: boolean; gapPct: number | null };
  saving: {
    /** Rented (cloud on-demand) GPUs freed, per month. */
    cashPerMonth: number;
    /** Owned or committed GPUs freed: capacity, not cash. */
    capacityFreedGpuHoursPerMonth: number;
    rentEquivalentPerMonth: number | null;
  };
  models: PlanModelSummary[];
  assignments: WorkloadAssignment[];
  actions: PlanAction[];
  /** Per slot of the week, fleet-wide: GPUs held and cost per hour, today and under the plan. */
  hourly: { gpusHeldToday: number[]; gpusHeldPlan: number[]; costPerHourToday: number[]; costPerHourPlan: number[] };
  phases: { name: string; seconds: number; ran: boolean }[];
  seconds: number;
  messages: string[];
}
