/**
 * Ingest wire format, version 1: the single source of the types that collectors
 * send and the server accepts (POST /api/v1/ingest). Documented in docs/api.md.
 *
 * Units: times are epoch milliseconds (UTC), memory in MiB, power in watts,
 * energy in joules, utilization in percent (0-100).
 */
import { z } from "zod";

export const INGEST_SCHEMA_VERSION = 1;

/** Longest window accepted: a window is a short aggregate, not a day's summary. */
export const MAX_WINDOW_MS = 60 * 60 * 1000;

const epochMs = z.number().int().nonnegative();
const percent = z.number().min(0).max(100);
const nonNegative = z.number().nonnegative();
const label = z.string().max(256);
const optionalName = z.string().min(1).max(256).nullish();

export const jobKindSchema = z.enum(["training", "inference", "notebook", "other"]);
export type JobKind = z.infer<typeof jobKindSchema>;

export const wireNodeSchema = z.object({
  hostname: z.string().min(1).max(253),
  labels: z.record(z.string().max(128), label).optional(),
});

export const wireGpuSchema = z.object({
  uuid: z.string().min(1).max(128),
  index: z.number().int().nonnegative(),
  modelName: z.string().min(1).max(128),
  memoryTotalMiB: z.number().int().positive(),
  migParentUuid: z.string().min(1).max(128).nullish(),
  migProfile: z.string().min(1).max(64).nullish(),
});

export const wireJobSchema = z.object({
  externalId: z.string().min(1).max(256),
  kind: jobKindSchema,
  requestedGpus: z.number().int().positive().nullish(),
  team: optionalName,
  project: optionalName,
  model: optionalName,
  experiment: optionalName,
  user: optionalName,
  labels: z.record(z.string().max(128), label).optional(),
});

const windowBounds = {
  startMs: epochMs,
  endMs: epochMs,
  /** Readings folded into the window; polls that failed are not counted. */
  sampleCount: z.number().int().positive(),
};

export const wireGpuWindowSchema = z.object({
  gpuUuid: z.string().min(1).max(128),
  ...windowBounds,
  utilizationAvgPct: percent.nullable(),
  utilizationMaxPct: percent.nullable(),
  smActiveAvgPct: percent.nullish(),
  memoryUsedAvgMiB: nonNegative.nullable(),
  memoryUsedMaxMiB: nonNegative.nullable(),
  powerAvgW: nonNegative.nullable(),
  energyJ: nonNegative.nullable(),
});

export const wireJobWindowSchema = z.object({
  gpuUuid: z.string().min(1).max(128),
  jobExternalId: z.string().min(1).max(256),
  ...windowBounds,
  /**
   * Processes of the job seen on the GPU; 0 for a GPU the scheduler allocated to
   * the job with none of its processes on it (still the job's cost, by allocation).
   */
  processCount: z.number().int().nonnegative(),
  utilizationAvgPct: percent.nullish(),
  memoryUsedAvgMiB: nonNegative.nullable(),
  memoryUsedMaxMiB: nonNegative.nullable(),
});

export const ingestBatchSchema = z
  .object({
    schemaVersion: z.literal(INGEST_SCHEMA_VERSION),
    batchId: z.uuid(),
    node: wireNodeSchema,
    collector: z
      .object({
        version: z.string().max(64),
        source: z.enum(["nvidia-smi", "dcgm-exporter", "simulator"]),
        /** Polls that failed or timed out since the previous batch. */
        failedPolls: z.number().int().nonnegative().optional(),
      })
      .optional(),
    gpus: z.array(wireGpuSchema).max(1024),
    jobs: z.array(wireJobSchema).max(100_000),
    gpuWindows: z.array(wireGpuWindowSchema).max(1_000_000),
    jobWindows: z.array(wireJobWindowSchema).max(1_000_000),
  })
  .superRefine((batch, context) => {
    // Cross-references: every window names a GPU (and job) declared in the batch,
    // so the server never has to guess what a window belongs to.
    const gpuUuids = new Set<string>();
    batch.gpus.forEach((gpu, index) => {
      if (gpuUuids.has(gpu.uuid)) {
        context.addIssue({ code: "custom", path: ["gpus", index, "uuid"], message: `duplicate GPU uuid "${gpu.uuid}"` });
      }
      gpuUuids.add(gpu.uuid);
    });
    const jobIds = new Set<string>();
    batch.jobs.forEach((job, index) => {
      if (jobIds.has(job.externalId)) {
        context.addIssue({ code: "custom", path: ["jobs", index, "externalId"], message: `duplicate job "${job.externalId}"` });
      }
      jobIds.add(job.externalId);
    });
    const checkWindow = (
      window: { gpuUuid: string; startMs: number; endMs: number },
      path: (string | number)[],
    ) => {
      if (!gpuUuids.has(window.gpuUuid)) {
        context.addIssue({ code: "custom", path: [...path, "gpuUuid"], message: `GPU "${window.gpuUuid}" is not listed in gpus` });
      }
      if (window.endMs <= window.startMs) {
        context.addIssue({ code: "custom", path: [...path, "endMs"], message: "endMs must be after startMs" });
      } else if (window.endMs - window.startMs > MAX_WINDOW_MS) {
        context.addIssue({ code: "custom", path: [...path, "endMs"], message: `window longer than ${MAX_WINDOW_MS} ms` });
      }
    };
    batch.gpuWindows.forEach((window, index) => checkWindow(window, ["gpuWindows", index]));
    batch.jobWindows.forEach((window, index) => {
      checkWindow(window, ["jobWindows", index]);
      if (!jobIds.has(window.jobExternalId)) {
        context.addIssue({
          code: "custom",
          path: ["jobWindows", index, "jobExternalId"],
          message: `job "${window.jobExternalId}" is not listed in jobs`,
        });
      }
    });
  });

export type IngestBatch = z.infer<typeof ingestBatchSchema>;
export type WireGpu = z.infer<typeof wireGpuSchema>;
export type WireJob = z.infer<typeof wireJobSchema>;
export type WireGpuWindow = z.infer<typeof wireGpuWindowSchema>;
export type WireJobWindow = z.infer<typeof wireJobWindowSchema>;

/** The acknowledgement the server returns for an accepted (or repeated) batch. */
export interface IngestAck {
  batchId: string;
  /** true when this batchId had been stored before: nothing was written again. */
  duplicate: boolean;
  gpuWindowsStored: number;
  jobWindowsStored: number;
  /** Windows skipped because a window for the same GPU (and job) and start was already stored. */
  windowsAlreadyStored: number;
}

/** Formats a zod issue path as `gpuWindows[3].startMs`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const part of path) {
    if (typeof part === "number") text += `[${part}]`;
    else text += text.length === 0 ? String(part) : `.${String(part)}`;
  }
  return text.length === 0 ? "(body)" : text;
}
