import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleAllocationRequest } from "../../../../server/api/rest/allocation-handler";
import { handleListExperiments } from "../../../../server/api/rest/experiments-handler";
import { handleIngestRequest } from "../../../../server/api/rest/ingest-handler";
import type { TrpcContext } from "../../../../server/api/trpc/init";
import { createCaller } from "../../../../server/api/trpc/root";
import { createServerMetrics } from "../../../../server/services/metrics";
import { issueNodeToken } from "../../../../server/services/node-tokens";
import { addPriceEntry } from "../../../../server/services/price-book-service";
import type { IngestBatch, WireGpuWindow, WireJobWindow } from "../../../../server/wire/ingest-v1";
import { ingestRequest } from "../../../support/in-process-server";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";
import { ALL_DATA } from "../../../../server/auth/principal";
import { OPEN_PRINCIPAL } from "../../../../server/auth/principal";

const kinds = await databaseKinds();
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const MODEL = "NVIDIA H100 80GB HBM3";
const AT_17_MS = Date.UTC(2026, 11, 3, 17);
const AT_18_MS = Date.UTC(2026, 11, 3, 18);
/** Asked at 18:04, four minutes into an unfinished hour. */
const NOW_MS = AT_18_MS + 4 * MINUTE_MS;
const WINDOW = "2026-12-03T16:00:00Z,2026-12-03T20:00:00Z";

function gpuWindow(startMs: number, endMs: number): WireGpuWindow {
  return { gpuUuid: "GPU-H100", startMs, endMs, sampleCount: 6, utilizationAvgPct: 100, utilizationMaxPct: 100, smActiveAvgPct: null, memoryUsedAvgMiB: 4000, memoryUsedMaxMiB: 4000, powerAvgW: 500, energyJ: null };
}

function jobWindow(startMs: number, endMs: number): WireJobWindow {
  return { gpuUuid: "GPU-H100", jobExternalId: "slurm-77", startMs, endMs, sampleCount: 6, processCount: 1, utilizationAvgPct: null, memoryUsedAvgMiB: 4000, memoryUsedMaxMiB: 4000 };
}

/**
 * One H100 at 6.00/h. slurm-77 holds it in a full window 17:00-18:00, then in
 * one-minute windows from 18:00 to 18:04: the hour 18:00-19:00 has begun but is
 * not over.
 */
function batch(): IngestBatch {
  const spans: [number, number][] = [[AT_17_MS, AT_18_MS], ...[0, 1, 2, 3].map((minute): [number, number] => [AT_18_MS + minute * MINUTE_MS, AT_18_MS + (minute + 1) * MINUTE_MS])];
  return {
    schemaVersion: 1,
    batchId: "cccccccc-2222-4333-8444-555555555555",
    node: { hostname: "node-h", labels: {} },
    gpus: [{ uuid: "GPU-H100", index: 0, modelName: MODEL, memoryTotalMiB: 81559 }],
    jobs: [{ externalId: "slurm-77", kind: "training", team: "search", model: "ranker", experiment: "ranker-exp-9" }],
    gpuWindows: spans.map(([startMs, endMs]) => gpuWindow(startMs, endMs)),
    jobWindows: spans.map(([startMs, endMs]) => jobWindow(startMs, endMs)),
  };
}

describe.each(kinds)("a START,END window whose END is in the future, on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL window-end suite: ${skipReason}`);
  let db: TestDatabase;
  const nowMs = () => NOW_MS;
  const get = async (query: string) => {
    const response = await handleAllocationRequest(new Request(`http://gpu-roi.test/api/v1/allocation?${query}`), { db: db.sql, nowMs, scope: ALL_DATA });
    return { status: response.status, body: response.headers.get("content-type")?.includes("json") ? await response.json() : await response.text() };
  };

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    const { token } = await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-h", nowMs: AT_17_MS });
    await addPriceEntry(db.prisma, { gpuModel: MODEL, costPerGpuHour: 6, effectiveFromMs: Date.UTC(2026, 10, 1) }, AT_17_MS);
    const response = await handleIngestRequest(ingestRequest(batch(), token), { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 20, nowMs });
    expect(response.status).toBe(200);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("allocates up to the last whole hour before now and reports that end", async () => {
    const { status, body } = await get(`window=${WINDOW}&aggregate=job`);
    expect(status).toBe(200);
    expect(body.window).toEqual({ start: "2026-12-03T16:00:00.000Z", end: "2026-12-03T18:00:00.000Z" });
    expect(body.fleetCost).toBe(6);
    expect(body.fleetGpuHours).toBe(1);
    expect(body.rows).toHaveLength(1);
    expect(body.rows[0]).toMatchObject({ name: "slurm-77", gpuHours: 1, gpuCost: 6, totalCost: 6, end: "2026-12-03T18:00:00.000Z" });
  });

  it.skipIf(skipReason)("answers the same as the window ending at the cut, in JSON, CSV and steps", async () => {
    const cut = (await get("window=2026-12-03T16:00:00Z,2026-12-03T18:00:00Z&aggregate=job")).body;
    expect((await get(`window=${WINDOW}&aggregate=job`)).body).toEqual(cut);
    const csv = (await get(`window=${WINDOW}&aggregate=job&format=csv`)).body as string;
    expect(csv.trim().split("\n").slice(1)).toEqual([
      "slurm-77,slurm-77,2026-12-03T16:00:00.000Z,2026-12-03T18:00:00.000Z,1,1,6,0,6,1,0,USD",
      "__total__,,2026-12-03T16:00:00.000Z,2026-12-03T18:00:00.000Z,1,1,6,0,6,1,0,USD",
    ]);
    const steps = (await get(`window=${WINDOW}&aggregate=job&step=1h`)).body;
    expect(steps.rows.map((row: { start: string; totalCost: number }) => [row.start, row.totalCost])).toEqual([["2026-12-03T17:00:00.000Z", 6]]);
  });

  it.skipIf(skipReason)("cuts the experiment views and the tRPC queries the same way", async () => {
    const experiments = await (await handleListExperiments(new Request(`http://gpu-roi.test/api/v1/experiments?window=${WINDOW}`), { db: db.sql, nowMs, scope: ALL_DATA })).json();
    expect(experiments.window).toEqual({ startMs: Date.UTC(2026, 11, 3, 16), endMs: AT_18_MS });
    expect(experiments.experiments).toEqual([expect.objectContaining({ experiment: "ranker-exp-9", gpuHours: 1, totalCost: 6 })]);
    const caller = createCaller({ db: db.sql, prisma: db.prisma, nowMs, isAdmin: false, principal: OPEN_PRINCIPAL } as TrpcContext);
    const allocation = await caller.allocation.get({ window: WINDOW, aggregate: "job" });
    expect(allocation).toMatchObject({ window: { end: "2026-12-03T18:00:00.000Z" }, fleetCost: 6 });
    const experiment = await caller.experiments.get({ window: WINDOW, experiment: "ranker-exp-9" });
    expect(experiment.summary).toMatchObject({ gpuHours: 1, totalCost: 6 });
    // The overview shows utilization, not money, up to now (as 24h does): never past it.
    const overview = await caller.overview.get({ window: WINDOW });
    expect(overview.window).toEqual({ startMs: Date.UTC(2026, 11, 3, 16), endMs: NOW_MS });
    expect(overview.summary.gpuHours).toBeCloseTo(1 + 4 / 60, 9);
  });

  it.skipIf(skipReason)("answers an empty window when START lies in the unfinished hour", async () => {
    const { status, body } = await get("window=2026-12-03T18:02:00Z,2026-12-03T20:00:00Z&aggregate=job");
    expect(status).toBe(200);
    expect(body.window).toEqual({ start: "2026-12-03T18:00:00.000Z", end: "2026-12-03T18:00:00.000Z" });
    expect(body).toMatchObject({ rows: [], fleetCost: 0, fleetGpuHours: 0, totals: { gpuHours: 0, totalCost: 0 } });
  });

  it.skipIf(skipReason)("answers 400 naming window when START is not before now", async () => {
    for (const window of ["2026-12-03T18:04:00Z,2026-12-03T20:00:00Z", "2026-12-03T19:00:00Z,2026-12-03T20:00:00Z"]) {
      const { status, body } = await get(`window=${window}&aggregate=job`);
      expect(status).toBe(400);
      expect(body.error.field).toBe("window");
      expect(body.error.message).toMatch(/not before now \(2026-12-03T18:04:00.000Z\)/);
    }
    const caller = createCaller({ db: db.sql, prisma: db.prisma, nowMs, isAdmin: false, principal: OPEN_PRINCIPAL } as TrpcContext);
    await expect(caller.overview.get({ window: "2026-12-03T19:00:00Z,2026-12-03T20:00:00Z" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
