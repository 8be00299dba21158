import { z } from "zod";
import { listAlertEpisodes } from "../../../../services/alert-episode-service";
import { publicProcedure } from "../../init";

export const listAlertEpisodesInput = z.object({ pastLimit: z.number().int().min(0).max(500).default(100) }).default({ pastLimit: 100 });

/** Open alert episodes and the latest resolved ones, with their delivery attempts (the /alerts page). */
export const listAlertEpisodesProcedure = publicProcedure.input(listAlertEpisodesInput).query(({ ctx, input }) => listAlertEpisodes(ctx.db, input.pastLimit));
