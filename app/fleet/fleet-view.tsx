"use client";

import { useMemo } from "react";
import type { HeatmapGpu, UtilizationHeatmap } from "@/server/services/fleet-service";
import { DataGrid, type GridColumn } from "../components/data-grid";
import { formatGpuHours, formatMiB, formatPct } from "../components/format";
import { Stat } from "../components/stat";
import { WindowLinks } from "../components/window-links";
import { HEATMAP_PAGE_ROWS } from "./heatmap-pages";
import { UtilizationHeatmapChart } from "./utilization-heatmap-chart";

interface NodeRow {
  hostname: string;
  gpuCount: number;
  models: string;
  reportedGpuHours: number;
  utilizationAvgPct: number | null;
  memoryUsedAvgMiB: number | null;
  memoryTotalMiB: number;
  sharedHours: number;
  jobFreeHours: number;
}

const gpuLabel = (gpu: HeatmapGpu) => `${gpu.hostname} #${gpu.gpuIndex}`;

/** Nodes and GPUs with their utilization and memory, and a GPU × hour heatmap. */
export function FleetView({ heatmap, window, windows }: { heatmap: UtilizationHeatmap; window: string; windows: readonly string[] }) {
  const nodes = useMemo(() => summarizeNodes(heatmap.gpus), [heatmap.gpus]);
  const reporting = heatmap.gpus.filter((gpu) => gpu.reportedGpuHours > 0);
  const fleet = useMemo(() => {
    let utilWeighted = 0;
    let utilHours = 0;
    let shared = 0;
    let jobFree = 0;
    for (const gpu of heatmap.gpus) {
      if (gpu.utilizationAvgPct !== null) {
        utilWeighted += gpu.utilizationAvgPct * gpu.reportedGpuHours;
        utilHours += gpu.reportedGpuHours;
      }
      shared += gpu.sharedHours;
      jobFree += gpu.jobFreeHours;
    }
    const reportedHours = heatmap.gpus.reduce((sum, gpu) => sum + gpu.reportedGpuHours, 0);
    return { utilizationAvgPct: utilHours > 0 ? utilWeighted / utilHours : null, shared, jobFree, reportedHours };
  }, [heatmap]);

  const nodeColumns = useMemo<GridColumn<NodeRow>[]>(
    () => [
      { id: "hostname", header: "Node", value: (row) => row.hostname, filterable: true },
      { id: "gpuCount", header: "GPUs", value: (row) => row.gpuCount, numeric: true },
      { id: "models", header: "GPU model", value: (row) => row.models, filterable: true },
      { id: "utilizationAvgPct", header: "Avg utilization", csvHeader: "Avg utilization (%)", value: (row) => round1(row.utilizationAvgPct), display: (row) => formatPct(row.utilizationAvgPct), numeric: true },
      {
        id: "memoryUsedAvgMiB",
        header: "Avg memory used",
        csvHeader: "Avg memory used (MiB)",
        value: (row) => round1(row.memoryUsedAvgMiB),
        display: (row) => `${formatMiB(row.memoryUsedAvgMiB)} of ${formatMiB(row.memoryTotalMiB)}`,
        numeric: true,
      },
      { id: "jobFreeHours", header: "GPU-hours without a job", csvHeader: "GPU-hours without a job (h)", value: (row) => row.jobFreeHours, display: (row) => formatGpuHours(row.jobFreeHours), numeric: true },
      { id: "sharedHours", header: "Shared GPU-hours", csvHeader: "Shared GPU-hours (h)", value: (row) => row.sharedHours, display: (row) => formatGpuHours(row.sharedHours), numeric: true },
      { id: "reportedGpuHours", header: "Reported", csvHeader: "Reported (GPU-h)", value: (row) => round1(row.reportedGpuHours), display: (row) => formatGpuHours(row.reportedGpuHours), numeric: true },
    ],
    [],
  );
  const gpuColumns = useMemo<GridColumn<HeatmapGpu>[]>(
    () => [
      { id: "gpu", header: "GPU", value: gpuLabel, filterable: true },
      { id: "modelName", header: "Model", value: (row) => row.modelName, filterable: true },
      { id: "utilizationAvgPct", header: "Avg utilization", csvHeader: "Avg utilization (%)", value: (row) => round1(row.utilizationAvgPct), display: (row) => formatPct(row.utilizationAvgPct), numeric: true },
      {
        id: "memoryUsedAvgMiB",
        header: "Avg memory used",
        csvHeader: "Avg memory used (MiB)",
        value: (row) => round1(row.memoryUsedAvgMiB),
        display: (row) => `${formatMiB(row.memoryUsedAvgMiB)} of ${formatMiB(row.memoryTotalMiB)}`,
        numeric: true,
      },
      { id: "jobFreeHours", header: "Hours without a job", csvHeader: "Hours without a job (h)", value: (row) => row.jobFreeHours, display: (row) => `${row.jobFreeHours} h`, numeric: true },
      { id: "sharedHours", header: "Shared hours", csvHeader: "Shared hours (h)", value: (row) => row.sharedHours, display: (row) => `${row.sharedHours} h`, numeric: true },
      { id: "uuid", header: "UUID", value: (row) => row.uuid, filterable: true },
    ],
    [],
  );

  return (
    <main>
      <header className="page-header">
        <h1>Fleet</h1>
        <WindowLinks path="/fleet" current={window} windows={windows} />
      </header>
      {heatmap.perGpuHidden ? (
        <p className="status">Per-GPU detail is shown to admins and analysts; the overview shows the fleet&apos;s totals.</p>
      ) : heatmap.gpus.length === 0 ? (
        <p className="status">No GPU has reported yet. Start a collector (or the simulated fleet with <code>npm start</code>).</p>
      ) : (
        <>
          <section className="stat-grid" aria-label="Fleet summary">
            <Stat label="Nodes" value={String(nodes.length)} />
            <Stat label="GPUs" value={String(heatmap.gpus.length)} detail={`${reporting.length} reported in the last ${window}`} />
            <Stat label={`Average utilization, ${window}`} value={formatPct(fleet.utilizationAvgPct)} detail="time-weighted, nvidia-smi utilization.gpu" />
            <Stat
              label="GPU-hours without a job"
              value={formatGpuHours(fleet.jobFree)}
              detail={`${formatGpuHours(fleet.shared)} shared by 2+ jobs, of ${formatGpuHours(fleet.reportedHours)} reported`}
            />
          </section>
          <section className="panel">
            <h2>Utilization by GPU and hour</h2>
            <p className="hint">
              One row per GPU, one column per UTC hour. Red: the GPU reported but ran no job. Amber: a job held it but kept it under 10 % busy. Purple:
              two or more jobs shared it. Blues: one job, darker is busier. Hover a cell for its exact figures.
            </p>
            <HeatmapPager heatmap={heatmap} window={window} />
            <UtilizationHeatmapChart heatmap={heatmap} />
          </section>
          <section className="panel">
            <DataGrid
              rows={nodes}
              columns={nodeColumns}
              caption="Nodes"
              initialSort={[{ id: "hostname", desc: false }]}
              csvFileName={`gpu-roi-nodes-${window}.csv`}
              emptyText="No node."
              rowKey={(row) => row.hostname}
            />
          </section>
          <section className="panel">
            <DataGrid
              rows={heatmap.gpus}
              columns={gpuColumns}
              caption="GPUs"
              initialSort={[{ id: "utilizationAvgPct", desc: false }]}
              csvFileName={`gpu-roi-gpus-${window}.csv`}
              emptyText="No GPU."
              rowKey={(row) => String(row.gpuId)}
            />
          </section>
        </>
      )}
    </main>
  );
}

/** "GPUs 129–256 of 10,000" with links to the previous and next pages; nothing when one page holds the fleet. */
function HeatmapPager({ heatmap, window }: { heatmap: UtilizationHeatmap; window: string }) {
  const { firstRow, rowCount } = heatmap.cellRows;
  const total = heatmap.gpus.length;
  if (firstRow === 0 && rowCount >= total) return null;
  const href = (from: number) => `/fleet?window=${window}&from=${from}`;
  const first = heatmap.gpus[firstRow];
  const last = heatmap.gpus[firstRow + rowCount - 1];
  return (
    <nav className="window-links" aria-label="Heatmap pages">
      <span className="hint">
        GPUs {firstRow + 1}–{firstRow + rowCount} of {total.toLocaleString("en-US")}
        {first && last ? ` (${gpuLabel(first)} to ${gpuLabel(last)})` : ""}
      </span>
      {firstRow > 0 && <a href={href(Math.max(0, firstRow - HEATMAP_PAGE_ROWS))}>‹ previous {HEATMAP_PAGE_ROWS}</a>}
      {firstRow + rowCount < total && <a href={href(firstRow + HEATMAP_PAGE_ROWS)}>next {HEATMAP_PAGE_ROWS} ›</a>}
    </nav>
  );
}

function round1(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}

function summarizeNodes(gpus: HeatmapGpu[]): NodeRow[] {
  const byHost = new Map<string, { gpus: HeatmapGpu[] }>();
  for (const gpu of gpus) {
    const entry = byHost.get(gpu.hostname) ?? { gpus: [] };
    entry.gpus.push(gpu);
    byHost.set(gpu.hostname, entry);
  }
  return [...byHost.entries()].map(([hostname, { gpus: list }]) => {
    // Averages weighted by reported hours, like the per-GPU figures.
    let utilWeighted = 0;
    let utilHours = 0;
    let memWeighted = 0;
    let memHours = 0;
    for (const gpu of list) {
      if (gpu.utilizationAvgPct !== null) {
        utilWeighted += gpu.utilizationAvgPct * gpu.reportedGpuHours;
        utilHours += gpu.reportedGpuHours;
      }
      if (gpu.memoryUsedAvgMiB !== null) {
        memWeighted += gpu.memoryUsedAvgMiB * gpu.reportedGpuHours;
        memHours += gpu.reportedGpuHours;
      }
    }
    const modelCounts = new Map<string, number>();
    for (const gpu of list) modelCounts.set(gpu.modelName, (modelCounts.get(gpu.modelName) ?? 0) + 1);
    return {
      hostname,
      gpuCount: list.length,
      models: [...modelCounts.entries()].map(([model, count]) => `${count} × ${model}`).join(", "),
      reportedGpuHours: list.reduce((sum, gpu) => sum + gpu.reportedGpuHours, 0),
      utilizationAvgPct: utilHours > 0 ? utilWeighted / utilHours : null,
      memoryUsedAvgMiB: memHours > 0 ? memWeighted / memHours : null,
      memoryTotalMiB: list.reduce((sum, gpu) => sum + gpu.memoryTotalMiB, 0) / list.length,
      sharedHours: list.reduce((sum, gpu) => sum + gpu.sharedHours, 0),
      jobFreeHours: list.reduce((sum, gpu) => sum + gpu.jobFreeHours, 0),
    };
  });
}
