import { describe, expect, it } from "vitest";
import { formatIssuePath, ingestBatchSchema } from "../../../server/wire/ingest-v1";
import { makeBatch, MINUTE_MS, T0_MS } from "../../support/batches";

function firstIssue(batch: unknown): { field: string; message: string } {
  const result = ingestBatchSchema.safeParse(batch);
  if (result.success) throw new Error("expected the batch to be refused");
  return { field: formatIssuePath(result.error.issues[0].path), message: result.error.issues[0].message };
}

describe("ingestBatchSchema", () => {
  it("accepts a well-formed batch", () => {
    expect(ingestBatchSchema.safeParse(makeBatch()).success).toBe(true);
  });

  it("names the field of a value out of range", () => {
    const batch = makeBatch();
    batch.gpuWindows[0].utilizationMaxPct = 101;
    expect(firstIssue(batch).field).toBe("gpuWindows[0].utilizationMaxPct");
  });

  it("accepts batches from AMD and Intel Gaudi collectors and refuses an unknown source", () => {
    for (const source of ["amd-smi", "rocm-smi", "hl-smi"]) {
      expect(ingestBatchSchema.safeParse({ ...makeBatch(), collector: { version: "0.1.0", source } }).success).toBe(true);
    }
    expect(firstIssue({ ...makeBatch(), collector: { version: "0.1.0", source: "xpu-smi" } }).field).toBe("collector.source");
  });

  it("refuses a batchId that is not a UUID", () => {
    expect(firstIssue(makeBatch({ batchId: "batch-1" })).field).toBe("batchId");
  });

  it("refuses windows that end before they start or last over an hour", () => {
    const backwards = makeBatch();
    backwards.gpuWindows[0].endMs = T0_MS - MINUTE_MS;
    expect(firstIssue(backwards)).toEqual({ field: "gpuWindows[0].endMs", message: "endMs must be after startMs" });
    const long = makeBatch();
    long.gpuWindows[1].endMs = T0_MS + 61 * MINUTE_MS;
    expect(firstIssue(long).field).toBe("gpuWindows[1].endMs");
  });

  it("refuses job windows for jobs the batch does not declare, and duplicate GPUs", () => {
    const unknownJob = makeBatch();
    unknownJob.jobWindows[0].jobExternalId = "slurm-9";
    expect(firstIssue(unknownJob).field).toBe("jobWindows[0].jobExternalId");
    const duplicateGpu = makeBatch();
    duplicateGpu.gpus[1].uuid = duplicateGpu.gpus[0].uuid;
    expect(firstIssue(duplicateGpu).field).toBe("gpus[1].uuid");
  });

  it("refuses overlapping windows of one GPU or of one job on one GPU, in or out of order, and lets other GPUs and jobs overlap", () => {
    const window = (gpuUuid: string, startMinute: number, endMinute: number) => ({ ...makeBatch().gpuWindows[0], gpuUuid, startMs: T0_MS + startMinute * MINUTE_MS, endMs: T0_MS + endMinute * MINUTE_MS });
    const withGpuWindows = (...gpuWindows: ReturnType<typeof window>[]) => makeBatch({ gpuWindows, jobWindows: [] });
    // Back to back, one window repeated with the same start, and the other GPU over the same minutes: no overlap.
    expect(ingestBatchSchema.safeParse(withGpuWindows(window("GPU-aaaa-0", 0, 1), window("GPU-aaaa-0", 1, 2), window("GPU-aaaa-0", 1, 2), window("GPU-aaaa-1", 0, 2))).success).toBe(true);
    expect(firstIssue(withGpuWindows(window("GPU-aaaa-0", 0, 10), window("GPU-aaaa-1", 0, 10), window("GPU-aaaa-0", 5, 6)))).toEqual({
      field: "gpuWindows[2].startMs",
      message: "overlaps gpuWindows[0]: windows of one GPU must not overlap",
    });
    // Out of order: a window that starts inside a longer one sent after it.
    expect(firstIssue(withGpuWindows(window("GPU-aaaa-0", 20, 21), window("GPU-aaaa-0", 5, 6), window("GPU-aaaa-0", 0, 10))).field).toBe("gpuWindows[2].startMs");
    expect(ingestBatchSchema.safeParse(withGpuWindows(window("GPU-aaaa-0", 2, 3), window("GPU-aaaa-0", 0, 1), window("GPU-aaaa-0", 1, 2))).success).toBe(true);

    const jobs = makeBatch({ jobs: [makeBatch().jobs[0], { ...makeBatch().jobs[0], externalId: "slurm-1002" }] });
    const jobWindow = (jobExternalId: string, startMinute: number, endMinute: number) => ({ ...jobs.jobWindows[0], jobExternalId, startMs: T0_MS + startMinute * MINUTE_MS, endMs: T0_MS + endMinute * MINUTE_MS });
    // Two jobs sharing a GPU over the same minutes is the normal case.
    expect(ingestBatchSchema.safeParse({ ...jobs, jobWindows: [jobWindow("slurm-1001", 0, 1), jobWindow("slurm-1002", 0, 1)] }).success).toBe(true);
    expect(firstIssue({ ...jobs, jobWindows: [jobWindow("slurm-1001", 0, 1), jobWindow("slurm-1001", 0.5, 1.5)] }).field).toBe("jobWindows[1].startMs");
  });

  it("refuses an unknown schema version", () => {
    expect(firstIssue({ ...makeBatch(), schemaVersion: 2 }).field).toBe("schemaVersion");
  });
});

describe("formatIssuePath", () => {
  it("writes array indexes in brackets and names the body when the path is empty", () => {
    expect(formatIssuePath(["jobWindows", 12, "memoryUsedMaxMiB"])).toBe("jobWindows[12].memoryUsedMaxMiB");
    expect(formatIssuePath([])).toBe("(body)");
  });
});
