/** The allocation result as the API shows it: RFC 3339 times, rounded figures, JSON or CSV. */
import type { AllocationRow } from "../../domain/allocation";
import type { AllocationQuery, AllocationResponse } from "../../services/allocation-service";
import { csvDocument, type CsvValue } from "../../wire/csv";

// Money and hours keep 6 decimals: far below a cent, so sums of rows still match
// the fleet's cost to the cent.
const round6 = (value: number) => Math.round(value * 1e6) / 1e6;

function outputRow(row: AllocationRow, currency: string | null) {
  return {
    name: row.name,
    properties: row.properties,
    start: new Date(row.startMs).toISOString(),
    end: new Date(row.endMs).toISOString(),
    gpuHours: round6(row.gpuHours),
    activeGpuHours: round6(row.activeGpuHours),
    gpuCost: round6(row.gpuCost),
    idleCost: round6(row.idleCost),
    totalCost: round6(row.totalCost),
    efficiency: row.efficiency === null ? null : round6(row.efficiency),
    wasteCost: round6(row.wasteCost),
    currency,
    splitGpuHours: {
      sole: round6(row.splitGpuHours.sole),
      utilization: round6(row.splitGpuHours.utilization),
      memory: round6(row.splitGpuHours.memory),
      even: round6(row.splitGpuHours.even),
    },
  };
}

export type AllocationOutputRow = ReturnType<typeof outputRow>;

export function allocationJson(result: AllocationResponse, query: AllocationQuery) {
  return {
    window: { start: new Date(result.window.startMs).toISOString(), end: new Date(result.window.endMs).toISOString() },
    aggregate: query.aggregate,
    basis: query.basis,
    shareIdle: query.shareIdle,
    idleBy: query.idleBy,
    step: query.stepMs === null ? null : query.stepMs === 3_600_000 ? "1h" : "1d",
    currency: result.currency,
    fleetCost: round6(result.fleetCost),
    fleetGpuHours: round6(result.fleetGpuHours),
    unpricedGpuModels: result.unpricedGpuModels,
    rows: result.rows.map((row) => outputRow(row, result.currency)),
    totals: outputRow(result.totals, result.currency),
  };
}

export type AllocationJson = ReturnType<typeof allocationJson>;

/** CSV: one line per row (the aggregate keys as columns), then the totals line. */
export function allocationCsv(json: AllocationJson): string {
  const header = ["name", ...json.aggregate, "start", "end", "gpuHours", "activeGpuHours", "gpuCost", "idleCost", "totalCost", "efficiency", "wasteCost", "currency"];
  const line = (row: AllocationOutputRow): CsvValue[] => [
    row.name,
    ...json.aggregate.map((key) => row.properties[key] ?? ""),
    row.start,
    row.end,
    row.gpuHours,
    row.activeGpuHours,
    row.gpuCost,
    row.idleCost,
    row.totalCost,
    row.efficiency,
    row.wasteCost,
    row.currency,
  ];
  return csvDocument(header, [...json.rows.map(line), line(json.totals)]);
}
