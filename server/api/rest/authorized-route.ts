import type { Principal } from "../../auth/principal";
import { requestPrincipal } from "../../auth/server-principal";
import { responseForError } from "./http-responses";

/**
 * Wraps a REST handler that reads data: the request's principal is resolved
 * first (server/auth), a request without one is answered 401/403, and the
 * handler receives it to pass its DataScope to services.
 */
export function withPrincipal<Rest extends unknown[]>(handler: (request: Request, principal: Principal, ...rest: Rest) => Promise<Response>) {
  return async (request: Request, ...rest: Rest): Promise<Response> => {
    const resolution = await requestPrincipal(request);
    if (resolution.principal === null) return responseForError(resolution.refusal);
    return handler(request, resolution.principal, ...rest);
  };
}

/** Who sent a write, as far as sign-in can tell (null: nobody signed in); the handler's requireAdmin decides, falling back to the admin token. */
export async function signedInPrincipal(request: Request): Promise<Principal | null> {
  return (await requestPrincipal(request)).principal;
}
