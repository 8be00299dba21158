import { z } from "zod";
import { revokeNodeToken } from "../../../../services/node-tokens";
import { adminProcedure } from "../../init";

export const revokeNodeTokenInput = z.object({ id: z.number().int().positive() });

/** Revokes a collector token (its node's ingest answers 401 from then on): admin only. */
export const revokeNodeTokenProcedure = adminProcedure.input(revokeNodeTokenInput).mutation(({ ctx, input }) => revokeNodeToken(ctx.prisma, input.id, ctx.nowMs(), ctx.principal));
