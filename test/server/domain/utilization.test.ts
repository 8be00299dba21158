import { describe, expect, it } from "vitest";
import {
  rankGpusByUtilization,
  summarizeFleetUtilization,
  type GpuUsageTotals,
} from "../../../server/domain/utilization";

function gpu(id: number, hostname: string, gpuHours: number, utilizationAvgPct: number | null): GpuUsageTotals {
  const measured = utilizationAvgPct === null ? 0 : gpuHours;
  return {
    gpuId: id,
    uuid: `GPU-${id}`,
    hostname,
    gpuIndex: id,
    modelName: "NVIDIA A100-SXM4-80GB",
    gpuHours,
    measuredGpuHours: measured,
    utilizationPctHours: (utilizationAvgPct ?? 0) * measured,
    memoryUsedAvgMiB: 1000,
    memoryTotalMiB: 81920,
  };
}

describe("summarizeFleetUtilization", () => {
  it("weights each GPU's utilization by its GPU-hours", () => {
    const summary = summarizeFleetUtilization([gpu(1, "a", 10, 90), gpu(2, "a", 30, 10)]);
    expect(summary.gpuHours).toBe(40);
    expect(summary.utilizationAvgPct).toBeCloseTo((10 * 90 + 30 * 10) / 40, 10);
    expect(summary.activeGpuHours).toBeCloseTo(12, 10);
  });

  it("leaves GPUs without a utilization reading out of the average but not out of the hours", () => {
    const summary = summarizeFleetUtilization([gpu(1, "a", 10, 50), gpu(2, "a", 10, null)]);
    expect(summary.gpuHours).toBe(20);
    expect(summary.utilizationAvgPct).toBe(50);
  });

  it("reports null utilization for an empty fleet", () => {
    expect(summarizeFleetUtilization([])).toEqual({ gpuHours: 0, activeGpuHours: 0, utilizationAvgPct: null });
  });
});

describe("rankGpusByUtilization", () => {
  it("lists the busiest and idlest GPUs with a stable order for ties", () => {
    const gpus = [gpu(1, "b", 1, 50), gpu(2, "a", 1, 50), gpu(3, "a", 1, 99), gpu(4, "a", 1, 0), gpu(5, "a", 1, null)];
    const { busiest, idlest } = rankGpusByUtilization(gpus, 3);
    expect(busiest.map((g) => g.uuid)).toEqual(["GPU-3", "GPU-2", "GPU-1"]);
    expect(idlest.map((g) => g.uuid)).toEqual(["GPU-4", "GPU-2", "GPU-1"]);
  });
});
