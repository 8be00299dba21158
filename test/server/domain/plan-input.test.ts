import { describe, expect, it } from "vitest";
import { buildPlanInput, completeThroughput, groupThroughput, heldGpusByHourOfWeek, planNodes, serviceName } from "../../../server/domain/plan-input";
import { relativeSpeed } from "../../../solver/plan/shape-options";
import type { PriceEntry } from "../../../server/domain/pricing";
import type { ProfileGpuRow, ProfileJobHourRow, WorkloadProfile } from "../../../server/domain/workload-profiles";

const MONDAY_MS = Date.UTC(2026, 10, 2); // Monday 00:00 UTC
const HOUR_MS = 3_600_000;
const A100 = "NVIDIA A100-SXM4-80GB";
const H100 = "NVIDIA H100 80GB HBM3";

function price(id: number, gpuModel: string, costPerGpuHour: number, extra: Partial<PriceEntry> = {}): PriceEntry {
  return { id, gpuModel, costPerGpuHour, currency: "USD", effectiveFromMs: 0, effectiveToMs: null, nodeLabelKey: null, nodeLabelValue: null, ...extra };
}

function gpu(gpuId: number, nodeId: number, hostname: string, gpuIndex: number, modelName: string, extra: Partial<ProfileGpuRow> = {}): ProfileGpuRow {
  return { gpuId, gpuIndex, modelName, memoryTotalMiB: 81_920, nodeId, hostname, clusterName: "east", migProfile: null, ...extra };
}

function profile(jobId: number, externalId: string, extra: Partial<WorkloadProfile> = {}): WorkloadProfile {
  return {
    jobId,
    externalId,
    clusterName: "east",
    jobKind: "training",
    kind: "batch",
    team: "vision",
    project: null,
    model: null,
    labels: {},
    gpuCount: 1,
    gpuModel: A100,
    gpuMemoryMiB: 81_920,
    memoryNeedMiB: 11_000,
    memoryP99MiB: 10_000,
    computeShare: 0.5,
    current: [{ nodeId: 1, hostname: "a-1", gpuIndexes: [0] }],
    gpusPerNode: 1,
    firstSeenMs: MONDAY_MS,
    lastSeenMs: MONDAY_MS + 2 * HOUR_MS,
    windowCount: 8,
    rightSizing: { heldHours: 2, gpuHours: 2, activeGpuHours: 1, lowEfficiencyShareOfRuntime: 0, busyGpusP95: 0.5, memoryPerGpuP99MiB: 10_000 },
    ...extra,
  };
}

const hour = (jobId: number, hourStartMs: number, gpus = 1): ProfileJobHourRow => ({ jobId, gpuId: 1, hourStartMs, reportedMs: HOUR_MS, shareMs: gpus * HOUR_MS, activeMs: HOUR_MS / 2 });

describe("serviceName", () => {
  it("names inference replicas by their service label, then the Kubernetes app labels, then team and model", () => {
    const base = { jobKind: "inference", model: "llama-70b", team: "search" };
    expect(serviceName({ ...base, labels: { service: "ranker", app: "other" } })).toBe("ranker");
    expect(serviceName({ ...base, labels: { "app.kubernetes.io/name": "chat" } })).toBe("chat");
    expect(serviceName({ ...base, labels: { app: "embedder" } })).toBe("embedder");
    expect(serviceName({ ...base, labels: {} })).toBe("search/llama-70b");
  });

  it("gives no service to batch work or to an inference pod nothing names", () => {
    expect(serviceName({ jobKind: "training", labels: { service: "x" }, model: "m", team: "t" })).toBeNull();
    expect(serviceName({ jobKind: "inference", labels: {}, model: null, team: "t" })).toBeNull();
  });
});

describe("heldGpusByHourOfWeek", () => {
  it("averages the GPU-hours of each slot over the weeks of the span", () => {
    const span = { startMs: MONDAY_MS, endMs: MONDAY_MS + 14 * 24 * HOUR_MS };
    // Monday 09:00 in both weeks: 2 GPUs then 4 GPUs; Tuesday 00:00 in the first week only.
    const rows = [hour(1, MONDAY_MS + 9 * HOUR_MS, 2), hour(1, MONDAY_MS + 7 * 24 * HOUR_MS + 9 * HOUR_MS, 4), hour(1, MONDAY_MS + 24 * HOUR_MS, 1)];
    const series = heldGpusByHourOfWeek(rows, span);
    expect(series).toHaveLength(168);
    expect(series[9]).toBe(3);
    expect(series[24]).toBe(0.5);
    expect(series.reduce((s, v) => s + v, 0)).toBe(3.5);
  });

  it("holds 0 in slots the span never reaches and ignores rows outside it", () => {
    const span = { startMs: MONDAY_MS, endMs: MONDAY_MS + 2 * HOUR_MS };
    const series = heldGpusByHourOfWeek([hour(1, MONDAY_MS + HOUR_MS, 1), hour(1, MONDAY_MS + 5 * HOUR_MS, 1)], span);
    expect(series[1]).toBe(1);
    expect(series[5]).toBe(0);
  });
});

describe("planNodes", () => {
  it("prices a node by a node-label override where one applies and leaves the model's price to the price list otherwise", () => {
    const gpus = [gpu(1, 1, "a-1", 0, A100), gpu(2, 1, "a-1", 1, A100), gpu(3, 2, "a-2", 0, A100), gpu(4, 2, "a-2", 1, A100)];
    const labels = new Map([[2, { pool: "owned" }]]);
    const entries = [price(1, A100, 3), price(2, A100, 1.2, { nodeLabelKey: "pool", nodeLabelValue: "owned", source: "on-prem-tco" })];
    const nodes = planNodes(gpus, labels, entries, MONDAY_MS);
    expect(nodes).toEqual([
      { cluster: "east", hostname: "a-1", gpuModel: A100, gpuCount: 2, gpuMemoryMiB: 81_920 },
      { cluster: "east", hostname: "a-2", gpuModel: A100, gpuCount: 2, gpuMemoryMiB: 81_920, costPerGpuHour: 1.2, source: "on-prem-tco" },
    ]);
  });

  it("leaves MIG instances out of a node's GPUs", () => {
    const gpus = [gpu(1, 1, "a-1", 0, A100), gpu(2, 1, "a-1", 1, A100, { migProfile: "3g.40gb" }), gpu(3, 3, "m-1", 0, A100, { migProfile: "1g.10gb" })];
    expect(planNodes(gpus, new Map(), [], MONDAY_MS).map((n) => [n.hostname, n.gpuCount])).toEqual([["a-1", 1]]);
  });
});

describe("groupThroughput", () => {
  it("averages the replicas' measured work per GPU-hour per GPU model", () => {
    expect(
      groupThroughput([
        [{ gpuModel: A100, workPerGpuHour: 100, unit: "tokens" }],
        [
          { gpuModel: A100, workPerGpuHour: 200, unit: "tokens" },
          { gpuModel: H100, workPerGpuHour: 500, unit: "tokens" },
        ],
      ]),
    ).toEqual([
      { gpuModel: A100, workPerGpuHour: 150, unit: "tokens" },
      { gpuModel: H100, workPerGpuHour: 500, unit: "tokens" },
    ]);
  });
});

describe("groupThroughput", () => {
  it("keeps each unit apart per GPU model", () => {
    expect(
      groupThroughput([
        [
          { gpuModel: A100, workPerGpuHour: 1_000, unit: "tokens" },
          { gpuModel: A100, workPerGpuHour: 10, unit: "requests" },
        ],
        [{ gpuModel: A100, workPerGpuHour: 20, unit: "requests" }],
      ]),
    ).toEqual([
      { gpuModel: A100, workPerGpuHour: 15, unit: "requests" },
      { gpuModel: A100, workPerGpuHour: 1_000, unit: "tokens" },
    ]);
  });
});

describe("completeThroughput", () => {
  const t = (gpuModel: string, unit: string, workPerGpuHour: number) => ({ gpuModel, unit, workPerGpuHour });

  it("takes the figures of the model's other jobs where the workload measured nothing in that unit", () => {
    expect(completeThroughput([], [t(A100, "samples", 600), t(H100, "samples", 1_800)], H100)).toEqual([t(A100, "samples", 600), t(H100, "samples", 1_800)]);
  });

  it("scales the others' figures to the workload's own rate on a GPU model both measured, and never replaces its own", () => {
    // Its own A100 rate is twice theirs: their H100 rate, doubled, keeps their H100/A100 ratio of 3.
    expect(completeThroughput([t(A100, "samples", 1_200)], [t(A100, "samples", 600), t(H100, "samples", 1_800)], A100)).toEqual([t(A100, "samples", 1_200), t(H100, "samples", 3_600)]);
  });

  it("adds nothing in a unit the workload measured only on GPU models the others did not", () => {
    expect(completeThroughput([t(A100, "samples", 1_200)], [t(H100, "samples", 1_800), t("NVIDIA L4", "samples", 300)], A100)).toEqual([t(A100, "samples", 1_200)]);
  });

  it("keeps units apart: the others' tokens never scale by the workload's samples", () => {
    expect(completeThroughput([t(A100, "samples", 1_200)], [t(A100, "tokens", 5_000), t(H100, "tokens", 15_000)], A100)).toEqual([
      t(A100, "samples", 1_200),
      t(A100, "tokens", 5_000),
      t(H100, "tokens", 15_000),
    ]);
  });
});

describe("buildPlanInput", () => {
  const gpus = [gpu(1, 1, "a-1", 0, A100), gpu(2, 1, "a-1", 1, A100), gpu(3, 2, "h-1", 0, H100), gpu(4, 2, "h-1", 1, H100)];
  const span = { startMs: MONDAY_MS, endMs: MONDAY_MS + 7 * 24 * HOUR_MS };
  const replica = (jobId: number, node: { nodeId: number; hostname: string }, gpuIndex: number, busy: number, memory: number, gpuModel = A100) =>
    profile(jobId, `pod-${jobId}`, {
      jobKind: "inference",
      kind: "latency-sensitive",
      team: "search",
      labels: { service: "ranker" },
      gpuModel,
      current: [{ ...node, gpuIndexes: [gpuIndex] }],
      rightSizing: { heldHours: 2, gpuHours: 2, activeGpuHours: 1, lowEfficiencyShareOfRuntime: 0, busyGpusP95: busy, memoryPerGpuP99MiB: memory },
    });
  const sources = {
    gpus,
    nodeLabels: new Map(),
    priceEntries: [price(1, A100, 3), price(2, H100, 6, { source: "on-prem-tco" })],
    atMs: MONDAY_MS,
    span,
    profiles: [
      replica(10, { nodeId: 1, hostname: "a-1" }, 0, 0.4, 20_000),
      replica(11, { nodeId: 1, hostname: "a-1" }, 1, 0.3, 30_000),
      profile(20, "slurm-20", { current: [{ nodeId: 2, hostname: "h-1", gpuIndexes: [0, 1] }], gpuModel: H100 }),
      profile(30, "slurm-30", { rightSizing: { heldHours: 0, gpuHours: 0, activeGpuHours: 0, lowEfficiencyShareOfRuntime: 0, busyGpusP95: 0, memoryPerGpuP99MiB: 0 } }),
    ],
    jobHours: [hour(10, MONDAY_MS), hour(11, MONDAY_MS), hour(11, MONDAY_MS + HOUR_MS), hour(20, MONDAY_MS + 3 * HOUR_MS, 2)],
  };

  it("groups the replicas of one service into one workload holding all their GPUs", () => {
    const { input } = buildPlanInput(sources);
    const ranker = input.workloads.find((w) => w.id === "service:ranker")!;
    expect(ranker).toMatchObject({
      cluster: "east",
      jobIds: ["pod-10", "pod-11"],
      team: "search",
      kind: "latency-sensitive",
      gpuModel: A100,
      gpuCount: 2,
      current: [
        { node: "a-1", gpuIndexes: [0] },
        { node: "a-1", gpuIndexes: [1] },
      ],
      memoryPerGpuP99MiB: 30_000,
      evidence: { hoursObserved: 2 },
    });
    expect(ranker.busyGpusP95).toBeCloseTo(0.7, 10);
    expect(ranker.heldGpusByHourOfWeek[0]).toBe(2);
    expect(ranker.heldGpusByHourOfWeek[1]).toBe(1);
    expect(ranker.throughput).toBeUndefined();
  });

  it("keeps a training job as one batch workload and leaves out jobs that held no GPU time", () => {
    const { input } = buildPlanInput(sources);
    expect(input.workloads.map((w) => w.id)).toEqual(["service:ranker", "slurm-20"]);
    expect(input.workloads[1]).toMatchObject({ kind: "batch", gpuModel: H100, gpuCount: 2, jobIds: ["slurm-20"] });
    expect(input.workloads[1].heldGpusByHourOfWeek[3]).toBe(2);
  });

  it("splits a service that runs on two GPU models into one workload per model", () => {
    const { input } = buildPlanInput({
      ...sources,
      profiles: [replica(10, { nodeId: 1, hostname: "a-1" }, 0, 0.4, 20_000), replica(12, { nodeId: 2, hostname: "h-1" }, 0, 0.2, 20_000, H100)],
    });
    expect(input.workloads.map((w) => w.id)).toEqual([`service:ranker on ${A100}`, `service:ranker on ${H100}`]);
  });

  it("prices each model with its source, keeps relative throughput for the fleet's models, and passes measured throughput and exclusions", () => {
    const measuredThroughput = new Map([["east/slurm-20", [{ gpuModel: H100, workPerGpuHour: 900, unit: "samples" }]]]);
    const { input } = buildPlanInput(sources, { measuredThroughput, exclude: { workloads: ["east/slurm-20"] } });
    expect(input.prices).toEqual([
      { gpuModel: A100, costPerGpuHour: 3, currency: "USD", source: "cloud-on-demand" },
      { gpuModel: H100, costPerGpuHour: 6, currency: "USD", source: "on-prem-tco" },
    ]);
    expect(input.relativeThroughput).toEqual({ [A100]: 1, [H100]: 989 / 312 });
    expect(input.workloads[1].throughput).toEqual([{ gpuModel: H100, workPerGpuHour: 900, unit: "samples" }]);
    expect(input.exclude).toEqual({ workloads: ["east/slurm-20"], nodes: [] });
    expect(buildPlanInput(sources).input.exclude).toBeUndefined();
  });

  it("gives a workload without measured work the measured throughput of other jobs of its ML model, which the plan counts as measured", () => {
    // slurm-20 (H100, vit-l) reported no work; slurm-30, a finished vit-l job, measured samples on both models.
    const profiles = sources.profiles.map((p) => (p.externalId === "slurm-20" || p.externalId === "slurm-30" ? { ...p, model: "vit-l" } : p));
    const measuredThroughput = new Map([
      ["east/slurm-30", [{ gpuModel: A100, workPerGpuHour: 600, unit: "samples" }, { gpuModel: H100, workPerGpuHour: 1_800, unit: "samples" }]],
      ["east/pod-10", [{ gpuModel: A100, workPerGpuHour: 90_000, unit: "requests" }]],
    ]);
    const { input } = buildPlanInput({ ...sources, profiles }, { measuredThroughput });
    const training = input.workloads.find((w) => w.id === "slurm-20")!;
    expect(training.throughput).toEqual([
      { gpuModel: A100, workPerGpuHour: 600, unit: "samples" },
      { gpuModel: H100, workPerGpuHour: 1_800, unit: "samples" },
    ]);
    expect(relativeSpeed(training, A100, input.relativeThroughput, 0.5)).toEqual({ ratio: 1 / 3, throughput: "measured" });
    // The service has no model label: nothing lent to it beyond its own replica's figure, and nothing of it lent to others.
    expect(input.workloads.find((w) => w.id === "service:ranker")!.throughput).toEqual([{ gpuModel: A100, workPerGpuHour: 90_000, unit: "requests" }]);
    expect(buildPlanInput({ ...sources, profiles: profiles.map((p) => (p.externalId === "slurm-30" ? { ...p, model: "other" } : p)) }, { measuredThroughput }).input.workloads.find((w) => w.id === "slurm-20")!.throughput).toBeUndefined();
  });

  it("places a service where its replicas run now, not where replicas replaced by a rollout ran", () => {
    const old = { ...replica(10, { nodeId: 1, hostname: "a-1" }, 0, 0.4, 20_000), lastSeenMs: MONDAY_MS - 24 * HOUR_MS };
    const now = replica(11, { nodeId: 1, hostname: "a-1" }, 1, 0.3, 30_000);
    const { input } = buildPlanInput({ ...sources, profiles: [old, now], jobHours: [hour(10, MONDAY_MS), hour(11, MONDAY_MS + HOUR_MS)] });
    expect(input.workloads[0]).toMatchObject({ id: "service:ranker", jobIds: ["pod-10", "pod-11"], current: [{ node: "a-1", gpuIndexes: [1] }], gpuCount: 1 });
  });

  it("leaves unpriced GPU models out, saying so", () => {
    const { input, leftOut } = buildPlanInput({ ...sources, priceEntries: [price(1, A100, 3)] });
    expect(input.nodes.map((n) => n.hostname)).toEqual(["a-1"]);
    expect(input.workloads.map((w) => w.id)).toEqual(["service:ranker"]);
    expect(leftOut).toEqual([`no price for ${H100}: their nodes and workloads are left out of the plan`]);
  });

  it("leaves out jobs that finished: they hold no GPU the plan could give back", () => {
    const finished = { ...profile(40, "slurm-40", { current: [{ nodeId: 1, hostname: "a-1", gpuIndexes: [0] }] }), lastSeenMs: MONDAY_MS - 24 * HOUR_MS };
    const { input, leftOut } = buildPlanInput({ ...sources, profiles: [...sources.profiles, finished] });
    expect(input.workloads.map((w) => w.id)).toEqual(["service:ranker", "slurm-20"]);
    expect(leftOut).toEqual([]);
  });
});
