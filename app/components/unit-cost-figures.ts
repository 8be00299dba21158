/**
 * Unit-cost rows (unitCosts.get) folded for the pages: per model and unit over
 * the window (sums of cost and count, then divided: never an average of the
 * steps' ratios) with the step series beside, the most expensive models first.
 */
import type { UnitCostOutputRow } from "@/server/api/unit-costs/unit-cost-output";
import { formatMoney } from "./format";

export interface ModelUnitCost {
  model: string;
  unit: string;
  per: number;
  cost: number;
  count: number;
  costPerUnits: number | null;
  points: { startMs: number; costPerUnits: number | null }[];
}

/** The `limit` models that cost most for `unit`, each with its figure over the window and per step. */
export function topModelUnitCosts(rows: readonly UnitCostOutputRow[], unit: string, limit: number): ModelUnitCost[] {
  const byModel = new Map<string, ModelUnitCost>();
  for (const row of rows) {
    const model = row.properties.model;
    if (row.unit !== unit || model === undefined || model.startsWith("__")) continue;
    let entry = byModel.get(model);
    if (!entry) byModel.set(model, (entry = { model, unit, per: row.per, cost: 0, count: 0, costPerUnits: null, points: [] }));
    entry.cost += row.cost;
    entry.count += row.count;
    entry.points.push({ startMs: Date.parse(row.start), costPerUnits: row.costPerUnits });
  }
  return [...byModel.values()]
    .map((entry) => ({ ...entry, costPerUnits: entry.count > 0 ? (entry.cost / entry.count) * entry.per : null, points: entry.points.sort((a, b) => a.startMs - b.startMs) }))
    .sort((a, b) => b.cost - a.cost || (a.model < b.model ? -1 : 1))
    .slice(0, limit);
}

/** "per 1M" / "per 1k" for a figure quoted per `per` units. */
export function perLabel(per: number): string {
  return per === 1_000_000 ? "per 1M" : per === 1_000 ? "per 1k" : `per ${per}`;
}

/** How the pages name a unit. */
export function unitLabel(unit: string): string {
  return unit === "prompt_tokens" ? "prompt tokens" : unit === "generation_tokens" ? "generated tokens" : unit.replace(/_/g, " ");
}

const smallMoneyFormats = new Map<string, Intl.NumberFormat>();
const smallNumber = new Intl.NumberFormat("en-US", { minimumSignificantDigits: 2, maximumSignificantDigits: 3 });

/**
 * A cost per unit of work: as money from a cent up, and to three significant
 * digits below (a thousand requests of a small ranker cost $0.0031; in cents
 * that would show as $0.00, as if free).
 */
export function formatUnitCost(value: number, currency: string | null): string {
  if (value === 0 || Math.abs(value) >= 0.995) return formatMoney(value, currency);
  if (currency === null) return `${smallNumber.format(value)} (no price)`;
  let format = smallMoneyFormats.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat("en-US", { style: "currency", currency, minimumSignificantDigits: 2, maximumSignificantDigits: 3 });
    } catch {
      return `${smallNumber.format(value)} ${currency}`;
    }
    smallMoneyFormats.set(currency, format);
  }
  return format.format(value);
}
