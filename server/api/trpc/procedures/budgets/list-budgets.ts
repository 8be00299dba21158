import { z } from "zod";
import { loadBudgetStatusesWithSeries } from "../../../../services/budget-status-service";
import { heavyReadProcedure } from "../../heavy-read-procedure";

export const listBudgetsInput = z.object({}).optional();

/** Every budget with its period's actual, forecast (80 % interval) and the days behind them, for /budgets and the overview. */
export const listBudgetsProcedure = heavyReadProcedure
  .input(listBudgetsInput)
  .query(({ ctx }) => loadBudgetStatusesWithSeries(ctx.db, ctx.prisma, ctx.nowMs()));
