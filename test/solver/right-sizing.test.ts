import { describe, expect, it } from "vitest";
import { DEFAULT_RIGHT_SIZING_OPTIONS, recommendRightSizing, type GpuOffer, type JobUsageProfile } from "../../solver/right-sizing";

const H100: GpuOffer = {
  gpuModel: "H100",
  memoryMiB: 81_559,
  costPerGpuHour: 4,
  migSlices: [
    { profile: "1g.10gb", computeFraction: 1 / 7, memoryMiB: 9_856 },
    { profile: "3g.40gb", computeFraction: 3 / 7, memoryMiB: 40_192 },
  ],
};
const L4: GpuOffer = { gpuModel: "L4", memoryMiB: 22_528, costPerGpuHour: 0.8 };

function job(overrides: Partial<JobUsageProfile>): JobUsageProfile {
  return { jobId: "slurm-1", gpuModel: "H100", gpuCount: 4, heldHours: 140, lowEfficiencyShareOfRuntime: 0.9, busyGpusP95: 1.2, memoryPerGpuP99MiB: 60_000, ...overrides };
}

describe("recommendRightSizing", () => {
  it("recommends fewer GPUs of the same model when memory rules out smaller ones, with the monthly saving", () => {
    const [recommendation] = recommendRightSizing([job({})], [H100, L4]);
    // ceil(1.2 / 0.8) = 2 GPUs; 60,000 MiB x 1.1 needs an H100.
    expect(recommendation.change).toEqual({ kind: "fewer-gpus", gpuCount: 2 });
    expect(recommendation.currentCostPerHour).toBe(16);
    expect(recommendation.proposedCostPerHour).toBe(8);
    expect(recommendation.monthlySaving).toBeCloseTo(8 * 140 * (30 / 14), 9);
  });

  it("recommends a cheaper model when the job's memory fits it", () => {
    const [recommendation] = recommendRightSizing([job({ gpuCount: 2, busyGpusP95: 1.5, memoryPerGpuP99MiB: 16_000 })], [H100, L4]);
    expect(recommendation.change).toEqual({ kind: "smaller-model", gpuModel: "L4", gpuCount: 2 });
  });

  it("recommends a MIG slice for a job using a fraction of one GPU", () => {
    const [recommendation] = recommendRightSizing([job({ gpuCount: 1, busyGpusP95: 0.2, memoryPerGpuP99MiB: 30_000 })], [H100]);
    expect(recommendation.change).toEqual({ kind: "mig-slice", gpuModel: "H100", profile: "3g.40gb" });
    expect(recommendation.proposedCostPerHour).toBeCloseTo(4 * (3 / 7), 9);
  });

  it("leaves out savings below the monthly minimum", () => {
    const brief = job({ heldHours: 0.05 }); // 8 x 0.05 x 30/14 = 0.86 a month
    expect(recommendRightSizing([brief], [H100, L4])).toEqual([]);
    expect(recommendRightSizing([brief], [H100, L4], { ...DEFAULT_RIGHT_SIZING_OPTIONS, minMonthlySaving: 0 })).toHaveLength(1);
  });

  it("leaves efficient jobs, unpriced models, and jobs with no cheaper shape alone", () => {
    expect(recommendRightSizing([job({ lowEfficiencyShareOfRuntime: 0.2 })], [H100])).toEqual([]);
    expect(recommendRightSizing([job({ gpuModel: "B200" })], [H100])).toEqual([]);
    expect(recommendRightSizing([job({ gpuCount: 1, busyGpusP95: 0.9, memoryPerGpuP99MiB: 70_000 })], [H100])).toEqual([]);
  });
});
