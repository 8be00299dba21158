import type { SqlDatabase } from "../../db/sql-database";
import { authenticateNodeToken, type AuthenticatedNode } from "../../services/node-tokens";
import { errorResponse } from "./http-responses";

/**
 * The node a request comes from, from its bearer node token alone (a body never
 * says which node it is), or the 401 to answer without a token or with an
 * unknown or revoked one.
 */
export async function authenticateNodeRequest(request: Request, db: SqlDatabase): Promise<{ node: AuthenticatedNode } | { refusal: Response }> {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "");
  if (!match) return { refusal: unauthorized("authorization: a node token is required (Authorization: Bearer <token>)") };
  const node = await authenticateNodeToken(db, match[1]);
  if (!node) return { refusal: unauthorized("authorization: unknown or revoked node token") };
  return { node };
}

function unauthorized(message: string): Response {
  return errorResponse(401, message, "authorization", { "www-authenticate": "Bearer" });
}
