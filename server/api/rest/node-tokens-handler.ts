import { z } from "zod";
import type { AppPrismaClient } from "../../db/prisma-client";
import { issueNodeToken } from "../../services/node-tokens";
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
  context: { prisma: AppPrismaClient; adminToken: string | undefined; nowMs: () => number },
): Promise<Response> {
  try {
    requireAdmin(request, context.adminToken);
    const input = parseOrThrow(newTokenSchema, await readJsonBody(request, 16 * 1024));
    const issued = await issueNodeToken(context.prisma, { clusterName: input.cluster, hostname: input.hostname, nowMs: context.nowMs() });
    return jsonResponse(issued, 201, { "cache-control": "no-store" });
  } catch (error) {
    return responseForError(error);
  }
}
