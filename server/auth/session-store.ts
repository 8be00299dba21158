/**
 * Browser sessions of OIDC sign-in, kept in the database (auth_session). The
 * cookie holds a random 256-bit id; the table holds its SHA-256 only. Kept
 * server-side rather than in a signed cookie so that sign-out ends the session
 * on every replica at once and an admin can end a person's sessions.
 */
import { createHash, randomBytes } from "node:crypto";
import type { SqlDatabase } from "../db/sql-database";
import type { Principal, Role } from "./principal";

export const SESSION_COOKIE = "gpu_roi_session";

const ROLES: readonly Role[] = ["admin", "analyst", "member"];

function hashOf(sessionId: string): string {
  return createHash("sha256").update(sessionId).digest("hex");
}

/** Stores a new session for `who` until `expiresAtMs`; returns the cookie value (shown to the browser only). */
export async function createSession(
  db: SqlDatabase,
  who: { subject: string; displayName: string; role: Role; teams: readonly string[] },
  times: { nowMs: number; expiresAtMs: number },
): Promise<string> {
  const sessionId = randomBytes(32).toString("base64url");
  await db.query(
    `INSERT INTO auth_session (id_hash, subject, display_name, role, teams_json, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [hashOf(sessionId), who.subject, who.displayName, who.role, JSON.stringify(who.teams), times.nowMs, times.expiresAtMs],
  );
  return sessionId;
}

/** The principal of a live session (not expired, not revoked), or null. */
export async function findSession(db: SqlDatabase, sessionId: string | undefined, nowMs: number): Promise<Principal | null> {
  // Anything but the shape createSession hands out is not looked up at all.
  if (!sessionId || !/^[A-Za-z0-9_-]{43}$/.test(sessionId)) return null;
  const [row] = await db.query<{ subject: string; display_name: string; role: string; teams_json: string; expires_at_ms: number | string; revoked_at_ms: number | string | null }>(
    `SELECT subject, display_name, role, teams_json, expires_at_ms, revoked_at_ms FROM auth_session WHERE id_hash = ?`,
    [hashOf(sessionId)],
  );
  if (!row || row.revoked_at_ms !== null || Number(row.expires_at_ms) <= nowMs) return null;
  if (!ROLES.includes(row.role as Role)) return null;
  const teams = JSON.parse(row.teams_json) as unknown;
  if (!Array.isArray(teams) || !teams.every((team) => typeof team === "string")) return null;
  return { kind: "session", subject: row.subject, displayName: row.display_name, role: row.role as Role, teams };
}

/** Ends one session (sign-out); a no-op for an unknown id. */
export async function revokeSession(db: SqlDatabase, sessionId: string | undefined, nowMs: number): Promise<void> {
  if (!sessionId) return;
  await db.query(`UPDATE auth_session SET revoked_at_ms = ? WHERE id_hash = ? AND revoked_at_ms IS NULL`, [nowMs, hashOf(sessionId)]);
}

/** Ends every session of a person (their access was withdrawn); returns how many were live. */
export async function revokeSessionsOf(db: SqlDatabase, subject: string, nowMs: number): Promise<number> {
  const live = await db.query<{ id: number }>(`SELECT id FROM auth_session WHERE subject = ? AND revoked_at_ms IS NULL AND expires_at_ms > ?`, [subject, nowMs]);
  await db.query(`UPDATE auth_session SET revoked_at_ms = ? WHERE subject = ? AND revoked_at_ms IS NULL`, [nowMs, subject]);
  return live.length;
}
