/**
 * The admin's browser session: after `POST /api/v1/admin-session` with the
 * admin token, the browser holds an HttpOnly cookie that page script cannot
 * read. The cookie never contains the token: it is an expiry and an HMAC of it
 * keyed by the token, so changing GPU_ROI_ADMIN_TOKEN signs every session out.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { ServiceError } from "../../services/service-error";
import { requireAdmin } from "./admin-auth";

export const ADMIN_SESSION_COOKIE = "gpu_roi_admin";
export const ADMIN_SESSION_TTL_MS = 12 * 3_600_000;
/** Only the APIs read the cookie; pages never need it. */
const COOKIE_PATH = "/api";

function sessionSignature(adminToken: string, expiresAtMs: number): string {
  return createHmac("sha256", adminToken).update(`gpu-roi admin session until ${expiresAtMs}`).digest("base64url");
}

/** The cookie value of a session that ends at `expiresAtMs`. */
export function adminSessionValue(adminToken: string, expiresAtMs: number): string {
  return `${expiresAtMs}.${sessionSignature(adminToken, expiresAtMs)}`;
}

/** When the session in `value` ends, or null when it is not one this admin token signed or it has ended. */
export function verifyAdminSession(value: string | undefined, adminToken: string | undefined, nowMs: number): { expiresAtMs: number } | null {
  if (!adminToken || !value) return null;
  const match = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!match) return null;
  const expiresAtMs = Number(match[1]);
  if (expiresAtMs <= nowMs || expiresAtMs > nowMs + ADMIN_SESSION_TTL_MS) return null;
  const given = Buffer.from(match[2]);
  const expected = Buffer.from(sessionSignature(adminToken, expiresAtMs));
  return given.length === expected.length && timingSafeEqual(given, expected) ? { expiresAtMs } : null;
}

/** One cookie's value from the request's Cookie header. */
export function requestCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const separator = part.indexOf("=");
    if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}

/** Whether the request reached this server over HTTPS (directly or through a proxy that says so). */
function isHttps(request: Request): boolean {
  const forwarded = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  return forwarded === "https" || new URL(request.url).protocol === "https:";
}

/** The Set-Cookie value that starts a session until `expiresAtMs`, or ends it (null). */
export function adminSessionCookie(request: Request, session: { adminToken: string; expiresAtMs: number; nowMs: number } | null): string {
  const value = session === null ? "" : adminSessionValue(session.adminToken, session.expiresAtMs);
  const maxAgeS = session === null ? 0 : Math.floor((session.expiresAtMs - session.nowMs) / 1000);
  return [`${ADMIN_SESSION_COOKIE}=${value}`, `Path=${COOKIE_PATH}`, `Max-Age=${maxAgeS}`, "HttpOnly", "SameSite=Strict", ...(isHttps(request) ? ["Secure"] : [])].join("; ");
}

export type RequestSite = "same-origin" | "cross-origin" | "unknown";

/**
 * Where a request comes from, as the browser says: Sec-Fetch-Site when sent
 * (`none` is the user's own navigation), else Origin against the Host.
 * Non-browser clients send neither: unknown.
 */
export function requestSite(request: Request): RequestSite {
  const fetchSite = request.headers.get("sec-fetch-site");
  if (fetchSite) return fetchSite === "same-origin" || fetchSite === "none" ? "same-origin" : "cross-origin";
  const origin = request.headers.get("origin");
  if (!origin) return "unknown";
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return "cross-origin";
  }
  const hosts = [request.headers.get("host"), request.headers.get("x-forwarded-host"), new URL(request.url).host];
  return hosts.some((host) => host !== null && host.toLowerCase() === originHost.toLowerCase()) ? "same-origin" : "cross-origin";
}

export type AdminAuthentication = { via: "bearer" | "session" } | { via: null; refusal: ServiceError };

/**
 * Who may act as admin: a request with the bearer token (scripts, the REST API)
 * or with a valid session cookie. A cookie travels with any request the browser
 * makes, so a session counts only for requests from the app's own pages: one
 * that could change something must show it is same-origin (CSRF), a read must
 * at least not be cross-origin.
 */
export function authenticateAdmin(request: Request, adminToken: string | undefined, nowMs: number): AdminAuthentication {
  if (request.headers.has("authorization") || !adminToken) {
    try {
      requireAdmin(request, adminToken);
      return { via: "bearer" };
    } catch (error) {
      if (error instanceof ServiceError) return { via: null, refusal: error };
      throw error;
    }
  }
  if (verifyAdminSession(requestCookie(request, ADMIN_SESSION_COOKIE), adminToken, nowMs) === null) {
    return { via: null, refusal: new ServiceError(401, "authorization: the admin token is required (sign in on /settings, or Authorization: Bearer <token>)", "authorization") };
  }
  const site = requestSite(request);
  const isRead = request.method === "GET" || request.method === "HEAD";
  if (site === "same-origin" || (isRead && site === "unknown")) return { via: "session" };
  return { via: null, refusal: new ServiceError(403, `origin: the admin session is accepted only from gpu-roi's own pages (this request is ${site})`, "origin") };
}
