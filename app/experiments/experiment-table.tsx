"use client";

import Link from "next/link";
import { useMemo } from "react";
import type { ExperimentSummary } from "@/server/domain/experiments";
import { DataGrid, type GridColumn, type GridTotals } from "../components/data-grid";
import { formatGpuHours, formatMoney, formatRatioPct } from "../components/format";

/** Experiments ranked by cost, with links to each experiment and model. */
export function ExperimentTable({
  experiments,
  currency,
  window,
  showModel = true,
  caption,
  csvFileName,
}: {
  experiments: ExperimentSummary[];
  currency: string | null;
  window: string;
  showModel?: boolean;
  caption: string;
  csvFileName: string;
}) {
  const columns = useMemo<GridColumn<ExperimentSummary>[]>(() => {
    const unit = currency ?? "unpriced";
    const list: GridColumn<ExperimentSummary>[] = [
      {
        id: "experiment",
        header: "Experiment",
        value: (row) => row.experiment,
        display: (row) => <Link href={`/experiments/${encodeURIComponent(row.experiment)}?window=${window}`}>{row.experiment}</Link>,
        filterable: true,
      },
    ];
    if (showModel) {
      list.push({
        id: "model",
        header: "Model",
        value: (row) => row.model,
        display: (row) => <Link href={`/models/${encodeURIComponent(row.model)}?window=${window}`}>{row.model}</Link>,
        filterable: true,
      });
    }
    list.push(
      { id: "runs", header: "Runs", csvHeader: "Runs (jobs)", value: (row) => row.runs, numeric: true },
      { id: "gpuHours", header: "GPU-hours", csvHeader: "GPU-hours (h)", value: (row) => row.gpuHours, display: (row) => formatGpuHours(row.gpuHours), numeric: true },
      { id: "totalCost", header: "Cost", csvHeader: `Cost (${unit})`, value: (row) => row.totalCost, display: (row) => formatMoney(row.totalCost, currency), numeric: true },
      {
        id: "efficiency",
        header: "Efficiency",
        csvHeader: "Efficiency (%)",
        value: (row) => (row.efficiency === null ? null : Math.round(row.efficiency * 100_000) / 1000),
        display: (row) => formatRatioPct(row.efficiency),
        numeric: true,
      },
      {
        id: "costPerRun",
        header: "Cost per run",
        csvHeader: `Cost per run (${unit})`,
        value: (row) => row.costPerRun,
        display: (row) => formatMoney(row.costPerRun, currency),
        numeric: true,
      },
      { id: "wasteCost", header: "Waste cost", csvHeader: `Waste cost (${unit})`, value: (row) => row.wasteCost, display: (row) => formatMoney(row.wasteCost, currency), numeric: true },
    );
    return list;
  }, [currency, window, showModel]);

  return (
    <DataGrid
      rows={experiments}
      columns={columns}
      caption={caption}
      initialSort={[{ id: "totalCost", desc: true }]}
      totals={(visible) => experimentTotals(visible, currency)}
      csvFileName={csvFileName}
      emptyText="No experiment used a GPU in this window."
      rowKey={(row) => `${row.model}\u0000${row.experiment}`}
    />
  );
}

function experimentTotals(rows: ExperimentSummary[], currency: string | null): GridTotals {
  const sum = (pick: (row: ExperimentSummary) => number) => rows.reduce((total, row) => total + pick(row), 0);
  const runs = sum((row) => row.runs);
  const gpuHours = sum((row) => row.gpuHours);
  const activeGpuHours = sum((row) => row.activeGpuHours);
  const totalCost = sum((row) => row.totalCost);
  const wasteCost = sum((row) => row.wasteCost);
  const efficiency = gpuHours > 0 ? activeGpuHours / gpuHours : null;
  const costPerRun = runs > 0 ? totalCost / runs : 0;
  const round = (value: number) => Math.round(value * 1e6) / 1e6;
  return {
    label: `Total (${rows.length} experiments)`,
    values: {
      runs,
      gpuHours: round(gpuHours),
      totalCost: round(totalCost),
      efficiency: efficiency === null ? null : Math.round(efficiency * 100_000) / 1000,
      costPerRun: round(costPerRun),
      wasteCost: round(wasteCost),
    },
    display: {
      runs: String(runs),
      gpuHours: formatGpuHours(gpuHours),
      totalCost: formatMoney(totalCost, currency),
      efficiency: formatRatioPct(efficiency),
      costPerRun: formatMoney(costPerRun, currency),
      wasteCost: formatMoney(wasteCost, currency),
    },
  };
}
