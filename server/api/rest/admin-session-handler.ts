import { z } from "zod";
import type { AppPrismaClient } from "../../db/prisma-client";
import { recordAudit } from "../../services/audit-log";
import { requireAdmin } from "./admin-auth";
import { ADMIN_SESSION_COOKIE, ADMIN_SESSION_TTL_MS, adminSessionCookie, requestCookie, verifyAdminSession } from "./admin-session";
import { jsonResponse, parseOrThrow, responseForError } from "./http-responses";
import { readJsonBody } from "./read-request-body";

export interface AdminSessionContext {
  adminToken: string | undefined;
  nowMs: () => number;
  /** Where each sign-in is audited (a use of the break-glass token); the server always passes it. */
  prisma?: AppPrismaClient;
}

const NO_STORE = { "cache-control": "no-store" };
const signInSchema = z.object({ token: z.string().min(1).max(4096) });

function sessionJson(expiresAtMs: number | null, adminToken: string | undefined) {
  return { admin: expiresAtMs !== null, expiresAt: expiresAtMs === null ? null : new Date(expiresAtMs).toISOString(), adminApiEnabled: Boolean(adminToken) };
}

/**
 * GET: whether this browser may act as admin; all a page learns about it. An
 * admin signed in with OIDC (`signedInAdmin`) is, without the admin token's
 * session: the pages' admin actions then go through their sign-in session.
 */
export function handleGetAdminSession(request: Request, context: AdminSessionContext, signedInAdmin = false): Response {
  if (signedInAdmin) return jsonResponse({ admin: true, expiresAt: null, adminApiEnabled: true, viaSignIn: true }, 200, NO_STORE);
  const session = verifyAdminSession(requestCookie(request, ADMIN_SESSION_COOKIE), context.adminToken, context.nowMs());
  return jsonResponse(sessionJson(session?.expiresAtMs ?? null, context.adminToken), 200, NO_STORE);
}

/** POST: signs in with the admin token (Authorization: Bearer, or `{"token"}` as the body) and sets the session cookie. */
export async function handleCreateAdminSession(request: Request, context: AdminSessionContext): Promise<Response> {
  try {
    let checked = request;
    if (!request.headers.has("authorization")) {
      const { token } = parseOrThrow(signInSchema, await readJsonBody(request, 8 * 1024));
      checked = new Request(request.url, { headers: { authorization: `Bearer ${token}` } });
    }
    const actor = requireAdmin(checked, context.adminToken);
    const nowMs = context.nowMs();
    const expiresAtMs = nowMs + ADMIN_SESSION_TTL_MS;
    // Audited before the cookie is handed out: a sign-in the log cannot record does not happen.
    if (context.prisma) {
      await recordAudit(context.prisma, { atMs: nowMs, actor, action: "admin-session.sign-in", target: "admin-session", before: null, after: { expiresAtMs } });
    }
    return jsonResponse(sessionJson(expiresAtMs, context.adminToken), 200, {
      ...NO_STORE,
      "set-cookie": adminSessionCookie(request, { adminToken: context.adminToken!, expiresAtMs, nowMs }),
    });
  } catch (error) {
    return responseForError(error);
  }
}

/** DELETE: signs out (clears the cookie). */
export function handleDeleteAdminSession(request: Request, context: AdminSessionContext): Response {
  return jsonResponse(sessionJson(null, context.adminToken), 200, { ...NO_STORE, "set-cookie": adminSessionCookie(request, null) });
}
