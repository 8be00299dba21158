import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestBatch } from "../../../server/services/ingest-service";
import { authenticateNodeToken, issueNodeToken } from "../../../server/services/node-tokens";
import { getUtilizationHeatmap } from "../../../server/services/fleet-service";
import type { IngestBatch } from "../../../server/wire/ingest-v1";
import { makeBatch, MINUTE_MS, T0_MS } from "../../support/batches";
import { databaseKinds, type TestDatabase } from "../../support/test-databases";
import { ALL_DATA } from "../../../server/auth/principal";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;

/**
 * node-a: GPU 0 runs slurm-1001 both hours and slurm-1002 too in the first
 * (shared), GPU 1 runs no job; node-b: one GPU running slurm-1003 in the
 * second hour only. One 60-minute window per GPU and hour.
 */
function batches(): IngestBatch[] {
  const template = makeBatch();
  const hour = (index: number) => ({ startMs: T0_MS + index * HOUR_MS, endMs: T0_MS + (index + 1) * HOUR_MS });
  const gpuWindow = (gpuUuid: string, index: number, utilizationAvgPct: number) => ({ ...template.gpuWindows[0], gpuUuid, ...hour(index), utilizationAvgPct, memoryUsedAvgMiB: 1000 });
  const jobWindow = (gpuUuid: string, jobExternalId: string, index: number) => ({ ...template.jobWindows[0], gpuUuid, jobExternalId, ...hour(index) });
  const job = (externalId: string) => ({ ...template.jobs[0], externalId });
  return [
    makeBatch({
      batchId: "00000000-0000-4000-8000-00000000000a",
      jobs: [job("slurm-1001"), job("slurm-1002")],
      gpuWindows: [gpuWindow("GPU-aaaa-0", 0, 90), gpuWindow("GPU-aaaa-1", 0, 0), gpuWindow("GPU-aaaa-0", 1, 50), gpuWindow("GPU-aaaa-1", 1, 0)],
      jobWindows: [jobWindow("GPU-aaaa-0", "slurm-1001", 0), jobWindow("GPU-aaaa-0", "slurm-1002", 0), jobWindow("GPU-aaaa-0", "slurm-1001", 1)],
    }),
    makeBatch({
      batchId: "00000000-0000-4000-8000-00000000000b",
      node: { hostname: "node-b" },
      gpus: [{ ...template.gpus[0], uuid: "GPU-bbbb-0" }],
      jobs: [job("slurm-1003")],
      gpuWindows: [gpuWindow("GPU-bbbb-0", 1, 70)],
      jobWindows: [jobWindow("GPU-bbbb-0", "slurm-1003", 1)],
    }),
  ];
}

describe.each(kinds)("getUtilizationHeatmap on $name", ({ create, skipReason }) => {
  let db: TestDatabase;
  const window = { startMs: T0_MS, endMs: T0_MS + 2 * HOUR_MS };

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    for (const batch of batches()) {
      const { token } = await issueNodeToken(db.prisma, { clusterName: "lab", hostname: batch.node.hostname, nowMs: T0_MS });
      await ingestBatch(db.sql, (await authenticateNodeToken(db.sql, token))!, batch, T0_MS + 2 * HOUR_MS + MINUTE_MS);
    }
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("sums every GPU over the window: hours reported, shared by two jobs, and without a job", async () => {
    const heatmap = await getUtilizationHeatmap(db.sql, window, {}, ALL_DATA);
    expect(heatmap.hourStartsMs).toEqual([T0_MS, T0_MS + HOUR_MS]);
    expect(heatmap.gpus.map(({ hostname, gpuIndex, reportedGpuHours, utilizationAvgPct, sharedHours, jobFreeHours }) => ({ hostname, gpuIndex, reportedGpuHours, utilizationAvgPct, sharedHours, jobFreeHours }))).toEqual([
      { hostname: "node-a", gpuIndex: 0, reportedGpuHours: 2, utilizationAvgPct: 70, sharedHours: 1, jobFreeHours: 0 },
      { hostname: "node-a", gpuIndex: 1, reportedGpuHours: 2, utilizationAvgPct: 0, sharedHours: 0, jobFreeHours: 2 },
      { hostname: "node-b", gpuIndex: 0, reportedGpuHours: 1, utilizationAvgPct: 70, sharedHours: 0, jobFreeHours: 0 },
    ]);
    expect(heatmap.cellRows).toEqual({ firstRow: 0, rowCount: 3 });
    expect(heatmap.cells).toEqual([
      [0, 0, 90, 2, 1000],
      [0, 1, 50, 1, 1000],
      [1, 0, 0, 0, 1000],
      [1, 1, 0, 0, 1000],
      [2, 1, 70, 1, 1000],
    ]);
  });

  it.skipIf(skipReason)("returns cells only for the GPU rows asked for, and every GPU's totals", async () => {
    const page = await getUtilizationHeatmap(db.sql, window, { firstRow: 1, rowCount: 1 }, ALL_DATA);
    expect(page.gpus).toHaveLength(3);
    expect(page.cellRows).toEqual({ firstRow: 1, rowCount: 1 });
    expect(page.cells).toEqual([
      [1, 0, 0, 0, 1000],
      [1, 1, 0, 0, 1000],
    ]);
    const pastTheEnd = await getUtilizationHeatmap(db.sql, window, { firstRow: 10, rowCount: 5 }, ALL_DATA);
    expect(pastTheEnd.cellRows).toEqual({ firstRow: 3, rowCount: 0 });
    expect(pastTheEnd.cells).toEqual([]);
  });
});
