/**
 * One evaluation of every enabled alert rule, run by the upkeep scheduler under
 * the database lock "alerts" (several replicas: one evaluates at a time). Steps:
 *  1. load the rules and their inputs (alert-inputs-service.ts);
 *  2. evaluate them (pure, server/domain/alert-rules.ts);
 *  3. plan the episodes against the open ones (pure, server/domain/alert-episodes.ts);
 *  4. store the plan in one transaction; an episode is opened with its unique
 *     open_key and resolved only while it still has one, so only the process
 *     whose write took effect notifies, however evaluations interleave;
 *  5. deliver the notices of the episodes this evaluation opened or resolved to
 *     their rules' channels, with retries, recording every attempt.
 */
import type { SqlDatabase, SqlExecutor } from "../db/sql-database";
import { openKeyOf, planEpisodes, type OpenEpisodeRef } from "../domain/alert-episodes";
import { evaluateAlertRules, type AlertCondition, type AlertRule } from "../domain/alert-rules";
import type { BackoffPolicy } from "../domain/retry-backoff";
import { loadAlertInputs, type BudgetStatusLoader } from "./alert-inputs-service";
import { loadAlertRules, type StoredAlertRule } from "./alert-rule-store";
import type { AlertNotice } from "./channels/alert-channel";
import { channelOf } from "./channels/channel-config";
import { deliverNotice, type DeliveryAttempt } from "./channels/deliver-notice";
import type { SendEmail } from "./channels/email-message";

export interface AlertEvaluationDependencies {
  db: SqlDatabase;
  loadBudgetStatuses: BudgetStatusLoader;
  /** The server's SMTP sender (null: e-mail channels record a failure saying so). */
  sendEmail: SendEmail | null;
  deliveryPolicy?: BackoffPolicy;
  sleep?: (ms: number) => Promise<void>;
  /** The clock of delivery attempts and webhook signatures (the evaluation's own time is `nowMs`). */
  clockMs?: () => number;
}

export interface AlertEvaluationOutcome {
  rulesEvaluated: number;
  conditions: number;
  opened: number;
  resolved: number;
  /** Notices delivered / not delivered after every attempt. */
  delivered: number;
  undelivered: number;
  /** Kinds whose inputs could not be loaded, with why (their rules were skipped). */
  skipped: Record<string, string>;
}

export const ALERT_LOCK_NAME = "alerts";

/** evaluateAlerts under the "alerts" lock: another replica evaluating makes this one skip its turn. */
export async function runAlertEvaluation(dependencies: AlertEvaluationDependencies, nowMs: number): Promise<{ ran: true; outcome: AlertEvaluationOutcome } | { ran: false }> {
  const result = await dependencies.db.runExclusive(ALERT_LOCK_NAME, () => evaluateAlerts(dependencies, nowMs));
  return result.ran ? { ran: true, outcome: result.result } : { ran: false };
}

interface Change {
  episodeId: number;
  rule: StoredAlertRule;
  notice: AlertNotice;
}

export async function evaluateAlerts(dependencies: AlertEvaluationDependencies, nowMs: number): Promise<AlertEvaluationOutcome> {
  const { db } = dependencies;

  // 1. Rules and inputs.
  const stored = await loadAlertRules(db);
  const storedById = new Map(stored.map((entry) => [entry.rule.id, entry]));
  const enabled = stored.filter((entry) => entry.enabled).map((entry) => entry.rule);
  const { inputs, failedKinds } = await loadAlertInputs(db, enabled, dependencies.loadBudgetStatuses, nowMs);
  const evaluated = enabled.filter((rule) => !failedKinds.has(rule.kind));

  // 2. Conditions.
  const conditions = evaluateAlertRules(evaluated, inputs, nowMs);

  // 3 and 4. Episodes, stored in one transaction.
  const changes = await db.transaction(async (tx) => {
    const open = await loadOpenEpisodes(tx);
    const plan = planEpisodes(open, conditions, new Set(enabled.map((rule) => rule.id)), new Set(evaluated.map((rule) => rule.id)));
    const made: Change[] = [];
    for (const condition of plan.open) {
      const episodeId = await openEpisode(tx, condition, nowMs);
      const entry = storedById.get(condition.ruleId);
      if (episodeId !== null && entry) made.push({ episodeId, rule: entry, notice: noticeOf("fired", episodeId, entry.rule, condition, nowMs, null) });
    }
    for (const { episodeId, condition } of plan.hold) {
      await tx.query(`UPDATE alert_episode SET title = ?, severity = ?, detail_json = ?, last_held_at_ms = ? WHERE id = ? AND open_key IS NOT NULL`, [
        condition.title,
        condition.severity,
        JSON.stringify(condition.detail),
        nowMs,
        episodeId,
      ]);
    }
    for (const { episode } of plan.resolve) {
      const resolved = await tx.query<{ id: number; severity: string; title: string; detail_json: string; opened_at_ms: number }>(
        `UPDATE alert_episode SET state = 'resolved', open_key = NULL, resolved_at_ms = ? WHERE id = ? AND open_key IS NOT NULL
         RETURNING id, severity, title, detail_json, opened_at_ms`,
        [nowMs, episode.id],
      );
      const entry = storedById.get(episode.ruleId);
      // A deleted rule's episodes resolve without a notice: it has no channels left.
      if (resolved.length === 0 || !entry) continue;
      const row = resolved[0];
      const condition: AlertCondition = {
        ruleId: episode.ruleId,
        subjectKey: episode.subjectKey,
        severity: row.severity === "critical" ? "critical" : "warning",
        title: row.title,
        detail: JSON.parse(row.detail_json) as Record<string, unknown>,
      };
      made.push({ episodeId: episode.id, rule: entry, notice: noticeOf("resolved", episode.id, entry.rule, condition, Number(row.opened_at_ms), nowMs) });
    }
    return made;
  });

  // 5. Notices.
  let delivered = 0;
  let undelivered = 0;
  for (const change of changes) {
    for (const config of change.rule.channels) {
      const channel = channelOf(config, { sendEmail: dependencies.sendEmail, nowMs: dependencies.clockMs });
      const ok = await deliverNotice(channel, change.notice, {
        policy: dependencies.deliveryPolicy,
        sleep: dependencies.sleep,
        nowMs: dependencies.clockMs,
        onAttempt: (attempt) => recordDelivery(db, change.episodeId, change.notice.event, attempt),
      });
      if (ok) delivered++;
      else undelivered++;
    }
  }

  return {
    rulesEvaluated: evaluated.length,
    conditions: conditions.length,
    opened: changes.filter((change) => change.notice.event === "fired").length,
    resolved: changes.filter((change) => change.notice.event === "resolved").length,
    delivered,
    undelivered,
    skipped: Object.fromEntries(failedKinds),
  };
}

async function loadOpenEpisodes(tx: SqlExecutor): Promise<OpenEpisodeRef[]> {
  const rows = await tx.query<{ id: number; rule_id: number; subject_key: string }>(`SELECT id, rule_id, subject_key FROM alert_episode WHERE open_key IS NOT NULL`);
  return rows.map((row) => ({ id: Number(row.id), ruleId: Number(row.rule_id), subjectKey: row.subject_key }));
}

/** Inserts the open episode; null when another evaluation opened it first (its open_key is taken). */
async function openEpisode(tx: SqlExecutor, condition: AlertCondition, nowMs: number): Promise<number | null> {
  const rows = await tx.query<{ id: number }>(
    `INSERT INTO alert_episode (rule_id, subject_key, open_key, state, severity, title, detail_json, opened_at_ms, last_held_at_ms)
     VALUES (?, ?, ?, 'firing', ?, ?, ?, ?, ?)
     ON CONFLICT (open_key) DO NOTHING
     RETURNING id`,
    [condition.ruleId, condition.subjectKey, openKeyOf(condition.ruleId, condition.subjectKey), condition.severity, condition.title, JSON.stringify(condition.detail), nowMs, nowMs],
  );
  return rows.length > 0 ? Number(rows[0].id) : null;
}

async function recordDelivery(db: SqlDatabase, episodeId: number, event: AlertNotice["event"], attempt: DeliveryAttempt): Promise<void> {
  await db.query(
    `INSERT INTO alert_delivery (episode_id, event, channel_kind, channel_label, attempt, status, error, attempted_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [episodeId, event, attempt.channelKind, attempt.channelLabel, attempt.attempt, attempt.status, attempt.error, attempt.attemptedAtMs],
  );
}

function noticeOf(event: AlertNotice["event"], episodeId: number, rule: AlertRule, condition: AlertCondition, openedAtMs: number, resolvedAtMs: number | null): AlertNotice {
  return {
    event,
    episodeId,
    ruleId: rule.id,
    ruleName: rule.name,
    ruleKind: rule.kind,
    severity: condition.severity,
    subjectKey: condition.subjectKey,
    title: condition.title,
    detail: condition.detail,
    openedAtMs,
    resolvedAtMs,
  };
}
