import { z } from "zod";
import { listAlertEpisodes } from "../../../../services/alert-episode-service";
import { allDataProcedure } from "../../init";

export const listAlertEpisodesInput = z.object({ pastLimit: z.number().int().min(0).max(500).default(100) }).default({ pastLimit: 100 });

/** Open alert episodes and the latest resolved ones, with their delivery attempts (the /alerts page); they name every team's jobs, so admins and analysts only. */
export const listAlertEpisodesProcedure = allDataProcedure.input(listAlertEpisodesInput).query(({ ctx, input }) => listAlertEpisodes(ctx.db, input.pastLimit));
