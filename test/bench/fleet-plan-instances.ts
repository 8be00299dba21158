/**
 * Fleets for the fleet plan's benchmark, drawn from the simulator's seeded
 * random numbers (the same seed gives the same fleet): nodes of A100 (rented,
 * cloud on-demand) and H100 (owned, cost of ownership) split into GPU groups;
 * a group runs one inference service (latency-sensitive, all week, fewer
 * replicas at night) or a few batch jobs one after another in the week. Each
 * workload's hours come from `days` days of hourly history folded onto the
 * hours of the week (the most GPUs held in each hour of the week).
 */
import { pick, randomBetween, unitRandom } from "../../collectors/simulator/deterministic-random.ts";
import type { PlanInput, PlanNode, PlanWorkload } from "../../solver/plan/types.ts";
import { HOURS_PER_WEEK } from "../../solver/plan/types.ts";

export interface FleetPlanInstanceSpec {
  seed: number;
  clusters: number;
  nodesPerCluster: number;
  gpusPerNode: number;
  workloads: number;
  days: number;
}

export const DEMO_LIKE_FLEET: FleetPlanInstanceSpec = { seed: 42, clusters: 1, nodesPerCluster: 16, gpusPerNode: 8, workloads: 150, days: 14 };
export const LARGE_FLEET: FleetPlanInstanceSpec = { seed: 7, clusters: 2, nodesPerCluster: 63, gpusPerNode: 8, workloads: 2000, days: 14 };

const MODELS = [
  { gpuModel: "A100", memoryMiB: 81_920, source: "cloud-on-demand" as const },
  { gpuModel: "H100", memoryMiB: 81_559, source: "on-prem-tco" as const },
];
const TEAMS = ["search", "ads", "vision", "nlp"];
const DAY_HOURS = 24;

interface Group {
  cluster: string;
  node: PlanNode;
  gpuIndexes: number[];
  latency: boolean;
}

function nodesAndGroups(spec: FleetPlanInstanceSpec): { nodes: PlanNode[]; groups: Group[] } {
  const nodes: PlanNode[] = [];
  const groups: Group[] = [];
  for (let c = 0; c < spec.clusters; c++) {
    for (let n = 0; n < spec.nodesPerCluster; n++) {
      const model = MODELS[n < spec.nodesPerCluster / 2 ? 0 : 1];
      const node: PlanNode = { cluster: `cluster-${c}`, hostname: `${model.gpuModel.toLowerCase()}-${n}`, gpuModel: model.gpuModel, gpuCount: spec.gpusPerNode, gpuMemoryMiB: model.memoryMiB };
      nodes.push(node);
      let next = 0;
      for (let g = 0; next < spec.gpusPerNode; g++) {
        const size = Math.min(spec.gpusPerNode - next, pick([1, 1, 2, 2, 4, 8], spec.seed, c, n, g, 1));
        groups.push({ cluster: node.cluster, node, gpuIndexes: Array.from({ length: size }, (_, k) => next + k), latency: unitRandom(spec.seed, c, n, g, 2) < 0.3 });
        next += size;
      }
    }
  }
  return { nodes, groups };
}

/** The most GPUs held in each hour of the week over `days` days of hourly history. */
function foldHistory(history: readonly number[]): number[] {
  const week = new Array<number>(HOURS_PER_WEEK).fill(0);
  history.forEach((gpus, hour) => (week[hour % HOURS_PER_WEEK] = Math.max(week[hour % HOURS_PER_WEEK], gpus)));
  return week;
}

function throughput(spec: FleetPlanInstanceSpec, id: number): PlanWorkload["throughput"] {
  if (unitRandom(spec.seed, id, 30) >= 0.3) return undefined;
  const a100 = randomBetween(100, 1_000, spec.seed, id, 31);
  return [
    { gpuModel: "A100", workPerGpuHour: a100, unit: "samples" },
    { gpuModel: "H100", workPerGpuHour: a100 * randomBetween(1.2, 2.4, spec.seed, id, 32), unit: "samples" },
  ];
}

function baseWorkload(spec: FleetPlanInstanceSpec, group: Group, id: number, kind: PlanWorkload["kind"], history: number[]): PlanWorkload {
  const gpuCount = group.gpuIndexes.length;
  const team = pick(TEAMS, spec.seed, id, 20);
  return {
    id: `${kind === "batch" ? "job" : "svc"}-${id}`,
    cluster: group.cluster,
    jobIds: [`${id}`],
    team,
    project: `${team}-main`,
    kind,
    gpuModel: group.node.gpuModel,
    gpuCount,
    current: [{ node: group.node.hostname, gpuIndexes: group.gpuIndexes }],
    busyGpusP95: gpuCount * randomBetween(0.15, 1, spec.seed, id, 21),
    memoryPerGpuP99MiB: randomBetween(8_000, 70_000, spec.seed, id, 22),
    heldGpusByHourOfWeek: foldHistory(history),
    throughput: throughput(spec, id),
    evidence: { hoursObserved: spec.days * DAY_HOURS },
  };
}

export function fleetPlanInstance(spec: FleetPlanInstanceSpec): PlanInput {
  const { nodes, groups } = nodesAndGroups(spec);
  const latencyGroups = groups.filter((g) => g.latency);
  const batchGroups = groups.filter((g) => !g.latency);
  const jobsPerGroup = Math.max(1, Math.floor((spec.workloads - latencyGroups.length) / Math.max(1, batchGroups.length)));
  let extra = Math.max(0, spec.workloads - latencyGroups.length - jobsPerGroup * batchGroups.length);
  const hours = spec.days * DAY_HOURS;
  const workloads: PlanWorkload[] = [];
  for (const group of latencyGroups) {
    const id = workloads.length;
    const gpus = group.gpuIndexes.length;
    // Replicas scale down at night (00:00-08:00) to half, some days a replica more.
    const history = Array.from({ length: hours }, (_, h) => (h % DAY_HOURS < 8 ? Math.min(gpus, Math.ceil(gpus / 2) + (unitRandom(spec.seed, id, h, 3) < 0.1 ? 1 : 0)) : gpus));
    workloads.push(baseWorkload(spec, group, id, "latency-sensitive", history));
  }
  for (const group of batchGroups) {
    const jobs = jobsPerGroup + (extra > 0 ? 1 : 0);
    if (extra > 0) extra -= 1;
    // The week split into `jobs` runs one after another on the group's GPUs, each idle for a while at its end.
    const cuts = [0, ...Array.from({ length: jobs - 1 }, (_, k) => Math.floor(((k + 1) * HOURS_PER_WEEK) / jobs)), HOURS_PER_WEEK];
    for (let j = 0; j < jobs; j++) {
      const id = workloads.length;
      const start = cuts[j];
      const end = cuts[j + 1] - Math.floor(randomBetween(0, (cuts[j + 1] - cuts[j]) * 0.4, spec.seed, id, 4));
      const history = Array.from({ length: hours }, (_, h) => (h % HOURS_PER_WEEK >= start && h % HOURS_PER_WEEK < end ? group.gpuIndexes.length : 0));
      const w = baseWorkload(spec, group, id, "batch", history);
      w.releaseSlot = Math.max(0, start - Math.floor(randomBetween(0, 24, spec.seed, id, 5)));
      w.deadlineSlot = Math.min(HOURS_PER_WEEK, end + Math.floor(randomBetween(0, 48, spec.seed, id, 6)));
      workloads.push(w);
    }
  }
  return {
    nodes,
    workloads,
    prices: [
      { gpuModel: "A100", costPerGpuHour: 2.2, currency: "USD", source: "cloud-on-demand" },
      { gpuModel: "H100", costPerGpuHour: 2.9, currency: "USD", source: "on-prem-tco" },
      { gpuModel: "H100", costPerGpuHour: 4.5, currency: "USD", source: "cloud-on-demand" },
    ],
    relativeThroughput: { A100: 1, H100: 3 },
    options: { timeLimitMs: 55_000 },
  };
}
