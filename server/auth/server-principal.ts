/**
 * The running server's principal sources: its database, its settings and the
 * API token lookup. Routes and the tRPC context call requestPrincipal; tests
 * call resolvePrincipal with sources of their own.
 */
import { adminTokenFrom, authSettingsFrom } from "../config/server-settings";
import { getServerDatabase } from "../db/server-database";
import type { SqlDatabase } from "../db/sql-database";
import { verifyApiToken } from "./api-tokens";
import { resolvePrincipal, type PrincipalResolution, type VerifyApiToken } from "./resolve-principal";

/** `groi_` bearers are the personal API tokens of server/auth/api-tokens.ts (unknown, expired or revoked: 401). */
export function serverApiTokenVerifier(db: SqlDatabase): VerifyApiToken {
  return (secret, nowMs) => verifyApiToken(db, secret, nowMs);
}

/** Who is asking, for a request to this server. */
export function requestPrincipal(request: Request, nowMs = Date.now()): Promise<PrincipalResolution> {
  const { sql } = getServerDatabase();
  return resolvePrincipal(request, {
    authMode: authSettingsFrom().mode,
    adminToken: adminTokenFrom(),
    db: sql,
    nowMs,
    verifyApiToken: serverApiTokenVerifier(sql),
  });
}
