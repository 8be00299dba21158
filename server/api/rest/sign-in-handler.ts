/**
 * OIDC sign-in endpoints: GET /api/auth/login, GET /api/auth/callback,
 * POST /api/auth/logout, GET /api/auth/session. The handlers take settings and
 * the database as values, so tests drive them against a real provider.
 */
import type { AuthSettings, OidcSettings } from "../../config/server-settings";
import type { SqlDatabase } from "../../db/sql-database";
import type { Principal } from "../../auth/principal";
import { beginSignIn, finishSignIn, LOGIN_STATE_COOKIE, LOGIN_STATE_TTL_MS, providerSignOutUrl, safeReturnPath } from "../../auth/oidc-sign-in";
import { assignRole, groupsFromClaim } from "../../auth/role-mapping";
import { createSession, revokeSession, SESSION_COOKIE } from "../../auth/session-store";
import { ServiceError } from "../../services/service-error";
import { requestCookie, requestSite } from "./admin-session";
import { errorResponse, jsonResponse, responseForError } from "./http-responses";

export interface SignInContext {
  auth: AuthSettings;
  db: SqlDatabase;
  nowMs: () => number;
}

const NO_STORE = "no-store";

function cookie(name: string, value: string, options: { path: string; maxAgeS: number; secure: boolean }): string {
  return [`${name}=${value}`, `Path=${options.path}`, `Max-Age=${options.maxAgeS}`, "HttpOnly", "SameSite=Lax", ...(options.secure ? ["Secure"] : [])].join("; ");
}

/** Cookies are Secure whenever browsers reach gpu-roi over https (GPU_ROI_PUBLIC_URL). */
function isSecure(oidc: OidcSettings): boolean {
  return oidc.publicUrl.protocol === "https:";
}

function redirect(location: string, setCookies: string[], status = 302): Response {
  const headers = new Headers({ location, "cache-control": NO_STORE });
  for (const value of setCookies) headers.append("set-cookie", value);
  return new Response(null, { status, headers });
}

function oidcOrThrow(auth: AuthSettings): OidcSettings {
  if (auth.mode !== "oidc" || auth.oidc === null) throw new ServiceError(404, "sign-in is not configured on this server (GPU_ROI_OIDC_ISSUER is unset)");
  return auth.oidc;
}

/** GET /api/auth/login?returnTo=/costs: to the provider's sign-in page. */
export async function handleLogin(request: Request, context: SignInContext): Promise<Response> {
  try {
    const oidc = oidcOrThrow(context.auth);
    const returnTo = safeReturnPath(new URL(request.url).searchParams.get("returnTo"));
    const { authorizationUrl, stateCookieValue } = await beginSignIn(oidc, returnTo, context.nowMs());
    return redirect(authorizationUrl.href, [cookie(LOGIN_STATE_COOKIE, stateCookieValue, { path: "/api/auth", maxAgeS: LOGIN_STATE_TTL_MS / 1000, secure: isSecure(oidc) })]);
  } catch (error) {
    return responseForError(error);
  }
}

/** GET /api/auth/callback?code=…&state=…: checks the provider's answer, maps groups to a role, opens a session. */
export async function handleCallback(request: Request, context: SignInContext): Promise<Response> {
  try {
    const oidc = oidcOrThrow(context.auth);
    const url = new URL(request.url);
    const providerError = url.searchParams.get("error");
    if (providerError !== null) {
      throw new ServiceError(401, `sign-in: the provider answered ${providerError}${url.searchParams.has("error_description") ? ` (${url.searchParams.get("error_description")})` : ""}`, "error");
    }
    const nowMs = context.nowMs();
    const { user, returnTo } = await finishSignIn(oidc, url.search, requestCookie(request, LOGIN_STATE_COOKIE), nowMs);
    const assignment = assignRole(groupsFromClaim(user.groups), oidc);
    if (assignment.role === null) {
      throw new ServiceError(403, `sign-in: ${user.displayName} has no access to gpu-roi: ${assignment.reason} (claim "${oidc.groupsClaim}")`, "groups");
    }
    const expiresAtMs = nowMs + oidc.sessionTtlMs;
    const sessionId = await createSession(context.db, { subject: user.subject, displayName: user.displayName, role: assignment.role, teams: assignment.teams }, { nowMs, expiresAtMs });
    return redirect(returnTo, [
      cookie(SESSION_COOKIE, sessionId, { path: "/", maxAgeS: Math.floor(oidc.sessionTtlMs / 1000), secure: isSecure(oidc) }),
      cookie(LOGIN_STATE_COOKIE, "", { path: "/api/auth", maxAgeS: 0, secure: isSecure(oidc) }),
    ]);
  } catch (error) {
    return responseForError(error);
  }
}

/**
 * POST /api/auth/logout: ends the session in the database (every replica refuses
 * its cookie from now on), clears the cookie, and goes on to the provider's
 * sign-out when it has one. Only from gpu-roi's own pages (CSRF).
 */
export async function handleLogout(request: Request, context: SignInContext): Promise<Response> {
  try {
    const oidc = oidcOrThrow(context.auth);
    const site = requestSite(request);
    if (site === "cross-origin") throw new ServiceError(403, "origin: sign-out is accepted only from gpu-roi's own pages", "origin");
    await revokeSession(context.db, requestCookie(request, SESSION_COOKIE), context.nowMs());
    const next = (await providerSignOutUrl(oidc))?.href ?? "/";
    const clear = cookie(SESSION_COOKIE, "", { path: "/", maxAgeS: 0, secure: isSecure(oidc) });
    // The page's button asks for JSON and goes on itself: a form's redirect to
    // another origin is blocked by the pages' CSP (form-action 'self').
    if (request.headers.get("accept")?.includes("application/json")) {
      return jsonResponse({ signedOut: true, next }, 200, { "cache-control": NO_STORE, "set-cookie": clear });
    }
    return redirect(next, [clear], 303);
  } catch (error) {
    return responseForError(error);
  }
}

/** What a page may know about its viewer: never a secret. */
export function principalJson(principal: Principal) {
  return { kind: principal.kind, displayName: principal.displayName, role: principal.role, teams: principal.teams };
}

/** GET /api/auth/session: who this browser is (or 401), and how sign-in is set up. */
export function sessionResponse(principal: Principal | null, refusal: ServiceError | null, auth: AuthSettings): Response {
  if (principal === null) return errorResponse(refusal?.status ?? 401, refusal?.message ?? "authorization: sign in first", refusal?.field, { "cache-control": NO_STORE });
  return jsonResponse({ authMode: auth.mode, principal: principalJson(principal) }, 200, { "cache-control": NO_STORE });
}
