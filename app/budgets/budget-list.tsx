"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatMoney, formatUtcDate, formatUtcDateTime } from "../components/format";
import { useAdminSession } from "../trpc/admin-session";
import { useTRPC } from "../trpc/client";
import { BudgetChart } from "./budget-chart";

const SCOPE_KINDS = ["team", "project", "model", "experiment", "label"] as const;
const PERIODS = ["month", "quarter"] as const;

const usedPct = (actual: number, budget: number) => (budget > 0 ? `${((actual / budget) * 100).toFixed(1)} %` : "n/a");

/** Every budget's period: spent, forecast with its interval, % used; a chart of the chosen one; a form for admins. */
export function BudgetList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { isAdmin } = useAdminSession();
  const budgets = useQuery(trpc.budgets.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.budgets.list.queryKey() });
  const setBudget = useMutation(trpc.budgets.set.mutationOptions({ onSuccess: refresh }));
  const deleteBudget = useMutation(trpc.budgets.delete.mutationOptions({ onSuccess: refresh }));
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [scopeKind, setScopeKind] = useState<(typeof SCOPE_KINDS)[number]>("team");
  const [scopeValue, setScopeValue] = useState("");
  const [period, setPeriod] = useState<(typeof PERIODS)[number]>("month");
  const [amount, setAmount] = useState("");

  if (budgets.isPending) return <p className="status">Loading budgets…</p>;
  if (budgets.isError) return <p className="status error">Could not load budgets: {budgets.error.message}</p>;
  const list = budgets.data;
  const selected = list.find((status) => status.budgetId === selectedId) ?? list[0];
  const mutationError = setBudget.error ?? deleteBudget.error;

  return (
    <>
      <section className="panel" aria-label="Budgets">
        {list.length === 0 ? (
          <p className="status">No budgets yet. Admins add them below or with <code>POST /api/v1/budgets</code>.</p>
        ) : (
          <table className="data-table">
            <caption>Budgets in their current period</caption>
            <thead>
              <tr>
                <th>Scope</th>
                <th>Period</th>
                <th className="numeric">Budget</th>
                <th className="numeric">Spent</th>
                <th className="numeric">Forecast at period end</th>
                <th className="numeric">80 % interval</th>
                <th className="numeric">Used</th>
                <th className="numeric">Forecast used</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.map((status) => {
                const over = status.forecastCost > status.budgetAmount;
                return (
                  <tr key={status.budgetId} aria-selected={status.budgetId === selected?.budgetId} data-over-budget={over ? "forecast" : undefined}>
                    <td>
                      <button type="button" className="link-button" onClick={() => setSelectedId(status.budgetId)}>
                        {status.scopeKind} {status.scopeValue}
                      </button>
                    </td>
                    <td>
                      {status.period} {formatUtcDate(status.periodStartMs)} – {formatUtcDate(status.periodEndMs - 1)}
                    </td>
                    <td className="numeric">{formatMoney(status.budgetAmount, status.currency)}</td>
                    <td className="numeric">{formatMoney(status.actualCost, status.currency)}</td>
                    <td className={`numeric${over ? " warning" : ""}`}>{formatMoney(status.forecastCost, status.currency)}</td>
                    <td className="numeric">
                      {formatMoney(status.forecastLowCost, status.currency)} – {formatMoney(status.forecastHighCost, status.currency)}
                    </td>
                    <td className="numeric">{usedPct(status.actualCost, status.budgetAmount)}</td>
                    <td className="numeric">{usedPct(status.forecastCost, status.budgetAmount)}</td>
                    <td>
                      {isAdmin && (
                        <button type="button" disabled={deleteBudget.isPending} onClick={() => deleteBudget.mutate({ id: status.budgetId })}>
                          Delete
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <p className="hint">
          Spent: the allocated cost of the scope&apos;s jobs since the period began (idle GPUs not charged), as in the cost explorer. Forecast:
          spent plus the expected spend of the rest of the period, from the last 8 weeks&apos; daily spend with day-of-week factors; the interval
          holds the period-end spend 80 % of the time when spending keeps its recent pattern (docs/api.md, Budgets).
        </p>
      </section>

      {selected && (
        <section className="panel" aria-label="Budget forecast chart">
          <h2>
            {selected.scopeKind} {selected.scopeValue}, {selected.period} to {formatUtcDate(selected.periodEndMs - 1)}
          </h2>
          <p className="hint">Spent so far up to {formatUtcDateTime(selected.actualEndMs)}, then the forecast with its 80 % band, against the budget.</p>
          <BudgetChart
            status={selected}
            budgetAmount={selected.budgetAmount}
            periodEndMs={selected.periodEndMs}
            currency={selected.currency}
            title={`Spend and forecast of ${selected.scopeKind} ${selected.scopeValue} against its budget`}
          />
        </section>
      )}

      <section className="panel" aria-label="Set a budget">
        <h2>Set a budget</h2>
        {!isAdmin ? (
          <p className="hint">Sign in above with the admin token (GPU_ROI_ADMIN_TOKEN) to add, change or delete budgets.</p>
        ) : (
          <form
            className="form-row"
            onSubmit={(event) => {
              event.preventDefault();
              const value = Number(amount);
              if (scopeValue && Number.isFinite(value) && value > 0) setBudget.mutate({ scopeKind, scopeValue, period, amount: value });
            }}
          >
            <label>
              Scope{" "}
              <select value={scopeKind} onChange={(event) => setScopeKind(event.target.value as (typeof SCOPE_KINDS)[number])}>
                {SCOPE_KINDS.map((kind) => (
                  <option key={kind}>{kind}</option>
                ))}
              </select>
            </label>
            <label>
              Name <input value={scopeValue} onChange={(event) => setScopeValue(event.target.value)} placeholder={scopeKind === "label" ? "key=value" : "search"} />
            </label>
            <label>
              Period{" "}
              <select value={period} onChange={(event) => setPeriod(event.target.value as (typeof PERIODS)[number])}>
                {PERIODS.map((option) => (
                  <option key={option}>{option}</option>
                ))}
              </select>
            </label>
            <label>
              Amount <input type="number" min="0" step="any" value={amount} onChange={(event) => setAmount(event.target.value)} />
            </label>
            <button type="submit" disabled={!scopeValue || !(Number(amount) > 0) || setBudget.isPending}>
              Save budget
            </button>
          </form>
        )}
        {mutationError && <p className="status error">{mutationError.message}</p>}
      </section>
    </>
  );
}
