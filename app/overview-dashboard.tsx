"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo } from "react";
import { EChart } from "./components/echart";
import { formatDuration, formatGpuHours, formatPct, formatUtcDateTime } from "./components/format";
import { GpuUtilizationTable } from "./components/gpu-utilization-table";
import { Stat } from "./components/stat";
import { OverviewBudgets } from "./overview-budgets";
import { OverviewSpend } from "./overview-spend";
import { OverviewUnitCosts } from "./overview-unit-costs";
import { OVERVIEW_WINDOWS } from "./overview-windows";
import { useTRPC } from "./trpc/client";

export function OverviewDashboard({ window }: { window: string }) {
  const trpc = useTRPC();
  const overview = useQuery(trpc.overview.get.queryOptions({ window }));

  const chartOption = useMemo(() => {
    const points = overview.data?.series.points ?? [];
    return {
      grid: { left: 48, right: 24, top: 24, bottom: 56 },
      tooltip: {
        trigger: "axis",
        valueFormatter: (value: number | null) => (value === null || value === undefined ? "n/a" : `${value.toFixed(1)} %`),
      },
      xAxis: { type: "time" },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value} %" } },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 20, bottom: 8 }],
      series: [
        {
          name: "Average GPU utilization",
          type: "line",
          showSymbol: false,
          areaStyle: { opacity: 0.15 },
          data: points.map((point) => [point.startMs, point.utilizationAvgPct === null ? null : Number(point.utilizationAvgPct.toFixed(2))]),
        },
      ],
    };
  }, [overview.data]);

  return (
    <main>
      <header className="page-header">
        <h1>Fleet overview</h1>
        <nav aria-label="Time window" className="window-picker">
          {OVERVIEW_WINDOWS.map((option) => (
            <Link key={option} href={`/?window=${option}`} aria-current={option === window ? "page" : undefined}>
              {option}
            </Link>
          ))}
        </nav>
      </header>

      {overview.isPending && <p className="status">Loading usage…</p>}
      {overview.isError && <p className="status error">Could not load the overview: {overview.error.message}</p>}
      {overview.data && (
        <>
          {overview.data.fleet.gpuCount === 0 ? (
            <p className="status">
              No GPU has reported yet. Start a collector (or the simulated fleet with <code>npm start</code>) and usage appears here
              within a minute.
            </p>
          ) : null}
          <OverviewSpend window={window} />
          <OverviewBudgets />
          <OverviewUnitCosts window={window} />
          <section className="stat-grid" aria-label="Fleet summary">
            <Stat label="Nodes" value={String(overview.data.fleet.nodeCount)} />
            <Stat
              label="GPUs"
              value={String(overview.data.fleet.gpuCount)}
              detail={overview.data.fleet.gpuModels.map((m) => `${m.gpuCount} × ${m.modelName}`).join(", ")}
            />
            <Stat label={`GPU-hours, ${window}`} value={formatGpuHours(overview.data.summary.gpuHours)} />
            <Stat
              label="Average utilization"
              value={formatPct(overview.data.summary.utilizationAvgPct)}
              detail={`${formatGpuHours(overview.data.summary.activeGpuHours)} busy (nvidia-smi utilization.gpu)`}
            />
          </section>

          <section className="panel">
            <h2>Utilization over time</h2>
            <p className="hint">
              Average over all reporting GPUs, weighted by time, in buckets of {formatDuration(overview.data.series.bucketMs)}.
              {overview.data.latestWindowStartMs !== null && <> Latest data: {formatUtcDateTime(overview.data.latestWindowStartMs)}.</>}
            </p>
            <EChart option={chartOption} ariaLabel="Average GPU utilization over time" />
          </section>

          <div className="two-columns">
            <section className="panel">
              <GpuUtilizationTable gpus={overview.data.busiest} caption="Busiest GPUs" />
            </section>
            <section className="panel">
              <GpuUtilizationTable gpus={overview.data.idlest} caption="Idlest GPUs" />
            </section>
          </div>
        </>
      )}
    </main>
  );
}
