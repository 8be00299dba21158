import { describe, expect, it } from "vitest";
import { solve } from "../../../solver/glpk.ts";
import { planFleet } from "../../../solver/plan/plan-fleet.ts";
import { HOURS_PER_MONTH } from "../../../solver/calendar.ts";
import { cents, node, planInput, price, workload } from "./plan-fixtures.ts";

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

describe("planFleet with batch windows and owned GPUs", () => {
  const daytime = (gpus: number, days = 7) => Array.from({ length: 168 }, (_, t) => (t < days * 24 && t % 24 >= 8 && t % 24 < 20 ? gpus : 0));

  it("moves batch work to the night hours of an inference node inside its window and drains the batch node", async () => {
    //  node-1 [chat x4, 08:00-20:00 every day]   node-2 [train x4, 08:00-20:00 Mon-Fri; window: the whole week]
    const input = planInput(
      [node("node-1", "A100", 4), node("node-2", "A100", 4)],
      [
        workload("chat", "A100", 4, [{ node: "node-1", gpuIndexes: [0, 1, 2, 3] }], { kind: "latency-sensitive", heldGpusByHourOfWeek: daytime(4) }),
        workload("train", "A100", 4, [{ node: "node-2", gpuIndexes: [0, 1, 2, 3] }], { heldGpusByHourOfWeek: daytime(4, 5), releaseSlot: 0, deadlineSlot: 168 }),
      ],
      [price("A100", 2)],
    );
    const plan = await planFleet(input, inThread);
    const [chat, train] = plan.assignments;
    expect(chat.gpusByHourOfWeek).toEqual(daytime(4));
    expect(train.gpusByHourOfWeek.filter((v) => v > 0)).toHaveLength(60);
    train.gpusByHourOfWeek.forEach((v, t) => expect(v > 0 && chat.gpusByHourOfWeek[t] > 0).toBe(false));
    expect(train.placement[0].node).toBe("node-1");
    expect(plan.actions.map((a) => a.kind).sort()).toEqual(["pack", "schedule"]);
    expect(plan.saving.cashPerMonth).toBe(4 * 2 * HOURS_PER_MONTH);
    expect(cents(plan.actions.reduce((s, a) => s + a.cashSavingPerMonth, 0))).toBe(cents(plan.saving.cashPerMonth));
  });

  it("keeps batch work in today's hours when its window leaves no other room", async () => {
    const input = planInput(
      [node("node-1", "A100", 4), node("node-2", "A100", 4)],
      [
        workload("chat", "A100", 4, [{ node: "node-1", gpuIndexes: [0, 1, 2, 3] }], { kind: "latency-sensitive", heldGpusByHourOfWeek: daytime(4) }),
        workload("train", "A100", 4, [{ node: "node-2", gpuIndexes: [0, 1, 2, 3] }], { heldGpusByHourOfWeek: daytime(4, 1), releaseSlot: 8, deadlineSlot: 20 }),
      ],
      [price("A100", 2)],
    );
    const plan = await planFleet(input, inThread);
    expect(plan.assignments[1].gpusByHourOfWeek).toEqual(daytime(4, 1));
    expect(plan.costPerWeek.plan).toBe(plan.costPerWeek.today);
    expect(plan.saving.cashPerMonth).toBe(0);
  });

  it("reports owned GPUs freed as capacity with their rent equivalent, and rented ones as cash, apart", async () => {
    //  a100-1, a100-2: rented (2/h), each one idle-ish job;  h100-1, h100-2: owned (3/h, on-demand 5/h), each one idle-ish job
    const job = (id: string, model: string, host: string) => workload(id, model, 4, [{ node: host, gpuIndexes: [0, 1, 2, 3] }], { busyGpusP95: 1.2 });
    const input = planInput(
      [node("a100-1", "A100", 4), node("a100-2", "A100", 4), node("h100-1", "H100", 4, { source: "on-prem-tco" }), node("h100-2", "H100", 4, { source: "on-prem-tco" })],
      [job("a", "A100", "a100-1"), job("b", "A100", "a100-2"), job("c", "H100", "h100-1"), job("d", "H100", "h100-2")],
      [price("A100", 2), price("H100", 3, "on-prem-tco"), price("H100", 5, "cloud-on-demand")],
    );
    const plan = await planFleet(input, inThread);
    expect(plan.saving.cashPerMonth).toBe(4 * 2 * HOURS_PER_MONTH);
    expect(plan.saving.capacityFreedGpuHoursPerMonth).toBe(4 * HOURS_PER_MONTH);
    expect(plan.saving.rentEquivalentPerMonth).toBe(4 * 5 * HOURS_PER_MONTH);
    const h100Actions = plan.actions.filter((a) => a.gpuModel === "H100");
    expect(h100Actions.every((a) => a.cashSavingPerMonth === 0)).toBe(true);
    expect(cents(plan.actions.reduce((s, a) => s + a.capacityFreedGpuHoursPerMonth, 0))).toBe(cents(plan.saving.capacityFreedGpuHoursPerMonth));
  });

  it("leaves excluded workloads and nodes as they are", async () => {
    const input = planInput(
      [node("a100-1", "A100", 8), node("a100-2", "A100", 8)],
      [
        workload("job-a", "A100", 8, [{ node: "a100-1", gpuIndexes: [0, 1, 2, 3, 4, 5, 6, 7] }], { busyGpusP95: 2.4 }),
        workload("job-b", "A100", 8, [{ node: "a100-2", gpuIndexes: [0, 1, 2, 3, 4, 5, 6, 7] }], { busyGpusP95: 2.4 }),
      ],
      [price("A100", 2)],
      { exclude: { workloads: ["c1/job-a"], nodes: ["c1/a100-2"] } },
    );
    const plan = await planFleet(input, inThread);
    expect(plan.assignments.map((a) => a.to.gpuCount)).toEqual([8, 8]);
    expect(plan.costPerWeek.plan).toBe(plan.costPerWeek.today);
  });
});
