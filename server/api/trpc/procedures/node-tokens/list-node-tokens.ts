import { z } from "zod";
import { listNodeTokens } from "../../../../services/node-tokens";
import { adminProcedure } from "../../init";

/** Every collector token (prefix only), newest first: admin only. */
export const listNodeTokensProcedure = adminProcedure.input(z.object({}).optional()).query(({ ctx }) => listNodeTokens(ctx.prisma));
