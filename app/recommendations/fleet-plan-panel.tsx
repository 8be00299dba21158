"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatGpuHours, formatMoney, formatPct, formatUtcDateTime } from "../components/format";
import { Stat } from "../components/stat";
import { useAdminSession } from "../trpc/admin-session";
import { useTRPC } from "../trpc/client";
import { PlanHourlyChart } from "./plan-hourly-chart";

/** The steps of the run in progress, polled while `active`. */
export function RunProgress({ active }: { active: boolean }) {
  const trpc = useTRPC();
  const status = useQuery({ ...trpc.recommendations.runStatus.queryOptions(), refetchInterval: active ? 1000 : false, enabled: active });
  if (!active || !status.data?.running) return null;
  return (
    <p className="status" role="status" aria-label="Optimizer progress">
      Running the optimizer since {formatUtcDateTime(status.data.startedAtMs ?? Date.now())}: {status.data.steps.at(-1) ?? "starting"}
    </p>
  );
}

/** The hint under a figure that depends on the plan having a price. */
function rentText(rentEquivalentPerMonth: number | null, currency: string | null): string {
  return rentEquivalentPerMonth === null ? "owned or committed GPUs freed; no cloud rate for these models to compare" : `worth ${formatMoney(rentEquivalentPerMonth, currency)}/month at a cloud rate (not cash)`;
}

/**
 * The latest fleet plan: what following all of it saves (cash on rented GPUs,
 * capacity on owned ones, labelled apart), its bound and gap, GPUs held and cost
 * per hour of the week today against the plan, and the what-if: an admin
 * excludes workloads or nodes and re-plans.
 */
export function FleetPlanPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { isAdmin } = useAdminSession();
  const plan = useQuery(trpc.recommendations.fleetPlan.queryOptions());
  const [excludedWorkloads, setExcludedWorkloads] = useState<Set<string> | null>(null);
  const [excludedNodes, setExcludedNodes] = useState<Set<string> | null>(null);
  const replan = useMutation(
    trpc.recommendations.run.mutationOptions({
      onSuccess: () => {
        setExcludedWorkloads(null);
        setExcludedNodes(null);
        return Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.recommendations.fleetPlan.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.recommendations.list.queryKey() }),
        ]);
      },
    }),
  );

  if (plan.isPending) return <p className="status">Loading the fleet plan…</p>;
  if (plan.isError) return <p className="status error">Could not load the fleet plan: {plan.error.message}</p>;
  const data = plan.data;
  if (!data) {
    return (
      <section className="panel" aria-label="Fleet plan">
        <h2>Fleet plan</h2>
        <p className="status">No plan yet: run the optimizer (npm start runs it every 6 hours).</p>
      </section>
    );
  }
  const currency = data.currency;
  const workloadsOut = excludedWorkloads ?? new Set(data.exclude.workloads);
  const nodesOut = excludedNodes ?? new Set(data.exclude.nodes);
  const toggle = (set: Set<string>, key: string, update: (next: Set<string>) => void) => {
    const next = new Set(set);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    update(next);
  };
  const gap = data.bound.gapPct === null ? "n/a" : formatPct(data.bound.gapPct);

  return (
    <section className="panel" aria-label="Fleet plan">
      <h2>Fleet plan</h2>
      <p className="hint">
        One plan for the whole fleet ({data.status}, {data.seconds.toFixed(1)} s, found {formatUtcDateTime(data.createdAtMs)}). Its findings below are its
        actions: their savings add up to these totals.
      </p>
      <div className="stat-grid" aria-label="Fleet plan summary">
        <Stat label="Cash saving" value={`${formatMoney(data.saving.cashPerMonth, currency)}/month`} detail="rented (on-demand) GPUs the plan frees" />
        <Stat label="Capacity freed" value={`${formatGpuHours(data.saving.capacityFreedGpuHoursPerMonth)}/month`} detail={rentText(data.saving.rentEquivalentPerMonth, currency)} />
        <Stat label="Cost per week" value={`${formatMoney(data.costPerWeek.today, currency)} → ${formatMoney(data.costPerWeek.plan, currency)}`} detail="today → under the plan (owned GPUs at cost of ownership)" />
        <Stat label="Lower bound" value={`${formatMoney(data.bound.costPerWeek, currency)}/week`} detail={`gap ${gap}; ${data.bound.method}`} />
      </div>
      {data.messages.length > 0 && (
        <ul className="hint" aria-label="Plan messages">
          {data.messages.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
      <h3>GPUs held and cost per hour of the week (UTC)</h3>
      <PlanHourlyChart hourly={data.hourly} currency={currency} />

      <details className="what-if">
        <summary>
          What if: leave workloads or nodes as they are and re-plan ({workloadsOut.size} workloads, {nodesOut.size} nodes left out)
        </summary>
        {!isAdmin && <p className="hint">Sign in with the admin token to re-plan.</p>}
        <div className="what-if-lists">
          <fieldset>
            <legend>Workloads</legend>
            {data.workloads.map((w) => (
              <label key={w.key} className="check">
                <input type="checkbox" checked={workloadsOut.has(w.key)} disabled={!isAdmin || replan.isPending} onChange={() => toggle(workloadsOut, w.key, setExcludedWorkloads)} />
                {w.key} ({w.team ?? "no team"}, {w.from.gpuCount} x {w.from.gpuModel}
                {w.to && (w.to.gpuModel !== w.from.gpuModel || w.to.gpuCount !== w.from.gpuCount || w.to.gpuMilli < 1000) ? ` → ${w.to.gpuCount} x ${w.to.gpuModel}${w.to.gpuMilli < 1000 ? ` at ${w.to.gpuMilli}/1000` : ""}` : ""}
                {w.throughput === "assumed" ? ", throughput assumed" : ""})
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>Nodes</legend>
            {data.nodes.map((n) => (
              <label key={n.key} className="check">
                <input type="checkbox" checked={nodesOut.has(n.key)} disabled={!isAdmin || replan.isPending} onChange={() => toggle(nodesOut, n.key, setExcludedNodes)} />
                {n.key} ({n.gpuCount} x {n.gpuModel}, {n.source}
                {n.drained ? ", drained by the plan" : ""})
              </label>
            ))}
          </fieldset>
        </div>
        <button
          type="button"
          disabled={!isAdmin || replan.isPending}
          onClick={() => replan.mutate({ lookbackDays: 14, exclude: { workloads: [...workloadsOut], nodes: [...nodesOut] } })}
        >
          {replan.isPending ? "Re-planning…" : "Re-plan"}
        </button>
        {replan.error && <p className="status error">{replan.error.message}</p>}
        <RunProgress active={replan.isPending} />
      </details>
    </section>
  );
}
