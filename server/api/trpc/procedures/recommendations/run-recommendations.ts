import { z } from "zod";
import { runRecommendations } from "../../../../services/recommendation-service";
import { adminProcedure } from "../../init";

export const runRecommendationsInput = z.object({
  lookbackDays: z.number().positive().max(400).default(14),
});

/** Runs the optimizer now and returns the recommendations it stored (same as POST /api/v1/recommendations/run). */
export const runRecommendationsProcedure = adminProcedure
  .input(runRecommendationsInput)
  .mutation(({ ctx, input }) => runRecommendations(ctx.db, ctx.prisma, { nowMs: ctx.nowMs(), lookbackDays: input.lookbackDays }));
