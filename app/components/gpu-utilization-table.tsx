"use client";

import {
  createSortedRowModel,
  rowSortingFeature,
  sortFns,
  tableFeatures,
  useTable,
  type ColumnDef,
} from "@tanstack/react-table";
import type { RankedGpu } from "@/server/domain/utilization";
import { formatGpuHours, formatMiB, formatPct } from "./format";

const features = tableFeatures({ rowSortingFeature, sortedRowModel: createSortedRowModel(), sortFns });

const columns: ColumnDef<typeof features, RankedGpu>[] = [
  { id: "gpu", header: "GPU", accessorFn: (gpu) => `${gpu.hostname} #${gpu.gpuIndex}`, cell: (info) => info.getValue() },
  { accessorKey: "modelName", header: "Model", cell: (info) => info.getValue() },
  {
    accessorKey: "utilizationAvgPct",
    header: "Avg utilization",
    cell: (info) => formatPct(info.getValue() as number | null),
    meta: { numeric: true },
  },
  {
    accessorKey: "memoryUsedAvgMiB",
    header: "Avg memory used",
    cell: (info) => {
      const gpu = info.row.original;
      return `${formatMiB(gpu.memoryUsedAvgMiB)} of ${formatMiB(gpu.memoryTotalMiB)}`;
    },
    meta: { numeric: true },
  },
  { accessorKey: "gpuHours", header: "Reported", cell: (info) => formatGpuHours(info.getValue() as number), meta: { numeric: true } },
];

/** A sortable table of GPUs with their average utilization and memory. */
export function GpuUtilizationTable({ gpus, caption }: { gpus: RankedGpu[]; caption: string }) {
  const table = useTable({
    features,
    columns,
    data: gpus,
  });
  return (
    <table className="data-table">
      <caption>{caption}</caption>
      <thead>
        {table.getHeaderGroups().map((group) => (
          <tr key={group.id}>
            {group.headers.map((header) => {
              const sorted = header.column.getIsSorted();
              return (
                <th
                  key={header.id}
                  className={(header.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric ? "numeric" : undefined}
                  aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : "none"}
                >
                  <button type="button" onClick={header.column.getToggleSortingHandler()}>
                    <table.FlexRender header={header} />
                    {sorted === "asc" ? " ▲" : sorted === "desc" ? " ▼" : ""}
                  </button>
                </th>
              );
            })}
          </tr>
        ))}
      </thead>
      <tbody>
        {table.getRowModel().rows.map((row) => (
          <tr key={row.id}>
            {row.getAllCells().map((cell) => (
              <td key={cell.id} className={(cell.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric ? "numeric" : undefined}>
                <table.FlexRender cell={cell} />
              </td>
            ))}
          </tr>
        ))}
        {gpus.length === 0 && (
          <tr>
            <td colSpan={columns.length} className="empty">
              No GPU reported a utilization in this window.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
