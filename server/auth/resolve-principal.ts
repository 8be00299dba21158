/**
 * The one place that answers "who is asking" for a request: pages, tRPC and the
 * REST API all call resolvePrincipal. In order:
 *  1. Authorization: Bearer groi_…  → an API token (verifyApiToken, injected);
 *  2. any other bearer               → the break-glass GPU_ROI_ADMIN_TOKEN;
 *  3. the admin session cookie       → break-glass, opened with that token on /settings;
 *  4. the sign-in session cookie     → the person who signed in with OIDC;
 *  5. nothing                        → the open principal when sign-in is off, else 401.
 * Cookies travel with any request a browser makes, so a cookie-authenticated
 * request that could change something must come from gpu-roi's own pages (CSRF).
 */
import type { AuthMode } from "../config/server-settings";
import type { SqlDatabase } from "../db/sql-database";
import { requireAdmin } from "../api/rest/admin-auth";
import { ADMIN_SESSION_COOKIE, requestCookie, requestSite, verifyAdminSession } from "../api/rest/admin-session";
import { ServiceError } from "../services/service-error";
import { BREAK_GLASS_PRINCIPAL, OPEN_PRINCIPAL, type Principal } from "./principal";
import { findSession, SESSION_COOKIE } from "./session-store";

/** Looks an API token up: null when unknown, expired or revoked (server/auth/api-tokens.ts). */
export type VerifyApiToken = (secret: string, nowMs: number) => Promise<Principal | null>;

export const API_TOKEN_PREFIX = "groi_";

export interface PrincipalSources {
  authMode: AuthMode;
  adminToken: string | undefined;
  db: SqlDatabase;
  nowMs: number;
  verifyApiToken: VerifyApiToken;
}

export type CredentialKind = "api-token" | "bearer" | "admin-session" | "session" | "none";

export type PrincipalResolution = { principal: Principal; via: CredentialKind } | { principal: null; via: CredentialKind; refusal: ServiceError };

/** Methods that change nothing: a cookie may authenticate them from any site (the answer is not readable cross-site). */
function isSafeMethod(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "OPTIONS";
}

function refused(via: CredentialKind, refusal: ServiceError): PrincipalResolution {
  return { principal: null, via, refusal };
}

/**
 * CSRF: the sign-in cookie counts for a request that may change something only
 * when the browser says it comes from this site. Reads are taken from anywhere
 * (a link from chat opens the page; another site cannot read the answer).
 */
function sessionSiteRefusal(request: Request): ServiceError | null {
  if (isSafeMethod(request.method)) return null;
  const site = requestSite(request);
  if (site === "same-origin") return null;
  return new ServiceError(403, `origin: the sign-in session is accepted for changes only from gpu-roi's own pages (this request is ${site})`, "origin");
}

export async function resolvePrincipal(request: Request, sources: PrincipalSources): Promise<PrincipalResolution> {
  // 1–2. Bearer credentials (scripts, dashboards, the CLI).
  const authorization = request.headers.get("authorization");
  if (authorization !== null) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (match && match[1].startsWith(API_TOKEN_PREFIX)) {
      const principal = await sources.verifyApiToken(match[1], sources.nowMs);
      return principal ? { principal, via: "api-token" } : refused("api-token", new ServiceError(401, "authorization: unknown, expired or revoked API token", "authorization"));
    }
    try {
      return { principal: requireAdmin(request, sources.adminToken), via: "bearer" };
    } catch (error) {
      if (error instanceof ServiceError) return refused("bearer", error);
      throw error;
    }
  }

  // 3. The break-glass admin session (signed with GPU_ROI_ADMIN_TOKEN on /settings).
  if (verifyAdminSession(requestCookie(request, ADMIN_SESSION_COOKIE), sources.adminToken, sources.nowMs) !== null) {
    // The admin session is stricter than a sign-in session: not even a cross-site read.
    const site = requestSite(request);
    if (site === "same-origin" || (isSafeMethod(request.method) && site === "unknown")) return { principal: BREAK_GLASS_PRINCIPAL, via: "admin-session" };
    return refused("admin-session", new ServiceError(403, `origin: the admin session is accepted only from gpu-roi's own pages (this request is ${site})`, "origin"));
  }

  // 4. A person signed in with OIDC.
  if (sources.authMode === "oidc") {
    const principal = await findSession(sources.db, requestCookie(request, SESSION_COOKIE), sources.nowMs);
    if (principal !== null) {
      const refusal = sessionSiteRefusal(request);
      return refusal === null ? { principal, via: "session" } : refused("session", refusal);
    }
    const hadCookie = requestCookie(request, SESSION_COOKIE) !== undefined;
    return refused(
      hadCookie ? "session" : "none",
      new ServiceError(401, hadCookie ? "authorization: the session has ended (expired or signed out): sign in again at /api/auth/login" : "authorization: sign in at /api/auth/login, or send Authorization: Bearer <API token>", "authorization"),
    );
  }

  // 5. Sign-in is off (loopback demo, or GPU_ROI_AUTH=none).
  return { principal: OPEN_PRINCIPAL, via: "none" };
}
