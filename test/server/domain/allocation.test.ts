import { describe, expect, it } from "vitest";
import {
  allocateCosts,
  AllocationError,
  IDLE_ROW_NAME,
  periodsOf,
  type AllocationGpu,
  type AllocationJob,
  type AllocationOptions,
  type JobGpuUsage,
} from "../../../server/domain/allocation";
import type { PriceEntry } from "../../../server/domain/pricing";

const HOUR_MS = 3_600_000;
const T0_MS = Date.UTC(2026, 10, 2, 0, 0, 0);
const T2_MS = T0_MS + 2 * HOUR_MS;

function gpu(gpuId: number, nodeId: number, modelName: string, overrides: Partial<AllocationGpu> = {}): AllocationGpu {
  return {
    gpuId,
    uuid: `GPU-${gpuId}`,
    nodeId,
    hostname: `node-${nodeId}`,
    clusterName: "c1",
    nodeLabels: {},
    modelName,
    migParentGpuId: null,
    fractionOfGpu: 1,
    firstSeenMs: T0_MS,
    lastSeenMs: T2_MS,
    ...overrides,
  };
}

function job(jobId: number, team: string, overrides: Partial<AllocationJob> = {}): AllocationJob {
  return { jobId, externalId: `slurm-${jobId}`, kind: "training", team, project: null, model: null, experiment: null, user: null, labels: {}, ...overrides };
}

function use(jobId: number, gpuId: number, shareHours: number, activeHours: number, overrides: Partial<JobGpuUsage> = {}): JobGpuUsage {
  return {
    jobId,
    gpuId,
    periodStartMs: T0_MS,
    shareMs: shareHours * HOUR_MS,
    activeMs: activeHours * HOUR_MS,
    soleMs: shareHours * HOUR_MS,
    utilizationSplitMs: 0,
    memorySplitMs: 0,
    evenSplitMs: 0,
    ...overrides,
  };
}

function price(id: number, gpuModel: string, costPerGpuHour: number, overrides: Partial<PriceEntry> = {}): PriceEntry {
  return { id, gpuModel, costPerGpuHour, currency: "USD", effectiveFromMs: Date.UTC(2026, 0, 1), effectiveToMs: null, nodeLabelKey: null, nodeLabelValue: null, ...overrides };
}

function options(overrides: Partial<AllocationOptions> = {}): AllocationOptions {
  return {
    windowStartMs: T0_MS,
    windowEndMs: T2_MS,
    periodStartsMs: [],
    stepMs: null,
    aggregate: ["team"],
    basis: "allocation",
    shareIdle: "none",
    idleBy: "cluster",
    filter: new Map(),
    ...overrides,
  };
}

// The reference fleet: node 1 has two A100s at 2.00/h, node 2 one H100 at 4.00/h; a
// two-hour window, so the fleet costs 2 h x (2 + 2 + 4) = 16.00.
const GPUS = [gpu(1, 1, "A100"), gpu(2, 1, "A100"), gpu(3, 2, "H100")];
const JOBS = [job(1, "search"), job(2, "ads"), job(3, "search")];
const PRICES = [price(1, "A100", 2), price(2, "H100", 4)];
// Job 1 holds GPU 1 for 2 h at 75 %; jobs 2 and 3 share GPU 2 for the first hour,
// split 60/40 by utilization; GPU 3 is idle. Rows are hourly, as the service reads them.
const USAGE = [
  use(1, 1, 1, 0.75),
  use(1, 1, 1, 0.75, { periodStartMs: T0_MS + HOUR_MS }),
  use(2, 2, 0.6, 0.5, { soleMs: 0, utilizationSplitMs: 0.6 * HOUR_MS }),
  use(3, 2, 0.4, 0.3, { soleMs: 0, utilizationSplitMs: 0.4 * HOUR_MS }),
];

const byName = (rows: { name: string; totalCost: number }[]) => Object.fromEntries(rows.map((row) => [row.name, row.totalCost]));

describe("allocateCosts", () => {
  it("charges each job the GPU time it held and shows the rest as idle (allocation basis)", () => {
    const result = allocateCosts(GPUS, JOBS, USAGE, PRICES, options());
    expect(result.fleetCost).toBeCloseTo(16, 10);
    const rows = byName(result.rows);
    expect(rows.search).toBeCloseTo(2 * 2 + 0.4 * 2, 10); // 4.80
    expect(rows.ads).toBeCloseTo(0.6 * 2, 10); // 1.20
    expect(rows[IDLE_ROW_NAME]).toBeCloseTo(10, 10);
    expect(result.totals.totalCost).toBeCloseTo(16, 10);
    expect(result.currency).toBe("USD");
  });

  it("reports GPU-hours, active GPU-hours, efficiency, waste and how shared GPUs were split", () => {
    const search = allocateCosts(GPUS, JOBS, USAGE, PRICES, options()).rows.find((row) => row.name === "search")!;
    expect(search.gpuHours).toBeCloseTo(2.4, 10);
    expect(search.activeGpuHours).toBeCloseTo(1.8, 10);
    expect(search.efficiency).toBeCloseTo(0.75, 10);
    expect(search.wasteCost).toBeCloseTo(2 * 2 * 0.25 + 0.4 * 2 * 0.25, 10);
    expect(search.splitGpuHours.sole).toBeCloseTo(2, 10);
    expect(search.splitGpuHours.utilization).toBeCloseTo(0.4, 10);
  });

  it("computes a multi-GPU job's efficiency over all its GPUs, not as an average divided by the GPU count", () => {
    const result = allocateCosts(GPUS, [job(9, "nlp")], [use(9, 1, 1, 1), use(9, 2, 1, 1), use(9, 3, 1, 1)], PRICES, options());
    const nlp = result.rows.find((row) => row.name === "nlp")!;
    expect(nlp.gpuHours).toBeCloseTo(3, 10);
    expect(nlp.efficiency).toBeCloseTo(1, 10);
    expect(nlp.wasteCost).toBeCloseTo(0, 10);
  });

  it("charges only the busy time under the usage basis, leaving the held-but-unused time in idle", () => {
    const result = allocateCosts(GPUS, JOBS, USAGE, PRICES, options({ basis: "usage" }));
    const rows = byName(result.rows);
    expect(rows.search).toBeCloseTo(1.5 * 2 + 0.3 * 2, 10); // 3.60
    expect(rows.ads).toBeCloseTo(0.5 * 2, 10); // 1.00
    expect(rows[IDLE_ROW_NAME]).toBeCloseTo(16 - 4.6, 10);
  });

  it("shares each hour's idle cost in proportion to the cost of the jobs of that hour when weighted", () => {
    const rows = allocateCosts(GPUS, JOBS, USAGE, PRICES, options({ shareIdle: "weighted" })).rows;
    // 00:00: fleet 8.00, allocated 2.00 + 1.20 + 0.80, idle 4.00 shared 2.8 : 1.2;
    // 01:00: fleet 8.00, allocated 2.00 (job 1 alone), idle 6.00 all to job 1.
    expect(byName(rows)).toEqual({ search: expect.closeTo(4.8 + 2.8 + 6, 10), ads: expect.closeTo(1.2 + 1.2, 10) });
    expect(rows.find((row) => row.name === "ads")!.idleCost).toBeCloseTo(1.2, 10);
  });

  it("shares each hour's idle cost equally per job of that hour when even", () => {
    const rows = byName(allocateCosts(GPUS, JOBS, USAGE, PRICES, options({ shareIdle: "even" })).rows);
    // 00:00: idle 4.00 in three parts (jobs 1 and 3 are search); 01:00: idle 6.00 to job 1.
    expect(rows.search).toBeCloseTo(4.8 + (2 * 4) / 3 + 6, 10);
    expect(rows.ads).toBeCloseTo(1.2 + 4 / 3, 10);
  });

  it("shares idle within each node when idleBy is node, keeping the idle of a node nobody used", () => {
    const result = allocateCosts(GPUS, JOBS, USAGE, PRICES, options({ shareIdle: "weighted", idleBy: "node", aggregate: ["job"] }));
    const rows = byName(result.rows);
    // Node 1 costs 4.00 an hour: fully allocated at 00:00, 2.00 idle at 01:00 when
    // only job 1 ran there; node 2's 8.00 stays idle.
    expect(rows["slurm-1"]).toBeCloseTo(4 + 2, 10);
    expect(rows["slurm-2"]).toBeCloseTo(1.2, 10);
    expect(rows[IDLE_ROW_NAME]).toBeCloseTo(8, 10);
    expect(result.totals.totalCost).toBeCloseTo(16, 10);
  });

  it("prices each period at the rate in force, when a price changes mid-window", () => {
    const prices = [price(1, "A100", 2, { effectiveToMs: T0_MS + HOUR_MS }), price(3, "A100", 3, { effectiveFromMs: T0_MS + HOUR_MS }), price(2, "H100", 4)];
    const usage = [use(1, 1, 1, 1), use(1, 1, 1, 1, { periodStartMs: T0_MS + HOUR_MS })];
    const result = allocateCosts(GPUS, JOBS, usage, prices, options({ periodStartsMs: [T0_MS + HOUR_MS] }));
    expect(byName(result.rows).search).toBeCloseTo(2 + 3, 10);
    expect(result.fleetCost).toBeCloseTo(2 * (2 + 3) + 2 * 4, 10);
  });

  it("keeps the idle of an hour in which no job ran, even when idle is shared", () => {
    const prices = [price(1, "A100", 2, { effectiveToMs: T0_MS + HOUR_MS }), price(3, "A100", 3, { effectiveFromMs: T0_MS + HOUR_MS }), price(2, "H100", 4)];
    // The job runs only in the first hour: it gets that hour's idle (8.00 - 2.00), not the second's (10.00).
    const result = allocateCosts(GPUS, JOBS, [use(1, 1, 1, 1)], prices, options({ periodStartsMs: [T0_MS + HOUR_MS], shareIdle: "weighted" }));
    expect(byName(result.rows)).toEqual({ search: expect.closeTo(8, 10), [IDLE_ROW_NAME]: expect.closeTo(10, 10) });
    expect(result.rows.reduce((sum, row) => sum + row.totalCost, 0)).toBeCloseTo(result.fleetCost, 10);
  });

  it("charges a MIG instance its slice of the parent's price and leaves unused slices idle", () => {
    const gpus = [gpu(10, 1, "H100"), gpu(11, 1, "H100", { migParentGpuId: 10, fractionOfGpu: 3 / 7, uuid: "MIG-11" })];
    const result = allocateCosts(gpus, [job(1, "vision")], [use(1, 11, 2, 1)], [price(2, "H100", 7)], options());
    expect(result.fleetCost).toBeCloseTo(2 * 7, 10); // the parent only: slices are not counted twice
    expect(byName(result.rows).vision).toBeCloseTo(2 * 7 * (3 / 7), 10); // 6.00
    expect(byName(result.rows)[IDLE_ROW_NAME]).toBeCloseTo(8, 10);
  });

  it("uses a node-label override over the model's price", () => {
    const gpus = [gpu(1, 1, "A100", { nodeLabels: { pool: "reserved" } })];
    const prices = [price(1, "A100", 2), price(2, "A100", 1.25, { nodeLabelKey: "pool", nodeLabelValue: "reserved" })];
    const result = allocateCosts(gpus, JOBS, [use(1, 1, 2, 2)], prices, options());
    expect(byName(result.rows).search).toBeCloseTo(2.5, 10);
  });

  it("leaves unpriced GPU models out of every cost and names them", () => {
    const gpus = [...GPUS, gpu(4, 2, "Tesla T4")];
    const result = allocateCosts(gpus, JOBS, [...USAGE, use(2, 4, 2, 1)], PRICES, options());
    expect(result.unpricedGpuModels).toEqual(["Tesla T4"]);
    expect(result.fleetCost).toBeCloseTo(16, 10);
    expect(byName(result.rows).ads).toBeCloseTo(1.2, 10);
    expect(result.rows.find((row) => row.name === "ads")!.gpuHours).toBeCloseTo(2.6, 10);
  });

  it("scales down jobs that together hold a GPU longer than it existed", () => {
    const result = allocateCosts([gpu(1, 1, "A100")], JOBS, [use(1, 1, 2, 1), use(2, 1, 2, 1)], PRICES, options());
    expect(byName(result.rows)).toEqual({ search: expect.closeTo(2, 10), ads: expect.closeTo(2, 10) });
    expect(result.totals.totalCost).toBeCloseTo(result.fleetCost, 10);
  });

  it("reports one row per step, with idle per step, for a time series", () => {
    const usage = [use(1, 1, 1, 1), use(1, 1, 1, 0.5, { periodStartMs: T0_MS + HOUR_MS })];
    const result = allocateCosts(GPUS, JOBS, usage, PRICES, options({ stepMs: HOUR_MS }));
    const steps = result.rows.filter((row) => row.name === "search").map((row) => [row.startMs, row.endMs, row.efficiency]);
    expect(steps).toEqual([
      [T0_MS, T0_MS + HOUR_MS, 1],
      [T0_MS + HOUR_MS, T2_MS, 0.5],
    ]);
    expect(result.rows.filter((row) => row.name === IDLE_ROW_NAME).map((row) => row.totalCost)).toEqual([
      expect.closeTo(8 - 2, 10),
      expect.closeTo(8 - 2, 10),
    ]);
  });

  it("combines aggregate keys and applies filters without showing the fleet's idle", () => {
    const jobs = [job(1, "search", { project: "web" }), job(2, "ads", { project: "ctr" }), job(3, "search", { project: "img" })];
    const result = allocateCosts(GPUS, jobs, USAGE, PRICES, options({ aggregate: ["team", "project"], filter: new Map([["team", ["search"]]]) }));
    expect(result.rows.map((row) => row.name).sort()).toEqual(["search/img", "search/web"]);
    expect(result.rows[0].properties).toEqual({ team: "search", project: "web" });
    expect(result.totals.totalCost).toBeCloseTo(4.8, 10);
  });

  it("names missing values __unallocated__ and reads label:KEY from job then node labels", () => {
    const jobs = [job(1, "search", { labels: { queue: "a" } }), job(2, "ads"), job(3, "search")];
    const gpus = [gpu(1, 1, "A100"), gpu(2, 1, "A100", { nodeLabels: { queue: "b" } }), gpu(3, 2, "H100")];
    const rows = byName(allocateCosts(gpus, jobs, USAGE, PRICES, options({ aggregate: ["label:queue"] })).rows);
    expect(Object.keys(rows).sort()).toEqual([IDLE_ROW_NAME, "a", "b"]);
    const experimentRows = byName(allocateCosts(GPUS, JOBS, USAGE, PRICES, options({ aggregate: ["experiment"] })).rows);
    expect(experimentRows.__unallocated__).toBeCloseTo(6, 10);
  });

  it("refuses to add up prices in different currencies", () => {
    expect(() => allocateCosts(GPUS, JOBS, USAGE, [price(1, "A100", 2), price(2, "H100", 30, { currency: "CNY" })], options())).toThrow(AllocationError);
  });

  it("counts a GPU's cost only over its lifetime in the window", () => {
    const gpus = [gpu(1, 1, "A100", { firstSeenMs: T0_MS + HOUR_MS + 60_000 })]; // first reported 01:01
    const result = allocateCosts(gpus, JOBS, [], PRICES, options());
    expect(result.fleetCost).toBeCloseTo(2, 10); // from 01:00, the hour it appeared in
  });
});

describe("periodsOf", () => {
  it("cuts the window at price changes and steps", () => {
    const periods = periodsOf({ windowStartMs: T0_MS, windowEndMs: T0_MS + 5 * HOUR_MS, periodStartsMs: [T0_MS + 90 * 60_000], stepMs: 2 * HOUR_MS });
    expect(periods.map((p) => [(p.startMs - T0_MS) / 60_000, (p.endMs - T0_MS) / 60_000, (p.stepStartMs - T0_MS) / 60_000])).toEqual([
      [0, 90, 0],
      [90, 120, 0],
      [120, 240, 120],
      [240, 300, 240],
    ]);
  });
});
