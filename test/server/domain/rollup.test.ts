import { describe, expect, it } from "vitest";
import { hourlyContributions, shareGpuWindow, splitByHour, type JobWindowUsage } from "../../../server/domain/rollup";

const HOUR_MS = 3_600_000;
const T0_MS = Date.UTC(2026, 10, 2, 10, 0, 0);

function jobWindow(jobId: number, utilizationAvgPct: number | null, memoryUsedAvgMiB: number | null, startMs = T0_MS): JobWindowUsage {
  return { gpuId: 1, jobId, startMs, endMs: startMs + 60_000, utilizationAvgPct, memoryUsedAvgMiB };
}

describe("shareGpuWindow", () => {
  it("gives a lone job the whole GPU and the GPU's utilization as its busy time", () => {
    expect(shareGpuWindow(40, [jobWindow(1, null, 1000)])).toEqual([{ jobId: 1, share: 1, method: "sole", activeFraction: 0.4 }]);
  });

  it("splits by measured utilization when every job has one", () => {
    const shares = shareGpuWindow(80, [jobWindow(1, 60, 1000), jobWindow(2, 20, 9000)]);
    expect(shares).toEqual([
      { jobId: 1, share: 0.75, method: "utilization", activeFraction: 0.6 },
      { jobId: 2, share: 0.25, method: "utilization", activeFraction: 0.2 },
    ]);
  });

  it("falls back to memory share, then to an even split", () => {
    const byMemory = shareGpuWindow(50, [jobWindow(1, null, 3000), jobWindow(2, 10, 1000)]);
    expect(byMemory.map((share) => [share.method, share.share])).toEqual([
      ["memory", 0.75],
      ["memory", 0.25],
    ]);
    expect(byMemory[0].activeFraction).toBeCloseTo(0.375, 10); // GPU utilization x its share
    const even = shareGpuWindow(null, [jobWindow(1, null, null), jobWindow(2, null, 500)]);
    expect(even.map((share) => [share.method, share.share, share.activeFraction])).toEqual([
      ["even", 0.5, 0],
      ["even", 0.5, 0],
    ]);
  });

  it("caps a job's busy fraction at its share", () => {
    const [first] = shareGpuWindow(90, [jobWindow(1, 90, 100), jobWindow(2, null, 900)]);
    expect(first.share).toBeCloseTo(0.1, 10);
    expect(first.activeFraction).toBeCloseTo(0.1, 10);
  });
});

describe("splitByHour", () => {
  it("cuts an interval at UTC hour boundaries", () => {
    expect(splitByHour(T0_MS + 50 * 60_000, T0_MS + 70 * 60_000)).toEqual([
      { hourStartMs: T0_MS, ms: 10 * 60_000 },
      { hourStartMs: T0_MS + HOUR_MS, ms: 10 * 60_000 },
    ]);
    expect(splitByHour(T0_MS, T0_MS + 60_000)).toEqual([{ hourStartMs: T0_MS, ms: 60_000 }]);
  });
});

describe("hourlyContributions", () => {
  it("sums GPU windows per hour, keeping unmeasured time out of the utilization sums", () => {
    const { gpu } = hourlyContributions(
      [
        { gpuId: 1, startMs: T0_MS, endMs: T0_MS + 60_000, utilizationAvgPct: 50, memoryUsedAvgMiB: 100, energyJ: 600 },
        { gpuId: 1, startMs: T0_MS + 60_000, endMs: T0_MS + 120_000, utilizationAvgPct: null, memoryUsedAvgMiB: 300, energyJ: null },
      ],
      [],
    );
    expect(gpu).toEqual([
      { gpuId: 1, hourStartMs: T0_MS, reportedMs: 120_000, utilizationMeasuredMs: 60_000, utilizationPctMs: 50 * 60_000, memoryMeasuredMs: 120_000, memoryMiBMs: 400 * 60_000, energyJ: 600 },
    ]);
  });

  it("records each job's share, busy time and split method, deciding shares against the whole batch", () => {
    const gpuWindow = { gpuId: 1, startMs: T0_MS, endMs: T0_MS + 60_000, utilizationAvgPct: 80, memoryUsedAvgMiB: 4000, energyJ: 0 };
    const both = [jobWindow(1, 60, 1000), jobWindow(2, 20, 3000)];
    // Only job 2's window is new: it still gets a quarter, not the whole GPU.
    const { job } = hourlyContributions([], [both[1]], { gpuWindows: [gpuWindow], jobWindows: both });
    expect(job).toEqual([
      {
        jobId: 2,
        gpuId: 1,
        hourStartMs: T0_MS,
        reportedMs: 60_000,
        shareMs: 15_000,
        activeMs: 12_000,
        soleMs: 0,
        utilizationSplitMs: 15_000,
        memorySplitMs: 0,
        evenSplitMs: 0,
        memoryMiBMs: 3000 * 60_000,
      },
    ]);
  });
});
