/** The unit-cost result as the API shows it: RFC 3339 times, rounded figures, JSON or CSV. */
import type { UnitCostRow } from "../../domain/unit-costs";
import type { UnitCostQuery, UnitCostResponse } from "../../services/unit-cost-service";
import { csvDocument, type CsvValue } from "../../wire/csv";

// Money, hours and counts keep 6 decimals, as allocation: sums still match to the cent.
const round6 = (value: number) => Math.round(value * 1e6) / 1e6;
const round6OrNull = (value: number | null) => (value === null ? null : round6(value));

function outputRow(row: UnitCostRow, currency: string | null) {
  return {
    name: row.name,
    properties: row.properties,
    unit: row.unit,
    per: row.per,
    start: new Date(row.startMs).toISOString(),
    end: new Date(row.endMs).toISOString(),
    count: round6(row.count),
    gpuHours: round6(row.gpuHours),
    cost: round6(row.cost),
    groupCost: round6(row.groupCost),
    costPerUnits: round6OrNull(row.costPerUnits),
    workPerGpuHour: round6OrNull(row.workPerGpuHour),
    jobs: row.jobs,
    currency,
  };
}

export type UnitCostOutputRow = ReturnType<typeof outputRow>;

export function unitCostJson(result: UnitCostResponse, query: UnitCostQuery) {
  return {
    window: { start: new Date(result.window.startMs).toISOString(), end: new Date(result.window.endMs).toISOString() },
    aggregate: query.aggregate,
    units: query.units,
    basis: "allocation" as const,
    shareIdle: query.shareIdle,
    idleBy: query.idleBy,
    step: query.stepMs === null ? null : query.stepMs === 3_600_000 ? "1h" : "1d",
    currency: result.currency,
    fleetCost: round6(result.fleetCost),
    allocatedCost: round6(result.allocatedCost),
    idleCost: round6(result.idleCost),
    unpricedGpuModels: result.unpricedGpuModels,
    unattributedWork: result.unattributedWork.map(({ unit, count }) => ({ unit, count: round6(count) })),
    rows: result.rows.map((row) => outputRow(row, result.currency)),
    totals: result.totals.map((row) => outputRow(row, result.currency)),
  };
}

export type UnitCostJson = ReturnType<typeof unitCostJson>;

/** CSV: one line per row (the aggregate keys as columns), then one totals line per unit. */
export function unitCostCsv(json: UnitCostJson): string {
  const header = ["name", ...json.aggregate, "unit", "per", "start", "end", "count", "gpuHours", "cost", "groupCost", "costPerUnits", "workPerGpuHour", "jobs", "currency"];
  const line = (row: UnitCostOutputRow): CsvValue[] => [
    row.name,
    ...json.aggregate.map((key) => row.properties[key] ?? ""),
    row.unit,
    row.per,
    row.start,
    row.end,
    row.count,
    row.gpuHours,
    row.cost,
    row.groupCost,
    row.costPerUnits,
    row.workPerGpuHour,
    row.jobs,
    row.currency,
  ];
  return csvDocument(header, [...json.rows.map(line), ...json.totals.map(line)]);
}
