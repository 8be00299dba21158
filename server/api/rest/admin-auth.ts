import { createHash, timingSafeEqual } from "node:crypto";
import { ServiceError } from "../../services/service-error";
import { BREAK_GLASS_PRINCIPAL, canAdminister, type Principal } from "../../auth/principal";

/**
 * Admin endpoints take a signed-in admin or an admin's API token (`signedIn`: the
 * principal the route resolved from the request, server/auth), or else
 * `Authorization: Bearer <GPU_ROI_ADMIN_TOKEN>`. Without that variable set, the
 * break-glass path is off (403), so a fresh install exposes no write API.
 */
export function requireAdmin(request: Request, adminToken: string | undefined, signedIn?: Principal | null): Principal {
  if (signedIn && (signedIn.kind === "session" || signedIn.kind === "api-token")) {
    if (canAdminister(signedIn)) return signedIn;
    throw new ServiceError(403, `authorization: ${signedIn.displayName} is ${signedIn.role === "analyst" ? "an analyst" : "a team member"}; this needs an admin`, "authorization");
  }
  if (!adminToken) throw new ServiceError(403, "admin API disabled: set GPU_ROI_ADMIN_TOKEN on the server to enable it");
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "");
  if (!match) throw new ServiceError(401, "authorization: the admin token is required (Authorization: Bearer <token>)", "authorization");
  // Compare digests so the comparison takes the same time whatever the input.
  const given = createHash("sha256").update(match[1]).digest();
  const expected = createHash("sha256").update(adminToken).digest();
  if (!timingSafeEqual(given, expected)) throw new ServiceError(401, "authorization: wrong admin token", "authorization");
  return BREAK_GLASS_PRINCIPAL;
}
