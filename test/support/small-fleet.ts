import { randomUUID } from "node:crypto";
import { handleIngestRequest } from "../../server/api/rest/ingest-handler";
import type { SqlDatabase } from "../../server/db/sql-database";
import type { AppPrismaClient } from "../../server/db/prisma-client";
import { createServerMetrics } from "../../server/services/metrics";
import { issueNodeToken } from "../../server/services/node-tokens";
import type { IngestBatch, JobKind } from "../../server/wire/ingest-v1";
import { ingestRequest } from "./in-process-server";

/** A job of a hand-written fleet: which GPUs of its node it holds and how busy it keeps them. */
export interface SmallFleetJob {
  externalId: string;
  kind: JobKind;
  gpuIndexes: readonly number[];
  utilizationPct: number;
  memoryUsedMiB: number;
  team?: string;
  experiment?: string;
  model?: string;
}

export interface SmallFleetNode {
  cluster: string;
  hostname: string;
  gpuModel: string;
  gpuCount: number;
  memoryTotalMiB: number;
  jobs: readonly SmallFleetJob[];
  /** The node's labels (none when absent). */
  labels?: Readonly<Record<string, string>>;
}

/**
 * Ingests a few nodes (any cluster, any ids, hostile ones included) through the
 * real ingest handler: one batch per node of windows of `windowMs` over
 * [fromMs, toMs), every job running throughout. Returns nothing: read it back
 * through the services.
 */
export async function ingestSmallFleet(
  db: { sql: SqlDatabase; prisma: AppPrismaClient },
  nodes: readonly SmallFleetNode[],
  span: { fromMs: number; toMs: number; windowMs: number },
): Promise<void> {
  const metrics = createServerMetrics();
  for (const node of nodes) {
    const { token } = await issueNodeToken(db.prisma, { clusterName: node.cluster, hostname: node.hostname, nowMs: span.fromMs });
    const uuid = (index: number) => `GPU-${randomUUID()}-${index}`;
    const uuids = Array.from({ length: node.gpuCount }, (_, i) => uuid(i));
    const batch: IngestBatch = {
      schemaVersion: 1,
      batchId: randomUUID(),
      node: { hostname: node.hostname, labels: { ...node.labels } },
      collector: { version: "test", source: "simulator", failedPolls: 0 },
      gpus: uuids.map((gpuUuid, index) => ({ uuid: gpuUuid, index, modelName: node.gpuModel, memoryTotalMiB: node.memoryTotalMiB, migParentUuid: null, migProfile: null })),
      jobs: node.jobs.map((job) => ({ externalId: job.externalId, kind: job.kind, requestedGpus: job.gpuIndexes.length, team: job.team ?? null, project: null, model: job.model ?? null, experiment: job.experiment ?? null, user: null })),
      gpuWindows: [],
      jobWindows: [],
    };
    for (let startMs = span.fromMs; startMs < span.toMs; startMs += span.windowMs) {
      const endMs = startMs + span.windowMs;
      uuids.forEach((gpuUuid, index) => {
        const jobsOnGpu = node.jobs.filter((job) => job.gpuIndexes.includes(index));
        const utilizationAvgPct = Math.min(100, jobsOnGpu.reduce((sum, job) => sum + job.utilizationPct, 0));
        const memoryUsedMiB = jobsOnGpu.reduce((sum, job) => sum + job.memoryUsedMiB, 0);
        batch.gpuWindows.push({ gpuUuid, startMs, endMs, sampleCount: 6, utilizationAvgPct, utilizationMaxPct: utilizationAvgPct, smActiveAvgPct: null, memoryUsedAvgMiB: memoryUsedMiB, memoryUsedMaxMiB: memoryUsedMiB, powerAvgW: 100, energyJ: (100 * span.windowMs) / 1000 });
        for (const job of jobsOnGpu) {
          batch.jobWindows.push({ gpuUuid, jobExternalId: job.externalId, startMs, endMs, sampleCount: 6, processCount: 1, utilizationAvgPct: job.utilizationPct, memoryUsedAvgMiB: job.memoryUsedMiB, memoryUsedMaxMiB: job.memoryUsedMiB });
        }
      });
    }
    const response = await handleIngestRequest(ingestRequest(batch, token), { db: db.sql, metrics, maxBodyBytes: 64 * 1024 * 1024, nowMs: () => span.toMs });
    if (response.status !== 200) throw new Error(`ingest of ${node.cluster}/${node.hostname} answered ${response.status}: ${await response.text()}`);
  }
}
