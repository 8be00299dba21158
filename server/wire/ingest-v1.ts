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

/** Array bounds of one batch (the body's byte limit usually binds first). */
export const MAX_GPUS_PER_BATCH = 1024;
export const MAX_JOBS_PER_BATCH = 100_000;
export const MAX_WINDOWS_PER_KIND = 1_000_000;

/** Bounds shared by the schemas below and the validation fast path (parse-ingest-batch.ts). */
export const INT32_MAX = 2_147_483_647;
export const MAX_MEMORY_MIB = 16 * 1024 * 1024; // 16 TiB
export const MAX_POWER_W = 100_000;
export const MAX_ENERGY_J = 1e12;
export const MAX_UUID_LENGTH = 128;
export const MAX_JOB_ID_LENGTH = 256;

const epochMs = z.number().int().nonnegative();
const percent = z.number().min(0).max(100);
/**
 * Counts and sizes stored in 32-bit integer columns (PostgreSQL `integer`): a
 * larger value is refused here (400) rather than failing the insert.
 */
const int32 = z.number().int().max(INT32_MAX);
/**
 * Physical bounds on measured values, far above any GPU's, so a corrupt reading
 * cannot overflow the rollups' sums (value x milliseconds) to Infinity.
 */
const memoryMiB = z.number().nonnegative().max(MAX_MEMORY_MIB);
const powerW = z.number().nonnegative().max(MAX_POWER_W);
const energyJ = z.number().nonnegative().max(MAX_ENERGY_J);
/**
 * Text without NUL characters: PostgreSQL's text type cannot hold them (the
 * insert would fail), so they are refused here on both databases alike.
 */
const text = () => z.string().refine((value) => !value.includes("\u0000"), "must not contain NUL (\\u0000) characters");
const label = text().max(256);
const labelKey = text().max(128);
const optionalName = text().min(1).max(256).nullish();

export const jobKindSchema = z.enum(["training", "inference", "notebook", "other"]);
export type JobKind = z.infer<typeof jobKindSchema>;

export const wireNodeSchema = z.object({
  hostname: text().min(1).max(253),
  labels: z.record(labelKey, label).optional(),
});

export const wireGpuSchema = z.object({
  uuid: text().min(1).max(128),
  index: int32.nonnegative(),
  modelName: text().min(1).max(128),
  memoryTotalMiB: int32.positive(),
  migParentUuid: text().min(1).max(128).nullish(),
  migProfile: text().min(1).max(64).nullish(),
});

export const wireJobSchema = z.object({
  externalId: text().min(1).max(256),
  kind: jobKindSchema,
  requestedGpus: int32.positive().nullish(),
  team: optionalName,
  project: optionalName,
  model: optionalName,
  experiment: optionalName,
  user: optionalName,
  labels: z.record(labelKey, label).optional(),
});

const windowBounds = {
  startMs: epochMs,
  endMs: epochMs,
  /** Readings folded into the window; polls that failed are not counted. */
  sampleCount: int32.positive(),
};

export const wireGpuWindowSchema = z.object({
  gpuUuid: text().min(1).max(MAX_UUID_LENGTH),
  ...windowBounds,
  utilizationAvgPct: percent.nullable(),
  utilizationMaxPct: percent.nullable(),
  smActiveAvgPct: percent.nullish(),
  memoryUsedAvgMiB: memoryMiB.nullable(),
  memoryUsedMaxMiB: memoryMiB.nullable(),
  powerAvgW: powerW.nullable(),
  energyJ: energyJ.nullable(),
});

export const wireJobWindowSchema = z.object({
  gpuUuid: text().min(1).max(MAX_UUID_LENGTH),
  jobExternalId: text().min(1).max(MAX_JOB_ID_LENGTH),
  ...windowBounds,
  /**
   * Processes of the job seen on the GPU; 0 for a GPU the scheduler allocated to
   * the job with none of its processes on it (still the job's cost, by allocation).
   */
  processCount: int32.nonnegative(),
  utilizationAvgPct: percent.nullish(),
  memoryUsedAvgMiB: memoryMiB.nullable(),
  memoryUsedMaxMiB: memoryMiB.nullable(),
});

/**
 * Longest work window accepted. Work is the increase of a counter between two
 * readings, and a training job may report only every few hours; storage spreads a
 * window over the hours it spans, so a long one costs no accuracy.
 */
export const MAX_WORK_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Largest work count one window may carry (10^15 tokens, samples or requests). */
export const MAX_WORK_COUNT = 1e15;

/**
 * Units of work a window may count: the inference servers' counters, the units
 * training jobs report, or a custom name (lower-case letters, digits, "_").
 */
export const WORK_UNITS = ["prompt_tokens", "generation_tokens", "requests", "samples", "tokens", "steps", "images"] as const;
export const workUnitSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be prompt_tokens, generation_tokens, requests, samples, tokens, steps, images or a custom name of lower-case letters, digits and _ (at most 64)");

/** Where a work count was read: an inference server's /metrics, or a job's own report (file or POST /api/v1/work). */
export const workSourceSchema = z.enum(["vllm", "tgi", "triton", "sglang", "report"]);

/**
 * Work a job did in a window: the increase of a cumulative counter over the window
 * (resets handled as Prometheus increase() does), never the counter itself.
 */
export const wireWorkWindowSchema = z.object({
  jobExternalId: text().min(1).max(MAX_JOB_ID_LENGTH),
  unit: workUnitSchema,
  source: workSourceSchema,
  startMs: epochMs,
  endMs: epochMs,
  count: z.number().nonnegative().max(MAX_WORK_COUNT),
});

/** The batch's fields, without the checks between them (ingestBatchSchema adds those). */
export const ingestBatchObjectSchema = z.object({
  schemaVersion: z.literal(INGEST_SCHEMA_VERSION),
  batchId: z.uuid(),
  node: wireNodeSchema,
  collector: z
    .object({
      version: text().max(64),
      source: z.enum(["nvidia-smi", "dcgm-exporter", "simulator", "amd-smi", "rocm-smi", "hl-smi"]),
      /** Polls that failed or timed out since the previous batch. */
      failedPolls: int32.nonnegative().optional(),
    })
    .optional(),
  gpus: z.array(wireGpuSchema).max(MAX_GPUS_PER_BATCH),
  jobs: z.array(wireJobSchema).max(MAX_JOBS_PER_BATCH),
  gpuWindows: z.array(wireGpuWindowSchema).max(MAX_WINDOWS_PER_KIND),
  jobWindows: z.array(wireJobWindowSchema).max(MAX_WINDOWS_PER_KIND),
  /** Work counted per job and window (tokens, requests, samples); absent = none measured. */
  workWindows: z.array(wireWorkWindowSchema).max(MAX_WINDOWS_PER_KIND).optional(),
});

export interface CrossReferenceIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Cross-references: every window names a GPU (and job) declared in the batch, so
 * the server never has to guess what a window belongs to; GPUs and jobs are
 * declared once; windows end after they start and last at most MAX_WINDOW_MS;
 * windows of one GPU (of one job on one GPU) do not overlap, so a GPU never
 * reports more time than passed. A window repeated with the same start is no
 * overlap: storage keeps one (a resend within a batch).
 *
 * Work windows name a job of the batch too (a node counts work only for jobs it
 * runs, which it lists), last at most MAX_WORK_WINDOW_MS, and the windows of one
 * job, unit and source do not overlap, so no work is counted twice.
 */
export function crossReferenceIssues(batch: {
  gpus: readonly { uuid: string }[];
  jobs: readonly { externalId: string }[];
  gpuWindows: readonly { gpuUuid: string; startMs: number; endMs: number }[];
  jobWindows: readonly { gpuUuid: string; jobExternalId: string; startMs: number; endMs: number }[];
  workWindows?: readonly { jobExternalId: string; unit: string; source: string; startMs: number; endMs: number }[];
}): CrossReferenceIssue[] {
  const issues: CrossReferenceIssue[] = [];
  const gpuUuids = new Set<string>();
  batch.gpus.forEach((gpu, index) => {
    if (gpuUuids.has(gpu.uuid)) issues.push({ path: ["gpus", index, "uuid"], message: `duplicate GPU uuid "${gpu.uuid}"` });
    gpuUuids.add(gpu.uuid);
  });
  const jobIds = new Set<string>();
  batch.jobs.forEach((job, index) => {
    if (jobIds.has(job.externalId)) issues.push({ path: ["jobs", index, "externalId"], message: `duplicate job "${job.externalId}"` });
    jobIds.add(job.externalId);
  });
  const checkWindow = (window: { gpuUuid: string; startMs: number; endMs: number }, kind: "gpuWindows" | "jobWindows", index: number) => {
    if (!gpuUuids.has(window.gpuUuid)) {
      issues.push({ path: [kind, index, "gpuUuid"], message: `GPU "${window.gpuUuid}" is not listed in gpus` });
    }
    if (window.endMs <= window.startMs) {
      issues.push({ path: [kind, index, "endMs"], message: "endMs must be after startMs" });
    } else if (window.endMs - window.startMs > MAX_WINDOW_MS) {
      issues.push({ path: [kind, index, "endMs"], message: `window longer than ${MAX_WINDOW_MS} ms` });
    }
  };
  batch.gpuWindows.forEach((window, index) => checkWindow(window, "gpuWindows", index));
  batch.jobWindows.forEach((window, index) => {
    checkWindow(window, "jobWindows", index);
    if (!jobIds.has(window.jobExternalId)) {
      issues.push({ path: ["jobWindows", index, "jobExternalId"], message: `job "${window.jobExternalId}" is not listed in jobs` });
    }
  });
  const workWindows = batch.workWindows ?? [];
  workWindows.forEach((window, index) => {
    if (!jobIds.has(window.jobExternalId)) {
      issues.push({ path: ["workWindows", index, "jobExternalId"], message: `job "${window.jobExternalId}" is not listed in jobs` });
    }
    if (window.endMs <= window.startMs) {
      issues.push({ path: ["workWindows", index, "endMs"], message: "endMs must be after startMs" });
    } else if (window.endMs - window.startMs > MAX_WORK_WINDOW_MS) {
      issues.push({ path: ["workWindows", index, "endMs"], message: `window longer than ${MAX_WORK_WINDOW_MS} ms` });
    }
  });
  if (issues.length === 0) {
    issues.push(...overlapIssues(batch.gpuWindows, "gpuWindows", (window) => window.gpuUuid, () => ""));
    issues.push(...overlapIssues(batch.jobWindows, "jobWindows", (window) => window.gpuUuid, (window) => window.jobExternalId));
    issues.push(...overlapIssues(workWindows, "workWindows", (window) => window.jobExternalId, (window) => `${window.unit}\u0000${window.source}`));
  }
  return issues;
}

const OVERLAP_SUBJECTS = { gpuWindows: "GPU", jobWindows: "job on one GPU", workWindows: "job, unit and source" } as const;

/**
 * Windows of one key (a GPU, or a job on a GPU) that overlap an earlier-starting
 * one. Collectors send each key's windows in time order, so one pass comparing
 * each window with the latest end so far of its key finds every overlap; the
 * windows of a key that come out of order are sorted and checked again.
 */
function overlapIssues<Window extends { startMs: number; endMs: number }>(
  windows: readonly Window[],
  kind: keyof typeof OVERLAP_SUBJECTS,
  gpuOf: (window: Window) => string,
  jobOf: (window: Window) => string,
): CrossReferenceIssue[] {
  type Run = { lastStartMs: number; maxEndIndex: number; unordered: number[] | null };
  const runs = new Map<string, Map<string, Run>>();
  const runOf = (window: Window) => runs.get(gpuOf(window))?.get(jobOf(window));
  const issues: CrossReferenceIssue[] = [];
  const subject = OVERLAP_SUBJECTS[kind];
  const overlap = (index: number, earlierIndex: number) => ({
    path: [kind, index, "startMs"],
    message: `overlaps ${kind}[${earlierIndex}]: windows of one ${subject} must not overlap`,
  });
  let anyUnordered = false;
  windows.forEach((window, index) => {
    const run = runOf(window);
    if (!run) {
      let byJob = runs.get(gpuOf(window));
      if (!byJob) runs.set(gpuOf(window), (byJob = new Map()));
      byJob.set(jobOf(window), { lastStartMs: window.startMs, maxEndIndex: index, unordered: null });
    } else if (run.unordered || window.startMs < run.lastStartMs) {
      run.unordered = [];
      anyUnordered = true;
    } else if (window.startMs !== run.lastStartMs && window.startMs < windows[run.maxEndIndex].endMs) {
      issues.push(overlap(index, run.maxEndIndex));
    } else {
      run.lastStartMs = window.startMs;
      if (window.endMs > windows[run.maxEndIndex].endMs) run.maxEndIndex = index;
    }
  });
  if (!anyUnordered || issues.length > 0) return issues;
  windows.forEach((window, index) => runOf(window)!.unordered?.push(index));
  for (const byJob of runs.values()) {
    for (const { unordered } of byJob.values()) {
      if (!unordered) continue;
      unordered.sort((a, b) => windows[a].startMs - windows[b].startMs || a - b);
      let maxEndIndex = unordered[0];
      for (const index of unordered.slice(1)) {
        const window = windows[index];
        const longest = windows[maxEndIndex];
        if (window.startMs !== longest.startMs && window.startMs < longest.endMs) issues.push(overlap(Math.max(index, maxEndIndex), Math.min(index, maxEndIndex)));
        else if (window.endMs > longest.endMs) maxEndIndex = index;
      }
    }
  }
  return issues;
}

export const ingestBatchSchema = ingestBatchObjectSchema.superRefine((batch, context) => {
  for (const issue of crossReferenceIssues(batch)) context.addIssue({ code: "custom", ...issue });
});

export type IngestBatch = z.infer<typeof ingestBatchSchema>;
export type WireGpu = z.infer<typeof wireGpuSchema>;
export type WireJob = z.infer<typeof wireJobSchema>;
export type WireGpuWindow = z.infer<typeof wireGpuWindowSchema>;
export type WireJobWindow = z.infer<typeof wireJobWindowSchema>;
export type WireWorkWindow = z.infer<typeof wireWorkWindowSchema>;

/** The acknowledgement the server returns for an accepted (or repeated) batch. */
export interface IngestAck {
  batchId: string;
  /** true when this batchId had been stored before: nothing was written again. */
  duplicate: boolean;
  gpuWindowsStored: number;
  jobWindowsStored: number;
  /** Windows skipped because a window for the same GPU (and job) and start was already stored. */
  windowsAlreadyStored: number;
  /**
   * Work windows stored; those already stored (same job, node, unit, source and
   * start) are skipped. Always sent by this server; absent from servers older than work counters.
   */
  workWindowsStored?: number;
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
