import { z } from "zod";
import { resolveTimeWindow } from "../../../../domain/time-window";
import { getExperimentCosts } from "../../../../services/experiment-service";
import { heavyReadProcedure } from "../../heavy-read-procedure";

export const getExperimentInput = z.object({
  experiment: z.string().min(1).max(256),
  window: z.string().min(1).max(100).default("30d"),
  shareIdle: z.enum(["none", "weighted", "even"]).default("none"),
});

/** One experiment: summary, its runs (jobs) and its cost by day. */
export const getExperimentProcedure = heavyReadProcedure
  .input(getExperimentInput)
  .query(({ ctx, input }) =>
    getExperimentCosts(ctx.db, { window: resolveTimeWindow(input.window, ctx.nowMs()), experiment: input.experiment, shareIdle: input.shareIdle }, ctx.scope),
  );
