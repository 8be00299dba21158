import { retryTransientConflicts, type SqlDatabase, type SqlExecutor } from "../db/sql-database";
import { counterIncrease } from "../domain/work-counters";
import type { AuthenticatedNode } from "./node-tokens";
import { ServiceError } from "./service-error";
import { storeWorkWindows } from "./work-storage";

/** A cumulative work counter's value as a job reports it (POST /api/v1/work). */
export interface WorkReport {
  /** The job's external id (Slurm job id, pod UID), in the node's cluster. */
  jobId: string;
  unit: string;
  /** The counter's value: work done since the job (or, after a reset, the counter) started. */
  count: number;
  timeMs: number;
  /** The counter restarted from zero since the previous report. */
  reset: boolean;
  /** The client's id of this report: a repeat is acknowledged, not counted again. */
  reportId: string | null;
}

export interface WorkReportAck {
  reportId: string | null;
  /** true when this report had been stored before: nothing was counted again. */
  duplicate: boolean;
  /** Work counted from this report (the counter's increase) and the window it covers; absent for a duplicate. */
  counted?: { count: number; start: string; end: string };
}

/**
 * Stores one report in one transaction. Steps:
 *  1. the job must be one this node has reported usage for (the node comes from
 *     its token, so a node cannot count work for another node's job);
 *  2. a reportId this node has sent before: acknowledged, nothing written;
 *  3. the increase since the counter's latest report (server/domain/work-counters.ts);
 *  4. the report and the work window it yields (source "api", apart from the
 *     collector's "report" of the same job's report file, so the two are not
 *     counted twice: server/domain/work-counters.ts, countOneSourcePerHour) are
 *     stored, the window added to the hourly sums.
 */
export function storeWorkReport(db: SqlDatabase, node: AuthenticatedNode, report: WorkReport, receivedAtMs: number): Promise<WorkReportAck> {
  return retryTransientConflicts(() => db.transaction((tx) => storeInTransaction(db, tx, node, report, receivedAtMs)));
}

async function storeInTransaction(db: SqlDatabase, tx: SqlExecutor, node: AuthenticatedNode, report: WorkReport, receivedAtMs: number): Promise<WorkReportAck> {
  const job = await jobOfNode(tx, node, report.jobId);
  // Reports of one job's counters wait for each other, so two never count from
  // the same previous value and a repeated reportId finds the first one stored.
  if (db.dialect === "postgresql") await tx.query(`SELECT id FROM job WHERE id = ? FOR UPDATE`, [job.id]);

  const duplicate: WorkReportAck = { reportId: report.reportId, duplicate: true };
  if (report.reportId !== null) {
    const seen = await tx.query(`SELECT 1 AS seen FROM work_counter_report WHERE node_id = ? AND report_id = ?`, [node.nodeId, report.reportId]);
    if (seen.length > 0) return duplicate;
  }

  const [latest] = await tx.query<{ time_ms: number; value: number }>(
    `SELECT time_ms, value FROM work_counter_report WHERE node_id = ? AND job_id = ? AND unit = ? ORDER BY time_ms DESC LIMIT 1`,
    [node.nodeId, job.id, report.unit],
  );
  const increase = counterIncrease(
    latest ? { timeMs: Number(latest.time_ms), value: Number(latest.value) } : null,
    { timeMs: report.timeMs, value: report.count, reset: report.reset },
    job.firstSeenMs,
  );
  if (increase.kind === "duplicate") return duplicate;
  if (increase.kind === "refused") throw new ServiceError(409, increase.message, increase.field);

  await tx.query(
    `INSERT INTO work_counter_report (node_id, job_id, unit, time_ms, value, report_id, received_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [node.nodeId, job.id, report.unit, report.timeMs, report.count, report.reportId, receivedAtMs],
  );
  await storeWorkWindows(tx, [
    { jobId: job.id, nodeId: node.nodeId, unit: report.unit, source: "api", startMs: increase.startMs, endMs: increase.endMs, count: increase.count },
  ]);
  return {
    reportId: report.reportId,
    duplicate: false,
    counted: { count: increase.count, start: new Date(increase.startMs).toISOString(), end: new Date(increase.endMs).toISOString() },
  };
}

/** The job, when it ran on one of this node's GPUs; 404 naming jobId otherwise. */
async function jobOfNode(tx: SqlExecutor, node: AuthenticatedNode, externalId: string): Promise<{ id: number; firstSeenMs: number }> {
  const [job] = await tx.query<{ id: number; first_seen_ms: number }>(
    `SELECT j.id, j.first_seen_ms FROM job j
      WHERE j.cluster_id = ? AND j.external_id = ?
        AND EXISTS (SELECT 1 FROM job_usage_hourly h JOIN gpu g ON g.id = h.gpu_id WHERE h.job_id = j.id AND g.node_id = ?)`,
    [node.clusterId, externalId, node.nodeId],
  );
  if (!job) {
    throw new ServiceError(
      404,
      `jobId: no job "${externalId}" has run on this node (${node.hostname}); work is reported for jobs the node's collector has reported`,
      "jobId",
    );
  }
  return { id: job.id, firstSeenMs: Number(job.first_seen_ms) };
}
