/**
 * The monthly chargeback report: what each team's GPU use cost in a month, with
 * the fleet's idle cost shared to the teams by their allocated cost (weighted),
 * so the teams' totals plus the idle no team could take add up to the fleet's
 * cost. Pure: the service hands in the allocation engine's rows, unit costs and
 * budgets; this shapes the rows.
 *
 * Per team, for the month:
 *   gpuHours, activeGpuHours   held and busy GPU-hours of its jobs;
 *   allocatedCost              the cost of the GPU time its jobs held (what its budget counts);
 *   idleShareCost              its share of the fleet's idle cost (weighted by allocated cost);
 *   totalCost                  allocatedCost + idleShareCost (what it is charged);
 *   idleShare                  idleShareCost / totalCost;
 *   efficiency                 activeGpuHours / gpuHours;
 *   topExperiments             its TOP_EXPERIMENTS most expensive experiments (total cost);
 *   unitCosts                  cost per unit of work where its jobs count work;
 *   budget, budgetUsedPct      its monthly budget and allocatedCost / budget.
 */
import { IDLE_ROW_NAME, UNALLOCATED_VALUE, type AllocationRow } from "./allocation";

export const TOP_EXPERIMENTS = 3;

export interface ChargebackUnitCost {
  unit: string;
  /** The figure is per this many units (1,000,000 tokens or samples, 1,000 requests). */
  per: number;
  count: number;
  costPerUnits: number | null;
}

export interface ChargebackRow {
  /** The team; "__unallocated__" for jobs that name none. */
  team: string;
  gpuHours: number;
  activeGpuHours: number;
  efficiency: number | null;
  allocatedCost: number;
  idleShareCost: number;
  totalCost: number;
  idleShare: number | null;
  topExperiments: { experiment: string; totalCost: number }[];
  unitCosts: ChargebackUnitCost[];
  budgetAmount: number | null;
  budgetUsedPct: number | null;
}

export interface ChargebackReport {
  /** YYYY-MM */
  month: string;
  startMs: number;
  endMs: number;
  currency: string | null;
  rows: ChargebackRow[];
  /** Sums of the rows (team "__total__"). */
  totals: ChargebackRow;
  /** Idle in hours and places no job ran to share it with: kept apart. */
  unsharedIdleCost: number;
  /** totals.totalCost + unsharedIdleCost. */
  fleetCost: number;
  unpricedGpuModels: string[];
}

export interface ChargebackInput {
  month: string;
  startMs: number;
  endMs: number;
  currency: string | null;
  fleetCost: number;
  unpricedGpuModels: string[];
  /** Allocation aggregated by team, idle shared (weighted); may include an __idle__ row. */
  teamRows: readonly AllocationRow[];
  /** Allocation aggregated by team and experiment, idle shared the same way. */
  experimentRows: readonly AllocationRow[];
  unitCosts: readonly { team: string; unit: string; per: number; count: number; costPerUnits: number | null }[];
  /** Monthly team budgets. */
  teamBudgets: readonly { team: string; amount: number }[];
}

function emptyRow(team: string): ChargebackRow {
  return {
    team,
    gpuHours: 0,
    activeGpuHours: 0,
    efficiency: null,
    allocatedCost: 0,
    idleShareCost: 0,
    totalCost: 0,
    idleShare: null,
    topExperiments: [],
    unitCosts: [],
    budgetAmount: null,
    budgetUsedPct: null,
  };
}

/** Step 1: one row per team with its hours and costs. */
function teamRowsOf(rows: readonly AllocationRow[]): Map<string, ChargebackRow> {
  const byTeam = new Map<string, ChargebackRow>();
  for (const row of rows) {
    if (row.name === IDLE_ROW_NAME) continue;
    const team = row.properties.team ?? row.name;
    let target = byTeam.get(team);
    if (!target) byTeam.set(team, (target = emptyRow(team)));
    target.gpuHours += row.gpuHours;
    target.activeGpuHours += row.activeGpuHours;
    target.allocatedCost += row.gpuCost;
    target.idleShareCost += row.idleCost;
    target.totalCost += row.totalCost;
  }
  return byTeam;
}

/** Step 2: each team's most expensive experiments (jobs without one are left out of the list). */
function topExperimentsOf(rows: readonly AllocationRow[]): Map<string, { experiment: string; totalCost: number }[]> {
  const byTeam = new Map<string, Map<string, number>>();
  for (const row of rows) {
    if (row.name === IDLE_ROW_NAME || row.properties.experiment === UNALLOCATED_VALUE) continue;
    const team = row.properties.team;
    let experiments = byTeam.get(team);
    if (!experiments) byTeam.set(team, (experiments = new Map()));
    experiments.set(row.properties.experiment, (experiments.get(row.properties.experiment) ?? 0) + row.totalCost);
  }
  return new Map(
    [...byTeam].map(([team, experiments]) => [
      team,
      [...experiments]
        .map(([experiment, totalCost]) => ({ experiment, totalCost }))
        .sort((a, b) => b.totalCost - a.totalCost || a.experiment.localeCompare(b.experiment))
        .slice(0, TOP_EXPERIMENTS),
    ]),
  );
}

/** Steps 3 and 4: ratios, unit costs and budgets; then the totals row. */
export function buildChargeback(input: ChargebackInput): ChargebackReport {
  const byTeam = teamRowsOf(input.teamRows);
  const experiments = topExperimentsOf(input.experimentRows);
  const budgets = new Map(input.teamBudgets.map((budget) => [budget.team, budget.amount]));
  const rows = [...byTeam.values()].sort((a, b) => b.totalCost - a.totalCost || a.team.localeCompare(b.team));
  const totals = emptyRow("__total__");
  for (const row of rows) {
    row.efficiency = row.gpuHours > 0 ? Math.min(1, row.activeGpuHours / row.gpuHours) : null;
    row.idleShare = row.totalCost > 0 ? row.idleShareCost / row.totalCost : null;
    row.topExperiments = experiments.get(row.team) ?? [];
    row.unitCosts = input.unitCosts
      .filter((cost) => cost.team === row.team)
      .map(({ unit, per, count, costPerUnits }) => ({ unit, per, count, costPerUnits }))
      .sort((a, b) => a.unit.localeCompare(b.unit));
    const budget = budgets.get(row.team);
    row.budgetAmount = budget ?? null;
    row.budgetUsedPct = budget !== undefined && budget > 0 ? (row.allocatedCost / budget) * 100 : null;
    totals.gpuHours += row.gpuHours;
    totals.activeGpuHours += row.activeGpuHours;
    totals.allocatedCost += row.allocatedCost;
    totals.idleShareCost += row.idleShareCost;
    totals.totalCost += row.totalCost;
  }
  // A team with a budget and no use this month is still reported: its budget went unspent.
  for (const [team, amount] of budgets) {
    if (!byTeam.has(team)) rows.push({ ...emptyRow(team), budgetAmount: amount, budgetUsedPct: 0 });
  }
  totals.efficiency = totals.gpuHours > 0 ? Math.min(1, totals.activeGpuHours / totals.gpuHours) : null;
  totals.idleShare = totals.totalCost > 0 ? totals.idleShareCost / totals.totalCost : null;
  const unsharedIdleCost = input.teamRows.filter((row) => row.name === IDLE_ROW_NAME).reduce((sum, row) => sum + row.totalCost, 0);
  return {
    month: input.month,
    startMs: input.startMs,
    endMs: input.endMs,
    currency: input.currency,
    rows,
    totals,
    unsharedIdleCost,
    fleetCost: input.fleetCost,
    unpricedGpuModels: input.unpricedGpuModels,
  };
}
