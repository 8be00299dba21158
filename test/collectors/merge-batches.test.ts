import { describe, expect, it } from "vitest";
import { mergeBatches, mergedBatchId } from "../../collectors/merge-batches";
import { ingestBatchSchema, type IngestBatch } from "../../server/wire/ingest-v1";
import { makeBatch, MINUTE_MS, T0_MS } from "../support/batches";

function minuteBatch(minute: number, batchId: string): IngestBatch {
  const template = makeBatch({ batchId });
  const shift = <W extends { startMs: number; endMs: number }>(window: W): W => ({ ...window, startMs: T0_MS + minute * MINUTE_MS, endMs: T0_MS + (minute + 1) * MINUTE_MS });
  return { ...template, gpuWindows: template.gpuWindows.map(shift), jobWindows: template.jobWindows.map(shift) };
}

const FIRST = minuteBatch(0, "00000000-0000-4000-8000-000000000001");
const SECOND = minuteBatch(1, "00000000-0000-4000-8000-000000000002");

describe("mergedBatchId", () => {
  it("is a valid UUID derived from the ids in order: the same group gets the same id", () => {
    const id = mergedBatchId([FIRST.batchId, SECOND.batchId]);
    expect(ingestBatchSchema.shape.batchId.safeParse(id).success).toBe(true);
    expect(mergedBatchId([FIRST.batchId, SECOND.batchId])).toBe(id);
    expect(mergedBatchId([SECOND.batchId, FIRST.batchId])).not.toBe(id);
  });
});

describe("mergeBatches", () => {
  it("returns a single batch unchanged, id included", () => {
    expect(mergeBatches([FIRST])).toBe(FIRST);
  });

  it("concatenates the windows and declares each GPU and job once, as the newest batch describes it", () => {
    const renamed = { ...SECOND, jobs: [{ ...SECOND.jobs[0], team: "ranking" }], node: { hostname: "node-a", labels: { pool: "h100" } } };
    const merged = mergeBatches([FIRST, renamed]);
    expect(ingestBatchSchema.safeParse(merged).success).toBe(true);
    expect(merged.gpuWindows).toEqual([...FIRST.gpuWindows, ...SECOND.gpuWindows]);
    expect(merged.jobWindows).toEqual([...FIRST.jobWindows, ...SECOND.jobWindows]);
    expect(merged.gpus.map((gpu) => gpu.uuid)).toEqual(FIRST.gpus.map((gpu) => gpu.uuid));
    expect(merged.jobs).toEqual([{ ...FIRST.jobs[0], team: "ranking" }]);
    expect(merged.node.labels).toEqual({ pool: "h100" });
  });

  it("carries the work windows of every merged batch, and none when no batch has any", () => {
    const work = (minute: number) => ({ jobExternalId: FIRST.jobs[0].externalId, unit: "samples", source: "report" as const, startMs: T0_MS + minute * MINUTE_MS, endMs: T0_MS + (minute + 1) * MINUTE_MS, count: 1000 + minute });
    const merged = mergeBatches([{ ...FIRST, workWindows: [work(0)] }, SECOND, { ...minuteBatch(2, "00000000-0000-4000-8000-000000000003"), workWindows: [work(2)] }]);
    expect(ingestBatchSchema.safeParse(merged).success).toBe(true);
    expect(merged.workWindows).toEqual([work(0), work(2)]);
    expect("workWindows" in mergeBatches([FIRST, SECOND])).toBe(false);
  });

  it("sums the failed polls the merged batches report", () => {
    const merged = mergeBatches([
      { ...FIRST, collector: { version: "1", source: "nvidia-smi", failedPolls: 2 } },
      { ...SECOND, collector: { version: "1", source: "nvidia-smi", failedPolls: 3 } },
    ]);
    expect(merged.collector).toEqual({ version: "1", source: "nvidia-smi", failedPolls: 5 });
  });

  it("refuses to merge batches of different nodes", () => {
    expect(() => mergeBatches([FIRST, { ...SECOND, node: { hostname: "node-b" } }])).toThrow(/node-b/);
  });
});
