/** Windows the overview page offers; shared by the server page and the client dashboard. */
export const OVERVIEW_WINDOWS = ["24h", "7d", "30d"] as const;
export const DEFAULT_OVERVIEW_WINDOW = "7d";

export function overviewWindowFrom(requested: string | undefined): string {
  return OVERVIEW_WINDOWS.includes(requested as (typeof OVERVIEW_WINDOWS)[number]) ? requested! : DEFAULT_OVERVIEW_WINDOW;
}

/** The allocation queries the overview's spend section reads (prefetched by the page). */
export function spendQueries(window: string) {
  return {
    byModel: { window, aggregate: "model" },
    byTeamOverTime: { window, aggregate: "team", step: window === "24h" ? ("1h" as const) : ("1d" as const) },
  };
}

/** The unit-cost query of the overview (prefetched by the page): per model and step, the units the overview shows. */
export function unitCostQueries(window: string) {
  return {
    byModelOverTime: { window, aggregate: "model", unit: "generation_tokens,prompt_tokens,requests,samples", step: window === "24h" ? ("1h" as const) : ("1d" as const) },
  };
}
