import { z } from "zod";
import { planExclusionSchema } from "../../../rest/recommendations-handler";
import { adminProcedure } from "../../init";

export const runRecommendationsInput = z.object({
  lookbackDays: z.number().positive().max(400).default(14),
  exclude: planExclusionSchema.optional(),
});

/**
 * Runs the optimizer now and returns the recommendations it stored (same as POST
 * /api/v1/recommendations/run): in a child process, so the server stays responsive.
 */
export const runRecommendationsProcedure = adminProcedure
  .input(runRecommendationsInput)
  .mutation(({ ctx, input }) => ctx.runRecommendations({ nowMs: ctx.nowMs(), lookbackDays: input.lookbackDays, exclude: input.exclude, actor: ctx.principal }));
