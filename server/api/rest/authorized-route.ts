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
