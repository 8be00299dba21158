/**
 * Measured throughput from work counters, for the fleet plan and the estimator.
 * One experiment ran on two GPU models of one node:
 *
 *   GPU-aaaa-0 (A100, 2.50/h)  train-1  60 minutes, 1,000 samples a minute  → 60,000 samples per GPU-hour
 *   GPU-hhhh-0 (H100, 4.00/h)  train-2  30 minutes, 2,500 samples a minute  → 150,000 samples per GPU-hour
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleEstimateRequest } from "../../../server/api/rest/estimate-handler";
import { handleIngestRequest } from "../../../server/api/rest/ingest-handler";
import { createServerMetrics } from "../../../server/services/metrics";
import { issueNodeToken } from "../../../server/services/node-tokens";
import { addPriceEntry } from "../../../server/services/price-book-service";
import { loadPlanInput } from "../../../server/services/plan-input-service";
import { measuredThroughput } from "../../../server/services/unit-cost-service";
import type { WireWorkWindow } from "../../../server/wire/ingest-v1";
import { makeBatch, MINUTE_MS, T0_MS } from "../../support/batches";
import { ingestRequest } from "../../support/in-process-server";
import { databaseKinds, type TestDatabase } from "../../support/test-databases";
import { ALL_DATA } from "../../../server/auth/principal";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;
const A100 = "NVIDIA A100-SXM4-80GB";
const H100 = "NVIDIA H100 80GB HBM3";

function twoModelBatch() {
  const base = makeBatch();
  const minutes = Array.from({ length: 60 }, (_, minute) => T0_MS + minute * MINUTE_MS);
  const samples = (jobExternalId: string, count: number, startMs: number): WireWorkWindow => ({ jobExternalId, unit: "samples", source: "report", startMs, endMs: startMs + MINUTE_MS, count });
  return makeBatch({
    gpus: [base.gpus[0], { uuid: "GPU-hhhh-0", index: 1, modelName: H100, memoryTotalMiB: 81559, migParentUuid: null, migProfile: null }],
    jobs: [
      { ...base.jobs[0], externalId: "train-1" },
      { ...base.jobs[0], externalId: "train-2" },
    ],
    gpuWindows: minutes.flatMap((startMs) => [
      { ...base.gpuWindows[0], startMs, endMs: startMs + MINUTE_MS },
      { ...base.gpuWindows[0], gpuUuid: "GPU-hhhh-0", startMs, endMs: startMs + MINUTE_MS },
    ]),
    jobWindows: minutes.flatMap((startMs, minute) => [
      { ...base.jobWindows[0], jobExternalId: "train-1", startMs, endMs: startMs + MINUTE_MS },
      ...(minute < 30 ? [{ ...base.jobWindows[0], gpuUuid: "GPU-hhhh-0", jobExternalId: "train-2", startMs, endMs: startMs + MINUTE_MS }] : []),
    ]),
    workWindows: minutes.flatMap((startMs, minute) => [samples("train-1", 1000, startMs), ...(minute < 30 ? [samples("train-2", 2500, startMs)] : [])]),
  });
}

describe.each(kinds)("measured throughput on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL measured-throughput suite: ${skipReason}`);
  let db: TestDatabase;
  const nowMs = () => T0_MS + 2 * HOUR_MS;

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    const { token } = await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-a", nowMs: T0_MS });
    await addPriceEntry(db.prisma, { gpuModel: A100, costPerGpuHour: 2.5, effectiveFromMs: Date.UTC(2026, 10, 1) }, T0_MS);
    await addPriceEntry(db.prisma, { gpuModel: H100, costPerGpuHour: 4, effectiveFromMs: Date.UTC(2026, 10, 1) }, T0_MS);
    const response = await handleIngestRequest(ingestRequest(twoModelBatch(), token), { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 22, nowMs });
    expect(response.status, await response.clone().text()).toBe(200);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("gives each job's measured work per GPU-hour on its GPU model, as the fleet plan's ThroughputEvidence", async () => {
    const byJob = await measuredThroughput(db.sql, { startMs: T0_MS, endMs: T0_MS + HOUR_MS });
    expect(Object.fromEntries([...byJob].map(([key, value]) => [key, value.throughput]))).toEqual({
      "lab/train-1": [{ gpuModel: A100, unit: "samples", workPerGpuHour: 60_000 }],
      "lab/train-2": [{ gpuModel: H100, unit: "samples", workPerGpuHour: 150_000 }],
    });
  });

  it.skipIf(skipReason)("hands each workload's measured throughput to the fleet plan's input", async () => {
    const { input } = await loadPlanInput(db.sql, { nowMs: nowMs() });
    // The plan sees one GPU model per node, so of this two-model node it plans the jobs of one model.
    const measured: Record<string, unknown> = {
      "train-1": [{ gpuModel: A100, unit: "samples", workPerGpuHour: 60_000 }],
      "train-2": [{ gpuModel: H100, unit: "samples", workPerGpuHour: 150_000 }],
    };
    expect(input.workloads.length).toBeGreaterThan(0);
    for (const workload of input.workloads) expect(workload.throughput).toEqual(measured[workload.jobIds[0]]);
  });

  it.skipIf(skipReason)("compares the experiment's alternatives by its measured samples per GPU-hour, marked measured", async () => {
    const response = await handleEstimateRequest(
      new Request("http://gpu-roi.test/api/v1/estimate", { method: "POST", body: JSON.stringify({ likeExperiment: "ranker-v3-exp-1" }) }),
      { db: db.sql, nowMs, scope: ALL_DATA },
    );
    expect(response.status).toBe(200);
    const estimate = await response.json();
    // Runs of 1 and 0.5 GPU-hours: median 0.75 on the A100 (the most used model).
    expect({ gpuModel: estimate.gpuModel, plannedGpuHours: estimate.plannedGpuHours }).toEqual({ gpuModel: A100, plannedGpuHours: 0.75 });
    expect(estimate.alternatives).toHaveLength(1);
    expect(estimate.alternatives[0]).toMatchObject({ gpuModel: H100, throughput: "measured" });
    // 2.5 times the A100's samples per GPU-hour (the peak ratio would have said 3.17).
    expect(estimate.alternatives[0].gpuHours).toBeCloseTo(0.3, 9);
    expect(estimate.alternatives[0].expectedCost).toBeCloseTo(1.2, 9);
  });
});
