/**
 * Duplicate and out-of-order batches: a simulated fleet's batches are sent
 * shuffled, some resent with the same batchId, some resent under a new batchId
 * (the windows are deduplicated by GPU, job and start), some merged two by two
 * under a new batchId. The stored raw windows, hourly rollups and the allocation
 * API's costs must equal the truth computed here from the generated windows alone.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unitRandom } from "../../../../collectors/simulator/deterministic-random";
import { FleetSimulator } from "../../../../collectors/simulator/fleet-simulator";
import { WindowAggregator } from "../../../../collectors/window";
import { handleAllocationRequest } from "../../../../server/api/rest/allocation-handler";
import { handleIngestRequest, type IngestHandlerContext } from "../../../../server/api/rest/ingest-handler";
import { createServerMetrics } from "../../../../server/services/metrics";
import { issueNodeToken } from "../../../../server/services/node-tokens";
import { addPriceEntry } from "../../../../server/services/price-book-service";
import type { IngestBatch } from "../../../../server/wire/ingest-v1";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";
import { ingestRequest } from "../../../support/in-process-server";
import { ALL_DATA } from "../../../../server/auth/principal";

const kinds = await databaseKinds();
const START_MS = Date.UTC(2026, 10, 2, 0, 0, 0); // Monday 2026-11-02T00:00Z
const HOUR_MS = 3_600_000;
const END_MS = START_MS + 6 * HOUR_MS;
const SAMPLE_MS = 10_000;
const WINDOW_MS = 60_000;
const BATCH_SPAN_MS = 15 * 60_000;
/** Literal prices, USD per GPU-hour. */
const PRICES: Record<string, number> = { "NVIDIA A100-SXM4-80GB": 2.5, "NVIDIA H100 80GB HBM3": 4 };

interface Send {
  hostname: string;
  batch: IngestBatch;
}

/** Every batch the fleet's collectors build: one per node per 15 minutes of 1-minute windows. */
function simulateBatches(simulator: FleetSimulator): Send[] {
  const sends: Send[] = [];
  for (const node of simulator.nodes) {
    const aggregator = new WindowAggregator(WINDOW_MS);
    for (let chunkMs = START_MS; chunkMs < END_MS; chunkMs += BATCH_SPAN_MS) {
      for (let atMs = chunkMs; atMs < chunkMs + BATCH_SPAN_MS; atMs += SAMPLE_MS) aggregator.add(simulator.snapshot(node.index, atMs));
      const closed = aggregator.flush(chunkMs + BATCH_SPAN_MS);
      sends.push({
        hostname: node.hostname,
        batch: { schemaVersion: 1, batchId: randomUUID(), node: { hostname: node.hostname }, collector: { version: "test", source: "simulator" }, ...closed },
      });
    }
  }
  return sends;
}

/** The truth, from the generated windows only (no server code). */
function truthOf(sends: readonly Send[]) {
  const modelOf = new Map<string, string>();
  const gpuMsByHour = new Map<number, number>();
  const energyJByHour = new Map<number, number>();
  const jobMs = new Map<string, number>();
  const withJobs = new Set<string>();
  let gpuWindows = 0;
  let jobWindows = 0;
  let fleetCost = 0;
  let gpuHours = 0;
  for (const { batch } of sends) {
    for (const gpu of batch.gpus) modelOf.set(gpu.uuid, gpu.modelName);
    for (const window of batch.jobWindows) {
      jobWindows += 1;
      withJobs.add(`${window.gpuUuid}:${window.startMs}`);
      jobMs.set(window.jobExternalId, (jobMs.get(window.jobExternalId) ?? 0) + window.endMs - window.startMs);
    }
  }
  let allocatedCost = 0;
  let allocatedGpuHours = 0;
  for (const { batch } of sends) {
    for (const window of batch.gpuWindows) {
      gpuWindows += 1;
      const hours = (window.endMs - window.startMs) / HOUR_MS;
      const cost = hours * PRICES[modelOf.get(window.gpuUuid)!];
      gpuHours += hours;
      fleetCost += cost;
      if (withJobs.has(`${window.gpuUuid}:${window.startMs}`)) {
        allocatedGpuHours += hours;
        allocatedCost += cost;
      }
      // One-minute windows on the minute never cross an hour.
      const hourMs = Math.floor(window.startMs / HOUR_MS) * HOUR_MS;
      gpuMsByHour.set(hourMs, (gpuMsByHour.get(hourMs) ?? 0) + window.endMs - window.startMs);
      energyJByHour.set(hourMs, (energyJByHour.get(hourMs) ?? 0) + (window.energyJ ?? 0));
    }
  }
  return { gpuWindows, jobWindows, gpuHours, fleetCost, allocatedGpuHours, allocatedCost, gpuMsByHour, energyJByHour, jobMs };
}

/** Two batches of one node as one, under a new batchId (GPUs and jobs listed once). */
function merged(a: IngestBatch, b: IngestBatch): IngestBatch {
  const gpus = new Map([...a.gpus, ...b.gpus].map((gpu) => [gpu.uuid, gpu]));
  const jobs = new Map([...a.jobs, ...b.jobs].map((job) => [job.externalId, job]));
  return {
    ...a,
    batchId: randomUUID(),
    gpus: [...gpus.values()],
    jobs: [...jobs.values()],
    gpuWindows: [...a.gpuWindows, ...b.gpuWindows],
    jobWindows: [...a.jobWindows, ...b.jobWindows],
  };
}

/**
 * What the server receives: every batch once, a third again with the same
 * batchId, a fifth again under a new batchId, and pairs of a node's batches
 * merged under a new batchId, all shuffled (seeded, so a failure reproduces).
 */
function deliveries(sends: readonly Send[], seed: number): Send[] {
  const all: Send[] = [...sends];
  sends.forEach((send, index) => {
    if (unitRandom(seed, index, 1) < 1 / 3) all.push(send);
    if (unitRandom(seed, index, 2) < 1 / 5) all.push({ ...send, batch: { ...send.batch, batchId: randomUUID() } });
    const next = sends[index + 1];
    if (next?.hostname === send.hostname && unitRandom(seed, index, 3) < 1 / 6) all.push({ ...send, batch: merged(send.batch, next.batch) });
  });
  // Fisher-Yates with the stateless generator.
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(unitRandom(seed, i, 4) * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all;
}

describe.each(kinds)("handleIngestRequest with duplicate and out-of-order batches on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL duplicates suite: ${skipReason}`);
  let db: TestDatabase;
  const simulator = new FleetSimulator({ seed: 11, nodeCount: 4, gpusPerNode: 2, clusterName: "sim" });
  const sends = simulateBatches(simulator);
  const truth = truthOf(sends);
  const delivered = deliveries(sends, 2026);

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    for (const [gpuModel, costPerGpuHour] of Object.entries(PRICES)) {
      await addPriceEntry(db.prisma, { gpuModel, costPerGpuHour, effectiveFromMs: Date.UTC(2026, 10, 1) }, START_MS);
    }
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("stores every window once whatever the order and repetition, and the totals equal the simulated truth", async () => {
    expect(delivered.length).toBeGreaterThan(sends.length * 1.4);
    expect(truth.jobWindows).toBeGreaterThan(0);
    const tokens = new Map<string, string>();
    for (const node of simulator.nodes) {
      tokens.set(node.hostname, (await issueNodeToken(db.prisma, { clusterName: "sim", hostname: node.hostname, nowMs: START_MS })).token);
    }
    const context: IngestHandlerContext = { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 16 << 20, nowMs: () => END_MS + 60_000 };
    let duplicates = 0;
    let windowsAlreadyStored = 0;
    for (const { hostname, batch } of delivered) {
      const response = await handleIngestRequest(
        ingestRequest(batch, tokens.get(hostname)!),
        context,
      );
      expect(response.status).toBe(200);
      const ack = await response.json();
      if (ack.duplicate) duplicates += 1;
      windowsAlreadyStored += ack.windowsAlreadyStored;
    }
    expect(duplicates).toBe(delivered.length - new Set(delivered.map((send) => send.batch.batchId)).size);
    expect(windowsAlreadyStored).toBeGreaterThan(0);

    // Raw windows: each once.
    const [counts] = await db.sql.query<{ gpu: number; job: number }>(
      `SELECT (SELECT COUNT(*) FROM gpu_usage_window) AS gpu, (SELECT COUNT(*) FROM job_usage_window) AS job`,
    );
    expect({ gpu: Number(counts.gpu), job: Number(counts.job) }).toEqual({ gpu: truth.gpuWindows, job: truth.jobWindows });

    // Hourly GPU rollups: time and energy per hour.
    const gpuHourly = await db.sql.query<{ hour: number; reported: number; energy: number }>(
      `SELECT hour_start_ms AS hour, SUM(reported_ms) AS reported, SUM(energy_j) AS energy FROM gpu_usage_hourly GROUP BY hour_start_ms ORDER BY hour_start_ms`,
    );
    expect(gpuHourly.map((row) => [Number(row.hour), Number(row.reported)])).toEqual([...truth.gpuMsByHour.entries()].sort((a, b) => a[0] - b[0]));
    for (const row of gpuHourly) expect(Number(row.energy)).toBeCloseTo(truth.energyJByHour.get(Number(row.hour))!, 3);

    // Job rollups: each job's reported time, hourly and daily; the shares of a GPU window sum to its duration.
    const jobHourly = await db.sql.query<{ job: string; reported: number; share: number }>(
      `SELECT j.external_id AS job, SUM(h.reported_ms) AS reported, SUM(h.share_ms) AS share FROM job_usage_hourly h JOIN job j ON j.id = h.job_id GROUP BY j.external_id`,
    );
    expect(Object.fromEntries(jobHourly.map((row) => [row.job, Number(row.reported)]))).toEqual(Object.fromEntries(truth.jobMs));
    const shareMs = jobHourly.reduce((sum, row) => sum + Number(row.share), 0);
    expect(shareMs / HOUR_MS).toBeCloseTo(truth.allocatedGpuHours, 6);
    const [daily] = await db.sql.query<{ reported: number; share: number }>(`SELECT SUM(reported_ms) AS reported, SUM(share_ms) AS share FROM job_usage_daily`);
    expect(Number(daily.reported)).toBe([...truth.jobMs.values()].reduce((a, b) => a + b, 0));
    expect(Number(daily.share)).toBeCloseTo(shareMs, 3);

    // Costs from the allocation API: fleet cost, allocated and idle, all adding up.
    const window = `${new Date(START_MS).toISOString()},${new Date(END_MS).toISOString()}`;
    const allocation = await (
      await handleAllocationRequest(new Request(`http://gpu-roi.test/api/v1/allocation?window=${window}&aggregate=team`), { db: db.sql, nowMs: () => END_MS + 60_000, scope: ALL_DATA })
    ).json();
    expect(allocation.fleetCost).toBeCloseTo(truth.fleetCost, 4);
    const idle = allocation.rows.find((row: { name: string }) => row.name === "__idle__");
    const allocated = allocation.rows.filter((row: { name: string }) => row.name !== "__idle__");
    expect(allocated.reduce((sum: number, row: { gpuCost: number }) => sum + row.gpuCost, 0)).toBeCloseTo(truth.allocatedCost, 4);
    expect(allocated.reduce((sum: number, row: { gpuHours: number }) => sum + row.gpuHours, 0)).toBeCloseTo(truth.allocatedGpuHours, 4);
    expect(idle.totalCost).toBeCloseTo(truth.fleetCost - truth.allocatedCost, 4);
    expect(allocation.totals.totalCost).toBeCloseTo(truth.fleetCost, 4);
    const shared = await (
      await handleAllocationRequest(new Request(`http://gpu-roi.test/api/v1/allocation?window=${window}&aggregate=team&shareIdle=weighted`), { db: db.sql, nowMs: () => END_MS + 60_000, scope: ALL_DATA })
    ).json();
    expect(shared.rows.reduce((sum: number, row: { totalCost: number }) => sum + row.totalCost, 0)).toBeCloseTo(truth.fleetCost, 4);
  });
});
