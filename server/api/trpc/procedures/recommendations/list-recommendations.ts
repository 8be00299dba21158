import { z } from "zod";
import { RECOMMENDATION_KINDS, RECOMMENDATION_STATES } from "../../../../services/recommendation-service";
import { listRecommendationsInScope } from "../../../../services/recommendation-scope";
import { publicProcedure } from "../../init";

export const listRecommendationsInput = z.object({
  state: z.enum(RECOMMENDATION_STATES).optional(),
  kind: z.enum(RECOMMENDATION_KINDS).optional(),
  limit: z.number().int().min(1).max(1000).default(500),
});

/** Recommendations, largest projected saving first (same as GET /api/v1/recommendations); a member sees those touching their teams' jobs. */
export const listRecommendationsProcedure = publicProcedure.input(listRecommendationsInput).query(({ ctx, input }) => listRecommendationsInScope(ctx.db, ctx.prisma, input, ctx.scope));
