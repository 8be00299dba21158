import { describe, expect, it } from "vitest";
import { solve } from "../../../solver/glpk.ts";
import { planFleet } from "../../../solver/plan/plan-fleet.ts";
import { HOURS_PER_MONTH } from "../../../solver/calendar.ts";
import { allWeek, cents, node, planInput, price, workload } from "./plan-fixtures.ts";

const inThread = { solve };

describe("planFleet", () => {
  it("right-sizes two half-idle jobs onto one node and drains the other (rented: cash)", async () => {
    //  a100-1 [job-a x8]   a100-2 [job-b x8]   each job busy 2.4 GPUs at p95 -> 3 GPUs
    const input = planInput(
      [node("a100-1", "A100", 8), node("a100-2", "A100", 8)],
      [
        workload("job-a", "A100", 8, [{ node: "a100-1", gpuIndexes: [0, 1, 2, 3, 4, 5, 6, 7] }], { busyGpusP95: 2.4 }),
        workload("job-b", "A100", 8, [{ node: "a100-2", gpuIndexes: [0, 1, 2, 3, 4, 5, 6, 7] }], { busyGpusP95: 2.4 }),
      ],
      [price("A100", 2)],
    );
    const plan = await planFleet(input, inThread);
    expect(plan.costPerWeek.today).toBe(16 * 2 * 168);
    expect(plan.costPerWeek.plan).toBe(8 * 2 * 168);
    expect(plan.assignments.map((a) => a.to.gpuCount)).toEqual([3, 3]);
    expect(new Set(plan.assignments.map((a) => a.placement[0].node)).size).toBe(1);
    expect(plan.saving.cashPerMonth).toBe(8 * 2 * HOURS_PER_MONTH);
    expect(plan.saving.capacityFreedGpuHoursPerMonth).toBe(0);
    expect(cents(plan.actions.reduce((s, a) => s + a.cashSavingPerMonth, 0))).toBe(cents(plan.saving.cashPerMonth));
    expect(plan.bound.costPerWeek).toBeLessThanOrEqual(plan.costPerWeek.plan + 1e-6);
    expect(plan.bound.converged).toBe(true);
  });

  it("moves only as many jobs to the faster model as it has free GPUs in every hour (capacity-bound)", async () => {
    //  h100-1 [inference x5 | 3 free]   a100-1..10 [job-i x1]; measured: H100 does twice the work of an A100
    const a100 = Array.from({ length: 10 }, (_, i) => node(`a100-${i}`, "A100", 1));
    const jobs = a100.map((n, i) =>
      workload(`job-${i}`, "A100", 1, [{ node: n.hostname, gpuIndexes: [0] }], {
        busyGpusP95: 0.8,
        memoryPerGpuP99MiB: 70_000,
        throughput: [
          { gpuModel: "A100", workPerGpuHour: 100, unit: "samples" },
          { gpuModel: "H100", workPerGpuHour: 200, unit: "samples" },
        ],
      }),
    );
    const inference = workload("chat", "H100", 5, [{ node: "h100-1", gpuIndexes: [0, 1, 2, 3, 4] }], { kind: "latency-sensitive", memoryPerGpuP99MiB: 70_000 });
    const plan = await planFleet(planInput([node("h100-1", "H100", 8), ...a100], [inference, ...jobs], [price("A100", 2), price("H100", 3)]), inThread);
    const moved = plan.assignments.filter((a) => a.to.gpuModel === "H100" && a.from.gpuModel === "A100");
    expect(moved).toHaveLength(3);
    expect(moved.every((a) => a.throughput === "measured")).toBe(true);
    expect(plan.costPerWeek.plan).toBe(8 * 3 * 168 + 7 * 2 * 168);
    expect(plan.saving.cashPerMonth).toBe(3 * 2 * HOURS_PER_MONTH);
    for (let t = 0; t < 168; t++) expect(plan.models.find((m) => m.gpuModel === "H100")!.heldByHourPlan[t]).toBeLessThanOrEqual(8);
  });
});
