import { z } from "zod";
import { listApiTokens, mayManageApiTokens } from "../../../../auth/api-tokens";
import { canAdminister } from "../../../../auth/principal";
import { publicProcedure } from "../../init";

export const listApiTokensInput = z.object({}).optional();

/**
 * The caller's own API tokens, newest first; an admin sees everyone's (with their
 * owners). Never a secret. `canManage` says whether the caller may create tokens
 * (a signed-in person or the break-glass admin): the open server's visitors and
 * API tokens get false and no tokens, not an error, so /settings can say why.
 */
export const listApiTokensProcedure = publicProcedure.input(listApiTokensInput).query(async ({ ctx }) => {
  const canManage = mayManageApiTokens(ctx.principal);
  if (!canManage) return { canManage, tokens: [] };
  return { canManage, tokens: await listApiTokens(ctx.prisma, canAdminister(ctx.principal) ? "all" : { ownerSubject: ctx.principal.subject }) };
});
