import { alertSettingsFrom } from "../config/server-settings";
import { getServerDatabase } from "../db/server-database";
import type { SqlDatabase } from "../db/sql-database";
import type { BudgetStatus } from "../domain/budget-status";
import type { BudgetStatusLoader } from "./alert-inputs-service";
import { runAlertEvaluation, type AlertEvaluationDependencies } from "./alert-evaluation-service";
import { smtpSendEmail } from "./channels/smtp-send-email";
import { deleteIngestRefusalsBefore } from "./ingest-refusals";
import { DEFAULT_RAW_RETENTION_DAYS, deleteExpiredWindows } from "./retention-service";

const UPKEEP_INTERVAL_MS = 60 * 60 * 1000;

export function rawRetentionDaysFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.GPU_ROI_RAW_RETENTION_DAYS;
  if (raw === undefined || raw === "") return DEFAULT_RAW_RETENTION_DAYS;
  const days = Number(raw);
  if (!Number.isFinite(days) || days < 1) throw new Error(`GPU_ROI_RAW_RETENTION_DAYS: expected a number of days >= 1, got "${raw}"`);
  return days;
}

/**
 * One retention pass, run by one replica at a time: every server process
 * schedules it, and on PostgreSQL an advisory lock lets only one of them delete
 * while the others skip this turn (their deletes would only wait on the same rows).
 * Returns whether this process ran it, and the windows it deleted.
 */
export async function runRetentionUpkeep(db: SqlDatabase, nowMs: number, retentionDays: number): Promise<{ ran: boolean; deleted: number }> {
  const outcome = await db.runExclusive("retention", () => deleteExpiredWindows(db, nowMs, retentionDays));
  return outcome.ran ? { ran: true, deleted: outcome.result } : { ran: false, deleted: 0 };
}

/**
 * Deletes raw windows past their retention (GPU_ROI_RAW_RETENTION_DAYS, default
 * 14) a minute after start and then hourly; with several replicas, one of them
 * does it each time (runRetentionUpkeep).
 */
export function startUpkeep(): void {
  const retentionDays = rawRetentionDaysFromEnv(process.env);
  const run = async () => {
    try {
      const { ran, deleted } = await runRetentionUpkeep(getServerDatabase().sql, Date.now(), retentionDays);
      if (!ran) console.log("gpu-roi: retention: another server process is running it; skipped");
      else if (deleted > 0) console.log(`gpu-roi: retention: deleted ${deleted} raw windows older than ${retentionDays} days (hourly rollups kept)`);
    } catch (error) {
      console.error(`gpu-roi: retention failed, will retry in an hour: ${(error as Error).message}`);
    }
  };
  setTimeout(() => void run(), 60_000).unref();
  setInterval(() => void run(), UPKEEP_INTERVAL_MS).unref();
  startAlertEvaluation();
}

/** Refusal counts kept for the refused-batches rule (its longest window is 7 days). */
const REFUSAL_LOG_KEEP_MS = 8 * 24 * 60 * 60 * 1000;

/**
 * Budget statuses for the budget rule. The budgets service (loadBudgetStatuses in
 * server/services/budget-status-service.ts) is bound here; until it is present no
 * budget is known and budget rules find nothing.
 */
const loadServerBudgetStatuses: BudgetStatusLoader = async (): Promise<BudgetStatus[]> => [];

/**
 * Evaluates the alert rules every GPU_ROI_ALERT_INTERVAL_SECONDS (default 60), one
 * replica at a time (runAlertEvaluation's lock), and trims the refusal log.
 */
function startAlertEvaluation(): void {
  const settings = alertSettingsFrom();
  const dependencies = (): AlertEvaluationDependencies => ({
    db: getServerDatabase().sql,
    loadBudgetStatuses: loadServerBudgetStatuses,
    sendEmail: settings.smtp ? smtpSendEmail(settings.smtp) : null,
  });
  let running = false;
  const run = async () => {
    // A slow delivery (retries) must not start a second evaluation in this process.
    if (running) return;
    running = true;
    try {
      const nowMs = Date.now();
      const result = await runAlertEvaluation(dependencies(), nowMs);
      if (result.ran) {
        const { outcome } = result;
        if (outcome.opened + outcome.resolved > 0 || outcome.undelivered > 0) {
          console.log(`gpu-roi: alerts: ${outcome.opened} fired, ${outcome.resolved} resolved, ${outcome.delivered} notices delivered, ${outcome.undelivered} not delivered`);
        }
        for (const [kind, why] of Object.entries(outcome.skipped)) console.error(`gpu-roi: alerts: ${kind} rules skipped this time: ${why}`);
        await deleteIngestRefusalsBefore(getServerDatabase().sql, nowMs - REFUSAL_LOG_KEEP_MS);
      }
    } catch (error) {
      console.error(`gpu-roi: alert evaluation failed, will retry: ${(error as Error).message}`);
    } finally {
      running = false;
    }
  };
  setInterval(() => void run(), settings.evaluationIntervalMs).unref();
}
