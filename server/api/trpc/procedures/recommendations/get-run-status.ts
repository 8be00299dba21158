import { z } from "zod";
import { IDLE_RUN_STATUS } from "../../../../services/recommendation-runner";
import { publicProcedure } from "../../init";

export const getRunStatusInput = z.object({}).optional();

/** Where this server's latest on-demand optimizer run stands: running or not, its steps so far, its error. */
export const getRunStatusProcedure = publicProcedure.input(getRunStatusInput).query(({ ctx }) => ctx.recommendationRunStatus?.() ?? IDLE_RUN_STATUS);
