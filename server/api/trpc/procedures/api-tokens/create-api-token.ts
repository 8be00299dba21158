import { z } from "zod";
import { createApiToken, MAX_API_TOKEN_DAYS } from "../../../../auth/api-tokens";
import { publicProcedure } from "../../init";

export const createApiTokenInput = z.object({
  name: z.string().trim().min(1).max(100),
  expiresInDays: z.number().int().min(1).max(MAX_API_TOKEN_DAYS),
});

/**
 * Creates an API token for whoever is signed in (a person, or the break-glass
 * admin), with that principal's role and teams; the secret is in the answer this
 * once. The open server's visitors and API tokens themselves are refused (403).
 */
export const createApiTokenProcedure = publicProcedure
  .input(createApiTokenInput)
  .mutation(({ ctx, input }) => createApiToken(ctx.prisma, ctx.principal, input, ctx.nowMs()));
