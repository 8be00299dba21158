/**
 * Budget periods are calendar months and quarters in UTC. Pure.
 */
import type { BudgetPeriod } from "./budget-status";

export interface PeriodWindow {
  startMs: number;
  endMs: number;
}

/** The month or quarter (UTC) that contains `atMs`. */
export function budgetPeriodAt(period: BudgetPeriod, atMs: number): PeriodWindow {
  const at = new Date(atMs);
  const year = at.getUTCFullYear();
  const firstMonth = period === "month" ? at.getUTCMonth() : Math.floor(at.getUTCMonth() / 3) * 3;
  const months = period === "month" ? 1 : 3;
  return { startMs: Date.UTC(year, firstMonth, 1), endMs: Date.UTC(year, firstMonth + months, 1) };
}

/** "2026-11" → that month's window; null when the text is not a month. */
export function monthWindowOf(month: string): PeriodWindow | null {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  if (!match) return null;
  const monthIndex = Number(match[2]) - 1;
  if (monthIndex < 0 || monthIndex > 11) return null;
  return { startMs: Date.UTC(Number(match[1]), monthIndex, 1), endMs: Date.UTC(Number(match[1]), monthIndex + 1, 1) };
}

/** The month before the one that contains `atMs`, as "YYYY-MM". */
export function previousMonthOf(atMs: number): string {
  const at = new Date(atMs);
  const previous = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, 1));
  return `${previous.getUTCFullYear()}-${String(previous.getUTCMonth() + 1).padStart(2, "0")}`;
}

/** The `count` months up to the one that contains `atMs`, newest first, as "YYYY-MM". */
export function recentMonths(atMs: number, count: number): string[] {
  const at = new Date(atMs);
  return Array.from({ length: count }, (_, index) => {
    const month = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - index, 1));
    return `${month.getUTCFullYear()}-${String(month.getUTCMonth() + 1).padStart(2, "0")}`;
  });
}
