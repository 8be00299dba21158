import { z } from "zod";
import { resolveTimeWindow } from "../../../../domain/time-window";
import { getOverview } from "../../../../services/overview-service";
import { heavyReadProcedure } from "../../heavy-read-procedure";

export const getOverviewInput = z.object({
  /** A window spec (see resolveTimeWindow): 24h, 7d, 30d, today, START,END ... */
  window: z.string().min(1).max(100).default("7d"),
  /** How many GPUs each of the busiest and idlest lists holds. */
  rankCount: z.number().int().min(1).max(100).default(10),
});

export const getOverviewProcedure = heavyReadProcedure
  .input(getOverviewInput)
  .query(({ ctx, input }) => getOverview(ctx.db, resolveTimeWindow(input.window, ctx.nowMs()), input.rankCount, ctx.scope));
