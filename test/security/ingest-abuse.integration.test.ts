/**
 * Ingest abuse that a node token can attempt: naming another node's GPU as the
 * parent of a MIG instance (cost shifting), reusing another node's batch id (its
 * windows dropped as a duplicate), and overlapping windows of one GPU (more
 * GPU-hours than the GPU existed).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleAllocationRequest } from "../../server/api/rest/allocation-handler";
import { handleIngestRequest, type IngestHandlerContext } from "../../server/api/rest/ingest-handler";
import { createServerMetrics } from "../../server/services/metrics";
import { issueNodeToken } from "../../server/services/node-tokens";
import type { IngestBatch, WireGpu } from "../../server/wire/ingest-v1";
import { makeBatch, MINUTE_MS, T0_MS } from "../support/batches";
import { ingestRequest } from "../support/in-process-server";
import { databaseKinds, type TestDatabase } from "../support/test-databases";
import { ALL_DATA } from "../../server/auth/principal";

const kinds = await databaseKinds();
const NOW_MS = T0_MS + 10 * MINUTE_MS;
const HOUR_MS = 3_600_000;

/** Rows of every table ingest writes, as one comparable value. */
async function storedCounts(db: TestDatabase): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ["ingest_batch", "gpu", "job", "gpu_usage_window", "job_usage_window", "gpu_usage_hourly", "job_usage_hourly"]) {
    counts[table] = Number((await db.sql.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  }
  return counts;
}

/** node-b's batch: its own GPU and one window on it, plus `gpus` (MIG instances, say). */
function nodeBBatch(batchId: string, extraGpus: WireGpu[] = []): IngestBatch {
  return makeBatch({
    batchId,
    node: { hostname: "node-b" },
    gpus: [{ uuid: "GPU-bbbb-0", index: 0, modelName: "NVIDIA A100-SXM4-80GB", memoryTotalMiB: 81920, migParentUuid: null, migProfile: null }, ...extraGpus],
    jobs: [],
    gpuWindows: [
      { gpuUuid: "GPU-bbbb-0", startMs: T0_MS, endMs: T0_MS + MINUTE_MS, sampleCount: 6, utilizationAvgPct: 50, utilizationMaxPct: 60, smActiveAvgPct: null, memoryUsedAvgMiB: 1000, memoryUsedMaxMiB: 1000, powerAvgW: 100, energyJ: 6000 },
    ],
    jobWindows: [],
  });
}

function migInstance(uuid: string, parentUuid: string): WireGpu {
  return { uuid, index: 0, modelName: "NVIDIA A100-SXM4-80GB", memoryTotalMiB: 40192, migParentUuid: parentUuid, migProfile: "3g.40gb" };
}

describe.each(kinds)("handleIngestRequest abuse on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL ingest abuse suite: ${skipReason}`);
  let db: TestDatabase;
  let tokenA: string;
  let tokenB: string;
  let context: IngestHandlerContext;

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    tokenA = (await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-a", nowMs: T0_MS })).token;
    // Another cluster: the fake parent may be anywhere in the fleet.
    tokenB = (await issueNodeToken(db.prisma, { clusterName: "other-lab", hostname: "node-b", nowMs: T0_MS })).token;
    context = { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 20, nowMs: () => NOW_MS };
    // node-a registers GPU-aaaa-0 and GPU-aaaa-1.
    expect((await handleIngestRequest(ingestRequest(makeBatch(), tokenA), context)).status).toBe(200);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("refuses (403, naming the field) a MIG instance whose parent is another node's GPU, and stores nothing", async () => {
    const before = await storedCounts(db);
    const batch = nodeBBatch("11111111-0000-4000-8000-000000000001", [migInstance("MIG-bbbb-steal", "GPU-aaaa-0")]);
    const response = await handleIngestRequest(ingestRequest(batch, tokenB), context);
    expect(response.status).toBe(403);
    const body = (await response.json()) as { error: { field: string; message: string } };
    expect(body.error.field).toBe("gpus[1].migParentUuid");
    expect(body.error.message).toContain("GPU-aaaa-0");
    expect(await storedCounts(db)).toEqual(before);
  });

  it.skipIf(skipReason)("refuses a MIG instance that names itself as its parent", async () => {
    const before = await storedCounts(db);
    const batch = nodeBBatch("11111111-0000-4000-8000-000000000002", [migInstance("MIG-bbbb-self", "MIG-bbbb-self")]);
    const response = await handleIngestRequest(ingestRequest(batch, tokenB), context);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { field: string } }).error.field).toBe("gpus[1].migParentUuid");
    expect(await storedCounts(db)).toEqual(before);
  });

  it.skipIf(skipReason)("accepts a parent no node registered (dcgm-exporter lists only instances), and never joins it to a GPU another node registers later", async () => {
    const instanceOnly = nodeBBatch("11111111-0000-4000-8000-000000000005", [migInstance("MIG-bbbb-lone", "GPU-registered-later")]);
    instanceOnly.gpuWindows.push({ ...instanceOnly.gpuWindows[0], gpuUuid: "MIG-bbbb-lone" });
    expect((await handleIngestRequest(ingestRequest(instanceOnly, tokenB), context)).status).toBe(200);
    const later = makeBatch({
      batchId: "11111111-0000-4000-8000-000000000006",
      gpus: [{ uuid: "GPU-registered-later", index: 2, modelName: "NVIDIA A100-SXM4-80GB", memoryTotalMiB: 81920, migParentUuid: null, migProfile: null }],
      jobs: [],
      gpuWindows: [{ ...instanceOnly.gpuWindows[0], gpuUuid: "GPU-registered-later" }],
      jobWindows: [],
    });
    expect((await handleIngestRequest(ingestRequest(later, tokenA), context)).status).toBe(200);

    // node-a's GPU stays a whole GPU of node-a; node-b's instance stands for a
    // whole card of node-b (its parent never reported), not a slice of node-a's.
    const response = await handleAllocationRequest(
      new Request(`http://gpu-roi.test/api/v1/allocation?window=${new Date(T0_MS).toISOString()},${new Date(T0_MS + HOUR_MS).toISOString()}&aggregate=node`),
      { db: db.sql, nowMs: () => T0_MS + 2 * HOUR_MS, scope: ALL_DATA },
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { fleetGpuHours: number };
    // GPU-aaaa-0, GPU-aaaa-1, GPU-registered-later (node-a); GPU-bbbb-0 and the lone instance's card (node-b).
    expect(body.fleetGpuHours).toBe(5);
  });

  it.skipIf(skipReason)("accepts a MIG instance whose parent is in the same batch, or already registered to the same node", async () => {
    const withParent = nodeBBatch("11111111-0000-4000-8000-000000000003", [migInstance("MIG-bbbb-0", "GPU-bbbb-0")]);
    expect((await handleIngestRequest(ingestRequest(withParent, tokenB), context)).status).toBe(200);
    const childOnly: IngestBatch = { ...withParent, batchId: "11111111-0000-4000-8000-000000000004", gpus: [migInstance("MIG-bbbb-0", "GPU-bbbb-0")], gpuWindows: [] };
    expect((await handleIngestRequest(ingestRequest(childOnly, tokenB), context)).status).toBe(200);
  });

  it.skipIf(skipReason)("scopes batch ids to the node: another node's batch with the same id is stored, the same node's resend is a duplicate", async () => {
    const sharedBatchId = makeBatch().batchId; // node-a's batch in beforeAll
    const fromB = nodeBBatch(sharedBatchId);
    fromB.gpuWindows[0] = { ...fromB.gpuWindows[0], startMs: T0_MS + 2 * MINUTE_MS, endMs: T0_MS + 3 * MINUTE_MS };
    const first = await handleIngestRequest(ingestRequest(fromB, tokenB), context);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ batchId: sharedBatchId, duplicate: false, gpuWindowsStored: 1 });
    const stored = await db.sql.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM gpu_usage_window w JOIN gpu g ON g.id = w.gpu_id WHERE g.uuid = 'GPU-bbbb-0' AND w.start_ms = ?`,
      [T0_MS + 2 * MINUTE_MS],
    );
    expect(Number(stored[0].n)).toBe(1);

    const before = await storedCounts(db);
    const again = await handleIngestRequest(ingestRequest(fromB, tokenB), context);
    expect(await again.json()).toMatchObject({ batchId: sharedBatchId, duplicate: true, gpuWindowsStored: 0 });
    const againFromA = await handleIngestRequest(ingestRequest(makeBatch(), tokenA), context);
    expect(await againFromA.json()).toMatchObject({ duplicate: true });
    expect(await storedCounts(db)).toEqual(before);
  });
});
