import { z } from "zod";
import { issueNodeToken } from "../../../../services/node-tokens";
import { adminProcedure } from "../../init";

export const issueNodeTokenInput = z.object({
  cluster: z.string().min(1).max(128).default("default"),
  hostname: z.string().min(1).max(253),
});

/** Registers a node and returns its token, shown this once: admin only. */
export const issueNodeTokenProcedure = adminProcedure
  .input(issueNodeTokenInput)
  .mutation(({ ctx, input }) => issueNodeToken(ctx.prisma, { clusterName: input.cluster, hostname: input.hostname, nowMs: ctx.nowMs(), actor: ctx.principal }));
