import { z } from "zod";
import { listRecommendations, RECOMMENDATION_KINDS, RECOMMENDATION_STATES } from "../../../../services/recommendation-service";
import { publicProcedure } from "../../init";

export const listRecommendationsInput = z.object({
  state: z.enum(RECOMMENDATION_STATES).optional(),
  kind: z.enum(RECOMMENDATION_KINDS).optional(),
  limit: z.number().int().min(1).max(1000).default(500),
});

/** Recommendations, largest projected saving first (same as GET /api/v1/recommendations). */
export const listRecommendationsProcedure = publicProcedure.input(listRecommendationsInput).query(({ ctx, input }) => listRecommendations(ctx.prisma, input));
