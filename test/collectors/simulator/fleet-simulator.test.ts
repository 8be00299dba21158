import { describe, expect, it } from "vitest";
import { FleetSimulator, inferenceLoadFactor } from "../../../collectors/simulator/fleet-simulator";

const T0_MS = Date.UTC(2026, 10, 2, 0, 0, 0); // Monday 00:00 UTC
const HOUR_MS = 3_600_000;

describe("FleetSimulator", () => {
  it("builds the default fleet: 16 nodes of 8 GPUs, half of each of two models", () => {
    const simulator = new FleetSimulator();
    expect(simulator.nodes).toHaveLength(16);
    const models = simulator.nodes.flatMap((node) => node.gpus.map((gpu) => gpu.model.modelName));
    expect(models).toHaveLength(128);
    expect(new Set(models).size).toBe(2);
    expect(new Set(simulator.nodes.flatMap((n) => n.gpus.map((g) => g.uuid))).size).toBe(128);
  });

  it("gives the same readings for the same seed and instant, whatever was simulated before", () => {
    const first = new FleetSimulator();
    const second = new FleetSimulator();
    first.snapshot(3, T0_MS + 5 * HOUR_MS); // warms caches in a different order
    expect(second.snapshot(5, T0_MS + 7 * HOUR_MS)).toEqual(first.snapshot(5, T0_MS + 7 * HOUR_MS));
    const otherSeed = new FleetSimulator({ seed: 7, nodeCount: 16, gpusPerNode: 8, clusterName: "sim" });
    expect(otherSeed.snapshot(5, T0_MS + 7 * HOUR_MS)).not.toEqual(first.snapshot(5, T0_MS + 7 * HOUR_MS));
  });

  it("has idle GPUs, GPUs shared by two jobs, and inference, training and notebook workloads over a week", () => {
    const simulator = new FleetSimulator();
    let idleReadings = 0;
    let sharedReadings = 0;
    const kinds = new Set<string>();
    for (let atMs = T0_MS; atMs < T0_MS + 7 * 24 * HOUR_MS; atMs += HOUR_MS) {
      for (const node of simulator.nodes) {
        for (const gpu of simulator.snapshot(node.index, atMs).gpus) {
          if (gpu.processes.length === 0) idleReadings++;
          const jobs = new Set(gpu.processes.map((p) => p.job.externalId));
          if (jobs.size >= 2) sharedReadings++;
          for (const process of gpu.processes) kinds.add(process.job.kind);
        }
      }
    }
    expect(idleReadings).toBeGreaterThan(0);
    expect(sharedReadings).toBeGreaterThan(0);
    expect([...kinds].sort()).toEqual(["inference", "notebook", "training"]);
  });

  it("shows a multi-GPU training job on all of its GPUs at once", () => {
    const simulator = new FleetSimulator();
    const trainingNode = simulator.nodes.find((node) => node.role === "training-large")!;
    for (let atMs = T0_MS; atMs < T0_MS + 72 * HOUR_MS; atMs += HOUR_MS) {
      const gpus = simulator.snapshot(trainingNode.index, atMs).gpus;
      const jobIds = gpus.flatMap((gpu) => gpu.processes.map((p) => p.job.externalId));
      for (const jobId of new Set(jobIds)) {
        const requested = gpus.flatMap((g) => g.processes).find((p) => p.job.externalId === jobId)!.job.requestedGpus;
        expect(jobIds.filter((id) => id === jobId)).toHaveLength(requested!);
      }
    }
  });

  it("keeps readings within physical limits", () => {
    const simulator = new FleetSimulator();
    for (let atMs = T0_MS; atMs < T0_MS + 48 * HOUR_MS; atMs += 17 * 60_000) {
      for (const gpu of simulator.snapshot(0, atMs).gpus) {
        expect(gpu.utilizationGpuPct).toBeGreaterThanOrEqual(0);
        expect(gpu.utilizationGpuPct).toBeLessThanOrEqual(100);
        expect(gpu.memoryUsedMiB).toBeLessThanOrEqual(gpu.memoryTotalMiB);
      }
    }
  });
});

describe("inferenceLoadFactor", () => {
  it("peaks in the afternoon, dips at night, and is lighter at weekends", () => {
    const monday = Date.UTC(2026, 10, 2);
    const saturday = Date.UTC(2026, 10, 7);
    expect(inferenceLoadFactor(monday + 14 * HOUR_MS)).toBeGreaterThan(inferenceLoadFactor(monday + 3 * HOUR_MS) * 3);
    expect(inferenceLoadFactor(saturday + 14 * HOUR_MS)).toBeLessThan(inferenceLoadFactor(monday + 14 * HOUR_MS));
  });
});
