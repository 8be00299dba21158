import { describe, expect, it } from "vitest";
import { solve } from "../../solver/glpk.ts";
import type { LinearModel } from "../../solver/linear-model.ts";
import { planTidal, SLOTS_PER_WEEK, type BatchJob } from "../../solver/tidal/plan.ts";

/** Inference needs 10 GPUs from 08:00 to 22:00 and 2 at night. */
const dayNight = Array.from({ length: SLOTS_PER_WEEK }, (_, t) => (t % 24 >= 8 && t % 24 < 22 ? 10 : 2));

describe("planTidal", () => {
  it("runs batch work in the night trough without raising the peak", () => {
    const jobs: BatchJob[] = [{ id: "train", queue: "research", gpuHours: 8 * 10 * 7, maxParallelGpus: 8, releaseSlot: 0, deadlineSlot: SLOTS_PER_WEEK }];
    const plan = planTidal(dayNight, jobs);
    expect(plan.peakGpus).toBe(10);
    expect(plan.perJob[0].unfinishedGpuHours).toBeCloseTo(0, 6);
    expect(plan.baselines.reserveInferencePeak).toBe(18);
    expect(plan.gpusSavedAtPeak.vsReservePeak).toBe(8);
    expect(plan.utilization.afterPct).toBeGreaterThan(plan.utilization.beforePct);
    expect(plan.guidance[0]).toBe("run queue research between 22:00 and 08:00 with up to 8 GPUs");
    for (const h of plan.hourly) expect(h.inferenceGpus + h.batchGpus).toBeLessThanOrEqual(10 + 1e-9);
  });

  it("reports work that cannot finish inside its window as unfinished", () => {
    const plan = planTidal(dayNight, [{ id: "late", queue: "q", gpuHours: 100, maxParallelGpus: 2, releaseSlot: 0, deadlineSlot: 10 }]);
    expect(plan.perJob[0].unfinishedGpuHours).toBeCloseTo(80, 6);
  });

  it("plans 500 jobs over 168 slots quickly", () => {
    let seed = 3;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const jobs: BatchJob[] = Array.from({ length: 500 }, (_, i) => {
      const release = Math.floor(random() * 120);
      return { id: `j${i}`, queue: `q${i % 5}`, gpuHours: 4 + Math.floor(random() * 60), maxParallelGpus: 1 + Math.floor(random() * 8), releaseSlot: release, deadlineSlot: Math.min(168, release + 24 + Math.floor(random() * 48)) };
    });
    const plan = planTidal(dayNight.map((v) => v * 20), jobs);
    expect(plan.seconds).toBeLessThan(10);
    expect(plan.peakGpus).toBeLessThanOrEqual(plan.baselines.reserveInferencePeak);
  });

  it("rejects a demand curve without 168 slots", () => {
    expect(() => planTidal([1, 2, 3], [])).toThrow(/168 hourly slots/);
  });

  it("refuses a job window that starts or ends inside an hour instead of leaving the job unscheduled", () => {
    const job = { id: "half", queue: "q", gpuHours: 100, maxParallelGpus: 4, releaseSlot: 2, deadlineSlot: 30 };
    const curve = new Array(SLOTS_PER_WEEK).fill(1);
    expect(() => planTidal(curve, [{ ...job, releaseSlot: 2.5 }])).toThrow("job half: releaseSlot must be a whole hourly slot 0..167, got 2.5");
    expect(() => planTidal(curve, [{ ...job, deadlineSlot: 30.5 }])).toThrow("job half: deadlineSlot must be a whole hourly slot 1..168 (exclusive), got 30.5");
    expect(() => planTidal(curve, [{ ...job, deadlineSlot: 200 }])).toThrow(/deadlineSlot must be a whole hourly slot 1..168/);
    expect(planTidal(curve, [job]).perJob[0].scheduledGpuHours).toBe(100);
  });
});

/** Flat 2 inference GPUs; a batch GPU-hour costs 10 except 1 in slot 5 and 2 in slot 6. */
const flat = new Array(SLOTS_PER_WEEK).fill(2);
const twoCheapHours = Array.from({ length: SLOTS_PER_WEEK }, (_, t) => (t === 5 ? 1 : t === 6 ? 2 : 10));

/** The same plan as an LP (min sum price x, peak fixed, all work done), for glpk to check the greedy against. */
function timeOfUseLp(inference: readonly number[], jobs: readonly BatchJob[], prices: readonly number[], peak: number, workDone: number): LinearModel {
  const variables = jobs.flatMap((job, j) => Array.from({ length: job.deadlineSlot - job.releaseSlot }, (_, k) => ({ j, t: job.releaseSlot + k, name: `x_${j}_${job.releaseSlot + k}` })));
  return {
    name: "time-of-use",
    direction: "minimize",
    objective: variables.map((v) => ({ name: v.name, coef: prices[v.t] })),
    constraints: [
      ...jobs.map((job, j) => ({ name: `job_${j}`, terms: variables.filter((v) => v.j === j).map((v) => ({ name: v.name, coef: 1 })), upper: job.gpuHours })),
      ...inference.map((gpus, t) => ({ name: `slot_${t}`, terms: variables.filter((v) => v.t === t).map((v) => ({ name: v.name, coef: 1 })), upper: peak - gpus })).filter((row) => row.terms.length > 0),
      { name: "all_work", terms: variables.map((v) => ({ name: v.name, coef: 1 })), lower: workDone - 1e-6 },
    ],
    bounds: variables.map((v) => ({ name: v.name, lower: 0, upper: jobs[v.j].maxParallelGpus })),
  };
}

describe("planTidal with time-of-use prices", () => {
  it("fills the cheapest hours first when the fleet's capacity is the limit", () => {
    const plan = planTidal(flat, [{ id: "train", queue: "research", gpuHours: 8, maxParallelGpus: 4, releaseSlot: 0, deadlineSlot: SLOTS_PER_WEEK }], {
      objective: "cost",
      capacityGpus: 6,
      pricePerGpuHourBySlot: twoCheapHours,
    });
    expect(plan.peakGpus).toBe(6);
    expect(plan.hourly[5].batchGpus).toBeCloseTo(4, 9);
    expect(plan.hourly[6].batchGpus).toBeCloseTo(4, 9);
    // 4 x 1 + 4 x 2; as soon as released it would run in slots 0 and 1 at 10 each.
    expect(plan.timeOfUse).toEqual({ plannedBatchCost: 12, asSoonAsPossibleBatchCost: 80, saving: 68 });
    expect(plan.perJob[0].unfinishedGpuHours).toBeCloseTo(0, 9);
  });

  it("keeps the minimal peak and then picks the cheapest hours under it", () => {
    // Peak objective: one batch GPU on top of the flat 2 (peak 3) for 8 hours;
    // prices pick slots 5 and 6 and then six hours at 10.
    const plan = planTidal(flat, [{ id: "train", queue: "q", gpuHours: 8, maxParallelGpus: 2, releaseSlot: 0, deadlineSlot: SLOTS_PER_WEEK }], { pricePerGpuHourBySlot: twoCheapHours });
    const unpriced = planTidal(flat, [{ id: "train", queue: "q", gpuHours: 8, maxParallelGpus: 2, releaseSlot: 0, deadlineSlot: SLOTS_PER_WEEK }]);
    expect(plan.peakGpus).toBe(unpriced.peakGpus);
    const used = plan.hourly.filter((h) => h.batchGpus > 1e-9).map((h) => h.slot);
    expect(used).toContain(5);
    expect(used).toContain(6);
    expect(plan.peakGpus).toBe(3);
    expect(plan.timeOfUse!.plannedBatchCost).toBeCloseTo(1 * 1 + 1 * 2 + 6 * 10, 9);
    expect(plan.timeOfUse!.saving).toBeGreaterThanOrEqual(0);
  });

  it("matches the linear program's optimal cost on random instances", async () => {
    let seed = 11;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let instance = 0; instance < 3; instance++) {
      const inference = Array.from({ length: SLOTS_PER_WEEK }, (_, t) => (t % 24 >= 9 && t % 24 < 21 ? 6 : 2) + Math.floor(random() * 2));
      const prices = Array.from({ length: SLOTS_PER_WEEK }, () => 1 + Math.floor(random() * 9));
      const jobs: BatchJob[] = Array.from({ length: 12 }, (_, i) => {
        const release = Math.floor(random() * 140);
        return { id: `j${i}`, queue: `q${i % 3}`, gpuHours: 3 + Math.floor(random() * 30), maxParallelGpus: 1 + Math.floor(random() * 4), releaseSlot: release, deadlineSlot: Math.min(SLOTS_PER_WEEK, release + 6 + Math.floor(random() * 30)) };
      });
      const plan = planTidal(inference, jobs, { objective: "cost", capacityGpus: 9, pricePerGpuHourBySlot: prices });
      const workDone = plan.perJob.reduce((s, j) => s + j.scheduledGpuHours, 0);
      const lp = await solve(timeOfUseLp(inference, jobs, prices, 9, workDone), { timeLimitMs: 20_000 });
      expect(lp.status).toBe("optimal");
      expect(plan.timeOfUse!.plannedBatchCost).toBeCloseTo(lp.objective, 3);
      for (const h of plan.hourly) expect(h.inferenceGpus + h.batchGpus).toBeLessThanOrEqual(9 + 1e-9);
    }
  });

  it("states what the cost objective is missing", () => {
    expect(() => planTidal(flat, [], { objective: "cost", capacityGpus: 4 })).toThrow(/needs time-of-use prices/);
    expect(() => planTidal(flat, [], { objective: "cost", pricePerGpuHourBySlot: twoCheapHours })).toThrow(/needs capacityGpus/);
    expect(() => planTidal(flat, [], { objective: "cost", capacityGpus: 1, pricePerGpuHourBySlot: twoCheapHours })).toThrow(/below the inference peak of 2/);
    expect(() => planTidal(flat, [], { pricePerGpuHourBySlot: [1, 2] })).toThrow(/prices need 168 hourly slots, got 2/);
  });
});
