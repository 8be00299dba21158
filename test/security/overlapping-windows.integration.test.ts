/**
 * Overlapping windows of one GPU: refused within a batch (400 naming the
 * window), and capped at the GPU's lifetime in every view when they come in
 * different batches, so no view shows more GPU-hours than passed.
 *
 *   GPU-aaaa-0  |====1h====|====1h====|====1h====|   three 1-hour windows (two batches)
 *                |---59m---|                         12 more batches: one 59-minute window
 *                  |---59m---| ...                   each, every 10 minutes from T0+5m
 *              T0                                T0+3h
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleIngestRequest, type IngestHandlerContext } from "../../server/api/rest/ingest-handler";
import { getUtilizationHeatmap } from "../../server/services/fleet-service";
import { createServerMetrics } from "../../server/services/metrics";
import { issueNodeToken } from "../../server/services/node-tokens";
import { getOverview } from "../../server/services/overview-service";
import type { IngestBatch, WireGpuWindow, WireJobWindow } from "../../server/wire/ingest-v1";
import { makeBatch, MINUTE_MS, T0_MS } from "../support/batches";
import { ingestRequest } from "../support/in-process-server";
import { databaseKinds, type TestDatabase } from "../support/test-databases";
import { ALL_DATA } from "../../server/auth/principal";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;
const LIFETIME = { startMs: T0_MS, endMs: T0_MS + 3 * HOUR_MS };
const template = makeBatch();

function gpuWindow(startMs: number, endMs: number): WireGpuWindow {
  return { ...template.gpuWindows[0], gpuUuid: "GPU-aaaa-0", startMs, endMs, utilizationAvgPct: 50 };
}

function jobWindow(startMs: number, endMs: number): WireJobWindow {
  return { ...template.jobWindows[0], gpuUuid: "GPU-aaaa-0", startMs, endMs };
}

function batch(index: number, gpuWindows: WireGpuWindow[], jobWindows: WireJobWindow[] = []): IngestBatch {
  return makeBatch({ batchId: `33333333-0000-4000-8000-${String(index).padStart(12, "0")}`, gpus: [template.gpus[0]], gpuWindows, jobWindows });
}

describe.each(kinds)("overlapping windows of one GPU on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL overlapping-windows suite: ${skipReason}`);
  let db: TestDatabase;
  let token: string;
  let context: IngestHandlerContext;
  const send = async (body: IngestBatch) => handleIngestRequest(ingestRequest(body, token), context);
  const storedWindows = async () => Number((await db.sql.query<{ n: number }>(`SELECT COUNT(*) AS n FROM gpu_usage_window`))[0].n);

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    token = (await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-a", nowMs: T0_MS })).token;
    context = { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 20, nowMs: () => T0_MS + 4 * HOUR_MS };
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("refuses a batch whose windows of one GPU, or of one job on one GPU, overlap (400 naming the window), storing nothing", async () => {
    const gpuOverlap = await send(batch(900, [gpuWindow(T0_MS, T0_MS + HOUR_MS), gpuWindow(T0_MS + 30 * MINUTE_MS, T0_MS + 90 * MINUTE_MS)]));
    expect(gpuOverlap.status).toBe(400);
    expect(await gpuOverlap.json()).toMatchObject({ error: { field: "gpuWindows[1].startMs", message: expect.stringContaining("overlaps gpuWindows[0]") } });

    // Out of order too: the later-starting window comes first.
    const unordered = await send(batch(901, [gpuWindow(T0_MS + 30 * MINUTE_MS, T0_MS + 90 * MINUTE_MS), gpuWindow(T0_MS, T0_MS + HOUR_MS)]));
    expect(unordered.status).toBe(400);
    expect(((await unordered.json()) as { error: { field: string } }).error.field).toBe("gpuWindows[1].startMs");

    const jobOverlap = await send(batch(902, [gpuWindow(T0_MS, T0_MS + HOUR_MS)], [jobWindow(T0_MS, T0_MS + 2 * MINUTE_MS), jobWindow(T0_MS + MINUTE_MS, T0_MS + 3 * MINUTE_MS)]));
    expect(jobOverlap.status).toBe(400);
    expect(((await jobOverlap.json()) as { error: { field: string } }).error.field).toBe("jobWindows[1].startMs");
    expect(await storedWindows()).toBe(0);
  });

  it.skipIf(skipReason)("accepts back-to-back windows, and one window sent twice in a batch (stored once)", async () => {
    const response = await send(batch(903, [gpuWindow(T0_MS, T0_MS + HOUR_MS), gpuWindow(T0_MS, T0_MS + HOUR_MS), gpuWindow(T0_MS + HOUR_MS, T0_MS + 2 * HOUR_MS)]));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ gpuWindowsStored: 2, windowsAlreadyStored: 1 });
  });

  it.skipIf(skipReason)("never shows more GPU-hours for a GPU than it existed, on /fleet and the overview, when batches overlap", async () => {
    expect((await send(batch(1, [gpuWindow(T0_MS + 2 * HOUR_MS, T0_MS + 3 * HOUR_MS)]))).status).toBe(200);
    for (let index = 1; index <= 12; index++) {
      const startMs = T0_MS + (index * 10 - 5) * MINUTE_MS;
      expect((await send(batch(1 + index, [gpuWindow(startMs, startMs + 59 * MINUTE_MS)]))).status).toBe(200);
    }
    // What the rollups hold: far more than the 3 hours that passed.
    const [rolledUp] = await db.sql.query<{ ms: number }>(`SELECT SUM(reported_ms) AS ms FROM gpu_usage_hourly`);
    expect(Number(rolledUp.ms) / HOUR_MS).toBeCloseTo(3 + (12 * 59) / 60, 6);

    const heatmap = await getUtilizationHeatmap(db.sql, LIFETIME, {}, ALL_DATA);
    const gpu = heatmap.gpus.find((row) => row.uuid === "GPU-aaaa-0")!;
    expect(gpu.reportedGpuHours).toBeCloseTo(3, 9);
    expect(gpu.utilizationAvgPct).toBeCloseTo(50, 9);

    const overview = await getOverview(db.sql, LIFETIME, 10, ALL_DATA);
    expect(overview.summary.gpuHours).toBeCloseTo(3, 9);
    expect(overview.summary.utilizationAvgPct).toBeCloseTo(50, 9);
    for (const point of overview.series.points) {
      const bucketHours = (Math.min(point.startMs + overview.series.bucketMs, LIFETIME.endMs) - Math.max(point.startMs, LIFETIME.startMs)) / HOUR_MS;
      expect(point.gpuHours).toBeLessThanOrEqual(point.gpusReporting * bucketHours + 1e-9);
    }
    // A window of the GPU's life: the 2 hours it existed in it.
    const partial = await getUtilizationHeatmap(db.sql, { startMs: T0_MS + HOUR_MS, endMs: T0_MS + 5 * HOUR_MS }, {}, ALL_DATA);
    expect(partial.gpus.find((row) => row.uuid === "GPU-aaaa-0")!.reportedGpuHours).toBeLessThanOrEqual(2);
  });
});
