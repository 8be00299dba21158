import { describe, expect, it } from "vitest";
import type { AllocationRow } from "../../../server/domain/allocation";
import { summarizeExperiments } from "../../../server/domain/experiments";

function row(model: string, experiment: string, job: string, gpuHours: number, activeGpuHours: number, totalCost: number): AllocationRow {
  return {
    name: `${model}/${experiment}/${job}`,
    properties: { model, experiment, job },
    startMs: 0,
    endMs: 1,
    gpuHours,
    activeGpuHours,
    gpuCost: totalCost,
    idleCost: 0,
    totalCost,
    efficiency: activeGpuHours / gpuHours,
    wasteCost: totalCost * (1 - activeGpuHours / gpuHours),
    splitGpuHours: { sole: gpuHours, utilization: 0, memory: 0, even: 0 },
  };
}

describe("summarizeExperiments", () => {
  it("sums runs per experiment with efficiency over all runs and cost per run, most expensive first", () => {
    const summaries = summarizeExperiments([
      row("ranker-v3", "exp-1", "slurm-1", 8, 6, 16),
      row("ranker-v3", "exp-1", "slurm-2", 4, 1, 8),
      row("ctr-dnn", "exp-9", "slurm-3", 20, 10, 40),
      row("ctr-dnn", "__unallocated__", "pod-a", 5, 5, 10),
    ]);
    expect(summaries.map((s) => s.experiment)).toEqual(["exp-9", "exp-1"]);
    expect(summaries[1]).toEqual({
      model: "ranker-v3",
      experiment: "exp-1",
      runs: 2,
      gpuHours: 12,
      activeGpuHours: 7,
      totalCost: 24,
      efficiency: 7 / 12,
      costPerRun: 12,
      wasteCost: 16 * 0.25 + 8 * 0.75,
    });
  });
});
