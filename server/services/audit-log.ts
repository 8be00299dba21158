/**
 * The audit log: who changed what, when, with the state before and after. A
 * change and its audit row are written in one transaction (recordAudit takes the
 * change's transaction), so a failed change leaves no row and a failed row
 * leaves no change. Append-only: this module has no update or delete path, and
 * the database refuses both (triggers of migration 20261205120000).
 */
import type { AppPrismaClient } from "../db/prisma-client";
import type { Principal } from "../auth/principal";
import { ServiceError } from "./service-error";

/** A Prisma interactive transaction (the `tx` of `prisma.$transaction(async (tx) => ...)`). */
export type PrismaTransaction = Parameters<Parameters<AppPrismaClient["$transaction"]>[0]>[0];

/** Where recordAudit writes: a transaction, or the client itself when the audit row is the only write. */
export type AuditWriter = Pick<PrismaTransaction, "auditLogEntry">;

export const AUDIT_ACTIONS = [
  "price.add",
  "node-token.issue",
  "node-token.revoke",
  "recommendation.accept",
  "recommendation.apply",
  "recommendation.dismiss",
  "recommendation.run",
  "recommendation.exclusions",
  "settings.change",
  "api-token.create",
  "api-token.revoke",
  "admin-session.sign-in",
  "budget.set",
  "budget.delete",
  "alert-rule.create",
  "alert-rule.update",
  "alert-rule.delete",
  "alert.acknowledge",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The admin CLI (scripts/admin.ts): whoever runs it on the server already holds the database, as break-glass. */
export const CLI_PRINCIPAL: Principal = { kind: "break-glass", subject: "cli", displayName: "admin CLI", role: "admin", teams: [] };

export interface AuditEntryInput {
  atMs: number;
  actor: Principal;
  action: AuditAction;
  /** What the action was applied to, as `kind:id` (e.g. "price:12", "recommendation:7"). */
  target: string;
  /** The state before the change (null: nothing existed), as plain JSON values. */
  before: unknown;
  /** The state after the change (null: nothing is left). */
  after: unknown;
}

export interface AuditEntry {
  id: number;
  atMs: number;
  actor: { kind: string; subject: string; displayName: string; apiTokenId: string | null };
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}

/** JSON text of a before/after state; BigInt values (Prisma's *_ms columns) become numbers. */
function stateJson(state: unknown): string | null {
  if (state === null || state === undefined) return null;
  return JSON.stringify(state, (_key, value: unknown) => (typeof value === "bigint" ? Number(value) : value));
}

/** Appends one entry; call it inside the transaction of the change it records. */
export async function recordAudit(tx: AuditWriter, entry: AuditEntryInput): Promise<void> {
  await tx.auditLogEntry.create({
    data: {
      atMs: BigInt(entry.atMs),
      actorKind: entry.actor.kind,
      actorSubject: entry.actor.subject,
      actorDisplayName: entry.actor.displayName,
      apiTokenId: entry.actor.apiTokenId ?? null,
      action: entry.action,
      target: entry.target,
      beforeJson: stateJson(entry.before),
      afterJson: stateJson(entry.after),
    },
  });
}

export interface AuditQuery {
  /** Entries at or after this time (ms). */
  fromMs?: number;
  /** Entries before this time (ms). */
  toMs?: number;
  /** Entries of this action only. */
  action?: string;
  /** At most this many entries (1 to 1000). */
  limit: number;
  /** The `nextCursor` of the previous page: entries older than it. */
  cursor?: number;
}

export interface AuditPage {
  /** Newest first. */
  entries: AuditEntry[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: number | null;
}

type AuditRow = Awaited<ReturnType<AppPrismaClient["auditLogEntry"]["create"]>>;

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    atMs: Number(row.atMs),
    actor: { kind: row.actorKind, subject: row.actorSubject, displayName: row.actorDisplayName, apiTokenId: row.apiTokenId },
    action: row.action,
    target: row.target,
    before: row.beforeJson === null ? null : (JSON.parse(row.beforeJson) as unknown),
    after: row.afterJson === null ? null : (JSON.parse(row.afterJson) as unknown),
  };
}

/**
 * One page of the log, newest first. Paging follows the id (rows are only ever
 * appended), so a page is stable while new entries arrive.
 */
export async function listAuditEntries(prisma: AppPrismaClient, query: AuditQuery): Promise<AuditPage> {
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 1000) throw new ServiceError(400, "limit: expected 1 to 1000", "limit");
  const atMs = {
    ...(query.fromMs === undefined ? {} : { gte: BigInt(query.fromMs) }),
    ...(query.toMs === undefined ? {} : { lt: BigInt(query.toMs) }),
  };
  const rows = await prisma.auditLogEntry.findMany({
    where: {
      ...(query.fromMs === undefined && query.toMs === undefined ? {} : { atMs }),
      ...(query.action === undefined ? {} : { action: query.action }),
      ...(query.cursor === undefined ? {} : { id: { lt: query.cursor } }),
    },
    orderBy: { id: "desc" },
    // One more than asked tells whether another page follows.
    take: query.limit + 1,
  });
  const page = rows.slice(0, query.limit).map(toEntry);
  return { entries: page, nextCursor: rows.length > query.limit ? page[page.length - 1].id : null };
}

/** The CSV columns of GET /api/v1/audit?format=csv, in order. */
export const AUDIT_CSV_HEADER = ["id", "at", "actorKind", "actorSubject", "actorDisplayName", "apiTokenId", "action", "target", "before", "after"] as const;

/** One CSV line per entry: time in RFC 3339, before/after as JSON text. */
export function auditCsvLines(entries: readonly AuditEntry[]): (string | number | null)[][] {
  return entries.map((entry) => [
    entry.id,
    new Date(entry.atMs).toISOString(),
    entry.actor.kind,
    entry.actor.subject,
    entry.actor.displayName,
    entry.actor.apiTokenId,
    entry.action,
    entry.target,
    entry.before === null ? null : JSON.stringify(entry.before),
    entry.after === null ? null : JSON.stringify(entry.after),
  ]);
}
