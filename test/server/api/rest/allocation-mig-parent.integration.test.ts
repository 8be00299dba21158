import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleAllocationRequest } from "../../../../server/api/rest/allocation-handler";
import { handleIngestRequest } from "../../../../server/api/rest/ingest-handler";
import { createServerMetrics } from "../../../../server/services/metrics";
import { issueNodeToken } from "../../../../server/services/node-tokens";
import { addPriceEntry } from "../../../../server/services/price-book-service";
import type { IngestBatch, WireGpuWindow } from "../../../../server/wire/ingest-v1";
import { ingestRequest } from "../../../support/in-process-server";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";
import { ALL_DATA } from "../../../../server/auth/principal";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;
const MODEL = "NVIDIA A100-SXM4-40GB";
const AT_00_MS = Date.UTC(2026, 11, 1);
const WINDOW = "2026-12-01T00:00:00Z,2026-12-01T02:00:00Z";

function window(gpuUuid: string, startMs: number): WireGpuWindow {
  return { gpuUuid, startMs, endMs: startMs + HOUR_MS, sampleCount: 60, utilizationAvgPct: null, utilizationMaxPct: null, smActiveAvgPct: 50, memoryUsedAvgMiB: 1000, memoryUsedMaxMiB: 1000, powerAvgW: null, energyJ: null };
}

/**
 * As dcgm-exporter reports a MIG GPU: only its instances, never the parent. The
 * A100 (7.00/h, 1.00 a slice) has a 3g.20gb instance held by a job and a 2g.10gb
 * instance without one; two slices are not configured.
 */
function batch(): IngestBatch {
  const parent = "GPU-a100-0";
  const instances = [`MIG-${parent}/1/0`, `MIG-${parent}/2/0`];
  return {
    schemaVersion: 1,
    batchId: "dddddddd-2222-4333-8444-555555555555",
    node: { hostname: "node-mig", labels: {} },
    gpus: [
      { uuid: instances[0], index: 0, modelName: MODEL, memoryTotalMiB: 19968, migParentUuid: parent, migProfile: "3g.20gb" },
      { uuid: instances[1], index: 0, modelName: MODEL, memoryTotalMiB: 9856, migParentUuid: parent, migProfile: "2g.10gb" },
    ],
    jobs: [{ externalId: "pod-vision-7", kind: "inference", team: "vision" }],
    gpuWindows: instances.flatMap((uuid) => [window(uuid, AT_00_MS), window(uuid, AT_00_MS + HOUR_MS)]),
    jobWindows: [AT_00_MS, AT_00_MS + HOUR_MS].map((startMs) => ({
      gpuUuid: instances[0],
      jobExternalId: "pod-vision-7",
      startMs,
      endMs: startMs + HOUR_MS,
      sampleCount: 60,
      processCount: 1,
      utilizationAvgPct: null,
      memoryUsedAvgMiB: 1000,
      memoryUsedMaxMiB: 1000,
    })),
  };
}

describe.each(kinds)("allocation of a MIG GPU whose parent never reports, on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL MIG parent suite: ${skipReason}`);
  let db: TestDatabase;
  const nowMs = () => AT_00_MS + 3 * HOUR_MS;
  const get = async (query: string) =>
    (await handleAllocationRequest(new Request(`http://gpu-roi.test/api/v1/allocation?${query}`), { db: db.sql, nowMs, scope: ALL_DATA })).json();

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    const { token } = await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-mig", nowMs: AT_00_MS });
    await addPriceEntry(db.prisma, { gpuModel: MODEL, costPerGpuHour: 7, effectiveFromMs: Date.UTC(2026, 10, 1) }, AT_00_MS);
    const response = await handleIngestRequest(ingestRequest(batch(), token), { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 20, nowMs });
    expect(response.status).toBe(200);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("charges the whole GPU, the job its three slices, and the unused slices as idle", async () => {
    const body = await get(`window=${WINDOW}&aggregate=job`);
    expect(body).toMatchObject({ fleetCost: 14, fleetGpuHours: 2 });
    expect(body.rows.map((row: { name: string; gpuCost: number; idleCost: number }) => [row.name, row.gpuCost, row.idleCost])).toEqual([
      ["__idle__", 0, 8],
      ["pod-vision-7", 6, 0],
    ]);
  });

  it.skipIf(skipReason)("shares the unused slices' idle to the job when asked", async () => {
    const body = await get(`window=${WINDOW}&aggregate=job&shareIdle=weighted&idleBy=node`);
    expect(body.rows).toEqual([expect.objectContaining({ name: "pod-vision-7", gpuCost: 6, idleCost: 8, totalCost: 14 })]);
  });
});
