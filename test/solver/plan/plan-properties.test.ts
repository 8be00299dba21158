import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { solve } from "../../../solver/glpk.ts";
import { planFleet } from "../../../solver/plan/plan-fleet.ts";
import { planProblems } from "./plan-checker.ts";
import { fleetArbitrary } from "./plan-arbitraries.ts";
import { node, planInput, price, workload } from "./plan-fixtures.ts";

describe("planFleet", () => {
  it("never exceeds a pool's capacity or a GPU's co-location rules in any hour, keeps latency-sensitive hours, keeps batch in its window, and its shares add up", async () => {
    await fc.assert(
      fc.asyncProperty(fleetArbitrary, async (input) => {
        const plan = await planFleet(input, { solve });
        expect(planProblems(input, plan)).toEqual([]);
      }),
      { numRuns: 40, seed: 12 },
    );
  });
});

describe("planProblems", () => {
  it("finds a GPU overloaded, a pool over its kept GPUs and shares that do not add up", async () => {
    const input = planInput(
      [node("n0", "A100", 2)],
      [workload("w0", "A100", 1, [{ node: "n0", gpuIndexes: [0] }]), workload("w1", "A100", 1, [{ node: "n0", gpuIndexes: [1] }])],
      [price("A100", 2)],
    );
    const plan = await planFleet(input, { solve });
    const busy = plan.assignments[0];
    const broken = {
      ...plan,
      assignments: [...plan.assignments, busy],
      models: plan.models.map((m) => ({ ...m, gpusKept: 0 })),
      saving: { ...plan.saving, cashPerMonth: plan.saving.cashPerMonth + 0.01 },
    };
    const problems = planProblems(input, broken);
    expect(problems.some((p) => /gpuMilli over|workloads$/.test(p))).toBe(true);
    expect(problems.some((p) => /GPUs held, 0 kept/.test(p))).toBe(true);
    expect(problems).toContain("action cash shares do not sum to the total");
  });
});
