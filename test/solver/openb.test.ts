import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openbNodes, openbPods } from "../../solver/packing/openb.ts";
import { optimizePacking } from "../../solver/packing/optimize.ts";
import { placementViolations } from "./placement-checker.ts";

const traceDir = path.resolve(import.meta.dirname, "..", "..", "..", "shared", "traces", "clusterdata");

describe("openbPods", () => {
  it("reads GPU pods, skips CPU-only ones and maps gpu_spec and qos", () => {
    const text = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase\np0,1000,2048,1,460,V100M16|V100M32,LS,Running\np1,500,1024,0,0,,BE,Running\np2,8000,4096,8,1000,,BE,Running\n";
    const { workloads, cpuOnly } = openbPods(text);
    expect(cpuOnly).toBe(1);
    expect(workloads).toHaveLength(2);
    expect(workloads[0]).toMatchObject({ id: "p0", gpuCount: 1, gpuMilli: 460, kind: "latency-sensitive", allowedModels: ["V100M16", "V100M32"], cpuMilli: 1000 });
    expect(workloads[1]).toMatchObject({ gpuCount: 8, gpuMilli: 1000, kind: "batch", allowedModels: undefined });
  });

  it("names the row and column of a bad number", () => {
    expect(() => openbPods("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,x,1,1,100\n")).toThrow(/pod row 2: column cpu_milli/);
  });
});

describe("optimizePacking on an openb slice", () => {
  it("packs the first 300 fractional pods no worse than FFD and within the bound", async () => {
    const nodesCsv = path.join(traceDir, "openb_node_list_gpu_node.csv");
    const podsCsv = path.join(traceDir, "openb_pod_list_default.csv");
    if (!existsSync(nodesCsv) || !existsSync(podsCsv)) {
      console.log(`skipping the openb slice: trace not found at ${traceDir}`);
      return;
    }
    const nodes = openbNodes(readFileSync(nodesCsv, "utf8")).slice(0, 100);
    const pods = openbPods(readFileSync(podsCsv, "utf8")).workloads.filter((p) => p.gpuCount === 1 && p.gpuMilli < 1000).slice(0, 300);
    const result = await optimizePacking(pods, nodes, { headroom: 1, maxWorkloadsPerGpu: Number.POSITIVE_INFINITY, allowLatencySensitiveSharing: true, timeLimitMs: 10_000 });
    expect(result.best.unplaced).toHaveLength(0);
    expect(result.best.gpusUsed).toBeLessThanOrEqual(result.baselines.ffd.gpusUsed);
    expect(result.best.gpusUsed).toBeGreaterThanOrEqual(result.lowerBound.gpus);
  });
});

describe("optimizePacking on an openb cluster slice with every constraint", () => {
  it("places at least as much as the baselines, breaks no rule and stays within the upper bound", async () => {
    const nodesCsv = path.join(traceDir, "openb_node_list_gpu_node.csv");
    const podsCsv = path.join(traceDir, "openb_pod_list_default.csv");
    if (!existsSync(nodesCsv) || !existsSync(podsCsv)) {
      console.log(`skipping the openb slice: trace not found at ${traceDir}`);
      return;
    }
    // Every fifth node and every fifth pod: the same mix, over-full like the whole trace.
    const nodes = openbNodes(readFileSync(nodesCsv, "utf8")).filter((_, i) => i % 5 === 0);
    const pods = openbPods(readFileSync(podsCsv, "utf8")).workloads.filter((_, i) => i % 5 === 0);
    const result = await optimizePacking(pods, nodes, { headroom: 1, maxWorkloadsPerGpu: Number.POSITIVE_INFINITY, allowLatencySensitiveSharing: true, timeLimitMs: 20_000 });
    expect(placementViolations(result.best, pods, nodes)).toEqual([]);
    expect(result.best.placedDemandShare).toBeGreaterThanOrEqual(Math.max(result.baselines.ffd.placedDemandShare, result.baselines.bestFit.placedDemandShare));
    expect(result.best.unplaced.length).toBeGreaterThan(0);
    expect(result.placeableDemandBound.method).toBe("lp");
    expect(result.placeableDemandBound.share).toBeGreaterThanOrEqual(result.best.placedDemandShare - 1e-9);
    expect(result.leftover.fragmentedGpus).toBeLessThanOrEqual(result.leftover.freeGpus + 1e-9);
  });
});
