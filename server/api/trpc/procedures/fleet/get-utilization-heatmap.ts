import { z } from "zod";
import { resolveTimeWindow } from "../../../../domain/time-window";
import { getUtilizationHeatmap } from "../../../../services/fleet-service";
import { publicProcedure } from "../../init";

export const FLEET_HEATMAP_WINDOWS = ["24h", "7d"] as const;

export const getUtilizationHeatmapInput = z.object({
  /** Hourly columns: a day or a week keeps the heatmap readable (168 columns at most). */
  window: z.enum(FLEET_HEATMAP_WINDOWS).default("24h"),
});

/** GPU × hour utilization, with jobs per GPU-hour, for the fleet page's heatmap. */
export const getUtilizationHeatmapProcedure = publicProcedure
  .input(getUtilizationHeatmapInput)
  .query(({ ctx, input }) => getUtilizationHeatmap(ctx.db, resolveTimeWindow(input.window, ctx.nowMs())));
