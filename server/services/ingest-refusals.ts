/**
 * Ingest requests refused before anything was stored (a bad or revoked token,
 * windows outside the accepted clock range), counted per subject, reason and
 * hour in ingest_refusal: the "node whose batches are refused" alert reads them.
 */
import { sqlGreatest, type SqlDatabase } from "../db/sql-database";
import type { IngestRefusalCount } from "../domain/alert-rules";
import { HOUR_MS } from "../domain/rollup";

export type IngestRefusalReason = "unknown-token" | "revoked-token" | "clock-skew";

export interface IngestRefusal {
  /** "node:<id>" when the refusal names a node, "token:<prefix>" for a token no node has. */
  subjectKey: string;
  nodeId: number | null;
  reason: IngestRefusalReason;
  atMs: number;
  message: string;
}

/** Adds one refusal to its hour's count (one statement: a flood of refusals costs one upsert each). */
export async function recordIngestRefusal(db: SqlDatabase, refusal: IngestRefusal): Promise<void> {
  const hourStartMs = Math.floor(refusal.atMs / HOUR_MS) * HOUR_MS;
  await db.query(
    `INSERT INTO ingest_refusal (subject_key, reason, hour_start_ms, node_id, count, last_refused_at_ms, last_message)
     VALUES (?, ?, ?, ?, 1, ?, ?)
     ON CONFLICT (subject_key, reason, hour_start_ms) DO UPDATE
        SET count = ingest_refusal.count + 1,
            last_refused_at_ms = ${sqlGreatest(db.dialect, "ingest_refusal.last_refused_at_ms", "excluded.last_refused_at_ms")},
            last_message = excluded.last_message`,
    [refusal.subjectKey, refusal.reason, hourStartMs, refusal.nodeId, refusal.atMs, refusal.message.slice(0, 500)],
  );
}

/** Refusal counts of the hours that end after `fromMs`. */
export async function loadIngestRefusals(db: SqlDatabase, fromMs: number): Promise<IngestRefusalCount[]> {
  const rows = await db.query<{
    subject_key: string;
    reason: string;
    hour_start_ms: number;
    node_id: number | null;
    count: number;
    last_refused_at_ms: number;
    last_message: string;
  }>(`SELECT subject_key, reason, hour_start_ms, node_id, count, last_refused_at_ms, last_message FROM ingest_refusal WHERE hour_start_ms > ?`, [fromMs - HOUR_MS]);
  return rows.map((row) => ({
    subjectKey: row.subject_key,
    reason: row.reason,
    hourStartMs: Number(row.hour_start_ms),
    nodeId: row.node_id === null ? null : Number(row.node_id),
    count: Number(row.count),
    lastRefusedAtMs: Number(row.last_refused_at_ms),
    lastMessage: row.last_message,
  }));
}

/** Drops refusal counts older than `beforeMs` (the log is for recent alerts, not history). */
export async function deleteIngestRefusalsBefore(db: SqlDatabase, beforeMs: number): Promise<void> {
  await db.query(`DELETE FROM ingest_refusal WHERE hour_start_ms < ?`, [beforeMs]);
}
