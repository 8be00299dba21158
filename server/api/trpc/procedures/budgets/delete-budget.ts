import { deleteBudgetSchema } from "../../../rest/budgets-handler";
import { deleteBudget } from "../../../../services/budget-service";
import { adminProcedure } from "../../init";

export const deleteBudgetInput = deleteBudgetSchema.omit({ action: true });

/** Deletes a budget (admin only). */
export const deleteBudgetProcedure = adminProcedure.input(deleteBudgetInput).mutation(async ({ ctx, input }) => {
  await deleteBudget(ctx.prisma, input.id, ctx.nowMs(), ctx.principal);
  return { deleted: input.id };
});
