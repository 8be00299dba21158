import { z } from "zod";
import type { AppPrismaClient } from "../../db/prisma-client";
import { issueNodeToken } from "../../services/node-tokens";
import { ServiceError } from "../../services/service-error";
import { formatIssuePath } from "../../wire/ingest-v1";
import { requireAdmin } from "./admin-auth";
import { jsonResponse, responseForError } from "./http-responses";
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
    const parsed = newTokenSchema.safeParse(await readJsonBody(request, 16 * 1024));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = formatIssuePath(issue.path);
      throw new ServiceError(400, `${field}: ${issue.message}`, field);
    }
    const issued = await issueNodeToken(context.prisma, { clusterName: parsed.data.cluster, hostname: parsed.data.hostname, nowMs: context.nowMs() });
    return jsonResponse(issued, 201, { "cache-control": "no-store" });
  } catch (error) {
    return responseForError(error);
  }
}
