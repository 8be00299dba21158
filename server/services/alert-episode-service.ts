/** Alert episodes for the /alerts page (open ones first, then history) and acknowledging them. */
import { recordAudit } from "./audit-log";
import type { AppPrismaClient } from "../db/prisma-client";
import type { SqlDatabase } from "../db/sql-database";
import type { Principal } from "../auth/principal";
import { ServiceError } from "./service-error";

export interface AlertDeliverySummary {
  event: string;
  channelKind: string;
  channelLabel: string;
  attempt: number;
  status: string;
  error: string | null;
  attemptedAtMs: number;
}

export interface AlertEpisodeSummary {
  id: number;
  ruleId: number;
  /** null when the rule was deleted since. */
  ruleName: string | null;
  ruleKind: string | null;
  subjectKey: string;
  state: "firing" | "resolved";
  severity: string;
  title: string;
  detail: Record<string, unknown>;
  openedAtMs: number;
  lastHeldAtMs: number;
  resolvedAtMs: number | null;
  acknowledgedAtMs: number | null;
  acknowledgedBy: string | null;
  deliveries: AlertDeliverySummary[];
}

type EpisodeRow = {
  id: number;
  rule_id: number;
  rule_name: string | null;
  rule_kind: string | null;
  subject_key: string;
  state: string;
  severity: string;
  title: string;
  detail_json: string;
  opened_at_ms: number;
  last_held_at_ms: number;
  resolved_at_ms: number | null;
  acknowledged_at_ms: number | null;
  acknowledged_by: string | null;
};

const EPISODE_SELECT = `SELECT e.id, e.rule_id, r.name AS rule_name, r.kind AS rule_kind, e.subject_key, e.state, e.severity, e.title, e.detail_json,
        e.opened_at_ms, e.last_held_at_ms, e.resolved_at_ms, e.acknowledged_at_ms, e.acknowledged_by
   FROM alert_episode e LEFT JOIN alert_rule r ON r.id = e.rule_id`;

function summaryOf(row: EpisodeRow, deliveries: AlertDeliverySummary[]): AlertEpisodeSummary {
  return {
    id: Number(row.id),
    ruleId: Number(row.rule_id),
    ruleName: row.rule_name,
    ruleKind: row.rule_kind,
    subjectKey: row.subject_key,
    state: row.state === "firing" ? "firing" : "resolved",
    severity: row.severity,
    title: row.title,
    detail: JSON.parse(row.detail_json) as Record<string, unknown>,
    openedAtMs: Number(row.opened_at_ms),
    lastHeldAtMs: Number(row.last_held_at_ms),
    resolvedAtMs: row.resolved_at_ms === null ? null : Number(row.resolved_at_ms),
    acknowledgedAtMs: row.acknowledged_at_ms === null ? null : Number(row.acknowledged_at_ms),
    acknowledgedBy: row.acknowledged_by,
    deliveries,
  };
}

async function deliveriesOf(db: SqlDatabase, episodeIds: readonly number[]): Promise<Map<number, AlertDeliverySummary[]>> {
  const byEpisode = new Map<number, AlertDeliverySummary[]>();
  if (episodeIds.length === 0) return byEpisode;
  const rows = await db.query<{ episode_id: number; event: string; channel_kind: string; channel_label: string; attempt: number; status: string; error: string | null; attempted_at_ms: number }>(
    `SELECT episode_id, event, channel_kind, channel_label, attempt, status, error, attempted_at_ms FROM alert_delivery
      WHERE episode_id IN (${episodeIds.map(() => "?").join(", ")}) ORDER BY attempted_at_ms, id`,
    episodeIds,
  );
  for (const row of rows) {
    const list = byEpisode.get(Number(row.episode_id)) ?? [];
    list.push({
      event: row.event,
      channelKind: row.channel_kind,
      channelLabel: row.channel_label,
      attempt: Number(row.attempt),
      status: row.status,
      error: row.error,
      attemptedAtMs: Number(row.attempted_at_ms),
    });
    byEpisode.set(Number(row.episode_id), list);
  }
  return byEpisode;
}

/** Every open episode, then the `pastLimit` most recently resolved, each with its delivery attempts. */
export async function listAlertEpisodes(db: SqlDatabase, pastLimit: number): Promise<{ open: AlertEpisodeSummary[]; past: AlertEpisodeSummary[] }> {
  const openRows = await db.query<EpisodeRow>(`${EPISODE_SELECT} WHERE e.state = 'firing' ORDER BY e.opened_at_ms DESC, e.id DESC`);
  const pastRows = await db.query<EpisodeRow>(`${EPISODE_SELECT} WHERE e.state = 'resolved' ORDER BY e.resolved_at_ms DESC, e.id DESC LIMIT ?`, [pastLimit]);
  const deliveries = await deliveriesOf(db, [...openRows, ...pastRows].map((row) => Number(row.id)));
  return {
    open: openRows.map((row) => summaryOf(row, deliveries.get(Number(row.id)) ?? [])),
    past: pastRows.map((row) => summaryOf(row, deliveries.get(Number(row.id)) ?? [])),
  };
}

/** Marks an episode seen by an admin (open or resolved); acknowledging again keeps the first time. */
export async function acknowledgeAlertEpisode(db: SqlDatabase, prisma: AppPrismaClient, id: number, principal: Principal, nowMs: number): Promise<AlertEpisodeSummary> {
  await prisma.$transaction(async (tx) => {
    const episode = await tx.alertEpisode.findUnique({ where: { id } });
    if (!episode) throw new ServiceError(404, `alert episode ${id} not found`, "id");
    // Acknowledging twice keeps the first name and time, and writes nothing.
    if (episode.acknowledgedAtMs !== null) return;
    await tx.alertEpisode.update({ where: { id }, data: { acknowledgedAtMs: BigInt(nowMs), acknowledgedBy: principal.displayName } });
    await recordAudit(tx, { atMs: nowMs, actor: principal, action: "alert.acknowledge", target: `alert-episode:${id}`, before: { acknowledgedAtMs: null }, after: { acknowledgedAtMs: nowMs, acknowledgedBy: principal.displayName } });
  });
  const rows = await db.query<EpisodeRow>(`${EPISODE_SELECT} WHERE e.id = ?`, [id]);
  if (rows.length === 0) throw new ServiceError(404, `alert episode ${id} not found`, "id");
  return summaryOf(rows[0], (await deliveriesOf(db, [id])).get(id) ?? []);
}
