"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { DataGrid, type GridColumn } from "../components/data-grid";
import { formatMoney, formatUtcDateTime } from "../components/format";
import { Stat } from "../components/stat";
import { AdminSignIn } from "../components/admin-sign-in";
import { useAdminSession } from "../trpc/admin-session";
import { useTRPC } from "../trpc/client";

const STATES = ["open", "accepted", "applied", "dismissed"] as const;
type State = (typeof STATES)[number];
const NEXT_STATES: Record<State, { state: State; label: string }[]> = {
  open: [
    { state: "accepted", label: "Accept" },
    { state: "dismissed", label: "Dismiss" },
  ],
  accepted: [
    { state: "applied", label: "Mark applied" },
    { state: "dismissed", label: "Dismiss" },
  ],
  applied: [],
  dismissed: [],
};

/**
 * The optimizer's recommendations: projected monthly saving, the plan to apply,
 * and the workflow open → accepted → applied (then the saving measured), or dismissed.
 * Changing a state or running the optimizer needs an admin session (sign in with the admin token).
 */
export function RecommendationList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [shown, setShown] = useState<State>("open");
  const { isAdmin } = useAdminSession();
  const list = useQuery(trpc.recommendations.list.queryOptions({ limit: 500 }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.recommendations.list.queryKey() });
  const setState = useMutation(trpc.recommendations.setState.mutationOptions({ onSuccess: refresh }));
  const run = useMutation(trpc.recommendations.run.mutationOptions({ onSuccess: refresh }));
  const [localError, setLocalError] = useState<string | null>(null);
  const error = localError ?? setState.error?.message ?? run.error?.message ?? null;
  const act = (id: number, state: State) => {
    if (!isAdmin) {
      setLocalError("Sign in with the admin token (GPU_ROI_ADMIN_TOKEN) to change a recommendation.");
      return;
    }
    setLocalError(null);
    setState.mutate({ id, state });
  };

  type Row = NonNullable<typeof list.data>[number];
  const rows = (list.data ?? []).filter((recommendation) => recommendation.state === shown);
  const counts = Object.fromEntries(STATES.map((state) => [state, (list.data ?? []).filter((r) => r.state === state).length]));
  const projected = (list.data ?? []).filter((r) => r.state === "open").reduce((best, r) => Math.max(best, r.projectedMonthlySaving), 0);
  const realized = (list.data ?? []).reduce((sum, r) => sum + (typeof r.realized?.monthlySaving === "number" ? r.realized.monthlySaving : 0), 0);
  const currency = list.data?.find((r) => r.currency)?.currency ?? null;

  const columns: GridColumn<Row>[] = [
    { id: "kind", header: "Kind", value: (r) => r.kind },
    { id: "title", header: "Recommendation", value: (r) => r.title, filterable: true, display: (r) => <span className="wrap">{r.title}</span> },
    { id: "saving", header: "Projected saving", csvHeader: "Projected saving per month", value: (r) => r.projectedMonthlySaving, display: (r) => `${formatMoney(r.projectedMonthlySaving, r.currency)}/month`, numeric: true },
    { id: "solve", header: "Solve", csvHeader: "Solve (s)", value: (r) => r.solveSeconds, display: (r) => `${r.solveSeconds.toFixed(1)} s`, numeric: true },
    { id: "created", header: "Found", value: (r) => r.createdAtMs, display: (r) => formatUtcDateTime(r.createdAtMs) },
    {
      id: "realized",
      header: "Realized",
      value: (r) => (typeof r.realized?.monthlySaving === "number" ? r.realized.monthlySaving : null),
      display: (r) => (typeof r.realized?.monthlySaving === "number" ? `${formatMoney(r.realized.monthlySaving, r.currency)}/month` : r.state === "applied" ? "measuring" : ""),
      numeric: true,
    },
    {
      id: "actions",
      header: "",
      value: () => null,
      display: (r) => (
        <span className="actions">
          <a href={`/api/v1/recommendations/${r.id}/plan?format=shell`} target="_blank" rel="noreferrer">
            plan
          </a>
          {NEXT_STATES[r.state as State].map((next) => (
            <button key={next.state} type="button" onClick={() => act(r.id, next.state)}>
              {next.label}
            </button>
          ))}
        </span>
      ),
    },
  ];

  return (
    <main>
      <header className="page-header">
        <h1>Recommendations</h1>
        <div className="admin-bar">
          <AdminSignIn placeholder="admin token (to act)" />
          <button type="button" disabled={!isAdmin || run.isPending} onClick={() => run.mutate({ lookbackDays: 14 })}>
            {run.isPending ? "Running the optimizer…" : "Run now"}
          </button>
        </div>
      </header>
      {error && <p className="status error">{error}</p>}
      <section className="stat-grid" aria-label="Recommendations summary">
        <Stat label="Open" value={String(counts.open ?? 0)} detail={`largest projected saving ${formatMoney(projected, currency)}/month`} />
        <Stat label="Accepted" value={String(counts.accepted ?? 0)} />
        <Stat label="Applied" value={String(counts.applied ?? 0)} detail={`realized ${formatMoney(realized, currency)}/month so far`} />
        <Stat label="Dismissed" value={String(counts.dismissed ?? 0)} />
      </section>
      <nav aria-label="Recommendation state" className="window-picker state-picker">
        {STATES.map((state) => (
          <button key={state} type="button" aria-current={state === shown ? "page" : undefined} onClick={() => setShown(state)}>
            {state} ({counts[state] ?? 0})
          </button>
        ))}
      </nav>
      <section className="panel">
        {list.isPending ? (
          <p className="status">Loading recommendations…</p>
        ) : (
          <DataGrid
            rows={rows}
            columns={columns}
            caption={`${shown[0].toUpperCase()}${shown.slice(1)} recommendations`}
            emptyText={shown === "open" ? "Nothing open: run the optimizer (npm start runs it every 6 hours)." : `No ${shown} recommendation.`}
            rowKey={(r) => String(r.id)}
            csvFileName={`recommendations-${shown}.csv`}
            initialSort={[{ id: "saving", desc: true }]}
          />
        )}
        <p className="hint">
          Savings of different kinds overlap (packing, tidal and right-sizing can free the same GPUs): do not add them up. Realized savings
          compare the affected jobs&apos; daily cost before and after a recommendation was marked applied. Formulas: docs/api.md, Recommendations.
        </p>
      </section>
    </main>
  );
}
