import { setBudgetSchema } from "../../../rest/budgets-handler";
import { setBudget } from "../../../../services/budget-service";
import { adminProcedure } from "../../init";

/** The same body as POST /api/v1/budgets without `action`: a scope, a period and an amount. */
export const setBudgetInput = setBudgetSchema.omit({ action: true });

/** Creates the budget of a scope and period, or changes its amount (admin only). */
export const setBudgetProcedure = adminProcedure
  .input(setBudgetInput)
  .mutation(async ({ ctx, input }) => (await setBudget(ctx.db, ctx.prisma, input, ctx.nowMs(), ctx.principal)).budget);
