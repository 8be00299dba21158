"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatMoney } from "./components/format";
import { useTRPC } from "./trpc/client";

/** At most this many budgets on the overview, those forecast furthest over (or nearest to) their amount first. */
const SHOWN = 6;

/** Budgets at a glance: spent, forecast at period end (80 % interval) and budget, for leaders reviewing ahead. */
export function OverviewBudgets() {
  const trpc = useTRPC();
  const budgets = useQuery(trpc.budgets.list.queryOptions());
  if (budgets.isPending) return <p className="status">Loading budgets…</p>;
  if (budgets.isError) return <p className="status error">Could not load budgets: {budgets.error.message}</p>;
  const ranked = [...budgets.data].sort((a, b) => b.forecastCost / b.budgetAmount - a.forecastCost / a.budgetAmount).slice(0, SHOWN);
  return (
    <section className="panel" aria-label="Budgets">
      <h2>Budgets</h2>
      {ranked.length === 0 ? (
        <p className="status">
          No budgets set. <Link href="/budgets">Set budgets</Link> per team, project, model, experiment or label.
        </p>
      ) : (
        <table className="data-table">
          <thead>
            <tr>
              <th>Scope</th>
              <th className="numeric">Spent</th>
              <th className="numeric">Forecast (80 %)</th>
              <th className="numeric">Budget</th>
            </tr>
          </thead>
          <tbody>
            {ranked.map((status) => (
              <tr key={status.budgetId} data-over-budget={status.forecastCost > status.budgetAmount ? "forecast" : undefined}>
                <td>
                  {status.scopeKind} {status.scopeValue} ({status.period})
                </td>
                <td className="numeric">{formatMoney(status.actualCost, status.currency)}</td>
                <td className={`numeric${status.forecastCost > status.budgetAmount ? " warning" : ""}`}>
                  {formatMoney(status.forecastCost, status.currency)} ({formatMoney(status.forecastLowCost, status.currency)} – {formatMoney(status.forecastHighCost, status.currency)})
                </td>
                <td className="numeric">{formatMoney(status.budgetAmount, status.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {budgets.data.length > SHOWN && (
        <p className="hint">
          {budgets.data.length - SHOWN} more on <Link href="/budgets">Budgets</Link>.
        </p>
      )}
    </section>
  );
}
