import { z } from "zod";
import { RECOMMENDATION_STATES } from "../../../../services/recommendation-service";
import { summarizeRecommendationsInScope } from "../../../../services/recommendation-scope";
import { publicProcedure } from "../../init";

export const summarizeRecommendationsInput = z.object({
  state: z.enum(RECOMMENDATION_STATES).default("open"),
});

/** `{ count, largest }` of the recommendations in a state (default open): the overview's figure, without the list. */
export const summarizeRecommendationsProcedure = publicProcedure
  .input(summarizeRecommendationsInput)
  .query(({ ctx, input }) => summarizeRecommendationsInScope(ctx.db, ctx.prisma, input.state, ctx.scope));
