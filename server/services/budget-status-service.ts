import { ALL_DATA } from "../auth/principal";
import type { AppPrismaClient } from "../db/prisma-client";
import type { SqlDatabase } from "../db/sql-database";
import type { AggregateKey, AllocationResult } from "../domain/allocation";
import { budgetPeriodAt } from "../domain/budget-periods";
import type { BudgetScopeKind, BudgetStatus } from "../domain/budget-status";
import { DAY_MS, SEASON_WINDOW_DAYS, forecastPeriodEnd, type CumulativeForecast, type DailySpend, type ForecastDay } from "../domain/spend-forecast";
import { allocate } from "./allocation-service";
import { listBudgets, type StoredBudget } from "./budget-service";

/** A budget's status with the days behind it, for the budgets page's chart. */
export interface BudgetStatusWithSeries extends BudgetStatus {
  /** Whole UTC days of the period before today, spent (allocated cost). */
  actualDays: DailySpend[];
  /** The period's remaining days, forecast (mean path). */
  forecastDays: ForecastDay[];
  /** Spend since the period's start after each remaining day, with its 80 % interval (the chart's band). */
  forecastCumulative: CumulativeForecast[];
  /** The end of the hours counted in actualCost (whole hours; the current one is left out). */
  actualEndMs: number;
}

/** The allocation key a budget scope groups by, and the row name its value has there. */
export function allocationKeyOf(scopeKind: BudgetScopeKind, scopeValue: string): { key: AggregateKey; name: string } {
  if (scopeKind !== "label") return { key: scopeKind, name: scopeValue };
  const separator = scopeValue.indexOf("=");
  return { key: `label:${scopeValue.slice(0, separator)}`, name: scopeValue.slice(separator + 1) };
}

/** The scope's allocated cost (idle not shared: a budget pays for what its jobs held), by row name and step start. */
function costsByName(result: AllocationResult): Map<string, Map<number, number>> {
  const byName = new Map<string, Map<number, number>>();
  for (const row of result.rows) {
    let byStep = byName.get(row.name);
    if (!byStep) byName.set(row.name, (byStep = new Map()));
    byStep.set(row.startMs, (byStep.get(row.startMs) ?? 0) + row.gpuCost);
  }
  return byName;
}

const allocationOf = (db: SqlDatabase, key: AggregateKey, startMs: number, endMs: number, stepMs: number | null) =>
  allocate(db, {
    window: { startMs, endMs },
    aggregate: [key],
    basis: "allocation",
    shareIdle: "none",
    idleBy: "cluster",
    filter: new Map(),
    stepMs,
  }, ALL_DATA);

/**
 * Every budget's actual and forecast spend in its current period. Steps:
 *  1. per allocation key and period: the allocation engine over [period start, now)
 *     (actual: the scope rows' allocated cost, as GET /api/v1/allocation reports it);
 *  2. per allocation key: daily costs over the SEASON_WINDOW_DAYS whole days before
 *     today (or from the period's start when it began earlier);
 *  3. forecastPeriodEnd (server/domain/spend-forecast.ts) for the rest of the period.
 */
export async function loadBudgetStatusesWithSeries(db: SqlDatabase, prisma: AppPrismaClient, nowMs: number, budgets?: readonly StoredBudget[]): Promise<BudgetStatusWithSeries[]> {
  const all = budgets ?? (await listBudgets(prisma));
  const todayStartMs = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const actuals = new Map<string, { byName: Map<string, Map<number, number>>; endMs: number }>();
  const histories = new Map<string, Map<string, Map<number, number>>>();
  const statuses: BudgetStatusWithSeries[] = [];
  for (const budget of all) {
    const { key, name } = allocationKeyOf(budget.scopeKind, budget.scopeValue);
    const period = budgetPeriodAt(budget.period, nowMs);
    // 1. Actual.
    const actualKey = `${key}\u0000${period.startMs}`;
    let actual = actuals.get(actualKey);
    if (!actual) {
      const result = await allocationOf(db, key, period.startMs, nowMs, null);
      actual = { byName: costsByName(result), endMs: result.window.endMs };
      actuals.set(actualKey, actual);
    }
    const actualCost = [...(actual.byName.get(name)?.values() ?? [])].reduce((sum, cost) => sum + cost, 0);
    // 2. Daily history.
    const historyStartMs = Math.min(todayStartMs - SEASON_WINDOW_DAYS * DAY_MS, period.startMs);
    const historyKey = `${key}\u0000${historyStartMs}`;
    let history = histories.get(historyKey);
    if (!history) {
      history = costsByName(await allocationOf(db, key, historyStartMs, todayStartMs, DAY_MS));
      histories.set(historyKey, history);
    }
    const costByDay = history.get(name) ?? new Map<number, number>();
    const days: DailySpend[] = [];
    for (let dayStartMs = historyStartMs; dayStartMs < todayStartMs; dayStartMs += DAY_MS) days.push({ dayStartMs, cost: costByDay.get(dayStartMs) ?? 0 });
    // 3. Forecast of the rest of the period.
    const forecast = forecastPeriodEnd({ history: days.filter((day) => day.dayStartMs >= todayStartMs - SEASON_WINDOW_DAYS * DAY_MS), actualCost, actualEndMs: actual.endMs, periodEndMs: period.endMs });
    statuses.push({
      budgetId: budget.id,
      scopeKind: budget.scopeKind,
      scopeValue: budget.scopeValue,
      period: budget.period,
      periodStartMs: period.startMs,
      periodEndMs: period.endMs,
      budgetAmount: budget.amount,
      currency: budget.currency,
      actualCost,
      forecastCost: forecast.forecastCost,
      forecastLowCost: forecast.forecastLowCost,
      forecastHighCost: forecast.forecastHighCost,
      actualDays: days.filter((day) => day.dayStartMs >= period.startMs),
      forecastDays: forecast.days,
      forecastCumulative: forecast.cumulative,
      actualEndMs: actual.endMs,
    });
  }
  return statuses;
}

/** Every budget's status in its current period (the shape the pages and the budget alert rule read). */
export async function loadBudgetStatuses(db: SqlDatabase, prisma: AppPrismaClient, nowMs: number): Promise<BudgetStatus[]> {
  return (await loadBudgetStatusesWithSeries(db, prisma, nowMs)).map(
    ({ actualDays: _actualDays, forecastDays: _forecastDays, forecastCumulative: _forecastCumulative, actualEndMs: _actualEndMs, ...status }) => status,
  );
}
