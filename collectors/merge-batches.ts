/**
 * Merges consecutive spooled batches of one node into one batch, so a collector
 * catching up after an outage sends an hour of windows in one request instead of
 * sixty: the server's cost is mostly per request and per transaction (see
 * docs/benchmarks.md, ingest), so catch-up is many times faster.
 *
 * Nothing can be counted twice by merging: the server skips every window whose
 * key (GPU, job, start) is already stored, whichever batch brought it, so a batch
 * that was stored but whose acknowledgement was lost is harmless inside a merged
 * one. The merged batch's id is derived from the ids it merges, so resending the
 * same group after a lost acknowledgement is recognised as a repeat at once.
 */
import { createHash } from "node:crypto";
import type { IngestBatch, WireGpu, WireJob } from "../server/wire/ingest-v1";

/** A UUID (version 8: derived, not random) from the ids of the merged batches, in order. */
export function mergedBatchId(batchIds: readonly string[]): string {
  const hex = createHash("sha256").update(batchIds.join(",")).digest("hex");
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Whether two batches may share one request: the same node name (the server checks it against the token). */
export function canMerge(a: IngestBatch, b: IngestBatch): boolean {
  return a.node.hostname === b.node.hostname && a.schemaVersion === b.schemaVersion;
}

/**
 * One batch holding the windows of all `batches` (oldest first). GPUs and jobs
 * are declared once each, with the newest batch's description (a job's labels
 * or a MIG layout may change between batches); node labels and the collector's
 * version are the newest batch's; failed polls are summed.
 */
export function mergeBatches(batches: readonly IngestBatch[]): IngestBatch {
  if (batches.length === 0) throw new Error("mergeBatches: no batches");
  if (batches.length === 1) return batches[0];
  const newest = batches[batches.length - 1];
  const gpus = new Map<string, WireGpu>();
  const jobs = new Map<string, WireJob>();
  let failedPolls: number | undefined;
  for (const batch of batches) {
    if (!canMerge(batches[0], batch)) throw new Error(`mergeBatches: batch ${batch.batchId} is for node "${batch.node.hostname}", not "${batches[0].node.hostname}"`);
    for (const gpu of batch.gpus) gpus.set(gpu.uuid, gpu);
    for (const job of batch.jobs) jobs.set(job.externalId, job);
    if (batch.collector?.failedPolls !== undefined) failedPolls = (failedPolls ?? 0) + batch.collector.failedPolls;
  }
  return {
    schemaVersion: newest.schemaVersion,
    batchId: mergedBatchId(batches.map((batch) => batch.batchId)),
    node: newest.node,
    ...(newest.collector ? { collector: { ...newest.collector, ...(failedPolls !== undefined ? { failedPolls } : {}) } } : {}),
    gpus: [...gpus.values()],
    jobs: [...jobs.values()],
    gpuWindows: batches.flatMap((batch) => batch.gpuWindows),
    jobWindows: batches.flatMap((batch) => batch.jobWindows),
    ...(batches.some((batch) => batch.workWindows) ? { workWindows: batches.flatMap((batch) => batch.workWindows ?? []) } : {}),
  };
}
