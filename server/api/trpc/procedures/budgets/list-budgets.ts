import { z } from "zod";
import { budgetVisible } from "../../../../auth/principal";
import { loadBudgetStatusesWithSeries } from "../../../../services/budget-status-service";
import { heavyReadProcedure } from "../../heavy-read-procedure";

export const listBudgetsInput = z.object({}).optional();

/** Every budget the viewer may see (a member: their teams' own) with its period's actual, forecast (80 % interval) and the days behind them, for /budgets and the overview. */
export const listBudgetsProcedure = heavyReadProcedure
  .input(listBudgetsInput)
  .query(async ({ ctx }) => (await loadBudgetStatusesWithSeries(ctx.db, ctx.prisma, ctx.nowMs())).filter((status) => budgetVisible(ctx.scope, status)));
