"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo } from "react";
import type { AllocationRow } from "@/server/domain/allocation";
import { costFigureColumns, costFigureTotals } from "../../components/cost-columns";
import { CostTrendChart } from "../../components/cost-trend-chart";
import { DataGrid, type GridColumn } from "../../components/data-grid";
import { formatGpuHours, formatMoney, formatRatioPct } from "../../components/format";
import { Stat } from "../../components/stat";
import { WindowLinks } from "../../components/window-links";
import { useTRPC } from "../../trpc/client";

/** One experiment: what it cost, how its cost moved day by day, and each run behind it. */
export function ExperimentDetail({ experiment, window }: { experiment: string; window: string }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.experiments.get.queryOptions({ experiment, window }));
  const currency = detail.data?.currency ?? null;
  const summary = detail.data?.summary ?? null;
  const model = summary?.model ?? detail.data?.jobs[0]?.properties.model;

  const columns = useMemo<GridColumn<AllocationRow>[]>(
    () => [
      { id: "job", header: "Run (job)", value: (row) => row.properties.job ?? row.name, filterable: true },
      ...costFigureColumns<AllocationRow>(currency),
    ],
    [currency],
  );
  const points = useMemo(
    () => (detail.data?.trend ?? []).map((row) => ({ name: row.name, startMs: row.startMs, totalCost: row.totalCost })),
    [detail.data],
  );

  return (
    <main>
      <div className="breadcrumb">
        <Link href={`/experiments?window=${window}`}>Experiments</Link>
        {model && (
          <>
            {" / "}
            <Link href={`/models/${encodeURIComponent(model)}?window=${window}`}>{model}</Link>
          </>
        )}
      </div>
      <header className="page-header">
        <h1>{experiment}</h1>
        <WindowLinks path={`/experiments/${encodeURIComponent(experiment)}`} current={window} />
      </header>
      {detail.isPending && <p className="status">Loading the experiment…</p>}
      {detail.isError && <p className="status error">Could not load the experiment: {detail.error.message}</p>}
      {detail.data && !summary && <p className="status">No run of {experiment} used a GPU in this window. Try a longer window.</p>}
      {detail.data && summary && (
        <>
          <section className="stat-grid" aria-label="Experiment summary">
            <Stat label={`Cost, ${window}`} value={formatMoney(summary.totalCost, currency)} detail={`${formatMoney(summary.wasteCost, currency)} of it wasted on idle GPUs`} />
            <Stat label="Runs" value={String(summary.runs)} detail={`${formatMoney(summary.costPerRun, currency)} per run`} />
            <Stat label="GPU-hours" value={formatGpuHours(summary.gpuHours)} detail={`${formatGpuHours(summary.activeGpuHours)} busy`} />
            <Stat label="Efficiency" value={formatRatioPct(summary.efficiency)} detail="busy GPU-hours / allocated GPU-hours" />
          </section>
          <section className="panel">
            <h2>Cost per day</h2>
            <p className="hint">Total cost of the experiment's runs per UTC day (idle GPU time not included).</p>
            {points.length === 0 ? (
              <p className="status">No cost in this window.</p>
            ) : (
              <CostTrendChart points={points} currency={currency} stepMs={86_400_000} height={260} ariaLabel={`Daily cost of ${experiment}`} />
            )}
          </section>
          <section className="panel">
            <DataGrid
              rows={detail.data.jobs}
              columns={columns}
              caption="Runs, most expensive first"
              initialSort={[{ id: "totalCost", desc: true }]}
              totals={(visible) => costFigureTotals(visible, currency, `Total (${visible.length} runs)`)}
              csvFileName={`gpu-roi-experiment-${experiment}-${window}.csv`}
              emptyText="No run in this window."
              rowKey={(row) => row.name}
            />
          </section>
        </>
      )}
    </main>
  );
}
