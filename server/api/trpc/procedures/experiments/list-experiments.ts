import { z } from "zod";
import { resolveTimeWindow } from "../../../../domain/time-window";
import { listExperimentCosts } from "../../../../services/experiment-service";
import { heavyReadProcedure } from "../../heavy-read-procedure";

export const listExperimentsInput = z.object({
  window: z.string().min(1).max(100).default("30d"),
  /** Only the experiments of this model. */
  model: z.string().min(1).max(256).optional(),
  shareIdle: z.enum(["none", "weighted", "even"]).default("none"),
});

/** Experiments ranked by cost, with runs, GPU-hours, efficiency and cost per run. */
export const listExperimentsProcedure = heavyReadProcedure
  .input(listExperimentsInput)
  .query(({ ctx, input }) =>
    listExperimentCosts(ctx.db, { window: resolveTimeWindow(input.window, ctx.nowMs()), model: input.model, shareIdle: input.shareIdle }, ctx.scope),
  );
