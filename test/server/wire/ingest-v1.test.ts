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
