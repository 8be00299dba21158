"use client";

import type { RankedGpu } from "@/server/domain/utilization";
import { DataGrid, type GridColumn } from "./data-grid";
import { formatGpuHours, formatMiB, formatPct } from "./format";

const columns: GridColumn<RankedGpu>[] = [
  { id: "gpu", header: "GPU", value: (gpu) => `${gpu.hostname} #${gpu.gpuIndex}` },
  { id: "model", header: "Model", value: (gpu) => gpu.modelName },
  { id: "utilization", header: "Avg utilization", csvHeader: "Avg utilization (%)", value: (gpu) => gpu.utilizationAvgPct, display: (gpu) => formatPct(gpu.utilizationAvgPct), numeric: true },
  {
    id: "memory",
    header: "Avg memory used",
    csvHeader: "Avg memory used (MiB)",
    value: (gpu) => gpu.memoryUsedAvgMiB,
    display: (gpu) => `${formatMiB(gpu.memoryUsedAvgMiB)} of ${formatMiB(gpu.memoryTotalMiB)}`,
    numeric: true,
  },
  { id: "reported", header: "Reported", csvHeader: "Reported (GPU-hours)", value: (gpu) => gpu.gpuHours, display: (gpu) => formatGpuHours(gpu.gpuHours), numeric: true },
];

/** A sortable table of GPUs with their average utilization and memory. */
export function GpuUtilizationTable({ gpus, caption }: { gpus: RankedGpu[]; caption: string }) {
  return <DataGrid rows={gpus} columns={columns} caption={caption} emptyText="No GPU reported a utilization in this window." rowKey={(gpu) => gpu.uuid} />;
}
