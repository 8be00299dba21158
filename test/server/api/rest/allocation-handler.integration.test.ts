import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleAllocationRequest } from "../../../../server/api/rest/allocation-handler";
import { handleEstimateRequest } from "../../../../server/api/rest/estimate-handler";
import { handleGetExperiment, handleListExperiments } from "../../../../server/api/rest/experiments-handler";
import { handleIngestRequest } from "../../../../server/api/rest/ingest-handler";
import { createServerMetrics } from "../../../../server/services/metrics";
import { getExperimentCosts, listExperimentCosts } from "../../../../server/services/experiment-service";
import { issueNodeToken } from "../../../../server/services/node-tokens";
import { addPriceEntry } from "../../../../server/services/price-book-service";
import type { IngestBatch, WireGpuWindow, WireJobWindow } from "../../../../server/wire/ingest-v1";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";
import { ingestRequest } from "../../../support/in-process-server";
import { ALL_DATA } from "../../../../server/auth/principal";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;
const QUARTER_MS = 15 * 60_000;
const T0_MS = Date.UTC(2026, 10, 2, 0, 0, 0);
const MODEL = "NVIDIA A100-SXM4-80GB";
const WINDOW = "2026-11-02T00:00:00Z,2026-11-02T03:00:00Z";

function gpuWindows(gpuUuid: string, fromMs: number, toMs: number, utilizationAvgPct: number): WireGpuWindow[] {
  const windows: WireGpuWindow[] = [];
  for (let startMs = fromMs; startMs < toMs; startMs += QUARTER_MS) {
    windows.push({ gpuUuid, startMs, endMs: startMs + QUARTER_MS, sampleCount: 15, utilizationAvgPct, utilizationMaxPct: utilizationAvgPct, smActiveAvgPct: null, memoryUsedAvgMiB: 1000, memoryUsedMaxMiB: 1000, powerAvgW: 100, energyJ: 90_000 });
  }
  return windows;
}

function jobWindows(gpuUuid: string, jobExternalId: string, fromMs: number, toMs: number): WireJobWindow[] {
  return gpuWindows(gpuUuid, fromMs, toMs, 50).map((w) => ({
    gpuUuid,
    jobExternalId,
    startMs: w.startMs,
    endMs: w.endMs,
    sampleCount: 15,
    processCount: 1,
    utilizationAvgPct: null,
    memoryUsedAvgMiB: 900,
    memoryUsedMaxMiB: 900,
  }));
}

/**
 * node-a has two A100s priced 2.00/h until 02:00 and 3.00/h after. GPU-0 runs
 * slurm-1001 at 50 % from 23:00 the day before until 02:00 (across the window's
 * start), then idles; GPU-1 idles. Over 00:00-03:00 the fleet costs
 * 2 x (2 h x 2.00 + 1 h x 3.00) = 14.00, of which slurm-1001 holds 2 h x 2.00 = 4.00.
 */
function batch(): IngestBatch {
  return {
    schemaVersion: 1,
    batchId: "aaaaaaaa-2222-4333-8444-555555555555",
    node: { hostname: "node-a", labels: { pool: "a100" } },
    gpus: [
      { uuid: "GPU-0", index: 0, modelName: MODEL, memoryTotalMiB: 81920 },
      { uuid: "GPU-1", index: 1, modelName: MODEL, memoryTotalMiB: 81920 },
    ],
    jobs: [{ externalId: "slurm-1001", kind: "training", requestedGpus: 1, team: "search", project: "web", model: "ranker-v3", experiment: "ranker-v3-exp-1", user: "alice" }],
    gpuWindows: [
      ...gpuWindows("GPU-0", T0_MS - HOUR_MS, T0_MS + 2 * HOUR_MS, 50),
      ...gpuWindows("GPU-0", T0_MS + 2 * HOUR_MS, T0_MS + 3 * HOUR_MS, 0),
      ...gpuWindows("GPU-1", T0_MS, T0_MS + 3 * HOUR_MS, 0),
    ],
    jobWindows: jobWindows("GPU-0", "slurm-1001", T0_MS - HOUR_MS, T0_MS + 2 * HOUR_MS),
  };
}

describe.each(kinds)("handleAllocationRequest on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL allocation suite: ${skipReason}`);
  let db: TestDatabase;
  const nowMs = () => T0_MS + 10 * HOUR_MS;
  const get = async (query: string, askedAtMs = nowMs()) => {
    const response = await handleAllocationRequest(new Request(`http://gpu-roi.test/api/v1/allocation?${query}`), { db: db.sql, nowMs: () => askedAtMs, scope: ALL_DATA });
    return { status: response.status, body: response.headers.get("content-type")?.includes("json") ? await response.json() : await response.text() };
  };

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    const { token } = await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-a", nowMs: T0_MS });
    await addPriceEntry(db.prisma, { gpuModel: MODEL, costPerGpuHour: 2, effectiveFromMs: Date.UTC(2026, 10, 1) }, T0_MS);
    await addPriceEntry(db.prisma, { gpuModel: MODEL, costPerGpuHour: 3, effectiveFromMs: T0_MS + 2 * HOUR_MS }, T0_MS);
    const response = await handleIngestRequest(
      ingestRequest(batch(), token),
      { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 20, nowMs },
    );
    expect(response.status).toBe(200);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("allocates the window's cost to the job and idle, adding up to the fleet's cost", async () => {
    const { status, body } = await get(`window=${WINDOW}&aggregate=job`);
    expect(status).toBe(200);
    expect(body.window).toEqual({ start: "2026-11-02T00:00:00.000Z", end: "2026-11-02T03:00:00.000Z" });
    expect(body.fleetCost).toBeCloseTo(14, 6);
    const rows = Object.fromEntries(body.rows.map((row: { name: string }) => [row.name, row]));
    expect(rows["slurm-1001"]).toMatchObject({ gpuHours: 2, activeGpuHours: 1, gpuCost: 4, totalCost: 4, efficiency: 0.5, wasteCost: 2, currency: "USD" });
    expect(rows.__idle__.totalCost).toBeCloseTo(10, 6);
    expect(body.totals.totalCost).toBeCloseTo(14, 6);
  });

  it.skipIf(skipReason)("shares each hour's idle cost to the jobs of that hour when asked", async () => {
    const { body } = await get(`window=${WINDOW}&aggregate=team&shareIdle=weighted`);
    // 00:00 and 01:00: 4.00 of fleet, 2.00 held by slurm-1001, 2.00 idle shared to it;
    // 02:00: 6.00 of fleet at 3.00/h and no job: it stays idle.
    expect(body.rows.map((row: { name: string; gpuCost: number; idleCost: number; totalCost: number }) => [row.name, row.gpuCost, row.idleCost, row.totalCost])).toEqual([
      ["search", 4, 4, 8],
      ["__idle__", 0, 6, 6],
    ]);
    expect(body.totals.totalCost).toBe(body.fleetCost);
  });

  it.skipIf(skipReason)("returns a series per step", async () => {
    const { body } = await get(`window=${WINDOW}&aggregate=team&step=1h`);
    const search = body.rows.filter((row: { name: string }) => row.name === "search");
    expect(search.map((row: { start: string; gpuCost: number }) => [row.start, row.gpuCost])).toEqual([
      ["2026-11-02T00:00:00.000Z", 2],
      ["2026-11-02T01:00:00.000Z", 2],
    ]);
    const idle = body.rows.filter((row: { name: string }) => row.name === "__idle__").map((row: { totalCost: number }) => row.totalCost);
    expect(idle).toEqual([2, 2, 6]);
  });

  it.skipIf(skipReason)("exports the same rows as CSV", async () => {
    const json = (await get(`window=${WINDOW}&aggregate=team,project`)).body;
    const { body: csv } = await get(`window=${WINDOW}&aggregate=team,project&format=csv`);
    const lines = (csv as string).trim().split("\n");
    expect(lines[0]).toBe("name,team,project,start,end,gpuHours,activeGpuHours,gpuCost,idleCost,totalCost,efficiency,wasteCost,currency");
    expect(lines).toHaveLength(json.rows.length + 2);
    expect(lines).toContain("search/web,search,web,2026-11-02T00:00:00.000Z,2026-11-02T03:00:00.000Z,2,1,4,0,4,0.5,2,USD");
    expect(lines[lines.length - 1]).toBe("__total__,,,2026-11-02T00:00:00.000Z,2026-11-02T03:00:00.000Z,2,1,4,10,14,0.5,2,USD");
  });

  it.skipIf(skipReason)("gives an experiment's runs, cost per run and daily trend", async () => {
    const window = { startMs: T0_MS, endMs: T0_MS + 3 * HOUR_MS };
    const list = await listExperimentCosts(db.sql, { window, shareIdle: "none" }, ALL_DATA);
    expect(list.experiments).toEqual([
      { model: "ranker-v3", experiment: "ranker-v3-exp-1", runs: 1, gpuHours: 2, activeGpuHours: 1, totalCost: 4, efficiency: 0.5, costPerRun: 4, wasteCost: 2 },
    ]);
    expect((await listExperimentCosts(db.sql, { window, model: "other-model", shareIdle: "none" }, ALL_DATA)).experiments).toEqual([]);
    const detail = await getExperimentCosts(db.sql, { window, experiment: "ranker-v3-exp-1", shareIdle: "weighted" }, ALL_DATA);
    // The idle of 00:00 and 01:00 (2.00 each) is its; 02:00's, when no job ran, is not.
    expect(detail.summary).toMatchObject({ runs: 1, totalCost: 8 });
    expect(detail.jobs.map((job) => job.properties.job)).toEqual(["slurm-1001"]);
    expect(detail.trend.map((day) => [new Date(day.startMs).toISOString(), day.totalCost])).toEqual([["2026-11-02T00:00:00.000Z", 8]]);
  });

  it.skipIf(skipReason)("serves the experiment views over REST, with 404 for an unknown experiment", async () => {
    const context = { db: db.sql, nowMs, scope: ALL_DATA };
    const list = await handleListExperiments(new Request(`http://gpu-roi.test/api/v1/experiments?window=${WINDOW}&model=ranker-v3`), context);
    expect((await list.json()).experiments.map((e: { experiment: string }) => e.experiment)).toEqual(["ranker-v3-exp-1"]);
    const one = await handleGetExperiment(new Request(`http://gpu-roi.test/api/v1/experiments/x?window=${WINDOW}`), "ranker-v3-exp-1", context);
    expect((await one.json()).summary.costPerRun).toBe(4);
    const missing = await handleGetExperiment(new Request(`http://gpu-roi.test/api/v1/experiments/x?window=${WINDOW}`), "nope", context);
    expect(missing.status).toBe(404);
    const badWindow = await handleListExperiments(new Request("http://gpu-roi.test/api/v1/experiments?window=soon"), context);
    expect((await badWindow.json()).error.field).toBe("window");
  });

  it.skipIf(skipReason)("gives the same costs from daily rollups over days as from hourly steps", async () => {
    // A three-day job on GPU-1, in one-hour windows.
    const hourly = (fromMs: number, toMs: number) => gpuWindows("GPU-1", fromMs, toMs, 80).filter((w) => w.startMs % HOUR_MS === 0).map((w) => ({ ...w, endMs: w.startMs + HOUR_MS }));
    const fromMs = T0_MS + 20 * HOUR_MS;
    const toMs = T0_MS + 4 * 24 * HOUR_MS + 6 * HOUR_MS;
    const long = {
      ...batch(),
      batchId: "bbbbbbbb-2222-4333-8444-555555555555",
      jobs: [{ externalId: "slurm-2002", kind: "training" as const, team: "ads", experiment: "ctr-exp-4" }],
      gpuWindows: hourly(fromMs, toMs),
      jobWindows: hourly(fromMs, toMs).map((w) => ({ gpuUuid: "GPU-1", jobExternalId: "slurm-2002", startMs: w.startMs, endMs: w.endMs, sampleCount: 60, processCount: 1, utilizationAvgPct: null, memoryUsedAvgMiB: 500, memoryUsedMaxMiB: 500 })),
    };
    const token = (await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-a", nowMs: T0_MS })).token;
    const ingested = await handleIngestRequest(
      ingestRequest(long, token),
      // Received once the three days have passed (windows may not end after the server's clock).
      { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 20, nowMs: () => toMs },
    );
    expect(ingested.status).toBe(200);
    const window = "2026-11-02T13:00:00Z,2026-11-06T04:00:00Z"; // whole days inside, partial days at both ends
    // Asked once the window is over (a window never reaches past now). Shared idle
    // is settled hour by hour, so its steps add up to its totals too.
    for (const shareIdle of ["none", "weighted", "even"]) {
      const totals = (await get(`window=${window}&aggregate=job&shareIdle=${shareIdle}`, toMs)).body;
      for (const step of ["1h", "1d"]) {
        const steps = (await get(`window=${window}&aggregate=job&shareIdle=${shareIdle}&step=${step}`, toMs)).body;
        for (const row of totals.rows) {
          const fromSteps = steps.rows.filter((candidate: { name: string }) => candidate.name === row.name);
          for (const field of ["gpuHours", "activeGpuHours", "gpuCost", "idleCost", "totalCost"]) {
            expect(fromSteps.reduce((sum: number, candidate: Record<string, number>) => sum + candidate[field], 0)).toBeCloseTo(row[field], 4);
          }
        }
      }
    }
    const totals = (await get(`window=${window}&aggregate=job`, toMs)).body;
    const job = totals.rows.find((row: { name: string }) => row.name === "slurm-2002");
    expect(job.gpuHours).toBeCloseTo((T0_MS + 4 * 24 * HOUR_MS + 4 * HOUR_MS - (T0_MS + 20 * HOUR_MS)) / HOUR_MS, 6);
    expect(job.efficiency).toBeCloseTo(0.8, 6);
    expect(totals.totals.totalCost).toBeCloseTo(totals.fleetCost, 6);
  });

  it.skipIf(skipReason)("estimates an experiment like an earlier one, at today's price, and names a bad field", async () => {
    const post = (body: unknown) =>
      handleEstimateRequest(new Request("http://gpu-roi.test/api/v1/estimate", { method: "POST", body: JSON.stringify(body) }), { db: db.sql, nowMs, scope: ALL_DATA });
    const answer = await post({ likeExperiment: "ranker-v3-exp-1", scale: 2 });
    expect(answer.status).toBe(200);
    // slurm-1001 held GPU-0 from 23:00 to 02:00 (3 GPU-hours); twice that at 3.00 a GPU-hour.
    expect(await answer.json()).toMatchObject({ gpuModel: MODEL, plannedGpuHours: 6, expectedCost: 18, currency: "USD", similarRuns: 1, expectedEfficiency: 0.5 });
    const bad = await post({ gpuModel: MODEL, hours: 3 });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.field).toBe("gpuCount");
  });

  it.skipIf(skipReason)("answers 400 naming the parameter for bad input", async () => {
    expect((await get("aggregate=colour")).body.error.field).toBe("aggregate[0]");
    expect((await get("window=fortnight")).body.error.field).toBe("window");
    expect((await get("filter=team")).body.error.field).toBe("filter");
    expect((await get("basis=cheapest")).body.error.field).toBe("basis");
    expect((await get("window=400d&step=1h")).body.error.field).toBe("step");
  });
});
