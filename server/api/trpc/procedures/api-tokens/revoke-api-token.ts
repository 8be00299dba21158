import { z } from "zod";
import { revokeApiToken } from "../../../../auth/api-tokens";
import { publicProcedure } from "../../init";

export const revokeApiTokenInput = z.object({ id: z.number().int().positive() });

/** Revokes an API token: its owner may, and any admin (anyone else: FORBIDDEN). */
export const revokeApiTokenProcedure = publicProcedure
  .input(revokeApiTokenInput)
  .mutation(({ ctx, input }) => revokeApiToken(ctx.prisma, input.id, ctx.principal, ctx.nowMs()));
