"use client";

import { UNALLOCATED_VALUE } from "@/server/domain/allocation";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo } from "react";
import { CostTrendChart } from "../../components/cost-trend-chart";
import { formatGpuHours, formatMoney, formatRatioPct } from "../../components/format";
import { Stat } from "../../components/stat";
import { WindowLinks } from "../../components/window-links";
import { useTRPC } from "../../trpc/client";
import { ExperimentTable } from "../../experiments/experiment-table";
import { modelTrendInput } from "./model-trend";
import { ModelUnitCosts } from "./model-unit-costs";

/** One model: its experiments ranked by cost, their totals, and the model's cost over time. */
export function ModelDetail({ model, window }: { model: string; window: string }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.experiments.list.queryOptions({ window, model }));
  const trend = useQuery(trpc.allocation.get.queryOptions(modelTrendInput(model, window)));
  const experiments = list.data?.experiments ?? [];
  const currency = list.data?.currency ?? null;

  const totals = useMemo(() => {
    const sum = (pick: (row: (typeof experiments)[number]) => number) => experiments.reduce((total, row) => total + pick(row), 0);
    const gpuHours = sum((row) => row.gpuHours);
    const activeGpuHours = sum((row) => row.activeGpuHours);
    const runs = sum((row) => row.runs);
    const totalCost = sum((row) => row.totalCost);
    return { gpuHours, activeGpuHours, runs, totalCost, wasteCost: sum((row) => row.wasteCost), efficiency: gpuHours > 0 ? activeGpuHours / gpuHours : null };
  }, [experiments]);

  const points = useMemo(
    () =>
      (trend.data?.rows ?? [])
        .filter((row) => row.name !== UNALLOCATED_VALUE)
        .map((row) => ({ name: row.name, startMs: Date.parse(row.start), totalCost: row.totalCost })),
    [trend.data],
  );

  return (
    <main>
      <div className="breadcrumb">
        <Link href={`/experiments?window=${window}`}>Experiments</Link> / model
      </div>
      <header className="page-header">
        <h1>{model}</h1>
        <WindowLinks path={`/models/${encodeURIComponent(model)}`} current={window} />
      </header>
      {list.isPending && <p className="status">Loading the model…</p>}
      {list.isError && <p className="status error">Could not load the model: {list.error.message}</p>}
      {list.data && (
        <>
          <section className="stat-grid" aria-label="Model summary">
            <Stat label={`Experiment cost, ${window}`} value={formatMoney(totals.totalCost, currency)} detail={`${formatMoney(totals.wasteCost, currency)} wasted on idle GPUs`} />
            <Stat label="Experiments" value={String(experiments.length)} detail={`${totals.runs} runs`} />
            <Stat label="GPU-hours" value={formatGpuHours(totals.gpuHours)} detail={`${formatGpuHours(totals.activeGpuHours)} busy`} />
            <Stat label="Efficiency" value={formatRatioPct(totals.efficiency)} detail="busy GPU-hours / allocated GPU-hours" />
          </section>
          <ModelUnitCosts model={model} window={window} />
          <section className="panel">
            <h2>Cost per {window === "24h" ? "hour" : "day"} by experiment</h2>
            <p className="hint">
              All GPU time of {model}&apos;s jobs; the 8 most expensive experiments stacked, the rest in &quot;other&quot;. Jobs without an experiment
              show as __unallocated__ in the <Link href={`/costs?window=${window}&aggregate=experiment&filter=${encodeURIComponent(`model:${model}`)}`}>cost explorer</Link>.
            </p>
            {trend.isError ? (
              <p className="status error">Could not load the cost over time: {trend.error.message}</p>
            ) : points.length === 0 ? (
              <p className="status">{trend.isPending ? "Loading the cost over time…" : "No cost in this window."}</p>
            ) : (
              <CostTrendChart
                points={points}
                currency={trend.data?.currency ?? currency}
                stepMs={window === "24h" ? 3_600_000 : 86_400_000}
                height={280}
                ariaLabel={`Cost of ${model} over time by experiment`}
              />
            )}
          </section>
          <section className="panel">
            <ExperimentTable
              experiments={experiments}
              currency={currency}
              window={window}
              showModel={false}
              caption={`Experiments of ${model}, most expensive first`}
              csvFileName={`gpu-roi-model-${model}-${window}.csv`}
            />
          </section>
        </>
      )}
    </main>
  );
}
