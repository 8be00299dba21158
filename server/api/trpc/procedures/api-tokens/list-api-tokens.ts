import { z } from "zod";
import { assertMayManageApiTokens, listApiTokens } from "../../../../auth/api-tokens";
import { canAdminister } from "../../../../auth/principal";
import { publicProcedure } from "../../init";

export const listApiTokensInput = z.object({}).optional();

/** The caller's own API tokens, newest first; an admin sees everyone's (with their owners). Never a secret. */
export const listApiTokensProcedure = publicProcedure.input(listApiTokensInput).query(({ ctx }) => {
  assertMayManageApiTokens(ctx.principal);
  return listApiTokens(ctx.prisma, canAdminister(ctx.principal) ? "all" : { ownerSubject: ctx.principal.subject });
});
