import { z } from "zod";
import { resolveTimeWindow } from "../../../../domain/time-window";
import { getUtilizationHeatmap } from "../../../../services/fleet-service";
import { heavyReadProcedure } from "../../heavy-read-procedure";

export const FLEET_HEATMAP_WINDOWS = ["24h", "7d"] as const;

/** The most GPU rows one answer carries cells for: a week of 2,000 GPUs is 336,000 cells. */
export const MAX_HEATMAP_ROWS = 2000;

export const getUtilizationHeatmapInput = z.object({
  /** Hourly columns: a day or a week keeps the heatmap readable (168 columns at most). */
  window: z.enum(FLEET_HEATMAP_WINDOWS).default("24h"),
  /** First GPU row (GPUs in hostname, index order) to return cells for. */
  firstRow: z.number().int().nonnegative().default(0),
  /** GPU rows to return cells for (default: every GPU, up to MAX_HEATMAP_ROWS). Every GPU's totals are always returned. */
  rowCount: z.number().int().positive().max(MAX_HEATMAP_ROWS).default(MAX_HEATMAP_ROWS),
});

/** GPU × hour utilization, with jobs per GPU-hour, for the fleet page's heatmap. */
export const getUtilizationHeatmapProcedure = heavyReadProcedure
  .input(getUtilizationHeatmapInput)
  .query(({ ctx, input }) =>
    getUtilizationHeatmap(ctx.db, resolveTimeWindow(input.window, ctx.nowMs()), { firstRow: input.firstRow, rowCount: input.rowCount }, ctx.scope),
  );
