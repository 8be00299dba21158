/**
 * Where a budget stands in its current period: what has been spent, what the
 * forecast expects by the period's end (with an 80 % interval), against the
 * amount budgeted. The budgets page, the overview and the budget alert rule all
 * read this one shape. Amounts are in the price book's currency.
 */
export type BudgetScopeKind = "team" | "project" | "model" | "experiment" | "label";
export type BudgetPeriod = "month" | "quarter";

export interface BudgetStatus {
  budgetId: string;
  scopeKind: BudgetScopeKind;
  /** The team, project, model or experiment name; for "label", `key=value`. */
  scopeValue: string;
  period: BudgetPeriod;
  periodStartMs: number;
  periodEndMs: number;
  budgetAmount: number;
  currency: string;
  /** Spent from the period's start to now. */
  actualCost: number;
  /** Expected spend at the period's end (actual + forecast of the remaining days). */
  forecastCost: number;
  /** 80 % interval of forecastCost. */
  forecastLowCost: number;
  forecastHighCost: number;
}
