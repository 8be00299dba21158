/**
 * Personal API tokens for scripts and dashboards (Authorization: Bearer groi_...).
 * A signed-in person creates one on /settings; it carries a snapshot of that
 * person's role and teams, so it never sees more than they did, and it expires
 * (at most a year ahead). Only the SHA-256 of the secret is stored; the secret
 * is shown once. Creating and revoking are audited in the same transaction.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { AppPrismaClient } from "../db/prisma-client";
import type { SqlDatabase } from "../db/sql-database";
import { recordAudit } from "../services/audit-log";
import { ServiceError } from "../services/service-error";
import type { Principal, Role } from "./principal";
import { API_TOKEN_PREFIX } from "./resolve-principal";

// Secrets start with API_TOKEN_PREFIX (groi_) so a leaked one is easy to recognise in logs and scanners.
export { API_TOKEN_PREFIX };
/** 32 random bytes in base64url: 43 characters after the prefix. */
const SECRET_LENGTH = API_TOKEN_PREFIX.length + 43;
/** A token lives at most this long: a forgotten one stops working by itself. */
export const MAX_API_TOKEN_DAYS = 365;
const DAY_MS = 86_400_000;
/** lastUsedAt is written at most this often per token, so reads do not turn into a write each. */
const LAST_USED_RESOLUTION_MS = 60_000;
const ROLES: readonly Role[] = ["admin", "analyst", "member"];

export function hashApiTokenSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

export function generateApiTokenSecret(): string {
  return API_TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

export interface ApiTokenSummary {
  id: number;
  name: string;
  ownerSubject: string;
  ownerDisplayName: string;
  role: Role;
  teams: string[];
  /** The secret's first characters, to tell tokens apart; the secret itself is never kept. */
  tokenPrefix: string;
  createdAtMs: number;
  expiresAtMs: number;
  revokedAtMs: number | null;
  lastUsedAtMs: number | null;
}

export interface CreatedApiToken {
  token: ApiTokenSummary;
  /** Shown once: only its hash is kept. */
  secret: string;
}

type ApiTokenRow = Awaited<ReturnType<AppPrismaClient["apiToken"]["create"]>>;

function toSummary(row: ApiTokenRow): ApiTokenSummary {
  return {
    id: row.id,
    name: row.name,
    ownerSubject: row.ownerSubject,
    ownerDisplayName: row.ownerDisplayName,
    role: row.role as Role,
    teams: JSON.parse(row.teamsJson) as string[],
    tokenPrefix: row.tokenPrefix,
    createdAtMs: Number(row.createdAtMs),
    expiresAtMs: Number(row.expiresAtMs),
    revokedAtMs: row.revokedAtMs === null ? null : Number(row.revokedAtMs),
    lastUsedAtMs: row.lastUsedAtMs === null ? null : Number(row.lastUsedAtMs),
  };
}

/** Tokens are managed by a signed-in person (or the break-glass admin): not by the open server's visitors, nor by a token. */
export function mayManageApiTokens(principal: Principal): boolean {
  return principal.kind !== "open" && principal.kind !== "api-token";
}

export function assertMayManageApiTokens(principal: Principal): void {
  if (principal.kind === "open") throw new ServiceError(403, "API tokens: sign in first; an open server's visitors cannot hold tokens", "authorization");
  if (principal.kind === "api-token") throw new ServiceError(403, "API tokens: a token cannot create or manage tokens; sign in on /settings", "authorization");
}

export interface NewApiToken {
  name: string;
  /** Whole days from now, 1 to MAX_API_TOKEN_DAYS. */
  expiresInDays: number;
}

/** Creates a token for `creator`, scoped to the creator's role and teams now; the secret is returned this once. */
export async function createApiToken(prisma: AppPrismaClient, creator: Principal, input: NewApiToken, nowMs: number): Promise<CreatedApiToken> {
  assertMayManageApiTokens(creator);
  const name = input.name.trim();
  if (name.length === 0 || name.length > 100) throw new ServiceError(400, "name: 1 to 100 characters", "name");
  if (!Number.isInteger(input.expiresInDays) || input.expiresInDays < 1 || input.expiresInDays > MAX_API_TOKEN_DAYS) {
    throw new ServiceError(400, `expiresInDays: a whole number of days from 1 to ${MAX_API_TOKEN_DAYS}`, "expiresInDays");
  }
  const secret = generateApiTokenSecret();
  const teams = [...new Set(creator.teams)].sort();
  const token = await prisma.$transaction(async (tx) => {
    const row = await tx.apiToken.create({
      data: {
        ownerSubject: creator.subject,
        ownerDisplayName: creator.displayName,
        role: creator.role,
        teamsJson: JSON.stringify(teams),
        name,
        tokenHash: hashApiTokenSecret(secret),
        tokenPrefix: secret.slice(0, API_TOKEN_PREFIX.length + 6),
        createdAtMs: BigInt(nowMs),
        expiresAtMs: BigInt(nowMs + input.expiresInDays * DAY_MS),
      },
    });
    const summary = toSummary(row);
    await recordAudit(tx, { atMs: nowMs, actor: creator, action: "api-token.create", target: `api-token:${row.id}`, before: null, after: summary });
    return summary;
  });
  return { token, secret };
}

/** Whose tokens to list: one owner's, or everyone's (admins). */
export type ApiTokenOwnerFilter = { ownerSubject: string } | "all";

/** Tokens newest first, by their prefix (never the secret or its hash). */
export async function listApiTokens(prisma: AppPrismaClient, whose: ApiTokenOwnerFilter): Promise<ApiTokenSummary[]> {
  const rows = await prisma.apiToken.findMany({
    where: whose === "all" ? {} : { ownerSubject: whose.ownerSubject },
    orderBy: [{ id: "desc" }],
  });
  return rows.map(toSummary);
}

/**
 * Revokes a token: it is refused from then on. Its owner may revoke it, and any
 * admin. Revoking twice keeps the first time (and audits only the first).
 */
export async function revokeApiToken(prisma: AppPrismaClient, id: number, actor: Principal, nowMs: number): Promise<ApiTokenSummary> {
  assertMayManageApiTokens(actor);
  return prisma.$transaction(async (tx) => {
    const existing = await tx.apiToken.findUnique({ where: { id } });
    if (!existing) throw new ServiceError(404, `API token ${id} not found`, "id");
    if (existing.ownerSubject !== actor.subject && actor.role !== "admin") throw new ServiceError(403, `API token ${id}: only its owner or an admin may revoke it`, "id");
    if (existing.revokedAtMs !== null) return toSummary(existing);
    const revoked = await tx.apiToken.update({ where: { id }, data: { revokedAtMs: BigInt(nowMs) } });
    await recordAudit(tx, { atMs: nowMs, actor, action: "api-token.revoke", target: `api-token:${id}`, before: toSummary(existing), after: toSummary(revoked) });
    return toSummary(revoked);
  });
}

interface ApiTokenLookupRow extends Record<string, unknown> {
  id: number | string;
  owner_subject: string;
  owner_display_name: string;
  role: string;
  teams_json: string;
  token_hash: string;
  expires_at_ms: number | string;
  revoked_at_ms: number | string | null;
  last_used_at_ms: number | string | null;
}

/**
 * The principal a bearer secret stands for, or null when it is unknown, forged,
 * expired or revoked. The lookup is by the secret's SHA-256 (an attacker cannot
 * steer the hash byte by byte), and the stored hash is compared in constant time.
 * Records when the token was last used (at most once a minute).
 */
export async function verifyApiToken(db: SqlDatabase, secret: string, nowMs: number): Promise<Principal | null> {
  if (!secret.startsWith(API_TOKEN_PREFIX) || secret.length !== SECRET_LENGTH) return null;
  const hash = hashApiTokenSecret(secret);
  const rows = await db.query<ApiTokenLookupRow>(
    `SELECT id, owner_subject, owner_display_name, role, teams_json, token_hash, expires_at_ms, revoked_at_ms, last_used_at_ms
       FROM api_token WHERE token_hash = ?`,
    [hash],
  );
  const row = rows[0];
  if (!row || !timingSafeEqual(Buffer.from(row.token_hash, "utf8"), Buffer.from(hash, "utf8"))) return null;
  if (row.revoked_at_ms !== null || Number(row.expires_at_ms) <= nowMs) return null;
  if (!ROLES.includes(row.role as Role)) return null;
  const id = Number(row.id);
  if (row.last_used_at_ms === null || Number(row.last_used_at_ms) <= nowMs - LAST_USED_RESOLUTION_MS) {
    // Best effort: a database that cannot take writes just now (full disk, read-only
    // replica) must not turn a valid token's reads into errors; the time is a hint.
    await db.query(`UPDATE api_token SET last_used_at_ms = ? WHERE id = ? AND (last_used_at_ms IS NULL OR last_used_at_ms < ?)`, [nowMs, id, nowMs]).catch(() => undefined);
  }
  return {
    kind: "api-token",
    subject: row.owner_subject,
    displayName: row.owner_display_name,
    role: row.role as Role,
    teams: JSON.parse(row.teams_json) as string[],
    apiTokenId: String(id),
  };
}
