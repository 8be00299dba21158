import type { SqlDatabase } from "../../db/sql-database";
import type { IngestRefusal } from "../../services/ingest-refusals";
import { authenticateNodeToken, identifyRefusedNodeToken, type AuthenticatedNode } from "../../services/node-tokens";
import { errorResponse } from "./http-responses";

/**
 * The node a request comes from, from its bearer node token alone (a body never
 * says which node it is), or the 401 to answer without a token or with an
 * unknown or revoked one.
 */
export async function authenticateNodeRequest(
  request: Request,
  db: SqlDatabase,
  nowMs: number = Date.now(),
): Promise<{ node: AuthenticatedNode } | { refusal: Response; refused?: IngestRefusal }> {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "");
  if (!match) return { refusal: unauthorized("authorization: a node token is required (Authorization: Bearer <token>)") };
  const node = await authenticateNodeToken(db, match[1]);
  if (!node) {
    const message = "authorization: unknown or revoked node token";
    // Who was refused, for the refused-batches alert (a gpu-roi token only: anything else is noise).
    const who = await identifyRefusedNodeToken(db, match[1]);
    const refused: IngestRefusal | undefined = who
      ? { subjectKey: who.nodeId === null ? `token:${who.tokenPrefix}` : `node:${who.nodeId}`, nodeId: who.nodeId, reason: who.reason, atMs: nowMs, message }
      : undefined;
    return { refusal: unauthorized(message), refused };
  }
  return { node };
}

function unauthorized(message: string): Response {
  return errorResponse(401, message, "authorization", { "www-authenticate": "Bearer" });
}
