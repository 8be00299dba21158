import { describe, expect, it } from "vitest";
import type { GpuReading, JobAttribution } from "../../collectors/readings";
import { WindowAggregator } from "../../collectors/window";
import { MINUTE_MS, T0_MS } from "../support/batches";

const TRAINING: JobAttribution = { externalId: "slurm-7", kind: "training", team: "search" };
const NOTEBOOK: JobAttribution = { externalId: "pod-nb", kind: "notebook", user: "alice" };

function reading(overrides: Partial<GpuReading> = {}): GpuReading {
  return {
    uuid: "GPU-0",
    index: 0,
    modelName: "NVIDIA H100 80GB HBM3",
    memoryTotalMiB: 81559,
    migParentUuid: null,
    migProfile: null,
    utilizationGpuPct: 50,
    smActivePct: null,
    memoryUsedMiB: 1000,
    powerDrawW: 200,
    processes: [],
    ...overrides,
  };
}

describe("WindowAggregator", () => {
  it("folds readings into aligned windows with sample count, averages, maxima and energy", () => {
    const aggregator = new WindowAggregator(MINUTE_MS);
    aggregator.add({ atMs: T0_MS + 5_000, gpus: [reading({ utilizationGpuPct: 40, memoryUsedMiB: 1000, powerDrawW: 100 })] });
    aggregator.add({ atMs: T0_MS + 15_000, gpus: [reading({ utilizationGpuPct: 80, memoryUsedMiB: 3000, powerDrawW: 300 })] });
    aggregator.add({ atMs: T0_MS + MINUTE_MS, gpus: [reading()] }); // next window, still open
    const closed = aggregator.flush(T0_MS + MINUTE_MS);
    expect(closed.gpuWindows).toEqual([
      {
        gpuUuid: "GPU-0",
        startMs: T0_MS,
        endMs: T0_MS + MINUTE_MS,
        sampleCount: 2,
        utilizationAvgPct: 60,
        utilizationMaxPct: 80,
        smActiveAvgPct: null,
        memoryUsedAvgMiB: 2000,
        memoryUsedMaxMiB: 3000,
        powerAvgW: 200,
        energyJ: 200 * 60,
      },
    ]);
    expect(closed.gpus.map((gpu) => gpu.uuid)).toEqual(["GPU-0"]);
    expect(aggregator.flush(T0_MS + 2 * MINUTE_MS).gpuWindows[0].startMs).toBe(T0_MS + MINUTE_MS);
  });

  it("keeps absent values absent instead of counting them as zero", () => {
    const aggregator = new WindowAggregator(MINUTE_MS);
    aggregator.add({ atMs: T0_MS, gpus: [reading({ utilizationGpuPct: null, powerDrawW: null })] });
    aggregator.add({ atMs: T0_MS + 10_000, gpus: [reading({ utilizationGpuPct: 30, powerDrawW: null })] });
    const [window] = aggregator.flush(T0_MS + MINUTE_MS).gpuWindows;
    expect(window.sampleCount).toBe(2);
    expect(window.utilizationAvgPct).toBe(30);
    expect(window.powerAvgW).toBeNull();
    expect(window.energyJ).toBeNull();
  });

  it("reports one window per job on a shared GPU, merging a job's processes", () => {
    const aggregator = new WindowAggregator(MINUTE_MS);
    aggregator.add({
      atMs: T0_MS,
      gpus: [
        reading({
          processes: [
            { pid: 1, name: "python", memoryUsedMiB: 1000, utilizationPct: 30, job: TRAINING },
            { pid: 2, name: "python", memoryUsedMiB: 500, utilizationPct: 10, job: TRAINING },
            { pid: 3, name: "ipykernel", memoryUsedMiB: 200, utilizationPct: null, job: NOTEBOOK },
          ],
        }),
      ],
    });
    const closed = aggregator.flush(T0_MS + MINUTE_MS);
    expect(closed.jobWindows).toEqual([
      expect.objectContaining({ jobExternalId: "slurm-7", processCount: 2, utilizationAvgPct: 40, memoryUsedAvgMiB: 1500 }),
      expect.objectContaining({ jobExternalId: "pod-nb", processCount: 1, utilizationAvgPct: null, memoryUsedAvgMiB: 200 }),
    ]);
    expect(closed.jobs.map((job) => job.externalId).sort()).toEqual(["pod-nb", "slurm-7"]);
  });

  it("refuses a window length that is not a positive whole number of milliseconds", () => {
    expect(() => new WindowAggregator(0)).toThrow(/windowMs/);
  });
});
