import type { GridColumn, GridTotals } from "./data-grid";
import { IDLE_ROW_NAME, type AllocationRow } from "@/server/domain/allocation";
import { formatGpuHours, formatMoney, formatRatioPct } from "./format";

/** The figures every allocation row carries (API output rows and service rows alike). */
export type CostFigures = Pick<
  AllocationRow,
  "name" | "properties" | "gpuHours" | "activeGpuHours" | "gpuCost" | "idleCost" | "totalCost" | "efficiency" | "wasteCost"
>;

/** How a row's name reads: the idle row says what it is. */
export function displayRowName(name: string): string {
  if (name === IDLE_ROW_NAME) return "idle (unallocated GPU time)";
  return name;
}

/** The figure columns of an allocation table, money in `currency`. */
export function costFigureColumns<Row extends CostFigures>(currency: string | null): GridColumn<Row>[] {
  const unit = currency ?? "unpriced";
  const money = (id: keyof CostFigures & string, header: string): GridColumn<Row> => ({
    id,
    header,
    csvHeader: `${header} (${unit})`,
    value: (row) => row[id] as number,
    display: (row) => formatMoney(row[id] as number, currency),
    numeric: true,
  });
  return [
    { id: "gpuHours", header: "GPU-hours", csvHeader: "GPU-hours (h)", value: (row) => row.gpuHours, display: (row) => formatGpuHours(row.gpuHours), numeric: true },
    {
      id: "activeGpuHours",
      header: "Busy GPU-hours",
      csvHeader: "Busy GPU-hours (h)",
      value: (row) => row.activeGpuHours,
      display: (row) => formatGpuHours(row.activeGpuHours),
      numeric: true,
    },
    money("gpuCost", "GPU cost"),
    money("idleCost", "Idle cost"),
    money("totalCost", "Total cost"),
    {
      id: "efficiency",
      header: "Efficiency",
      csvHeader: "Efficiency (%)",
      // Percent in the CSV too, so it reads like the table.
      value: (row) => (row.efficiency === null ? null : Math.round(row.efficiency * 100_000) / 1000),
      display: (row) => formatRatioPct(row.efficiency),
      numeric: true,
    },
    money("wasteCost", "Waste cost"),
  ];
}

/** Sums of the figure columns over `rows`; efficiency is busy over all GPU-hours. */
export function costFigureTotals(rows: readonly CostFigures[], currency: string | null, label: string): GridTotals {
  const sum = (pick: (row: CostFigures) => number) => rows.reduce((total, row) => total + pick(row), 0);
  const gpuHours = sum((row) => row.gpuHours);
  const activeGpuHours = sum((row) => row.activeGpuHours);
  const gpuCost = sum((row) => row.gpuCost);
  const idleCost = sum((row) => row.idleCost);
  const totalCost = sum((row) => row.totalCost);
  const wasteCost = sum((row) => row.wasteCost);
  const efficiency = gpuHours > 0 ? activeGpuHours / gpuHours : null;
  const round = (value: number) => Math.round(value * 1e6) / 1e6;
  return {
    label,
    values: {
      gpuHours: round(gpuHours),
      activeGpuHours: round(activeGpuHours),
      gpuCost: round(gpuCost),
      idleCost: round(idleCost),
      totalCost: round(totalCost),
      efficiency: efficiency === null ? null : Math.round(efficiency * 100_000) / 1000,
      wasteCost: round(wasteCost),
    },
    display: {
      gpuHours: formatGpuHours(gpuHours),
      activeGpuHours: formatGpuHours(activeGpuHours),
      gpuCost: formatMoney(gpuCost, currency),
      idleCost: formatMoney(idleCost, currency),
      totalCost: formatMoney(totalCost, currency),
      efficiency: formatRatioPct(efficiency),
      wasteCost: formatMoney(wasteCost, currency),
    },
  };
}
