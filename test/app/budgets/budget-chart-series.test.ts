import { describe, expect, it } from "vitest";
import { budgetChartSeries } from "../../../app/budgets/budget-chart-series";

const DAY_MS = 86_400_000;
const START_MS = Date.UTC(2026, 10, 1);

describe("budgetChartSeries", () => {
  it("adds up the days spent, joins the forecast at now, and stacks the band's width on its low edge", () => {
    const series = budgetChartSeries({
      periodStartMs: START_MS,
      actualEndMs: START_MS + 2 * DAY_MS + 12 * 3_600_000,
      actualCost: 250,
      actualDays: [
        { dayStartMs: START_MS + DAY_MS, cost: 120 },
        { dayStartMs: START_MS, cost: 100 },
      ],
      forecastCumulative: [
        { endMs: START_MS + 3 * DAY_MS, cost: 310, lowCost: 300, highCost: 320 },
        { endMs: START_MS + 4 * DAY_MS, cost: 430, lowCost: 410, highCost: 450 },
      ],
    });
    expect(series.actual).toEqual([
      [START_MS, 0],
      [START_MS + DAY_MS, 100],
      [START_MS + 2 * DAY_MS, 220],
      [START_MS + 2.5 * DAY_MS, 250],
    ]);
    expect(series.forecast).toEqual([
      [START_MS + 2.5 * DAY_MS, 250],
      [START_MS + 3 * DAY_MS, 310],
      [START_MS + 4 * DAY_MS, 430],
    ]);
    expect(series.bandLow.map(([, value]) => value)).toEqual([250, 300, 410]);
    expect(series.bandWidth.map(([, value]) => value)).toEqual([0, 20, 40]);
  });
});
