/**
 * The fleet plan: one capacity-aware answer for the whole fleet, as a sequence
 * of steps each in its own file:
 *   1. validate-plan-input.ts  the input, field by field
 *   2. shape-options.ts        each workload's candidate shapes
 *   3. assign-shapes.ts        one shape per workload, hourly pool capacity (MILP, glpk.js)
 *   4-6. plan-pools.ts         batch hours (schedule-batch.ts), placement (pack-per-pool.ts), repair
 *   7. lower-bound.ts          LP relaxation bound and gap
 *   8. build-actions.ts        actions and their shares (attribute-savings.ts)
 *   9. summarize-plan.ts       assignments, pools, hourly series
 * Pure but for the solver worker: no I/O, no clock but the time limit.
 */
import type { LinearModel, SolveOptions, SolveResult } from "../linear-model.ts";
import { solveInWorker } from "../solve-in-worker.ts";
import { assignShapes } from "./assign-shapes.ts";
import { totalSaving } from "./attribute-savings.ts";
import { buildActions } from "./build-actions.ts";
import { buildFleetPools, nodesCostPerWeek } from "./fleet-pools.ts";
import { lowerBound } from "./lower-bound.ts";
import { buildCandidates, capacityByHour } from "./plan-candidates.ts";
import { planPools } from "./plan-pools.ts";
import { summarizeAssignments, summarizeHourly, summarizeModels } from "./summarize-plan.ts";
import type { FleetPlan, PlanInput } from "./types.ts";
import { resolvePlanOptions, validatePlanInput } from "./validate-plan-input.ts";

export interface PlanFleetDependencies {
  /** How linear models are solved (default: glpk.js in a worker thread). */
  solve?: (model: LinearModel, options: SolveOptions) => Promise<SolveResult>;
}

/** Share of the time limit the shape model may use; the bound gets part of what is left. */
const ASSIGN_SHARE = 0.5;
const BOUND_SHARE = 0.5;

export async function planFleet(input: PlanInput, dependencies: PlanFleetDependencies = {}): Promise<FleetPlan> {
  const started = performance.now();
  const solve = dependencies.solve ?? solveInWorker;
  const phases: FleetPlan["phases"] = [];
  const messages: string[] = [];
  const phase = async <T>(name: string, work: () => T | Promise<T>): Promise<T> => {
    const at = performance.now();
    const value = await work();
    phases.push({ name, seconds: (performance.now() - at) / 1000, ran: true });
    return value;
  };
  const elapsedMs = () => performance.now() - started;

  await phase("validate", () => validatePlanInput(input));
  const options = resolvePlanOptions(input.options);
  const fleet = buildFleetPools(input);
  const candidates = await phase("shape-options", () => buildCandidates(input, fleet, options));
  const problem = { candidates, pools: fleet.pools, loads: candidates.map((c) => c.shapes.map((s) => capacityByHour(s, c.activeShare))) };
  const assignment = await phase("assign-shapes", () => assignShapes(problem, { timeLimitMs: options.timeLimitMs * ASSIGN_SHARE, solve }));
  if (assignment.message) messages.push(assignment.message);
  const chosen = [...assignment.chosen];
  const planned = await phase("schedule-and-pack", () => planPools(fleet.pools, candidates, chosen, options, messages));
  const leftMs = options.timeLimitMs - elapsedMs();
  const bound = leftMs > 0 ? await phase("bound", () => lowerBound(problem, assignment.hoursByPool, { timeLimitMs: leftMs * BOUND_SHARE, solve })) : null;
  if (!bound) phases.push({ name: "bound", seconds: 0, ran: false });
  const { actions, savings } = await phase("actions", () => buildActions(candidates, planned.workloads, planned.pools, options));
  const models = summarizeModels(candidates, planned.workloads, planned.pools);
  const today = nodesCostPerWeek([...fleet.pools.values()].flatMap((p) => p.nodes));
  const plan = nodesCostPerWeek([...planned.pools.values()].flatMap((p) => p.keptNodes));
  const boundCost = bound?.costPerWeek ?? 0;
  const gapPct = plan > 0 ? ((plan - boundCost) / plan) * 100 : null;
  const total = totalSaving(savings);
  const todayKept = assignment.status === "failed" || [...planned.pools.values()].some((p) => p.todayPlacement);
  const timedOut = assignment.status === "time-limit" || elapsedMs() > options.timeLimitMs;
  return {
    status: timedOut ? "time-limit" : todayKept ? "today-kept" : gapPct !== null && gapPct <= 1e-6 ? "optimal" : "feasible",
    currency: input.prices[0]?.currency ?? null,
    costPerWeek: { today, plan },
    bound: { ...(bound ?? { costPerWeek: 0, method: "none (no time left)", converged: false }), gapPct },
    saving: { cashPerMonth: total.cashSavingPerMonth, capacityFreedGpuHoursPerMonth: total.capacityFreedGpuHoursPerMonth, rentEquivalentPerMonth: total.rentEquivalentPerMonth },
    models,
    assignments: summarizeAssignments(candidates, planned.workloads),
    actions,
    hourly: summarizeHourly(models),
    phases,
    seconds: elapsedMs() / 1000,
    messages,
  };
}
