/**
 * A budget's period as a chart's lines: spend so far (cumulative, by day), the
 * forecast from now to the period's end, and the forecast's 80 % band as a low
 * edge plus a width (so ECharts can stack the band's area on the low edge).
 */
export interface BudgetSeriesInput {
  periodStartMs: number;
  actualEndMs: number;
  actualCost: number;
  actualDays: readonly { dayStartMs: number; cost: number }[];
  forecastCumulative: readonly { endMs: number; cost: number; lowCost: number; highCost: number }[];
}

export type ChartPoint = [number, number];

export interface BudgetChartSeries {
  actual: ChartPoint[];
  forecast: ChartPoint[];
  bandLow: ChartPoint[];
  bandWidth: ChartPoint[];
}

const DAY_MS = 86_400_000;
const cents = (value: number) => Math.round(value * 100) / 100;

export function budgetChartSeries(status: BudgetSeriesInput): BudgetChartSeries {
  const actual: ChartPoint[] = [[status.periodStartMs, 0]];
  let spent = 0;
  for (const day of [...status.actualDays].sort((a, b) => a.dayStartMs - b.dayStartMs)) {
    const endMs = day.dayStartMs + DAY_MS;
    if (endMs > status.actualEndMs) break;
    spent += day.cost;
    actual.push([endMs, cents(spent)]);
  }
  if (actual[actual.length - 1][0] < status.actualEndMs) actual.push([status.actualEndMs, cents(status.actualCost)]);
  const start: ChartPoint = [status.actualEndMs, cents(status.actualCost)];
  return {
    actual,
    forecast: [start, ...status.forecastCumulative.map((point): ChartPoint => [point.endMs, cents(point.cost)])],
    bandLow: [start, ...status.forecastCumulative.map((point): ChartPoint => [point.endMs, cents(point.lowCost)])],
    bandWidth: [[status.actualEndMs, 0], ...status.forecastCumulative.map((point): ChartPoint => [point.endMs, cents(point.highCost - point.lowCost)])],
  };
}
