import type { SqlDatabase, SqlExecutor } from "../db/sql-database";
import type { IngestAck, IngestBatch } from "../wire/ingest-v1";
import { hourlyContributions } from "../domain/rollup";
import type { AuthenticatedNode } from "./node-tokens";
import { addHourlyRollups } from "./rollup-service";
import { ServiceError } from "./service-error";

const GPU_WINDOW_COLUMNS = [
  { name: "gpu_id", type: "integer" },
  { name: "start_ms", type: "bigint" },
  { name: "end_ms", type: "bigint" },
  { name: "sample_count", type: "integer" },
  { name: "utilization_avg_pct", type: "double precision" },
  { name: "utilization_max_pct", type: "double precision" },
  { name: "sm_active_avg_pct", type: "double precision" },
  { name: "memory_used_avg_mib", type: "double precision" },
  { name: "memory_used_max_mib", type: "double precision" },
  { name: "power_avg_w", type: "double precision" },
  { name: "energy_j", type: "double precision" },
] as const;

const JOB_WINDOW_COLUMNS = [
  { name: "gpu_id", type: "integer" },
  { name: "job_id", type: "integer" },
  { name: "start_ms", type: "bigint" },
  { name: "end_ms", type: "bigint" },
  { name: "sample_count", type: "integer" },
  { name: "process_count", type: "integer" },
  { name: "utilization_avg_pct", type: "double precision" },
  { name: "memory_used_avg_mib", type: "double precision" },
  { name: "memory_used_max_mib", type: "double precision" },
] as const;

/** Splits long IN (...) lists so no statement exceeds the drivers' parameter limits. */
const LOOKUP_CHUNK = 500;

async function selectByKey<Row extends { key: string }>(
  tx: SqlExecutor,
  sqlPrefix: string,
  fixedParams: (string | number)[],
  keys: string[],
  keyColumn: string,
): Promise<Map<string, Row>> {
  const found = new Map<string, Row>();
  for (let offset = 0; offset < keys.length; offset += LOOKUP_CHUNK) {
    const chunk = keys.slice(offset, offset + LOOKUP_CHUNK);
    const rows = await tx.query<Row>(`${sqlPrefix} AND ${keyColumn} IN (${chunk.map(() => "?").join(", ")})`, [...fixedParams, ...chunk]);
    for (const row of rows) found.set(row.key, row);
  }
  return found;
}

/**
 * The stored metadata columns as one JSON array text, so a batch can tell in
 * memory whether anything changed and skip the UPDATE when nothing did.
 */
function metadataJson(db: SqlDatabase, columns: readonly string[]): string {
  return db.dialect === "sqlite" ? `json_array(${columns.join(", ")})` : `json_build_array(${columns.join(", ")})::text`;
}

function sameMetadata(storedJson: string, fields: readonly (string | number | null)[]): boolean {
  const stored = JSON.parse(storedJson) as unknown[];
  return stored.length === fields.length && stored.every((value, index) => value === fields[index]);
}

/**
 * Widens first/last seen to include each row's span: one UPDATE per distinct span,
 * never narrowing what is stored (CASE keeps concurrent writers monotone).
 */
async function extendSpans(tx: SqlExecutor, table: "gpu" | "job", spans: ReadonlyMap<number, { firstMs: number; lastMs: number }>): Promise<void> {
  const idsBySpan = new Map<string, number[]>();
  for (const [id, span] of spans) {
    const key = `${span.firstMs}:${span.lastMs}`;
    const ids = idsBySpan.get(key);
    if (ids) ids.push(id);
    else idsBySpan.set(key, [id]);
  }
  for (const [key, ids] of idsBySpan) {
    const [firstMs, lastMs] = key.split(":").map(Number);
    for (let offset = 0; offset < ids.length; offset += LOOKUP_CHUNK) {
      const chunk = ids.slice(offset, offset + LOOKUP_CHUNK);
      await tx.query(
        `UPDATE ${table} SET first_seen_ms = CASE WHEN first_seen_ms < ? THEN first_seen_ms ELSE ? END,
                last_seen_ms = CASE WHEN last_seen_ms > ? THEN last_seen_ms ELSE ? END
          WHERE id IN (${chunk.map(() => "?").join(", ")}) AND (first_seen_ms > ? OR last_seen_ms < ?)`,
        [firstMs, firstMs, lastMs, lastMs, ...chunk, firstMs, lastMs],
      );
    }
  }
}

/**
 * Stores one batch in one transaction. Steps:
 *  1. claim the batchId (a repeated batch is acknowledged, nothing else written);
 *  2. mark the node seen and store its labels;
 *  3. register or refresh the batch's GPUs, refusing GPUs that belong to another node;
 *  4. register or refresh its jobs (keyed by cluster and external id);
 *  5. bulk-insert GPU and job windows; a window already stored for the same key is skipped;
 *  6. add the new windows to the hourly rollups.
 * Any error rolls the whole batch back.
 */
export async function ingestBatch(
  db: SqlDatabase,
  node: AuthenticatedNode,
  batch: IngestBatch,
  receivedAtMs: number,
): Promise<IngestAck> {
  if (batch.node.hostname !== node.hostname) {
    throw new ServiceError(
      403,
      `node.hostname: "${batch.node.hostname}" does not match the node this token was issued to ("${node.hostname}")`,
      "node.hostname",
    );
  }
  return db.transaction(async (tx) => {
    // 1. Claim the batch id. On PostgreSQL a concurrent insert of the same id
    //    waits for the other transaction and then does nothing.
    const claimed = await tx.insertMany({
      table: "ingest_batch",
      columns: [
        { name: "batch_id", type: "text" },
        { name: "node_id", type: "integer" },
        { name: "received_at_ms", type: "bigint" },
        { name: "gpu_window_count", type: "integer" },
        { name: "job_window_count", type: "integer" },
      ],
      rows: [[batch.batchId, node.nodeId, receivedAtMs, batch.gpuWindows.length, batch.jobWindows.length]],
      conflictColumns: ["batch_id"],
    });
    if (claimed.length === 0) {
      return { batchId: batch.batchId, duplicate: true, gpuWindowsStored: 0, jobWindowsStored: 0, windowsAlreadyStored: 0 };
    }

    // 2. The node.
    await tx.query(`UPDATE node SET last_seen_ms = ?, labels_json = ? WHERE id = ?`, [
      receivedAtMs,
      JSON.stringify(batch.node.labels ?? {}),
      node.nodeId,
    ]);

    // 3. GPUs. first/last seen follow the windows (as for jobs below), so the
    //    fleet's cost counts a GPU from its first reported minute, backfills
    //    included. Only changed metadata is written; spans are extended in one
    //    statement per distinct span (usually one per batch).
    const gpuSpan = spanOf(batch.gpuWindows, (window) => window.gpuUuid);
    const storedGpus = await selectByKey<{ id: number; owner: number; key: string; metadata: string }>(
      tx,
      `SELECT id, node_id AS owner, uuid AS key, ${metadataJson(db, ["gpu_index", "model_name", "memory_total_mib", "mig_parent_uuid", "mig_profile"])} AS metadata FROM gpu WHERE 1 = 1`,
      [],
      batch.gpus.map((gpu) => gpu.uuid),
      "uuid",
    );
    const gpuIds = new Map<string, number>();
    const gpuSpans = new Map<number, { firstMs: number; lastMs: number }>();
    for (const [index, gpu] of batch.gpus.entries()) {
      const stored = storedGpus.get(gpu.uuid);
      const fields = [gpu.index, gpu.modelName, gpu.memoryTotalMiB, gpu.migParentUuid ?? null, gpu.migProfile ?? null];
      const span = gpuSpan.get(gpu.uuid) ?? { firstMs: receivedAtMs, lastMs: receivedAtMs };
      if (stored && stored.owner !== node.nodeId) {
        throw new ServiceError(403, `gpus[${index}].uuid: GPU "${gpu.uuid}" belongs to another node`, `gpus[${index}].uuid`);
      }
      if (!stored) {
        const [inserted] = await tx.query<{ id: number }>(
          `INSERT INTO gpu (node_id, uuid, gpu_index, model_name, memory_total_mib, mig_parent_uuid, mig_profile, first_seen_ms, last_seen_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
          [node.nodeId, gpu.uuid, ...fields, span.firstMs, span.lastMs],
        );
        gpuIds.set(gpu.uuid, inserted.id);
        continue;
      }
      gpuIds.set(gpu.uuid, stored.id);
      if (!sameMetadata(stored.metadata, fields)) {
        await tx.query(`UPDATE gpu SET gpu_index = ?, model_name = ?, memory_total_mib = ?, mig_parent_uuid = ?, mig_profile = ? WHERE id = ?`, [...fields, stored.id]);
      }
      gpuSpans.set(stored.id, span);
    }
    await extendSpans(tx, "gpu", gpuSpans);

    // 4. Jobs. first/last seen follow the job's windows, not the arrival time, so
    //    a backfilled or late batch dates the job correctly.
    const jobSpan = spanOf(batch.jobWindows, (window) => window.jobExternalId);
    const storedJobs = await selectByKey<{ id: number; owner: number; key: string; metadata: string }>(
      tx,
      `SELECT id, cluster_id AS owner, external_id AS key,
              ${metadataJson(db, ["kind", "requested_gpus", "team", "project", "model", "experiment", "user_name", "labels_json"])} AS metadata
         FROM job WHERE cluster_id = ?`,
      [node.clusterId],
      batch.jobs.map((job) => job.externalId),
      "external_id",
    );
    const jobIds = new Map<string, number>();
    const jobSpans = new Map<number, { firstMs: number; lastMs: number }>();
    for (const job of batch.jobs) {
      const span = jobSpan.get(job.externalId) ?? { firstMs: receivedAtMs, lastMs: receivedAtMs };
      const fields = [
        job.kind,
        job.requestedGpus ?? null,
        job.team ?? null,
        job.project ?? null,
        job.model ?? null,
        job.experiment ?? null,
        job.user ?? null,
        JSON.stringify(job.labels ?? {}),
      ];
      const stored = storedJobs.get(job.externalId);
      if (!stored) {
        const [inserted] = await tx.query<{ id: number }>(
          `INSERT INTO job (cluster_id, external_id, kind, requested_gpus, team, project, model, experiment, user_name, labels_json, first_seen_ms, last_seen_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
          [node.clusterId, job.externalId, ...fields, span.firstMs, span.lastMs],
        );
        jobIds.set(job.externalId, inserted.id);
        continue;
      }
      jobIds.set(job.externalId, stored.id);
      if (!sameMetadata(stored.metadata, fields)) {
        await tx.query(
          `UPDATE job SET kind = ?, requested_gpus = ?, team = ?, project = ?, model = ?, experiment = ?, user_name = ?, labels_json = ? WHERE id = ?`,
          [...fields, stored.id],
        );
      }
      jobSpans.set(stored.id, span);
    }
    await extendSpans(tx, "job", jobSpans);

    // 5. Windows, then 6. the hourly rollups of the windows that were new.
    const gpuWindowRows = batch.gpuWindows.map((w) => ({
      gpuId: gpuIds.get(w.gpuUuid)!,
      startMs: w.startMs,
      endMs: w.endMs,
      utilizationAvgPct: w.utilizationAvgPct,
      memoryUsedAvgMiB: w.memoryUsedAvgMiB,
      energyJ: w.energyJ,
    }));
    const jobWindowRows = batch.jobWindows.map((w) => ({
      gpuId: gpuIds.get(w.gpuUuid)!,
      jobId: jobIds.get(w.jobExternalId)!,
      startMs: w.startMs,
      endMs: w.endMs,
      utilizationAvgPct: w.utilizationAvgPct ?? null,
      memoryUsedAvgMiB: w.memoryUsedAvgMiB,
    }));
    const gpuWindowsStored = await tx.insertMany({
      table: "gpu_usage_window",
      columns: GPU_WINDOW_COLUMNS,
      conflictColumns: ["gpu_id", "start_ms"],
      rows: batch.gpuWindows.map((w, index) => [
        gpuWindowRows[index].gpuId,
        w.startMs,
        w.endMs,
        w.sampleCount,
        w.utilizationAvgPct,
        w.utilizationMaxPct,
        w.smActiveAvgPct ?? null,
        w.memoryUsedAvgMiB,
        w.memoryUsedMaxMiB,
        w.powerAvgW,
        w.energyJ,
      ]),
    });
    const jobWindowsStored = await tx.insertMany({
      table: "job_usage_window",
      columns: JOB_WINDOW_COLUMNS,
      conflictColumns: ["gpu_id", "job_id", "start_ms"],
      rows: batch.jobWindows.map((w, index) => [
        jobWindowRows[index].gpuId,
        jobWindowRows[index].jobId,
        w.startMs,
        w.endMs,
        w.sampleCount,
        w.processCount,
        w.utilizationAvgPct ?? null,
        w.memoryUsedAvgMiB,
        w.memoryUsedMaxMiB,
      ]),
    });
    await addHourlyRollups(
      tx,
      hourlyContributions(
        gpuWindowsStored.map((index) => gpuWindowRows[index]),
        jobWindowsStored.map((index) => jobWindowRows[index]),
        { gpuWindows: gpuWindowRows, jobWindows: jobWindowRows },
      ),
    );
    const windowsAlreadyStored =
      batch.gpuWindows.length - gpuWindowsStored.length + (batch.jobWindows.length - jobWindowsStored.length);
    return {
      batchId: batch.batchId,
      duplicate: false,
      gpuWindowsStored: gpuWindowsStored.length,
      jobWindowsStored: jobWindowsStored.length,
      windowsAlreadyStored,
    };
  });
}

/** The earliest start and latest end of the windows of each key. */
function spanOf<W extends { startMs: number; endMs: number }>(
  windows: readonly W[],
  keyOf: (window: W) => string,
): Map<string, { firstMs: number; lastMs: number }> {
  const spans = new Map<string, { firstMs: number; lastMs: number }>();
  for (const window of windows) {
    const span = spans.get(keyOf(window));
    if (!span) spans.set(keyOf(window), { firstMs: window.startMs, lastMs: window.endMs });
    else {
      span.firstMs = Math.min(span.firstMs, window.startMs);
      span.lastMs = Math.max(span.lastMs, window.endMs);
    }
  }
  return spans;
}
