/**
 * The allocation rules docs/api.md states in "How every figure is computed", one
 * scenario table per rule, from usage windows (as ingest stores them) to money.
 */
import { describe, expect, it } from "vitest";
import { allocateCosts, IDLE_ROW_NAME, type AllocationGpu, type AllocationJob, type AllocationOptions, type JobGpuUsage } from "../../../server/domain/allocation";
import type { PriceEntry } from "../../../server/domain/pricing";
import { hourlyContributions, type GpuWindowUsage, type JobWindowUsage } from "../../../server/domain/rollup";

const HOUR_MS = 3_600_000;
const AT_00_MS = Date.UTC(2026, 11, 1, 0);
const at = (hour: number, minute = 0) => AT_00_MS + hour * HOUR_MS + minute * 60_000;

function gpu(gpuId: number, overrides: Partial<AllocationGpu> = {}): AllocationGpu {
  return {
    gpuId,
    uuid: `GPU-${gpuId}`,
    nodeId: 1,
    hostname: "node-1",
    clusterName: "lab",
    nodeLabels: {},
    modelName: "H100",
    migParentGpuId: null,
    migParentUuid: null,
    fractionOfGpu: 1,
    firstSeenMs: at(0),
    lastSeenMs: at(3),
    ...overrides,
  };
}

const job = (jobId: number, externalId: string): AllocationJob => ({ jobId, externalId, kind: "training", team: null, project: null, model: null, experiment: null, user: null, labels: {} });

const price = (gpuModel: string, costPerGpuHour: number): PriceEntry => ({
  id: 1,
  gpuModel,
  costPerGpuHour,
  currency: "USD",
  effectiveFromMs: Date.UTC(2026, 0, 1),
  effectiveToMs: null,
  nodeLabelKey: null,
  nodeLabelValue: null,
});

function options(overrides: Partial<AllocationOptions> = {}): AllocationOptions {
  return {
    windowStartMs: at(0),
    windowEndMs: at(3),
    periodStartsMs: [],
    stepMs: null,
    aggregate: ["job"],
    basis: "allocation",
    shareIdle: "none",
    idleBy: "cluster",
    filter: new Map(),
    ...overrides,
  };
}

/** What the hourly rollup holds for these windows, as the allocation reads it. */
function rolledUp(gpuWindows: GpuWindowUsage[], jobWindows: JobWindowUsage[]): JobGpuUsage[] {
  return hourlyContributions(gpuWindows, jobWindows).job.map((entry) => ({
    jobId: entry.jobId,
    gpuId: entry.gpuId,
    periodStartMs: entry.hourStartMs,
    shareMs: entry.shareMs,
    activeMs: entry.activeMs,
    soleMs: entry.soleMs,
    utilizationSplitMs: entry.utilizationSplitMs,
    memorySplitMs: entry.memorySplitMs,
    evenSplitMs: entry.evenSplitMs,
  }));
}

const rowsOf = (result: ReturnType<typeof allocateCosts>) =>
  Object.fromEntries(result.rows.map((row) => [row.name, { gpuHours: row.gpuHours, activeGpuHours: row.activeGpuHours, gpuCost: row.gpuCost, idleCost: row.idleCost, totalCost: row.totalCost }]));

/**
 * Rules 1 and 2: one H100 at 6.00/h, 00:00-01:00, GPU utilization 80 %, two jobs
 * (a: 30,000 MiB, b: 10,000 MiB) with or without their own measured utilization.
 */
describe("allocateCosts: shared GPUs with and without per-job utilization", () => {
  const scenarios: {
    rule: string;
    utilizationPct: { a: number | null; b: number | null };
    share: { a: number; b: number };
    active: { a: number; b: number };
    split: "memory" | "utilization";
  }[] = [
    // 1. One job measured, the other not: one measure for both, memory (75 / 25).
    //    a is busy 70 % of the GPU, within its 75 %; b gets the GPU's 80 % x its 25 %.
    { rule: "1: a measured at 70 %, b not: split by memory, a's own busy time", utilizationPct: { a: 70, b: null }, share: { a: 0.75, b: 0.25 }, active: { a: 0.7, b: 0.2 }, split: "memory" },
    //    a's 90 % is more than the 75 % it is charged for: its busy time is capped there.
    { rule: "1: a measured at 90 %, b not: a's busy time capped at its held 75 %", utilizationPct: { a: 90, b: null }, share: { a: 0.75, b: 0.25 }, active: { a: 0.75, b: 0.2 }, split: "memory" },
    // 2. Both measured, summing to more than 100 % (90 + 60): split 60 / 40; the GPU
    //    was busy all the hour, so each job is busy for all of its share.
    { rule: "2: 90 % + 60 %: split by utilization, each busy for its whole share", utilizationPct: { a: 90, b: 60 }, share: { a: 0.6, b: 0.4 }, active: { a: 0.6, b: 0.4 }, split: "utilization" },
    //    Below 100 % (30 + 20) each keeps its own busy time.
    { rule: "2: 30 % + 20 %: split by utilization, each busy for its own time", utilizationPct: { a: 30, b: 20 }, share: { a: 0.6, b: 0.4 }, active: { a: 0.3, b: 0.2 }, split: "utilization" },
  ];

  it.each(scenarios)("rule $rule", ({ utilizationPct, share, active, split }) => {
    const gpuWindows: GpuWindowUsage[] = [{ gpuId: 1, startMs: at(0), endMs: at(1), utilizationAvgPct: 80, memoryUsedAvgMiB: 40_000, energyJ: null }];
    const jobWindows: JobWindowUsage[] = [
      { gpuId: 1, jobId: 1, startMs: at(0), endMs: at(1), utilizationAvgPct: utilizationPct.a, memoryUsedAvgMiB: 30_000 },
      { gpuId: 1, jobId: 2, startMs: at(0), endMs: at(1), utilizationAvgPct: utilizationPct.b, memoryUsedAvgMiB: 10_000 },
    ];
    const usage = rolledUp(gpuWindows, jobWindows);
    const window = { windowEndMs: at(1) };
    const gpus = [gpu(1, { lastSeenMs: at(1) })];
    const jobs = [job(1, "a"), job(2, "b")];

    const byAllocation = allocateCosts(gpus, jobs, usage, [price("H100", 6)], options(window));
    expect(byAllocation.rows.map((row) => row.name).sort()).toEqual(["a", "b"]);
    for (const [name, key] of [["a", "a"], ["b", "b"]] as const) {
      const row = byAllocation.rows.find((candidate) => candidate.name === name)!;
      expect(row.gpuHours).toBeCloseTo(share[key], 12);
      expect(row.activeGpuHours).toBeCloseTo(active[key], 12);
      expect(row.gpuCost).toBeCloseTo(6 * share[key], 12);
      expect(row.efficiency).toBeCloseTo(active[key] / share[key], 12);
      expect(row.splitGpuHours[split]).toBeCloseTo(share[key], 12);
    }
    // The GPU is never busier than it was held, so usage-basis cost never exceeds the fleet's.
    const byUsage = allocateCosts(gpus, jobs, usage, [price("H100", 6)], options({ ...window, basis: "usage" }));
    const usageRows = rowsOf(byUsage);
    expect(usageRows.a.gpuCost).toBeCloseTo(6 * active.a, 12);
    expect(usageRows.b.gpuCost).toBeCloseTo(6 * active.b, 12);
    expect(usageRows[IDLE_ROW_NAME]?.idleCost ?? 0).toBeCloseTo(6 * (1 - active.a - active.b), 12);
    expect(byUsage.totals.totalCost).toBeCloseTo(6, 12);
  });
});

/**
 * Rule 3: an A100 at 7.00/h (1.00 a slice) split into MIG instances, 00:00-02:00:
 * a 3g.40gb instance held by one job, a 2g.20gb instance without a job, 2 slices
 * not configured.
 */
describe("allocateCosts: a MIG GPU whose parent sends no windows of its own", () => {
  const instance = (gpuId: number, fractionOfGpu: number, parent: { migParentGpuId: number | null; migParentUuid: string | null }) =>
    gpu(gpuId, { uuid: `MIG-${gpuId}`, modelName: "A100", fractionOfGpu, lastSeenMs: at(2), ...parent });
  const usage: JobGpuUsage[] = [0, 1].map((hour) => ({
    jobId: 1,
    gpuId: 11,
    periodStartMs: at(hour),
    shareMs: HOUR_MS,
    activeMs: HOUR_MS,
    soleMs: HOUR_MS,
    utilizationSplitMs: 0,
    memorySplitMs: 0,
    evenSplitMs: 0,
  }));
  const scenarios = [
    {
      case: "parent registered: the whole GPU costs, unused and unconfigured slices are idle",
      gpus: [gpu(10, { modelName: "A100", lastSeenMs: at(2) }), instance(11, 3 / 7, { migParentGpuId: 10, migParentUuid: "GPU-10" }), instance(12, 2 / 7, { migParentGpuId: 10, migParentUuid: "GPU-10" })],
      fleetCost: 14,
      fleetGpuHours: 2,
      idle: 8,
    },
    {
      case: "parent never reported (dcgm-exporter): the same, a whole GPU over its instances' span",
      gpus: [instance(11, 3 / 7, { migParentGpuId: null, migParentUuid: "GPU-10" }), instance(12, 2 / 7, { migParentGpuId: null, migParentUuid: "GPU-10" })],
      fleetCost: 14,
      fleetGpuHours: 2,
      idle: 8,
    },
    {
      case: "parent not even named: each instance stands for its slice",
      gpus: [instance(11, 3 / 7, { migParentGpuId: null, migParentUuid: null }), instance(12, 2 / 7, { migParentGpuId: null, migParentUuid: null })],
      fleetCost: 10,
      fleetGpuHours: 10 / 7,
      idle: 4,
    },
  ];

  it.each(scenarios)("$case", ({ gpus, fleetCost, fleetGpuHours, idle }) => {
    const result = allocateCosts(gpus, [job(1, "vision-7")], usage, [price("A100", 7)], options({ windowEndMs: at(2) }));
    expect(result.fleetCost).toBeCloseTo(fleetCost, 12);
    expect(result.fleetGpuHours).toBeCloseTo(fleetGpuHours, 12);
    const rows = rowsOf(result);
    expect(rows["vision-7"].gpuCost).toBeCloseTo(2 * 3, 12); // 2 h x 3 slices x 1.00
    expect(rows[IDLE_ROW_NAME].idleCost).toBeCloseTo(idle, 12);
    expect(result.totals.totalCost).toBeCloseTo(fleetCost, 12);
  });

  it("settles the unused slices' idle where the instances are, and shares it when asked", () => {
    const gpus = scenarios[1].gpus;
    const result = allocateCosts(gpus, [job(1, "vision-7")], usage, [price("A100", 7)], options({ windowEndMs: at(2), shareIdle: "weighted", idleBy: "node" }));
    expect(rowsOf(result)).toEqual({ "vision-7": expect.objectContaining({ gpuCost: expect.closeTo(6, 12), idleCost: expect.closeTo(8, 12), totalCost: expect.closeTo(14, 12) }) });
  });
});

/**
 * Rule 4: one H100 at 6.00/h, 00:00-03:00. Job a holds it all of 00:00-01:00 (no
 * idle), job b half of 01:00-02:00 (3.00 idle), nobody 02:00-03:00 (6.00 idle).
 */
describe("allocateCosts: shared idle, with and without steps", () => {
  const usage: JobGpuUsage[] = [
    { jobId: 1, gpuId: 1, periodStartMs: at(0), shareMs: HOUR_MS, activeMs: HOUR_MS, soleMs: HOUR_MS, utilizationSplitMs: 0, memorySplitMs: 0, evenSplitMs: 0 },
    { jobId: 2, gpuId: 1, periodStartMs: at(1), shareMs: HOUR_MS / 2, activeMs: HOUR_MS / 2, soleMs: HOUR_MS / 2, utilizationSplitMs: 0, memorySplitMs: 0, evenSplitMs: 0 },
  ];
  const jobs = [job(1, "a"), job(2, "b")];
  const table: { shareIdle: "none" | "weighted" | "even"; stepMs: number | null; rows: [string, string, number, number][] }[] = [
    { shareIdle: "none", stepMs: null, rows: [["00:00", "a", 6, 0], ["00:00", "b", 3, 0], ["00:00", IDLE_ROW_NAME, 0, 9]] },
    // An hour's idle goes to the jobs of that hour: a ran only in an idle-free hour and gets none.
    { shareIdle: "weighted", stepMs: null, rows: [["00:00", "a", 6, 0], ["00:00", "b", 3, 3], ["00:00", IDLE_ROW_NAME, 0, 6]] },
    { shareIdle: "even", stepMs: null, rows: [["00:00", "a", 6, 0], ["00:00", "b", 3, 3], ["00:00", IDLE_ROW_NAME, 0, 6]] },
    // The same hour by hour: the step rows add up to the rows above.
    {
      shareIdle: "weighted",
      stepMs: HOUR_MS,
      rows: [["00:00", "a", 6, 0], ["01:00", "b", 3, 3], ["02:00", IDLE_ROW_NAME, 0, 6]],
    },
    { shareIdle: "weighted", stepMs: 24 * HOUR_MS, rows: [["00:00", "a", 6, 0], ["00:00", "b", 3, 3], ["00:00", IDLE_ROW_NAME, 0, 6]] },
  ];

  it.each(table)("shareIdle=$shareIdle, step $stepMs ms", ({ shareIdle, stepMs, rows }) => {
    const result = allocateCosts([gpu(1)], jobs, usage, [price("H100", 6)], options({ shareIdle, stepMs }));
    const byTimeAndName = (x: [string, string, ...unknown[]], y: [string, string, ...unknown[]]) => x[0].localeCompare(y[0]) || x[1].localeCompare(y[1]);
    const answer = result.rows.map((row) => [new Date(row.startMs).toISOString().slice(11, 16), row.name, row.gpuCost, row.idleCost] as [string, string, number, number]).sort(byTimeAndName);
    expect(answer).toEqual([...rows].sort(byTimeAndName).map(([time, name, gpuCost, idleCost]) => [time, name, expect.closeTo(gpuCost, 12), expect.closeTo(idleCost, 12)]));
    expect(result.fleetCost).toBeCloseTo(18, 12);
    expect(result.totals.totalCost).toBeCloseTo(18, 12);
  });
});
