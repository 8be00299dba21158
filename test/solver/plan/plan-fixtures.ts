/** Builders of small fleets for the fleet plan's tests: literal prices, whole weeks, one cluster unless said. */
import { HOURS_PER_WEEK, type PlanInput, type PlanNode, type PlanPrice, type PlanWorkload } from "../../../solver/plan/types.ts";

export const CLUSTER = "c1";

export function node(hostname: string, gpuModel: string, gpuCount: number, extra: Partial<PlanNode> = {}): PlanNode {
  return { cluster: CLUSTER, hostname, gpuModel, gpuCount, gpuMemoryMiB: 81_920, ...extra };
}

export function price(gpuModel: string, costPerGpuHour: number, source: PlanPrice["source"] = "cloud-on-demand"): PlanPrice {
  return { gpuModel, costPerGpuHour, currency: "USD", source };
}

/** GPUs held in every hour of the week. */
export const allWeek = (gpus: number) => new Array<number>(HOURS_PER_WEEK).fill(gpus);

/** GPUs held in the slots [from, to) of the week, none outside. */
export const hoursBetween = (gpus: number, from: number, to: number) => Array.from({ length: HOURS_PER_WEEK }, (_, t) => (t >= from && t < to ? gpus : 0));

export function workload(id: string, gpuModel: string, gpuCount: number, current: { node: string; gpuIndexes: number[] }[], extra: Partial<PlanWorkload> = {}): PlanWorkload {
  return {
    id,
    cluster: CLUSTER,
    jobIds: [id],
    team: "ml",
    project: null,
    kind: "batch",
    gpuModel,
    gpuCount,
    current,
    busyGpusP95: gpuCount,
    memoryPerGpuP99MiB: 40_000,
    heldGpusByHourOfWeek: allWeek(gpuCount),
    evidence: { hoursObserved: 336 },
    ...extra,
  };
}

export function planInput(nodes: PlanNode[], workloads: PlanWorkload[], prices: PlanPrice[], extra: Partial<PlanInput> = {}): PlanInput {
  return { nodes, workloads, prices, options: { timeLimitMs: 20_000 }, ...extra };
}

/** Sum of money figures in whole cents (floating sums of cents / 100 can differ in the last bit). */
export const cents = (value: number) => Math.round(value * 100);
