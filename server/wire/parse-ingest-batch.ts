/**
 * Validation of an ingest body, with a fast path for the windows.
 *
 * Why: windows are nearly all of a batch (a node's hour is ~900 of them), and
 * zod's object parse cost ~3.5 µs per window, a third of the server's whole ingest
 * cost per window. The fast path checks each window by hand (~0.3 µs) and zod
 * checks the rest (header, GPUs, jobs: a few dozen objects per batch).
 *
 * The fast path only ever says "valid": when any check fails, or anything is
 * unusual, the whole body goes through ingestBatchSchema, which is the one
 * authority on what is refused and with which message. Each hand check is at
 * least as strict as the zod rule it stands for (string lengths in UTF-16 units,
 * which are never fewer than zod's code points), so the fast path accepts nothing
 * that zod refuses, and its output is what zod's would be (unknown keys dropped,
 * absent optional fields left absent); test/server/wire/parse-ingest-batch.test.ts
 * checks both on random and mutated bodies.
 */
import { z } from "zod";
import {
  INT32_MAX,
  MAX_ENERGY_J,
  MAX_JOB_ID_LENGTH,
  MAX_MEMORY_MIB,
  MAX_POWER_W,
  MAX_UUID_LENGTH,
  MAX_WINDOWS_PER_KIND,
  crossReferenceIssues,
  ingestBatchObjectSchema,
  ingestBatchSchema,
  type IngestBatch,
  type WireGpuWindow,
  type WireJobWindow,
} from "./ingest-v1";

/** The batch with its window arrays left unchecked: zod checks everything else. */
const batchWithoutWindowsSchema = ingestBatchObjectSchema.extend({
  gpuWindows: z.array(z.unknown()).max(MAX_WINDOWS_PER_KIND),
  jobWindows: z.array(z.unknown()).max(MAX_WINDOWS_PER_KIND),
});

type Fields = Record<string, unknown>;

function isRecord(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isId(value: unknown, maxLength: number): value is string {
  return typeof value === "string" && value.length >= 1 && value.length <= maxLength && !value.includes("\u0000");
}

function isEpochMs(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isCount(value: unknown, min: number): value is number {
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= INT32_MAX;
}

function isInRangeOrNull(value: unknown, max: number): value is number | null {
  return value === null || (typeof value === "number" && value >= 0 && value <= max);
}

/** A GPU window in zod's output shape, or null when any field needs zod's verdict. */
function fastGpuWindow(input: unknown): WireGpuWindow | null {
  if (!isRecord(input)) return null;
  const { gpuUuid, startMs, endMs, sampleCount, utilizationAvgPct, utilizationMaxPct, smActiveAvgPct, memoryUsedAvgMiB, memoryUsedMaxMiB, powerAvgW, energyJ } = input;
  if (
    !isId(gpuUuid, MAX_UUID_LENGTH) ||
    !isEpochMs(startMs) ||
    !isEpochMs(endMs) ||
    !isCount(sampleCount, 1) ||
    !isInRangeOrNull(utilizationAvgPct, 100) ||
    !isInRangeOrNull(utilizationMaxPct, 100) ||
    !isInRangeOrNull(memoryUsedAvgMiB, MAX_MEMORY_MIB) ||
    !isInRangeOrNull(memoryUsedMaxMiB, MAX_MEMORY_MIB) ||
    !isInRangeOrNull(powerAvgW, MAX_POWER_W) ||
    !isInRangeOrNull(energyJ, MAX_ENERGY_J)
  ) {
    return null;
  }
  const window: WireGpuWindow = { gpuUuid, startMs, endMs, sampleCount, utilizationAvgPct, utilizationMaxPct, memoryUsedAvgMiB, memoryUsedMaxMiB, powerAvgW, energyJ };
  if ("smActiveAvgPct" in input) {
    if (!isInRangeOrNull(smActiveAvgPct, 100)) return null;
    window.smActiveAvgPct = smActiveAvgPct;
  }
  return window;
}

/** A job window in zod's output shape, or null when any field needs zod's verdict. */
function fastJobWindow(input: unknown): WireJobWindow | null {
  if (!isRecord(input)) return null;
  const { gpuUuid, jobExternalId, startMs, endMs, sampleCount, processCount, utilizationAvgPct, memoryUsedAvgMiB, memoryUsedMaxMiB } = input;
  if (
    !isId(gpuUuid, MAX_UUID_LENGTH) ||
    !isId(jobExternalId, MAX_JOB_ID_LENGTH) ||
    !isEpochMs(startMs) ||
    !isEpochMs(endMs) ||
    !isCount(sampleCount, 1) ||
    !isCount(processCount, 0) ||
    !isInRangeOrNull(memoryUsedAvgMiB, MAX_MEMORY_MIB) ||
    !isInRangeOrNull(memoryUsedMaxMiB, MAX_MEMORY_MIB)
  ) {
    return null;
  }
  const window: WireJobWindow = { gpuUuid, jobExternalId, startMs, endMs, sampleCount, processCount, memoryUsedAvgMiB, memoryUsedMaxMiB };
  if ("utilizationAvgPct" in input) {
    if (!isInRangeOrNull(utilizationAvgPct, 100)) return null;
    window.utilizationAvgPct = utilizationAvgPct;
  }
  return window;
}

function fastWindows<Window>(inputs: readonly unknown[], check: (input: unknown) => Window | null): Window[] | null {
  const windows: Window[] = new Array(inputs.length);
  for (let index = 0; index < inputs.length; index++) {
    const window = check(inputs[index]);
    if (window === null) return null;
    windows[index] = window;
  }
  return windows;
}

/** The body as a batch when every check passes on the fast path; null means "ask zod". */
export function fastParseIngestBatch(body: unknown): IngestBatch | null {
  const shell = batchWithoutWindowsSchema.safeParse(body);
  if (!shell.success) return null;
  const gpuWindows = fastWindows(shell.data.gpuWindows, fastGpuWindow);
  if (gpuWindows === null) return null;
  const jobWindows = fastWindows(shell.data.jobWindows, fastJobWindow);
  if (jobWindows === null) return null;
  const batch: IngestBatch = { ...shell.data, gpuWindows, jobWindows };
  return crossReferenceIssues(batch).length === 0 ? batch : null;
}

/** ingestBatchSchema.safeParse(body), fast for well-formed batches. */
export function parseIngestBatch(body: unknown): ReturnType<typeof ingestBatchSchema.safeParse> {
  const batch = fastParseIngestBatch(body);
  return batch !== null ? { success: true, data: batch } : ingestBatchSchema.safeParse(body);
}
