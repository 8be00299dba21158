/**
 * A simulated GPU fleet with the workloads platform teams see: online inference
 * services following a daily load curve, training jobs that start and end (some
 * of them poorly efficient), notebooks that mostly sit idle, GPUs shared by two
 * workloads, and GPUs nobody uses. Deterministic given a seed; readings at any
 * time are computed directly, so history can be backfilled quickly.
 */
import type { GpuReading, JobAttribution, NodeSnapshot, ProcessReading } from "../readings";
import type { AttributedCounter } from "../work-counters/work-collector";
import { hashKeys, pick, randomBetween, unitRandom } from "./deterministic-random";
import { serviceCounters, trainingCounters } from "./simulated-work";

export interface FleetConfig {
  seed: number;
  nodeCount: number;
  gpusPerNode: number;
  clusterName: string;
}

export const DEFAULT_FLEET_CONFIG: FleetConfig = { seed: 42, nodeCount: 16, gpusPerNode: 8, clusterName: "sim" };

interface GpuModelSpec {
  modelName: string;
  shortName: string;
  memoryTotalMiB: number;
  idlePowerW: number;
  maxPowerW: number;
}

/** The two models of the default fleet; nodes split half and half. */
export const SIMULATED_GPU_MODELS: readonly GpuModelSpec[] = [
  { modelName: "NVIDIA A100-SXM4-80GB", shortName: "a100", memoryTotalMiB: 81920, idlePowerW: 55, maxPowerW: 400 },
  { modelName: "NVIDIA H100 80GB HBM3", shortName: "h100", memoryTotalMiB: 81559, idlePowerW: 70, maxPowerW: 700 },
];

const HOUR_MS = 3_600_000;
/** Training and notebook timelines are laid out per epoch; no job crosses one. */
const EPOCH_MS = 72 * HOUR_MS;

const TEAMS = [
  { team: "search", project: "web-ranking", models: ["ranker-v3", "query-encoder"] },
  { team: "ads", project: "ctr", models: ["ctr-dnn", "bid-shading"] },
  { team: "vision", project: "catalog", models: ["vit-l-catalog", "clip-retrieval"] },
  { team: "nlp", project: "assistant", models: ["llama-7b-ft", "reranker-mini"] },
] as const;
const USERS = ["alice", "bob", "chen", "dana", "eli", "fatima", "goran", "hana"] as const;
const SERVICES = [
  { name: "ranker-serving", team: "search", project: "web-ranking", model: "ranker-v3", memoryMiB: 30_000 },
  { name: "ctr-serving", team: "ads", project: "ctr", model: "ctr-dnn", memoryMiB: 22_000 },
  { name: "embed-serving", team: "vision", project: "catalog", model: "clip-retrieval", memoryMiB: 14_000 },
  { name: "chat-serving", team: "nlp", project: "assistant", model: "llama-7b-ft", memoryMiB: 38_000 },
] as const;

type NodeRole = "inference" | "training" | "training-large" | "mixed";
const ROLES: readonly NodeRole[] = ["inference", "training", "training-large", "mixed"];

interface Workload {
  job: JobAttribution;
  startMs: number;
  endMs: number;
  pid: number;
  processName: string;
  /** Utilization at full load, in percent of the GPU. */
  baseUtilizationPct: number;
  memoryMiB: number;
  pattern: "daily" | "steady" | "bursty";
}

export interface SimulatedGpu {
  uuid: string;
  index: number;
  model: GpuModelSpec;
}

export interface SimulatedNode {
  index: number;
  hostname: string;
  role: NodeRole;
  gpus: SimulatedGpu[];
}

function uuidFromKeys(prefix: string, ...keys: number[]): string {
  const hex = [0, 1, 2, 3].map((part) => hashKeys(...keys, part).toString(16).padStart(8, "0")).join("");
  return `${prefix}${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Inference load over the day: trough at night, peak mid-afternoon UTC, lighter at weekends. */
export function inferenceLoadFactor(atMs: number): number {
  const hourOfDay = (atMs % (24 * HOUR_MS)) / HOUR_MS;
  const dayOfWeek = (Math.floor(atMs / (24 * HOUR_MS)) + 4) % 7; // 1970-01-01 was a Thursday
  const weekendFactor = dayOfWeek === 0 || dayOfWeek === 6 ? 0.6 : 1;
  const peak = Math.exp(-(((hourOfDay - 14) / 4.5) ** 2));
  return (0.2 + 0.8 * peak) * weekendFactor;
}

export class FleetSimulator {
  readonly nodes: SimulatedNode[];
  private readonly timelineCache = new Map<string, Workload[]>();

  constructor(readonly config: FleetConfig = DEFAULT_FLEET_CONFIG) {
    this.nodes = Array.from({ length: config.nodeCount }, (_, nodeIndex) => {
      const model = SIMULATED_GPU_MODELS[nodeIndex < config.nodeCount / 2 ? 0 : 1];
      return {
        index: nodeIndex,
        hostname: `gpu-${model.shortName}-${String(nodeIndex + 1).padStart(2, "0")}`,
        role: ROLES[nodeIndex % ROLES.length],
        gpus: Array.from({ length: config.gpusPerNode }, (_, gpuIndex) => ({
          uuid: uuidFromKeys("GPU-", config.seed, nodeIndex, gpuIndex),
          index: gpuIndex,
          model,
        })),
      };
    });
  }

  /** One poll of one node at `atMs`. */
  snapshot(nodeIndex: number, atMs: number): NodeSnapshot {
    const node = this.nodes[nodeIndex];
    return { atMs, gpus: node.gpus.map((gpu) => this.readGpu(node, gpu, atMs)) };
  }

  /**
   * The work counters of a node's workloads at `atMs`, cumulative since each
   * started: tokens and requests of its inference services, samples of its
   * training jobs (one counter per job, however many GPUs it holds). A service
   * restarts with each epoch's timeline, so its counters reset then, as a
   * restarted server's do.
   */
  workCounters(nodeIndex: number, atMs: number): AttributedCounter[] {
    const node = this.nodes[nodeIndex];
    const gpuShortName = node.gpus[0].model.shortName;
    const counters: AttributedCounter[] = [];
    const seenJobs = new Set<string>();
    for (const gpu of node.gpus) {
      for (const workload of this.workloadsOn(node, gpu.index, atMs)) {
        if (seenJobs.has(workload.job.externalId)) continue;
        seenJobs.add(workload.job.externalId);
        const read =
          workload.job.kind === "inference"
            ? serviceCounters(workload.job.labels?.service ?? "", gpuShortName, workload.baseUtilizationPct / 100, workload.startMs, atMs)
            : workload.job.kind === "training"
              ? trainingCounters(workload.job, gpuShortName, workload.job.requestedGpus ?? 1, Math.min(1, workload.baseUtilizationPct / 90), workload.startMs, atMs)
              : [];
        for (const counter of read) {
          counters.push({ key: `${node.hostname}/${workload.job.externalId}/${counter.unit}`, series: { job: workload.job, unit: counter.unit, source: counter.source }, value: counter.value });
        }
      }
    }
    return counters;
  }

  private readGpu(node: SimulatedNode, gpu: SimulatedGpu, atMs: number): GpuReading {
    const seed = this.config.seed;
    const sampleKey = Math.floor(atMs / 1000);
    const processes: ProcessReading[] = [];
    let utilization = 0;
    let memory = 0;
    for (const workload of this.workloadsOn(node, gpu.index, atMs)) {
      const noise = randomBetween(-1, 1, seed, node.index, gpu.index, sampleKey, workload.pid);
      let pct: number;
      if (workload.pattern === "daily") pct = workload.baseUtilizationPct * inferenceLoadFactor(atMs) + 4 * noise;
      else if (workload.pattern === "bursty") pct = unitRandom(seed, workload.pid, Math.floor(atMs / 600_000)) < 0.08 ? 55 + 25 * noise : 1.5 + 1.5 * noise;
      // A checkpoint every ~30 samples drops a training job's utilization to zero.
      else pct = unitRandom(seed, workload.pid, sampleKey) < 0.03 ? 0 : workload.baseUtilizationPct + 3 * noise;
      pct = Math.max(0, Math.min(100, pct));
      const memoryMiB = Math.round(workload.memoryMiB * (1 + 0.02 * noise));
      utilization += pct;
      memory += memoryMiB;
      processes.push({ pid: workload.pid, name: workload.processName, memoryUsedMiB: memoryMiB, utilizationPct: round1(pct), job: workload.job });
    }
    utilization = Math.min(100, utilization);
    const model = gpu.model;
    const powerDrawW = model.idlePowerW + (model.maxPowerW - model.idlePowerW) * (utilization / 100) * 0.9;
    return {
      uuid: gpu.uuid,
      index: gpu.index,
      modelName: model.modelName,
      memoryTotalMiB: model.memoryTotalMiB,
      migParentUuid: null,
      migProfile: null,
      utilizationGpuPct: Math.round(utilization),
      smActivePct: null,
      memoryUsedMiB: processes.length === 0 ? 0 : Math.min(model.memoryTotalMiB, memory + 500), // + CUDA context
      powerDrawW: round1(powerDrawW),
      processes,
    };
  }

  /** The workloads holding a GPU at an instant (zero, one or two). */
  private workloadsOn(node: SimulatedNode, gpuIndex: number, atMs: number): Workload[] {
    const epoch = Math.floor(atMs / EPOCH_MS);
    const active: Workload[] = [];
    for (const workload of this.timeline(node, gpuIndex, epoch)) {
      if (workload.startMs <= atMs && atMs < workload.endMs) active.push(workload);
    }
    return active;
  }

  private timeline(node: SimulatedNode, gpuIndex: number, epoch: number): Workload[] {
    const key = `${node.index}/${gpuIndex}/${epoch}`;
    let workloads = this.timelineCache.get(key);
    if (!workloads) {
      workloads = this.layOut(node, gpuIndex, epoch);
      if (this.timelineCache.size > 20_000) this.timelineCache.clear();
      this.timelineCache.set(key, workloads);
    }
    return workloads;
  }

  /** Which workloads a GPU runs over one epoch, by the node's role. */
  private layOut(node: SimulatedNode, gpuIndex: number, epoch: number): Workload[] {
    const epochStartMs = epoch * EPOCH_MS;
    const epochEndMs = epochStartMs + EPOCH_MS;
    const gpuCount = this.config.gpusPerNode;
    switch (node.role) {
      case "inference": {
        // Every GPU serves; the last two GPUs each host two smaller services.
        const shared = gpuIndex >= gpuCount - 2;
        const count = shared ? 2 : 1;
        return Array.from({ length: count }, (_, slot) => this.service(node, gpuIndex, slot, shared, epochStartMs, epochEndMs));
      }
      case "training": {
        const groupSize = Math.max(1, Math.floor(gpuCount / 2));
        return this.trainingGroup(node, gpuIndex, epoch, gpuIndex < groupSize ? 0 : 1, groupSize);
      }
      case "training-large":
        return this.trainingGroup(node, gpuIndex, epoch, 0, gpuCount);
      case "mixed": {
        const groupSize = Math.max(1, Math.floor(gpuCount / 2));
        if (gpuIndex < groupSize) return this.trainingGroup(node, gpuIndex, epoch, 0, groupSize);
        if (gpuIndex === gpuCount - 1) return []; // a GPU nobody uses
        const notebooks = this.notebooks(node, gpuIndex, epoch);
        // One GPU shares a notebook with a small always-on service.
        if (gpuIndex === gpuCount - 2) notebooks.push(this.service(node, gpuIndex, 1, true, epochStartMs, epochEndMs));
        return notebooks;
      }
    }
  }

  private service(node: SimulatedNode, gpuIndex: number, slot: number, shared: boolean, startMs: number, endMs: number): Workload {
    const seed = this.config.seed;
    const service = pick(SERVICES, seed, node.index, gpuIndex, slot, 1);
    const replica = hashKeys(seed, node.index, gpuIndex, slot) % 100000;
    return {
      job: {
        externalId: uuidFromKeys("pod-", seed, node.index, gpuIndex, slot),
        kind: "inference",
        requestedGpus: 1,
        team: service.team,
        project: service.project,
        model: service.model,
        experiment: null,
        user: null,
        labels: { service: service.name, namespace: service.team },
      },
      startMs,
      endMs,
      pid: 1000 + replica,
      processName: "tritonserver",
      baseUtilizationPct: shared ? 40 : randomBetween(70, 90, seed, node.index, gpuIndex, slot, 2),
      memoryMiB: shared ? Math.round(service.memoryMiB / 2) : service.memoryMiB,
      pattern: "daily",
    };
  }

  /**
   * Training jobs on a group of GPUs: idle gaps, then jobs of the whole group or
   * half of it. Every GPU of the group computes the same timeline, so a
   * multi-GPU job appears on all of its GPUs at once.
   */
  private trainingGroup(node: SimulatedNode, gpuIndex: number, epoch: number, group: number, groupSize: number): Workload[] {
    const seed = this.config.seed;
    const firstGpu = group * groupSize;
    const workloads: Workload[] = [];
    let cursorMs = epoch * EPOCH_MS;
    const epochEndMs = cursorMs + EPOCH_MS;
    for (let jobSlot = 0; cursorMs < epochEndMs; jobSlot++) {
      const keys = [seed, node.index, group, epoch, jobSlot];
      cursorMs += randomBetween(0.5, 8, ...keys, 1) * HOUR_MS; // queue gap: the group sits idle
      const durationMs = randomBetween(4, 36, ...keys, 2) * HOUR_MS;
      const endMs = Math.min(epochEndMs, cursorMs + durationMs);
      if (endMs - cursorMs < HOUR_MS) break;
      const gpusUsed = groupSize > 1 && unitRandom(...keys, 3) < 0.3 ? Math.floor(groupSize / 2) : groupSize;
      if (gpuIndex < firstGpu + gpusUsed) {
        const owner = pick(TEAMS, ...keys, 4);
        const model = pick(owner.models, ...keys, 5);
        // One job in five is input-bound and keeps its GPUs at a third of their capacity.
        const inefficient = unitRandom(...keys, 6) < 0.2;
        const slurmJobId = 100000 + (hashKeys(...keys, 7) % 900000);
        workloads.push({
          job: {
            externalId: `slurm-${slurmJobId}`,
            kind: "training",
            requestedGpus: gpusUsed,
            team: owner.team,
            project: owner.project,
            model,
            experiment: `${model}-exp-${1 + (hashKeys(...keys, 8) % 6)}`,
            user: pick(USERS, ...keys, 9),
          },
          startMs: cursorMs,
          endMs,
          pid: 20000 + (hashKeys(...keys, 10) % 40000) + gpuIndex,
          processName: "python",
          baseUtilizationPct: inefficient ? randomBetween(25, 40, ...keys, 11) : randomBetween(78, 97, ...keys, 11),
          memoryMiB: Math.round(randomBetween(40_000, 72_000, ...keys, 12)),
          pattern: "steady",
        });
      }
      cursorMs = endMs;
    }
    return workloads;
  }

  /** Notebooks: sessions of a few hours that hold a GPU and mostly wait for their user. */
  private notebooks(node: SimulatedNode, gpuIndex: number, epoch: number): Workload[] {
    const seed = this.config.seed;
    const workloads: Workload[] = [];
    let cursorMs = epoch * EPOCH_MS;
    const epochEndMs = cursorMs + EPOCH_MS;
    for (let slot = 0; cursorMs < epochEndMs; slot++) {
      const keys = [seed, node.index, gpuIndex, epoch, slot, 77];
      cursorMs += randomBetween(2, 14, ...keys, 1) * HOUR_MS;
      const endMs = Math.min(epochEndMs, cursorMs + randomBetween(3, 12, ...keys, 2) * HOUR_MS);
      if (endMs - cursorMs < HOUR_MS) break;
      const owner = pick(TEAMS, ...keys, 3);
      const user = pick(USERS, ...keys, 4);
      workloads.push({
        job: {
          externalId: uuidFromKeys("pod-", ...keys),
          kind: "notebook",
          requestedGpus: 1,
          team: owner.team,
          project: owner.project,
          model: null,
          experiment: null,
          user,
          labels: { app: "jupyter" },
        },
        startMs: cursorMs,
        endMs,
        pid: 60000 + (hashKeys(...keys, 5) % 5000),
        processName: "ipykernel_launcher",
        baseUtilizationPct: 0,
        memoryMiB: Math.round(randomBetween(4_000, 16_000, ...keys, 6)),
        pattern: "bursty",
      });
      cursorMs = endMs;
    }
    return workloads;
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
