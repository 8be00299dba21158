import { z } from "zod";
import { RECOMMENDATION_STATES, setRecommendationState } from "../../../../services/recommendation-service";
import { adminProcedure } from "../../init";

export const setRecommendationStateInput = z.object({
  id: z.number().int().positive(),
  state: z.enum(RECOMMENDATION_STATES),
});

/** Moves a recommendation along open -> accepted -> applied (or dismissed); a bad transition is CONFLICT. */
export const setRecommendationStateProcedure = adminProcedure
  .input(setRecommendationStateInput)
  .mutation(({ ctx, input }) => setRecommendationState(ctx.prisma, input.id, input.state, ctx.nowMs(), ctx.principal));
