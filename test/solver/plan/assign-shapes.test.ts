import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { solve } from "../../../solver/glpk.ts";
import { assignShapes, poolLoads, type CapacityProblem } from "../../../solver/plan/assign-shapes.ts";
import { buildFleetPools, type Pool } from "../../../solver/plan/fleet-pools.ts";
import { buildCandidates, capacityByHour } from "../../../solver/plan/plan-candidates.ts";
import { resolvePlanOptions } from "../../../solver/plan/validate-plan-input.ts";
import type { PlanInput } from "../../../solver/plan/types.ts";
import { fleetArbitrary } from "./plan-arbitraries.ts";

function problemOf(input: PlanInput): CapacityProblem {
  const options = resolvePlanOptions(input.options);
  const fleet = buildFleetPools(input);
  const candidates = buildCandidates(input, fleet, options);
  return { candidates, pools: fleet.pools, loads: candidates.map((c) => c.shapes.map((s) => capacityByHour(s, c.activeShare))) };
}

/** Cheapest set of a pool's nodes with at least `gpus` GPUs (every subset tried); Infinity when none. */
function cheapestNodes(pool: Pool, gpus: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let mask = 0; mask < 1 << pool.nodes.length; mask++) {
    let held = 0;
    let cost = 0;
    pool.nodes.forEach((n, i) => {
      if (mask & (1 << i)) {
        held += n.gpuCount;
        cost += n.gpuCount * n.costPerGpuHour * 168;
      }
    });
    if (held >= gpus - 1e-9) best = Math.min(best, cost);
  }
  return best;
}

function weeklyCost(problem: CapacityProblem, chosen: readonly number[]): number {
  let cost = 0;
  for (const [key, load] of poolLoads(problem, chosen)) cost += cheapestNodes(problem.pools.get(key)!, Math.max(0, ...load));
  return cost;
}

/** Every combination of shapes, the cheapest. */
function exhaustiveCost(problem: CapacityProblem): number {
  let best = Number.POSITIVE_INFINITY;
  const chosen = problem.candidates.map(() => 0);
  const visit = (w: number) => {
    if (w === chosen.length) {
      best = Math.min(best, weeklyCost(problem, chosen));
      return;
    }
    for (let s = 0; s < problem.candidates[w].shapes.length; s++) {
      chosen[w] = s;
      visit(w + 1);
    }
  };
  visit(0);
  return best;
}

describe("assignShapes", () => {
  it("finds the cheapest choice of shapes that an exhaustive search finds on small fleets", async () => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(fleetArbitrary, async (input) => {
        const problem = problemOf(input);
        const combinations = problem.candidates.reduce((n, c) => n * c.shapes.length, 1);
        fc.pre(combinations <= 5_000);
        const assignment = await assignShapes(problem, { timeLimitMs: 10_000, solve, mipGap: 0 });
        expect(assignment.status).toBe("optimal");
        expect(weeklyCost(problem, assignment.chosen)).toBeCloseTo(exhaustiveCost(problem), 6);
        compared += 1;
      }),
      { numRuns: 40, seed: 7 },
    );
    expect(compared).toBeGreaterThan(20);
  });

  it("adds hourly rows until no hour is overloaded", async () => {
    const [input] = fc.sample(fleetArbitrary, { numRuns: 1, seed: 5 });
    const problem = problemOf(input);
    const assignment = await assignShapes(problem, { timeLimitMs: 10_000, solve });
    for (const [key, load] of poolLoads(problem, assignment.chosen)) {
      for (const v of load) expect(v).toBeLessThanOrEqual(assignment.keptGpusByPool.get(key)! + 1e-6);
    }
  });
});
