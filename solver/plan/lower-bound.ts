/**
 * Step 7 of the fleet plan: a lower bound on the weekly cost of any plan built
 * from the same shapes, by the LP relaxation of the capacity model
 * (assign-shapes.ts) with every rule relaxed that a real plan must obey:
 * shapes may be mixed fractionally, nodes kept fractionally, a GPU fraction
 * takes only its gpuMilli of a GPU (no headroom, no pairing limit), batch work
 * counts only in its pool's weekly GPU-hours (it may move to any hour), and
 * latency-sensitive and pinned work in the hourly rows the shape model used.
 * Fewer rows and looser rows only lower the optimum, so the LP's optimum is a
 * bound on the plan's cost.
 */
import type { LinearModel, SolveOptions, SolveResult } from "../linear-model.ts";
import { capacityModel, solveUnlessEmpty, type CapacityProblem } from "./assign-shapes.ts";
import { gpusHeldByHour, type PlanCandidate } from "./plan-candidates.ts";
import type { FleetPlan } from "./types.ts";
import { HOURS_PER_WEEK } from "./types.ts";

export const BOUND_METHOD = "lp-relaxation (shapes and nodes fractional; batch by weekly GPU-hours; latency-sensitive by hour)";

/** Each shape's load in the relaxation: the GPUs it holds (a fraction its gpuMilli) in each of its hours. */
export function relaxedLoads(candidates: readonly PlanCandidate[]): number[][][] {
  return candidates.map((candidate) => candidate.shapes.map((shape) => gpusHeldByHour(shape, candidate.activeShare)));
}

export async function lowerBound(
  problem: Omit<CapacityProblem, "loads">,
  hoursByPool: ReadonlyMap<string, readonly number[]>,
  options: { timeLimitMs: number; solve: (model: LinearModel, options: SolveOptions) => Promise<SolveResult> },
): Promise<Omit<FleetPlan["bound"], "gapPct">> {
  const pinnedCostPerWeek = [...problem.pools.values()].reduce((sum, pool) => sum + pool.nodes.reduce((s, n) => s + (n.pinned ? n.gpuCount * n.costPerGpuHour * HOURS_PER_WEEK : 0), 0), 0);
  const trivial = { costPerWeek: pinnedCostPerWeek, method: "pinned nodes only (the relaxation did not finish)", converged: false };
  if (options.timeLimitMs <= 0) return trivial;
  const model = capacityModel(
    { ...problem, loads: relaxedLoads(problem.candidates) },
    { hoursByPool, inHourlyRows: (candidate) => !candidate.movableInTime, volumeRows: true, integral: false, changePenaltyPerWeek: 0 },
  );
  const result = await solveUnlessEmpty(model, { timeLimitMs: options.timeLimitMs }, options.solve);
  if (result.status !== "optimal") return trivial;
  // The objective counts unpinned nodes only; pinned ones are kept in every plan.
  return { costPerWeek: result.objective + pinnedCostPerWeek, method: BOUND_METHOD, converged: true };
}
