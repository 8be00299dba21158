import { alertSettingsFrom, chargebackRecipientsFrom, rawRetentionDaysFrom } from "../config/server-settings";
import { getServerDatabase } from "../db/server-database";
import type { SqlDatabase } from "../db/sql-database";
import type { BudgetStatusLoader } from "./alert-inputs-service";
import { runAlertEvaluation, type AlertEvaluationDependencies } from "./alert-evaluation-service";
import { loadBudgetStatuses } from "./budget-status-service";
import type { SendEmail } from "./channels/email-message";
import { serverSendEmail } from "./channels/server-send-email";
import { runChargebackSchedule } from "./chargeback-schedule";
import { deleteIngestRefusalsBefore } from "./ingest-refusals";
import { deleteExpiredWindows } from "./retention-service";

const UPKEEP_INTERVAL_MS = 60 * 60 * 1000;

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
 * does it each time (runRetentionUpkeep). With an SMTP server (GPU_ROI_SMTP_*,
 * or `options.sendEmail`) and GPU_ROI_CHARGEBACK_RECIPIENTS, the same hourly turn
 * sends the previous month's chargeback report once, from the 1st of each month
 * (runChargebackSchedule). Alert rules are evaluated on their own interval.
 */
export function startUpkeep(options: { sendEmail?: SendEmail } = {}): void {
  const retentionDays = rawRetentionDaysFrom();
  const chargebackRecipients = chargebackRecipientsFrom();
  const sendEmail = options.sendEmail ?? serverSendEmail();
  if (chargebackRecipients.length > 0 && !sendEmail) {
    console.warn("gpu-roi: chargeback: GPU_ROI_CHARGEBACK_RECIPIENTS is set but GPU_ROI_SMTP_HOST is not; the monthly report is not e-mailed");
  }
  const run = async () => {
    try {
      const { ran, deleted } = await runRetentionUpkeep(getServerDatabase().sql, Date.now(), retentionDays);
      if (!ran) console.log("gpu-roi: retention: another server process is running it; skipped");
      else if (deleted > 0) console.log(`gpu-roi: retention: deleted ${deleted} raw windows and work counter readings older than ${retentionDays} days (hourly rollups kept)`);
    } catch (error) {
      console.error(`gpu-roi: retention failed, will retry in an hour: ${(error as Error).message}`);
    }
    if (sendEmail && chargebackRecipients.length > 0) {
      try {
        const { sql, prisma } = getServerDatabase();
        const sent = await runChargebackSchedule(sql, prisma, Date.now(), { recipients: chargebackRecipients, sendEmail });
        if (sent.outcome === "sent") console.log(`gpu-roi: chargeback: sent the report for ${sent.month} to ${chargebackRecipients.length} recipients`);
        if (sent.outcome === "failed") console.error(`gpu-roi: chargeback: sending the report for ${sent.month} failed, will retry in an hour: ${sent.error}`);
      } catch (error) {
        console.error(`gpu-roi: chargeback failed, will retry in an hour: ${(error as Error).message}`);
      }
    }
  };
  setTimeout(() => void run(), 60_000).unref();
  setInterval(() => void run(), UPKEEP_INTERVAL_MS).unref();
  startAlertEvaluation();
}

/** Refusal counts kept for the refused-batches rule (its longest window is 7 days). */
const REFUSAL_LOG_KEEP_MS = 8 * 24 * 60 * 60 * 1000;

/** Budget statuses for the budget rule: the same figures as /budgets and GET /api/v1/budgets. */
const loadServerBudgetStatuses: BudgetStatusLoader = (nowMs) => {
  const { sql, prisma } = getServerDatabase();
  return loadBudgetStatuses(sql, prisma, nowMs);
};

/**
 * Evaluates the alert rules every GPU_ROI_ALERT_INTERVAL_SECONDS (default 60), one
 * replica at a time (runAlertEvaluation's lock), and trims the refusal log.
 */
function startAlertEvaluation(): void {
  const settings = alertSettingsFrom();
  const dependencies = (): AlertEvaluationDependencies => ({
    db: getServerDatabase().sql,
    loadBudgetStatuses: loadServerBudgetStatuses,
    sendEmail: serverSendEmail() ?? null,
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
