import { describe, expect, it } from "vitest";
import { bestOffPeakStart, estimateExperiment, EstimateError, type HistoricalRun } from "../../../server/domain/estimate";

const A100 = "NVIDIA A100-SXM4-80GB";
const H100 = "NVIDIA H100 80GB HBM3";
const PRICES = new Map([
  [A100, { costPerGpuHour: 2, currency: "USD" }],
  [H100, { costPerGpuHour: 5, currency: "USD" }],
]);

function run(jobId: string, heldGpuHours: number, activeGpuHours: number, gpuModel = A100, gpuCount = 4): HistoricalRun {
  return { jobId, gpuModel, gpuCount, heldGpuHours, activeGpuHours };
}

describe("estimateExperiment", () => {
  it("prices a shape, with a range from the spread of similar runs and their median efficiency", () => {
    const runs = [run("a", 40, 20), run("b", 80, 60), run("c", 100, 90), run("d", 120, 60), run("e", 160, 120)];
    const estimate = estimateExperiment({ request: { kind: "shape", gpuModel: A100, gpuCount: 4, hours: 25 }, similarRuns: runs, prices: PRICES, nowHourOfWeek: 0 });
    expect(estimate.plannedGpuHours).toBe(100);
    expect(estimate.expectedCost).toBe(200);
    // Held GPU-hours p10 = 56, median 100, p90 = 144: 0.56x and 1.44x the expected cost.
    expect(estimate.costRange!.low).toBeCloseTo(112, 9);
    expect(estimate.costRange!.high).toBeCloseTo(288, 9);
    expect(estimate.expectedEfficiency).toBeCloseTo(0.75, 9); // median of 0.5, 0.75, 0.9, 0.5, 0.75
    expect(estimate.expectedWasteCost).toBeCloseTo(50, 9);
  });

  it("scales the experiment's median run for 'like experiment X, scaled by N', on the model it used most", () => {
    const runs = [run("a", 10, 5), run("b", 30, 15), run("c", 20, 10, H100, 2)];
    const estimate = estimateExperiment({ request: { kind: "like", experiment: "exp-1", scale: 3 }, similarRuns: runs, prices: PRICES, nowHourOfWeek: 0 });
    expect(estimate.gpuModel).toBe(A100);
    expect(estimate.plannedGpuHours).toBe(60);
    expect(estimate.expectedCost).toBe(120);
  });

  it("offers the same work on other priced models by relative throughput, cheapest first", () => {
    const estimate = estimateExperiment({
      request: { kind: "shape", gpuModel: A100, gpuCount: 1, hours: 30 },
      similarRuns: [],
      prices: PRICES,
      relativeThroughput: { [H100]: 3 },
      nowHourOfWeek: 0,
    });
    expect(estimate.alternatives).toEqual([{ gpuModel: H100, costPerGpuHour: 5, pricePerUnitOfWork: 5 / 3, gpuHours: 10, expectedCost: 50, throughput: "assumed" }]);
    expect(estimate.costRange).toBeNull();
    expect(estimate.notes).toEqual(["only 0 similar runs: no range"]);
  });

  it("offers AMD Instinct and Intel Gaudi models by their assumed peak throughput, like any GPU model", () => {
    const prices = new Map([
      [A100, { costPerGpuHour: 2, currency: "USD" }],
      ["AMD Instinct MI300X", { costPerGpuHour: 4, currency: "USD" }],
      ["Intel Gaudi 3", { costPerGpuHour: 3, currency: "USD" }],
    ]);
    const estimate = estimateExperiment({ request: { kind: "shape", gpuModel: A100, gpuCount: 1, hours: 312 }, similarRuns: [], prices, nowHourOfWeek: 0 });
    // 312 A100-hours are 312 / (1835 / 312) Gaudi 3 hours and 312 / (1307 / 312) MI300X hours.
    expect(estimate.alternatives.map((alternative) => [alternative.gpuModel, alternative.throughput])).toEqual([
      ["Intel Gaudi 3", "assumed"],
      ["AMD Instinct MI300X", "assumed"],
    ]);
    expect(estimate.alternatives[0].gpuHours).toBeCloseTo((312 * 312) / 1835, 9);
    expect(estimate.alternatives[1].expectedCost).toBeCloseTo(((312 * 312) / 1307) * 4, 9);
  });

  it("compares an earlier experiment's alternatives by its measured throughput where it ran on both models, marked measured", () => {
    const estimate = estimateExperiment({
      request: { kind: "like", experiment: "exp-1", scale: 1 },
      similarRuns: [
        { jobId: "j1", gpuModel: A100, gpuCount: 1, heldGpuHours: 30, activeGpuHours: 24 },
        { jobId: "j2", gpuModel: H100, gpuCount: 1, heldGpuHours: 5, activeGpuHours: 4 },
      ],
      prices: PRICES,
      // Measured: 1,000 samples per GPU-hour on A100, 1,500 on H100 (peak ratio would say 3.17x).
      measured: { unit: "samples", workPerGpuHour: { [A100]: 1000, [H100]: 1500 } },
      nowHourOfWeek: 0,
    });
    expect(estimate.gpuModel).toBe(A100);
    expect(estimate.alternatives).toHaveLength(1);
    expect(estimate.alternatives[0]).toMatchObject({ gpuModel: H100, throughput: "measured" });
    expect(estimate.alternatives[0].gpuHours).toBeCloseTo((estimate.plannedGpuHours * 1000) / 1500, 9);
    expect(estimate.notes).toContain("measured: from the experiment's samples per GPU-hour on each model");
  });

  it("names the field at fault for a request it cannot price", () => {
    const attempt = (request: Parameters<typeof estimateExperiment>[0]["request"]) => () =>
      estimateExperiment({ request, similarRuns: [], prices: PRICES, nowHourOfWeek: 0 });
    expect(attempt({ kind: "shape", gpuModel: "Tesla T4", gpuCount: 1, hours: 1 })).toThrow(/^gpuModel: "Tesla T4" has no price/);
    expect(attempt({ kind: "shape", gpuModel: A100, gpuCount: 0, hours: 1 })).toThrow(EstimateError);
    expect(attempt({ kind: "like", experiment: "nothing", scale: 1 })).toThrow(/^experiment: "nothing" has no run/);
  });
});

describe("bestOffPeakStart", () => {
  it("picks the start whose worst hour leaves the most GPUs free", () => {
    const free = Array.from({ length: 168 }, (_, hour) => (hour % 24 >= 22 || hour % 24 < 6 ? 10 : 2)); // nights are free
    expect(bestOffPeakStart(free, 8, 12)).toEqual({ startHourOfWeek: 22, minFreeGpus: 10, minFreeGpusNow: 2 });
    expect(bestOffPeakStart(free.slice(1), 8, 0)).toBeNull();
  });
});
