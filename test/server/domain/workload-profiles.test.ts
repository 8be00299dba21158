import { describe, expect, it } from "vitest";
import {
  buildWorkloadProfiles,
  compareDailyCosts,
  hourOfWeek,
  percentile,
  rightSizingStats,
  type ProfileGpuRow,
} from "../../../server/domain/workload-profiles";

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 2); // Monday 00:00 UTC

describe("percentile", () => {
  it("is the nearest rank and ignores non-finite values", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([5, Number.NaN], 99)).toBe(5);
    expect(percentile([], 95)).toBeNull();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe("buildWorkloadProfiles", () => {
  const gpus: ProfileGpuRow[] = [0, 1, 2, 3].map((i) => ({
    gpuId: i + 1,
    gpuIndex: i % 2,
    modelName: "A100",
    memoryTotalMiB: 80_000,
    nodeId: i < 2 ? 10 : 20,
    hostname: i < 2 ? "node-a" : "node-b",
    clusterName: "east",
    migProfile: null,
  }));

  it("profiles a job from its windows: GPU count, p99 memory x headroom, p95 utilization, current placement", () => {
    const jobWindows = [];
    const gpuWindows = [];
    for (let k = 0; k < 100; k++) {
      for (const gpuId of [1, 2]) {
        jobWindows.push({ jobId: 7, gpuId, startMs: T0 + k * 900_000, endMs: T0 + (k + 1) * 900_000, utilizationAvgPct: null, memoryUsedMaxMiB: (k + 1) * 100 });
        gpuWindows.push({ gpuId, startMs: T0 + k * 900_000, utilizationAvgPct: k + 1 });
      }
    }
    const [profile] = buildWorkloadProfiles(
      { jobs: [{ jobId: 7, externalId: "slurm-7", clusterName: "east", kind: "training", requestedGpus: 2, team: "t", project: null }], gpus, jobWindows, gpuWindows, jobHours: [] },
      { memoryHeadroom: 1.1, efficiencyThreshold: 0.3 },
    );
    expect(profile).toMatchObject({ externalId: "slurm-7", clusterName: "east", kind: "batch", gpuCount: 2, gpuModel: "A100", gpusPerNode: 2, current: [{ hostname: "node-a", gpuIndexes: [0, 1] }] });
    expect(profile.memoryP99MiB).toBe(9_900);
    expect(profile.memoryNeedMiB).toBeCloseTo(10_890, 6);
    expect(profile.computeShare).toBeCloseTo(0.95, 9);
  });

  it("prefers the job's own utilization, takes inference as latency-sensitive and unknown utilization as the whole GPU", () => {
    const profiles = buildWorkloadProfiles({
      jobs: [
        { jobId: 1, externalId: "pod-a", clusterName: "east", kind: "inference", requestedGpus: 1, team: null, project: null },
        { jobId: 2, externalId: "pod-b", clusterName: "east", kind: "notebook", requestedGpus: 1, team: null, project: null },
      ],
      gpus,
      jobWindows: [
        { jobId: 1, gpuId: 3, startMs: T0, endMs: T0 + 900_000, utilizationAvgPct: 20, memoryUsedMaxMiB: 1000 },
        { jobId: 2, gpuId: 4, startMs: T0, endMs: T0 + 900_000, utilizationAvgPct: null, memoryUsedMaxMiB: null },
      ],
      gpuWindows: [{ gpuId: 3, startMs: T0, utilizationAvgPct: 90 }],
      jobHours: [],
    });
    expect(profiles.map((p) => [p.externalId, p.kind, p.computeShare])).toEqual([
      ["pod-a", "latency-sensitive", 0.2],
      ["pod-b", "batch", 1],
    ]);
    expect(profiles[1].current).toEqual([{ nodeId: 20, hostname: "node-b", gpuIndexes: [1] }]);
  });
});

describe("buildWorkloadProfiles with one job id in two clusters", () => {
  it("profiles each cluster's job apart, sorted by id then cluster", () => {
    const gpus: ProfileGpuRow[] = [
      { gpuId: 1, gpuIndex: 0, modelName: "A100", memoryTotalMiB: 80_000, nodeId: 10, hostname: "gpu-01", clusterName: "west", migProfile: null },
      { gpuId: 2, gpuIndex: 0, modelName: "A100", memoryTotalMiB: 80_000, nodeId: 20, hostname: "gpu-01", clusterName: "east", migProfile: null },
    ];
    const profiles = buildWorkloadProfiles({
      jobs: [
        { jobId: 1, externalId: "slurm-1001", clusterName: "west", kind: "training", requestedGpus: 1, team: null, project: null },
        { jobId: 2, externalId: "slurm-1001", clusterName: "east", kind: "inference", requestedGpus: 1, team: null, project: null },
      ],
      gpus,
      jobWindows: [
        { jobId: 1, gpuId: 1, startMs: T0, endMs: T0 + 900_000, utilizationAvgPct: 10, memoryUsedMaxMiB: 1000 },
        { jobId: 2, gpuId: 2, startMs: T0, endMs: T0 + 900_000, utilizationAvgPct: 70, memoryUsedMaxMiB: 2000 },
      ],
      gpuWindows: [],
      jobHours: [],
    });
    expect(profiles.map((p) => [p.externalId, p.clusterName, p.jobKind, p.current[0].nodeId])).toEqual([
      ["slurm-1001", "east", "inference", 20],
      ["slurm-1001", "west", "training", 10],
    ]);
  });
});

describe("rightSizingStats", () => {
  it("measures low-efficiency share of runtime, p95 busy GPUs and held hours", () => {
    const hours = [];
    for (let h = 0; h < 10; h++) {
      // Two GPUs; hours 0-5 at 10 % busy, hours 6-9 at 80 %.
      const busy = h < 6 ? 0.1 : 0.8;
      for (const gpuId of [1, 2]) hours.push({ jobId: 1, gpuId, hourStartMs: T0 + h * HOUR, reportedMs: HOUR, shareMs: HOUR, activeMs: busy * HOUR });
    }
    const stats = rightSizingStats(hours, 2, 5000, 0.3);
    expect(stats.heldHours).toBeCloseTo(10, 9);
    expect(stats.gpuHours).toBeCloseTo(20, 9);
    expect(stats.activeGpuHours).toBeCloseTo(6 * 0.2 + 4 * 1.6, 9);
    expect(stats.lowEfficiencyShareOfRuntime).toBeCloseTo(0.6, 9);
    expect(stats.busyGpusP95).toBeCloseTo(1.6, 9);
    expect(stats.memoryPerGpuP99MiB).toBe(5000);
    expect(rightSizingStats([], 1, 0, 0.3)).toMatchObject({ heldHours: 0, lowEfficiencyShareOfRuntime: 0, busyGpusP95: 0 });
  });
});

describe("compareDailyCosts", () => {
  it("is the mean daily cost before minus after, scaled to 730 hours", () => {
    const realized = compareDailyCosts([100, 120, 110], [80, 90], 600);
    expect(realized.status).toBe("measured");
    expect(realized.dailyCostBefore).toBeCloseTo(110, 9);
    expect(realized.dailyCostAfter).toBeCloseTo(85, 9);
    expect(realized.dailySaving).toBeCloseTo(25, 9);
    expect(realized.monthlySaving).toBeCloseTo((25 * 730) / 24, 9);
    expect(realized.shareOfProjected).toBeCloseTo((25 * 730) / 24 / 600, 9);
  });

  it("reports a cost increase as a negative saving and waits for a day on each side", () => {
    expect(compareDailyCosts([10], [20], 0)).toMatchObject({ status: "measured", dailySaving: -10, shareOfProjected: null });
    expect(compareDailyCosts([10, 10], [], 50)).toMatchObject({ status: "pending", daysBefore: 2, daysAfter: 0, monthlySaving: null });
  });
});
