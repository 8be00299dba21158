import { z } from "zod";
import { retentionStatus } from "../../../../services/retention-service";
import { rawRetentionDaysFrom } from "../../../../config/server-settings";
import { publicProcedure } from "../../init";

export const getRetentionInput = z.object({}).optional();

/**
 * How long raw usage windows are kept (GPU_ROI_RAW_RETENTION_DAYS, read as the
 * server's upkeep reads it) and how far back the raw windows and rollups reach.
 */
export const getRetentionProcedure = publicProcedure
  .input(getRetentionInput)
  .query(({ ctx }) => retentionStatus(ctx.db, rawRetentionDaysFrom()));
