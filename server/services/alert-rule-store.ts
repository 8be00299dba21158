/**
 * Alert rules as stored (alert_rule) and as admins edit them on /settings. Channel
 * secrets and Slack URLs are kept here and handed to pages only redacted.
 */
import type { Principal } from "../auth/principal";
import { recordAudit } from "./audit-log";
import type { AppPrismaClient } from "../db/prisma-client";
import type { SqlDatabase } from "../db/sql-database";
import { ALERT_RULE_KINDS, ALERT_RULE_PARAMS, type AlertRule, type AlertRuleKind } from "../domain/alert-rules";
import { alertChannelConfigsSchema, parseStoredChannels, redactChannel, type AlertChannelConfig, type RedactedAlertChannel } from "./channels/channel-config";
import { ServiceError } from "./service-error";

export interface StoredAlertRule {
  rule: AlertRule;
  enabled: boolean;
  channels: AlertChannelConfig[];
}

/** A rule as pages see it. */
export interface AlertRuleSummary {
  id: number;
  name: string;
  kind: AlertRuleKind;
  enabled: boolean;
  params: Record<string, unknown>;
  channels: RedactedAlertChannel[];
  createdAtMs: number;
  updatedAtMs: number;
}

/** A channel given when a rule is edited: a new one, or one the rule already has, by its position. */
export type ChannelEdit = AlertChannelConfig | { kind: "keep"; index: number };

type RuleRow = {
  id: number;
  name: string;
  kind: string;
  enabled: boolean | number;
  params_json: string;
  channels_json: string;
  created_at_ms: number;
  updated_at_ms: number;
};

function ruleOf(row: { id: number; name: string; kind: string; paramsJson: string }): AlertRule {
  if (!(ALERT_RULE_KINDS as readonly string[]).includes(row.kind)) throw new Error(`alert_rule ${row.id}: kind: unknown kind "${row.kind}"`);
  const kind = row.kind as AlertRuleKind;
  const parsed = ALERT_RULE_PARAMS[kind].safeParse(JSON.parse(row.paramsJson));
  if (!parsed.success) throw new Error(`alert_rule ${row.id}: params_json: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return { id: row.id, name: row.name, kind, params: parsed.data } as AlertRule;
}

/** Every rule with its channels (the evaluator's view), through SQL so a replica reads them as it reads the rest. */
export async function loadAlertRules(db: SqlDatabase): Promise<StoredAlertRule[]> {
  const rows = await db.query<RuleRow>(`SELECT id, name, kind, enabled, params_json, channels_json, created_at_ms, updated_at_ms FROM alert_rule ORDER BY id`);
  return rows.map((row) => ({
    rule: ruleOf({ id: Number(row.id), name: row.name, kind: row.kind, paramsJson: row.params_json }),
    enabled: row.enabled === true || row.enabled === 1,
    channels: parseStoredChannels(Number(row.id), row.channels_json),
  }));
}

function summaryOf(row: { id: number; name: string; kind: string; enabled: boolean; paramsJson: string; channelsJson: string; createdAtMs: bigint; updatedAtMs: bigint }): AlertRuleSummary {
  const rule = ruleOf(row);
  return {
    id: row.id,
    name: row.name,
    kind: rule.kind,
    enabled: row.enabled,
    params: rule.params as Record<string, unknown>,
    channels: parseStoredChannels(row.id, row.channelsJson).map(redactChannel),
    createdAtMs: Number(row.createdAtMs),
    updatedAtMs: Number(row.updatedAtMs),
  };
}

export async function listAlertRules(prisma: AppPrismaClient): Promise<AlertRuleSummary[]> {
  return (await prisma.alertRule.findMany({ orderBy: { id: "asc" } })).map(summaryOf);
}

/** Parameters checked against the kind's schema; a wrong one is a 400 naming params.<field>. */
function validParams(kind: AlertRuleKind, params: unknown): Record<string, unknown> {
  const parsed = ALERT_RULE_PARAMS[kind].safeParse(params ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ["params", ...issue.path.map(String)].join(".");
    throw new ServiceError(400, `${field}: ${issue.message}`, field);
  }
  return parsed.data as Record<string, unknown>;
}

function validChannels(channels: unknown): AlertChannelConfig[] {
  const parsed = alertChannelConfigsSchema.safeParse(channels);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ["channels", ...issue.path.map(String)].join(".");
    throw new ServiceError(400, `${field}: ${issue.message}`, field);
  }
  return parsed.data;
}

export async function createAlertRule(
  prisma: AppPrismaClient,
  input: { name: string; kind: AlertRuleKind; enabled: boolean; params: unknown; channels: readonly AlertChannelConfig[] },
  nowMs: number,
  actor?: Principal,
): Promise<AlertRuleSummary> {
  const params = validParams(input.kind, input.params);
  const channels = validChannels(input.channels);
  return prisma.$transaction(async (tx) => {
    const row = await tx.alertRule.create({
      data: {
        name: input.name,
        kind: input.kind,
        enabled: input.enabled,
        paramsJson: JSON.stringify(params),
        channelsJson: JSON.stringify(channels),
        createdAtMs: BigInt(nowMs),
        updatedAtMs: BigInt(nowMs),
      },
    });
    const created = summaryOf(row);
    // Channels are audited as the pages see them: hosts and recipients, never a secret or a Slack URL.
    if (actor) await recordAudit(tx, { atMs: nowMs, actor, action: "alert-rule.create", target: `alert-rule:${created.id}`, before: null, after: created });
    return created;
  });
}

/**
 * Changes a rule: any of its name, whether it is enabled, its parameters, its
 * channels (given whole; `{kind: "keep", index}` keeps a stored one, secret and
 * all, without the page ever seeing it).
 */
export async function updateAlertRule(
  prisma: AppPrismaClient,
  id: number,
  changes: { name?: string; enabled?: boolean; params?: unknown; channels?: readonly ChannelEdit[] },
  nowMs: number,
  actor?: Principal,
): Promise<AlertRuleSummary> {
  return prisma.$transaction(async (tx) => {
    const existing = await tx.alertRule.findUnique({ where: { id } });
    if (!existing) throw new ServiceError(404, `alert rule ${id} not found`, "id");
    const kind = ruleOf(existing).kind;
    const data: { name?: string; enabled?: boolean; paramsJson?: string; channelsJson?: string; updatedAtMs: bigint } = { updatedAtMs: BigInt(nowMs) };
    if (changes.name !== undefined) data.name = changes.name;
    if (changes.enabled !== undefined) data.enabled = changes.enabled;
    if (changes.params !== undefined) data.paramsJson = JSON.stringify(validParams(kind, changes.params));
    if (changes.channels !== undefined) {
      const stored = parseStoredChannels(id, existing.channelsJson);
      const merged = changes.channels.map((channel, position) => {
        if (channel.kind !== "keep") return channel;
        const kept = stored[channel.index];
        if (!kept) throw new ServiceError(400, `channels.${position}.index: the rule has no channel ${channel.index}`, `channels.${position}.index`);
        return kept;
      });
      data.channelsJson = JSON.stringify(validChannels(merged));
    }
    const updated = summaryOf(await tx.alertRule.update({ where: { id }, data }));
    if (actor) await recordAudit(tx, { atMs: nowMs, actor, action: "alert-rule.update", target: `alert-rule:${id}`, before: summaryOf(existing), after: updated });
    return updated;
  });
}

/** Deletes a rule; its open episodes resolve at the next evaluation, its history stays. */
export async function deleteAlertRule(prisma: AppPrismaClient, id: number, nowMs: number, actor?: Principal): Promise<{ id: number }> {
  return prisma.$transaction(async (tx) => {
    const existing = await tx.alertRule.findUnique({ where: { id } });
    if (!existing) throw new ServiceError(404, `alert rule ${id} not found`, "id");
    await tx.alertRule.delete({ where: { id } });
    if (actor) await recordAudit(tx, { atMs: nowMs, actor, action: "alert-rule.delete", target: `alert-rule:${id}`, before: summaryOf(existing), after: null });
    return { id };
  });
}
