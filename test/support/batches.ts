import type { IngestBatch } from "../../server/wire/ingest-v1";

/** Fixed UTC instants used across tests. */
export const T0_MS = Date.UTC(2026, 10, 2, 0, 0, 0); // 2026-11-02T00:00:00Z, a Monday
export const MINUTE_MS = 60_000;

export function makeBatch(overrides: Partial<IngestBatch> = {}): IngestBatch {
  return {
    schemaVersion: 1,
    batchId: "7d9f1c2e-3b4a-4c5d-8e6f-0a1b2c3d4e5f",
    node: { hostname: "node-a", labels: { pool: "a100" } },
    collector: { version: "test", source: "simulator", failedPolls: 0 },
    gpus: [
      { uuid: "GPU-aaaa-0", index: 0, modelName: "NVIDIA A100-SXM4-80GB", memoryTotalMiB: 81920, migParentUuid: null, migProfile: null },
      { uuid: "GPU-aaaa-1", index: 1, modelName: "NVIDIA A100-SXM4-80GB", memoryTotalMiB: 81920, migParentUuid: null, migProfile: null },
    ],
    jobs: [
      { externalId: "slurm-1001", kind: "training", requestedGpus: 1, team: "search", project: "web-ranking", model: "ranker-v3", experiment: "ranker-v3-exp-1", user: "alice" },
    ],
    gpuWindows: [
      { gpuUuid: "GPU-aaaa-0", startMs: T0_MS, endMs: T0_MS + MINUTE_MS, sampleCount: 6, utilizationAvgPct: 80, utilizationMaxPct: 95, smActiveAvgPct: null, memoryUsedAvgMiB: 40000, memoryUsedMaxMiB: 41000, powerAvgW: 300, energyJ: 18000 },
      { gpuUuid: "GPU-aaaa-1", startMs: T0_MS, endMs: T0_MS + MINUTE_MS, sampleCount: 6, utilizationAvgPct: 0, utilizationMaxPct: 0, smActiveAvgPct: null, memoryUsedAvgMiB: 0, memoryUsedMaxMiB: 0, powerAvgW: 55, energyJ: 3300 },
    ],
    jobWindows: [
      { gpuUuid: "GPU-aaaa-0", jobExternalId: "slurm-1001", startMs: T0_MS, endMs: T0_MS + MINUTE_MS, sampleCount: 6, processCount: 1, utilizationAvgPct: 80, memoryUsedAvgMiB: 39500, memoryUsedMaxMiB: 40500 },
    ],
    ...overrides,
  };
}
