import { describe, expect, it } from "vitest";
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
});
