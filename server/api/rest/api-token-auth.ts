import type { Principal } from "../../auth/principal";
import { API_TOKEN_PREFIX, verifyApiToken } from "../../auth/api-tokens";
import type { SqlDatabase } from "../../db/sql-database";
import { ServiceError } from "../../services/service-error";
import { requireAdmin } from "./admin-auth";

export interface AdminBearerContext {
  db: SqlDatabase;
  adminToken: string | undefined;
  nowMs: () => number;
}

/**
 * An admin read endpoint's bearer: the break-glass admin token, or an API token
 * whose role is admin. An unknown, expired or revoked API token is 401; a valid
 * one of another role is 403. (Sign-in's principal resolution takes this over
 * for every route; until then it serves GET /api/v1/audit.)
 */
export async function requireAdminBearer(request: Request, context: AdminBearerContext): Promise<Principal> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
  if (bearer?.startsWith(API_TOKEN_PREFIX)) {
    const principal = await verifyApiToken(context.db, bearer, context.nowMs());
    if (principal) {
      if (principal.role !== "admin") throw new ServiceError(403, `authorization: this API token's role (${principal.role}) may not read this; admin only`, "authorization");
      return principal;
    }
    try {
      return requireAdmin(request, context.adminToken);
    } catch {
      throw new ServiceError(401, "authorization: unknown, expired or revoked API token", "authorization");
    }
  }
  return requireAdmin(request, context.adminToken);
}
