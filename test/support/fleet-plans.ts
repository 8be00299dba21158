/**
 * A small fleet plan built by hand, as solver/plan/types.ts describes one: two
 * A100 nodes (rented) where a training job moves off a-2 (drained) and an
 * inference service keeps its place, and an owned H100 node whose batch job runs
 * in other hours. Money adds up: the actions' shares sum to the plan's saving.
 */
import type { FleetPlan, PlanInput, PlanWorkload } from "../../solver/plan/types";

export const A100 = "NVIDIA A100-SXM4-80GB";
export const H100 = "NVIDIA H100 80GB HBM3";

const week = (value: number) => new Array<number>(168).fill(value);

function workload(id: string, extra: Partial<PlanWorkload>): PlanWorkload {
  return {
    id,
    cluster: "east",
    jobIds: [id],
    team: "vision",
    project: null,
    kind: "batch",
    gpuModel: A100,
    gpuCount: 1,
    current: [{ node: "a-1", gpuIndexes: [0] }],
    busyGpusP95: 0.4,
    memoryPerGpuP99MiB: 20_000,
    heldGpusByHourOfWeek: week(1),
    evidence: { hoursObserved: 48 },
    ...extra,
  };
}

export function handBuiltPlanInput(): PlanInput {
  return {
    nodes: [
      { cluster: "east", hostname: "a-1", gpuModel: A100, gpuCount: 2, gpuMemoryMiB: 81_920 },
      { cluster: "east", hostname: "a-2", gpuModel: A100, gpuCount: 2, gpuMemoryMiB: 81_920 },
      { cluster: "east", hostname: "h-1", gpuModel: H100, gpuCount: 2, gpuMemoryMiB: 81_920 },
    ],
    prices: [
      { gpuModel: A100, costPerGpuHour: 2, currency: "USD", source: "cloud-on-demand" },
      { gpuModel: H100, costPerGpuHour: 3, currency: "USD", source: "on-prem-tco" },
    ],
    workloads: [
      workload("slurm-7", { current: [{ node: "a-2", gpuIndexes: [0] }] }),
      workload("service:ranker", { kind: "latency-sensitive", jobIds: ["pod-1", "pod-2"], team: "search", gpuCount: 1, current: [{ node: "a-1", gpuIndexes: [0] }] }),
      workload("slurm-9", { gpuModel: H100, current: [{ node: "h-1", gpuIndexes: [0, 1] }], gpuCount: 2, heldGpusByHourOfWeek: week(1) }),
    ],
    relativeThroughput: { [A100]: 1, [H100]: 989 / 312 },
  };
}

export function handBuiltPlan(): FleetPlan {
  const moveCash = 2 * 2 * 730;
  return {
    status: "optimal",
    currency: "USD",
    costPerWeek: { today: 4 * 2 * 168 + 2 * 3 * 168, plan: 2 * 2 * 168 + 1 * 3 * 168 },
    bound: { costPerWeek: 2 * 2 * 168 + 1 * 3 * 168, method: "LP relaxation", converged: true, gapPct: 0 },
    saving: { cashPerMonth: moveCash, capacityFreedGpuHoursPerMonth: 365, rentEquivalentPerMonth: null },
    models: [],
    assignments: [
      {
        workloadId: "slurm-7",
        cluster: "east",
        jobIds: ["slurm-7"],
        team: "vision",
        from: { gpuModel: A100, gpuCount: 1, gpuMilli: 1000 },
        to: { gpuModel: A100, gpuCount: 1, gpuMilli: 500 },
        placement: [{ node: "a-1", gpuIndexes: [1] }],
        gpusByHourOfWeek: week(1),
        throughput: "unchanged",
      },
      {
        workloadId: "slurm-9",
        cluster: "east",
        jobIds: ["slurm-9"],
        team: "vision",
        from: { gpuModel: H100, gpuCount: 2, gpuMilli: 1000 },
        to: { gpuModel: H100, gpuCount: 1, gpuMilli: 1000 },
        placement: [{ node: "h-1", gpuIndexes: [0] }],
        gpusByHourOfWeek: week(1),
        throughput: "assumed",
      },
    ],
    actions: [
      {
        id: "pack:east/a-2",
        kind: "pack",
        title: "Pack slurm-7 onto a-1 and drain a-2",
        cluster: "east",
        gpuModel: A100,
        workloads: ["east/slurm-7"],
        teams: ["vision"],
        nodes: ["a-1"],
        drainedNodes: ["a-2"],
        before: { gpusByModel: { [A100]: 4 }, peakGpus: 4 },
        after: { gpusByModel: { [A100]: 2 }, peakGpus: 2 },
        cashSavingPerMonth: moveCash,
        capacityFreedGpuHoursPerMonth: 0,
        rentEquivalentPerMonth: null,
        evidence: [{ busyGpusP95: 0.4, memoryPerGpuP99MiB: 20_000, hoursObserved: 48 }],
        risk: { memoryHeadroomMiB: 40_000, latencySensitiveNeighbours: ["east/service:ranker"], throughput: "unchanged" },
      },
      {
        id: "schedule:east/slurm-9",
        kind: "schedule",
        title: "Run slurm-9 on 1 H100 in the night hours",
        cluster: "east",
        gpuModel: H100,
        workloads: ["east/slurm-9"],
        teams: ["vision"],
        nodes: ["h-1"],
        drainedNodes: [],
        before: { gpusByModel: { [H100]: 2 }, peakGpus: 2 },
        after: { gpusByModel: { [H100]: 1 }, peakGpus: 1 },
        hoursOfWeek: [0, 1, 2, 3, 22, 23],
        cashSavingPerMonth: 0,
        capacityFreedGpuHoursPerMonth: 365,
        rentEquivalentPerMonth: null,
        evidence: [{ busyGpusP95: 0.4, memoryPerGpuP99MiB: 20_000, hoursObserved: 48 }],
        risk: { memoryHeadroomMiB: 60_000, latencySensitiveNeighbours: [], throughput: "assumed" },
      },
    ],
    hourly: { gpusHeldToday: week(3), gpusHeldPlan: week(2), costPerHourToday: week(14), costPerHourPlan: week(7) },
    phases: [{ name: "assign", seconds: 0.1, ran: true }],
    seconds: 0.2,
    messages: [],
  };
}
