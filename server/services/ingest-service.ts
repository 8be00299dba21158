import { retryTransientConflicts, type SqlDatabase, type SqlExecutor } from "../db/sql-database";
import type { IngestAck, IngestBatch } from "../wire/ingest-v1";
import { hourlyContributions } from "../domain/rollup";
import type { AuthenticatedNode } from "./node-tokens";
import { addHourlyRollups } from "./rollup-service";
import { ServiceError } from "./service-error";
import { storeWorkWindows } from "./work-storage";

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

/** A stored GPU or job: its id, owner (node or cluster), key and metadata as JSON text. */
type StoredRow = { id: number; owner: number; key: string; metadata: string };

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
 *  1. claim the batchId for this node (a repeated batch is acknowledged, nothing else written);
 *  2. mark the node seen and store its labels;
 *  3. register or refresh the batch's GPUs, refusing GPUs that belong to another node;
 *  4. register or refresh its jobs (keyed by cluster and external id);
 *  5. bulk-insert GPU and job windows; a window already stored for the same key is skipped;
 *  6. add the new windows to the hourly rollups;
 *  7. store the work windows (tokens, requests, samples) and their hourly sums.
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
  // A deadlock or serialization failure against a concurrent batch (another
  // replica) rolls the whole transaction back: run it again, a bounded number of times.
  return retryTransientConflicts(() => storeBatch(db, node, batch, receivedAtMs));
}

function storeBatch(db: SqlDatabase, node: AuthenticatedNode, batch: IngestBatch, receivedAtMs: number): Promise<IngestAck> {
  return db.transaction(async (tx) => {
    // 1. Claim the batch id, which is the node's own (another node may use the
    //    same id). On PostgreSQL a concurrent insert of the same node and id
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
      conflictColumns: ["node_id", "batch_id"],
    });
    if (claimed.length === 0) {
      return { batchId: batch.batchId, duplicate: true, gpuWindowsStored: 0, jobWindowsStored: 0, windowsAlreadyStored: 0, workWindowsStored: 0 };
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
    await refuseForeignMigParents(tx, node.nodeId, batch.gpus);
    const gpuSpan = spanOf(batch.gpuWindows, (window) => window.gpuUuid);
    const gpuSelectSql = `SELECT id, node_id AS owner, uuid AS key, ${metadataJson(db, ["gpu_index", "model_name", "memory_total_mib", "mig_parent_uuid", "mig_profile"])} AS metadata FROM gpu WHERE 1 = 1`;
    const storedGpus = await selectByKey<StoredRow>(tx, gpuSelectSql, [], batch.gpus.map((gpu) => gpu.uuid), "uuid");
    const gpuIds = new Map<string, number>();
    const gpuSpans = new Map<number, { firstMs: number; lastMs: number }>();
    for (const [index, gpu] of batch.gpus.entries()) {
      let stored = storedGpus.get(gpu.uuid);
      const fields = [gpu.index, gpu.modelName, gpu.memoryTotalMiB, gpu.migParentUuid ?? null, gpu.migProfile ?? null];
      const span = gpuSpan.get(gpu.uuid) ?? { firstMs: receivedAtMs, lastMs: receivedAtMs };
      if (!stored) {
        // ON CONFLICT: a concurrent transaction (another replica) may register the
        // same GPU first; then this one reads the row it committed.
        const [inserted] = await tx.query<{ id: number }>(
          `INSERT INTO gpu (node_id, uuid, gpu_index, model_name, memory_total_mib, mig_parent_uuid, mig_profile, first_seen_ms, last_seen_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uuid) DO NOTHING RETURNING id`,
          [node.nodeId, gpu.uuid, ...fields, span.firstMs, span.lastMs],
        );
        if (inserted) {
          gpuIds.set(gpu.uuid, inserted.id);
          continue;
        }
        stored = (await selectByKey<StoredRow>(tx, gpuSelectSql, [], [gpu.uuid], "uuid")).get(gpu.uuid)!;
      }
      if (stored.owner !== node.nodeId) {
        throw new ServiceError(403, `gpus[${index}].uuid: GPU "${gpu.uuid}" belongs to another node`, `gpus[${index}].uuid`);
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
    //    Jobs are shared by the nodes of a multi-node job, whose batches may be
    //    stored at the same time by different replicas: new jobs are inserted in
    //    external id order with ON CONFLICT, and the stored rows are locked in id
    //    order before they are updated, so concurrent batches never wait on each
    //    other in a cycle (deadlock).
    const jobSelectSql = `SELECT id, cluster_id AS owner, external_id AS key,
              ${metadataJson(db, ["kind", "requested_gpus", "team", "project", "model", "experiment", "user_name", "labels_json"])} AS metadata
         FROM job WHERE cluster_id = ?`;
    const storedJobs = await selectByKey<StoredRow>(tx, jobSelectSql, [node.clusterId], batch.jobs.map((job) => job.externalId), "external_id");
    const jobIds = new Map<string, number>();
    const jobSpans = new Map<number, { firstMs: number; lastMs: number }>();
    const jobUpdates: { id: number; fields: (string | number | null)[] }[] = [];
    const jobsInKeyOrder = [...batch.jobs].sort((a, b) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0));
    for (const job of jobsInKeyOrder) {
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
      let stored = storedJobs.get(job.externalId);
      if (!stored) {
        const [inserted] = await tx.query<{ id: number }>(
          `INSERT INTO job (cluster_id, external_id, kind, requested_gpus, team, project, model, experiment, user_name, labels_json, first_seen_ms, last_seen_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (cluster_id, external_id) DO NOTHING RETURNING id`,
          [node.clusterId, job.externalId, ...fields, span.firstMs, span.lastMs],
        );
        if (inserted) {
          jobIds.set(job.externalId, inserted.id);
          continue;
        }
        // Another node's batch registered it first (and has committed: READ COMMITTED reads it now).
        stored = (await selectByKey<StoredRow>(tx, jobSelectSql, [node.clusterId], [job.externalId], "external_id")).get(job.externalId)!;
      }
      jobIds.set(job.externalId, stored.id);
      if (!sameMetadata(stored.metadata, fields)) jobUpdates.push({ id: stored.id, fields });
      jobSpans.set(stored.id, span);
    }
    if (db.dialect === "postgresql" && jobSpans.size > 1) {
      const ids = [...jobSpans.keys()].sort((a, b) => a - b);
      for (let offset = 0; offset < ids.length; offset += LOOKUP_CHUNK) {
        const chunk = ids.slice(offset, offset + LOOKUP_CHUNK);
        await tx.query(`SELECT id FROM job WHERE id IN (${chunk.map(() => "?").join(", ")}) ORDER BY id FOR UPDATE`, chunk);
      }
    }
    for (const update of jobUpdates) {
      await tx.query(
        `UPDATE job SET kind = ?, requested_gpus = ?, team = ?, project = ?, model = ?, experiment = ?, user_name = ?, labels_json = ? WHERE id = ?`,
        [...update.fields, update.id],
      );
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
    // Both window tables in one call: one round trip on PostgreSQL.
    const [gpuWindowsStored, jobWindowsStored] = await tx.insertManyTogether([
      {
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
      },
      {
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
      },
    ]);
    await addHourlyRollups(
      tx,
      hourlyContributions(
        gpuWindowsStored.map((index) => gpuWindowRows[index]),
        jobWindowsStored.map((index) => jobWindowRows[index]),
        { gpuWindows: gpuWindowRows, jobWindows: jobWindowRows },
      ),
    );
    // 7. Work, counted for the node that sent it (the token's, never the body's).
    const workWindowsStored = await storeWorkWindows(
      tx,
      (batch.workWindows ?? []).map((w) => ({
        jobId: jobIds.get(w.jobExternalId)!,
        nodeId: node.nodeId,
        unit: w.unit,
        source: w.source,
        startMs: w.startMs,
        endMs: w.endMs,
        count: w.count,
      })),
    );
    const windowsAlreadyStored =
      batch.gpuWindows.length - gpuWindowsStored.length + (batch.jobWindows.length - jobWindowsStored.length);
    return {
      batchId: batch.batchId,
      duplicate: false,
      gpuWindowsStored: gpuWindowsStored.length,
      jobWindowsStored: jobWindowsStored.length,
      windowsAlreadyStored,
      workWindowsStored,
    };
  });
}

/**
 * A MIG instance's parent may not be another node's GPU (nor the instance
 * itself): a registered parent is priced through its instances and leaves the
 * fleet's cost, so naming another node's GPU would move that GPU's cost onto
 * this node's instances. A parent no node has registered is accepted, since
 * dcgm-exporter reports only a MIG GPU's instances; allocation resolves parents
 * within the instance's node only, so such a parent never joins another node's
 * GPU that registers the same UUID later.
 */
async function refuseForeignMigParents(tx: SqlExecutor, nodeId: number, gpus: IngestBatch["gpus"]): Promise<void> {
  const batchUuids = new Set(gpus.map((gpu) => gpu.uuid));
  const parentsOutsideBatch = new Set<string>();
  for (const gpu of gpus) if (gpu.migParentUuid != null && !batchUuids.has(gpu.migParentUuid)) parentsOutsideBatch.add(gpu.migParentUuid);
  const stored =
    parentsOutsideBatch.size === 0
      ? new Map<string, StoredRow>()
      : await selectByKey<StoredRow>(tx, `SELECT id, node_id AS owner, uuid AS key, '' AS metadata FROM gpu WHERE 1 = 1`, [], [...parentsOutsideBatch], "uuid");
  for (const [index, gpu] of gpus.entries()) {
    const parent = gpu.migParentUuid;
    if (parent == null) continue;
    const owner = stored.get(parent)?.owner;
    const foreign = parent === gpu.uuid || (!batchUuids.has(parent) && owner !== undefined && owner !== nodeId);
    if (foreign) {
      const field = `gpus[${index}].migParentUuid`;
      throw new ServiceError(403, `${field}: MIG parent "${parent}" is not another GPU of this node`, field);
    }
  }
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
