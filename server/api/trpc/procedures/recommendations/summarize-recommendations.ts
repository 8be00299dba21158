import { z } from "zod";
import { RECOMMENDATION_STATES, summarizeRecommendations } from "../../../../services/recommendation-service";
import { publicProcedure } from "../../init";

export const summarizeRecommendationsInput = z.object({
  state: z.enum(RECOMMENDATION_STATES).default("open"),
});

/** `{ count, largest }` of the recommendations in a state (default open): the overview's figure, without the list. */
export const summarizeRecommendationsProcedure = publicProcedure
  .input(summarizeRecommendationsInput)
  .query(({ ctx, input }) => summarizeRecommendations(ctx.prisma, input.state));
