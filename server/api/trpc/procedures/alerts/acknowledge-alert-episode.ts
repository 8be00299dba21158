import { z } from "zod";
import { acknowledgeAlertEpisode } from "../../../../services/alert-episode-service";
import { adminProcedure } from "../../init";

export const acknowledgeAlertEpisodeInput = z.object({ id: z.number().int().positive() });

/** Marks an alert episode as seen, naming who did: admin only. */
export const acknowledgeAlertEpisodeProcedure = adminProcedure
  .input(acknowledgeAlertEpisodeInput)
  .mutation(({ ctx, input }) => acknowledgeAlertEpisode(ctx.db, ctx.prisma, input.id, ctx.principal, ctx.nowMs()));
