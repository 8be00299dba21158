import type { Principal } from "../../auth/principal";
import { z } from "zod";
import type { AppPrismaClient } from "../../db/prisma-client";
import { issueNodeToken, listNodeTokens, revokeNodeToken } from "../../services/node-tokens";
import { ServiceError } from "../../services/service-error";
import { requireAdmin } from "./admin-auth";
import { jsonResponse, parseOrThrow, responseForError } from "./http-responses";
import { readJsonBody } from "./read-request-body";

const newTokenSchema = z.object({
  cluster: z.string().min(1).max(128).default("default"),
  hostname: z.string().min(1).max(253),
});

/** POST /api/v1/node-tokens (admin): registers a node and returns its collector token, shown this once. */
export async function handleIssueNodeToken(
  request: Request,
  context: { prisma: AppPrismaClient; adminToken: string | undefined; nowMs: () => number; signedIn?: Principal | null },
): Promise<Response> {
  try {
    const actor = requireAdmin(request, context.adminToken, context.signedIn);
    const input = parseOrThrow(newTokenSchema, await readJsonBody(request, 16 * 1024));
    const issued = await issueNodeToken(context.prisma, { clusterName: input.cluster, hostname: input.hostname, nowMs: context.nowMs(), actor });
    return jsonResponse(issued, 201, { "cache-control": "no-store" });
  } catch (error) {
    return responseForError(error);
  }
}

/** GET /api/v1/node-tokens (admin): every token by its prefix, newest first; the tokens themselves are never stored. */
export async function handleListNodeTokens(request: Request, context: { prisma: AppPrismaClient; adminToken: string | undefined; signedIn?: Principal | null }): Promise<Response> {
  try {
    requireAdmin(request, context.adminToken, context.signedIn);
    return jsonResponse({ tokens: await listNodeTokens(context.prisma) });
  } catch (error) {
    return responseForError(error);
  }
}

/** POST /api/v1/node-tokens/{id}/revoke (admin): the node's collector gets 401 from then on. */
export async function handleRevokeNodeToken(
  request: Request,
  id: string,
  context: { prisma: AppPrismaClient; adminToken: string | undefined; nowMs: () => number; signedIn?: Principal | null },
): Promise<Response> {
  try {
    const actor = requireAdmin(request, context.adminToken, context.signedIn);
    const tokenId = Number(id);
    if (!Number.isInteger(tokenId) || tokenId <= 0) throw new ServiceError(400, `id: "${id}" is not a token id`, "id");
    return jsonResponse(await revokeNodeToken(context.prisma, tokenId, context.nowMs(), actor));
  } catch (error) {
    return responseForError(error);
  }
}
