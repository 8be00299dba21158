"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { DataGrid, type GridColumn } from "../components/data-grid";
import { formatGpuHours, formatMiB, formatMoney, formatUtcDateTime } from "../components/format";
import { Stat } from "../components/stat";
import { AdminSignIn } from "../components/admin-sign-in";
import { useAdminSession } from "../trpc/admin-session";
import { useTRPC } from "../trpc/client";
import { RunProgress } from "./fleet-plan-panel";

/** What a fleet plan action's finding carries (server/domain/plan-findings.ts); absent on the older kinds. */
interface PlanActionView {
  teams: string[];
  drainedNodes: string[];
  before: { gpusByModel: Record<string, number>; peakGpus: number };
  after: { gpusByModel: Record<string, number>; peakGpus: number };
  evidence: { busyGpusP95: number; memoryPerGpuP99MiB: number; hoursObserved: number }[];
  risk: { memoryHeadroomMiB: number; latencySensitiveNeighbours: string[]; throughput: string };
}

function planAction(result: unknown): PlanActionView | null {
  const action = result && typeof result === "object" ? (result as { action?: PlanActionView }).action : undefined;
  return action && typeof action === "object" && action.before ? action : null;
}

function gpusText(gpusByModel: Record<string, number>): string {
  return Object.entries(gpusByModel).map(([model, gpus]) => `${Number.isInteger(gpus) ? gpus : gpus.toFixed(2)} x ${model}`).join(" + ") || "none";
}

function beforeAfterText(action: PlanActionView): string {
  const drained = action.drainedNodes.length > 0 ? `; drains ${action.drainedNodes.join(", ")}` : "";
  return `${gpusText(action.before.gpusByModel)} → ${gpusText(action.after.gpusByModel)} (peak ${action.before.peakGpus} → ${action.after.peakGpus} GPUs${drained})`;
}

function evidenceText(action: PlanActionView): string {
  const busy = action.evidence.reduce((sum, e) => sum + e.busyGpusP95, 0);
  const memory = Math.max(0, ...action.evidence.map((e) => e.memoryPerGpuP99MiB));
  const hours = Math.min(...action.evidence.map((e) => e.hoursObserved));
  return `p95 busy ${busy.toFixed(2)} GPUs, p99 memory ${formatMiB(memory)}/GPU, ${Number.isFinite(hours) ? hours : 0}+ hours looked at`;
}

function riskText(action: PlanActionView): string {
  const neighbours = action.risk.latencySensitiveNeighbours.length > 0 ? `; beside latency-sensitive ${action.risk.latencySensitiveNeighbours.join(", ")}` : "";
  return `memory headroom ${formatMiB(action.risk.memoryHeadroomMiB)}${neighbours}`;
}

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
export function RecommendationList({ plan }: { plan?: ReactNode }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [shown, setShown] = useState<State>("open");
  const { isAdmin } = useAdminSession();
  const list = useQuery(trpc.recommendations.list.queryOptions({ limit: 500 }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.recommendations.list.queryKey() });
  const setState = useMutation(trpc.recommendations.setState.mutationOptions({ onSuccess: refresh }));
  const run = useMutation(
    trpc.recommendations.run.mutationOptions({
      onSuccess: () => Promise.all([refresh(), queryClient.invalidateQueries({ queryKey: trpc.recommendations.fleetPlan.queryKey() })]),
    }),
  );
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
  const openRows = (list.data ?? []).filter((r) => r.state === "open");
  const projected = openRows.reduce((sum, r) => sum + r.projectedMonthlySaving, 0);
  const capacity = openRows.reduce((sum, r) => sum + (r.capacityFreedGpuHoursPerMonth ?? 0), 0);
  const realized = (list.data ?? []).reduce((sum, r) => sum + (typeof r.realized?.monthlySaving === "number" ? r.realized.monthlySaving : 0), 0);
  const currency = list.data?.find((r) => r.currency)?.currency ?? null;

  const columns: GridColumn<Row>[] = [
    { id: "kind", header: "Kind", value: (r) => r.kind, filterable: true },
    { id: "title", header: "Recommendation", value: (r) => r.title, filterable: true, display: (r) => <span className="wrap">{r.title}</span> },
    { id: "teams", header: "Teams", value: (r) => planAction(r.result)?.teams.join(", ") ?? "", filterable: true },
    { id: "change", header: "Before → after", value: (r) => (planAction(r.result) ? beforeAfterText(planAction(r.result)!) : ""), display: (r) => <span className="wrap">{planAction(r.result) ? beforeAfterText(planAction(r.result)!) : ""}</span> },
    { id: "saving", header: "Cash saving", csvHeader: "Cash saving per month", value: (r) => r.projectedMonthlySaving, display: (r) => `${formatMoney(r.projectedMonthlySaving, r.currency)}/month`, numeric: true },
    {
      id: "capacity",
      header: "Capacity freed",
      csvHeader: "Capacity freed (GPU-hours per month)",
      value: (r) => r.capacityFreedGpuHoursPerMonth,
      display: (r) =>
        r.capacityFreedGpuHoursPerMonth
          ? `${formatGpuHours(r.capacityFreedGpuHoursPerMonth)}/month${r.rentEquivalentPerMonth !== null ? ` (rent ${formatMoney(r.rentEquivalentPerMonth, r.currency)})` : ""}`
          : "",
      numeric: true,
    },
    {
      id: "throughput",
      header: "Throughput",
      value: (r) => (r.result && typeof r.result === "object" ? ((r.result as { throughput?: string }).throughput ?? "") : ""),
      display: (r) => {
        const throughput = r.result && typeof r.result === "object" ? (r.result as { throughput?: string }).throughput : undefined;
        return throughput === "assumed" ? <strong title="peak-ratio speedup, discounted: not measured">assumed</strong> : (throughput ?? "");
      },
    },
    { id: "evidence", header: "Evidence", value: (r) => (planAction(r.result) ? evidenceText(planAction(r.result)!) : ""), display: (r) => <span className="wrap">{planAction(r.result) ? evidenceText(planAction(r.result)!) : ""}</span> },
    { id: "risk", header: "Risk", value: (r) => (planAction(r.result) ? riskText(planAction(r.result)!) : ""), display: (r) => <span className="wrap">{planAction(r.result) ? riskText(planAction(r.result)!) : ""}</span> },
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
      <RunProgress active={run.isPending} />
      <section className="stat-grid" aria-label="Recommendations summary">
        <Stat label="Open" value={String(counts.open ?? 0)} detail={`${formatMoney(projected, currency)}/month cash, ${formatGpuHours(capacity)}/month capacity`} />
        <Stat label="Accepted" value={String(counts.accepted ?? 0)} />
        <Stat label="Applied" value={String(counts.applied ?? 0)} detail={`realized ${formatMoney(realized, currency)}/month so far`} />
        <Stat label="Dismissed" value={String(counts.dismissed ?? 0)} />
      </section>
      {plan}
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
            emptyText={shown === "open" ? "Nothing open: the latest plan keeps the fleet as it is, or the optimizer has not run yet (npm start runs it every 6 hours)." : `No ${shown} recommendation.`}
            rowKey={(r) => String(r.id)}
            csvFileName={`recommendations-${shown}.csv`}
            initialSort={[{ id: "saving", desc: true }]}
          />
        )}
        <p className="hint">
          Each finding is one action of the fleet plan (move: another GPU model or fewer GPUs; pack: onto fewer nodes, draining the rest;
          schedule: batch work in other hours). Their shares add up to the plan&apos;s totals: cash where rented GPUs are freed, capacity
          (GPU-hours, not cash) where owned or committed ones are. &quot;Assumed&quot; throughput rests on peak ratios, not measurements.
          Realized savings compare daily costs before and after a recommendation was marked applied. Formulas: docs/api.md, Recommendations.
        </p>
      </section>
    </main>
  );
}
