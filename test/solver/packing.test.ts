import { describe, expect, it } from "vitest";
import { optimizePacking, consolidateWithinBudget } from "../../solver/packing/optimize.ts";
import { bestFit, firstFitDecreasing, whyUnplaceable } from "../../solver/packing/baselines.ts";
import { generateColumns, pricePattern } from "../../solver/packing/column-generation.ts";
import { resolveOptions, type GpuNode, type Placement, type Workload } from "../../solver/packing/types.ts";
import { placementViolations } from "./placement-checker.ts";

function nodes(count: number, gpusPerNode: number, extra: Partial<GpuNode> = {}): GpuNode[] {
  return Array.from({ length: count }, (_, i) => ({ id: `n${i}`, model: "A100", gpuCount: gpusPerNode, ...extra }));
}

function workloads(sizes: readonly number[], extra: Partial<Workload> = {}): Workload[] {
  return sizes.map((gpuMilli, i) => ({ id: `w${i}`, gpuCount: 1, gpuMilli, kind: "batch", ...extra }));
}

/** Checks every rule independently of the solver's own bookkeeping. */
function expectFeasible(placement: Placement, all: readonly Workload[], cluster: readonly GpuNode[], headroom: number, maxPerGpu: number): void {
  const byId = new Map(all.map((w) => [w.id, w]));
  const perGpu = new Map<string, Workload[]>();
  for (const a of placement.assignments) {
    const w = byId.get(a.workload)!;
    const node = cluster.find((n) => n.id === a.node)!;
    expect(a.gpuIndexes.length).toBe(w.gpuCount);
    for (const g of a.gpuIndexes) {
      expect(g).toBeLessThan(node.gpuCount);
      const key = `${a.node}/${g}`;
      perGpu.set(key, [...(perGpu.get(key) ?? []), w]);
    }
  }
  for (const members of perGpu.values()) {
    expect(members.length).toBeLessThanOrEqual(maxPerGpu);
    const milli = members.reduce((s, w) => s + w.gpuMilli, 0);
    expect(milli).toBeLessThanOrEqual(members.length > 1 ? 1000 * headroom + 1e-9 : 1000);
  }
  expect(perGpu.size).toBe(placement.gpusUsed);
}

describe("pricePattern", () => {
  it("finds the most valuable pattern within capacity x headroom and the item limit", () => {
    const types = [
      { gpuMilli: 300, memoryNeedMiB: 0, latencySensitive: false, demand: 10 },
      { gpuMilli: 450, memoryNeedMiB: 0, latencySensitive: false, demand: 10 },
    ];
    const rules = { gpuMemoryMiB: Infinity, headroom: 0.9, maxItemsPerGpu: 3, allowLatencySensitiveSharing: false };
    // 3 x 300 = 900 fits (value 0.9); 2 x 450 = 900 fits (value 1.2); 300 + 450 = 750 (value 1.0).
    expect(pricePattern(types, [0.3, 0.6], rules)).toEqual({ pattern: [0, 2], value: 1.2 });
    expect(pricePattern(types, [0.3, 0.6], { ...rules, maxItemsPerGpu: 1 }).value).toBeCloseTo(0.6);
  });

  it("puts at most one latency-sensitive item on a shared GPU", () => {
    const types = [{ gpuMilli: 200, memoryNeedMiB: 0, latencySensitive: true, demand: 10 }];
    const rules = { gpuMemoryMiB: Infinity, headroom: 1, maxItemsPerGpu: 5, allowLatencySensitiveSharing: false };
    expect(pricePattern(types, [0.5], rules).pattern).toEqual([1]);
  });

  it("respects GPU memory", () => {
    const types = [{ gpuMilli: 100, memoryNeedMiB: 20_000, latencySensitive: false, demand: 10 }];
    const rules = { gpuMemoryMiB: 40_960, headroom: 1, maxItemsPerGpu: 8, allowLatencySensitiveSharing: false };
    expect(pricePattern(types, [0.4], rules).pattern).toEqual([2]);
  });
});

describe("generateColumns", () => {
  it("reaches the cutting-stock LP optimum and its rounded-up bound", async () => {
    // 4 items of 600 and 4 of 400 (headroom 1): pairs 600+400 fill 4 GPUs exactly.
    const types = [
      { gpuMilli: 600, memoryNeedMiB: 0, latencySensitive: false, demand: 4 },
      { gpuMilli: 400, memoryNeedMiB: 0, latencySensitive: false, demand: 4 },
    ];
    const result = await generateColumns(types, { gpuMemoryMiB: Infinity, headroom: 1, maxItemsPerGpu: 2, allowLatencySensitiveSharing: false }, 5_000);
    expect(result.converged).toBe(true);
    expect(result.lpObjective).toBeCloseTo(4, 6);
    expect(result.lowerBound).toBe(4);
  });
});

describe("optimizePacking", () => {
  it("finds the known optimum where first-fit decreasing wastes GPUs", async () => {
    // Optimum 4 GPUs: {600,400} x2 and {550,450} x2 (no headroom). FFD pairs 600 with 450 first.
    const sizes = [600, 600, 550, 550, 450, 450, 400, 400];
    const cluster = nodes(2, 4);
    const result = await optimizePacking(workloads(sizes), cluster, { headroom: 1, maxWorkloadsPerGpu: 2 });
    expect(result.best.gpusUsed).toBe(4);
    expect(result.lowerBound.gpus).toBe(4);
    expect(result.status).toBe("optimal");
    expect(result.gapPct).toBe(0);
    expectFeasible(result.best, workloads(sizes), cluster, 1, 2);
  });

  it("is never worse than the best baseline", async () => {
    const sizes = Array.from({ length: 60 }, (_, i) => [120, 230, 330, 470, 560, 810][i % 6]);
    const cluster = nodes(10, 8);
    const result = await optimizePacking(workloads(sizes), cluster, { headroom: 0.9, maxWorkloadsPerGpu: 3 });
    expect(result.best.gpusUsed).toBeLessThanOrEqual(Math.min(result.baselines.ffd.gpusUsed, result.baselines.bestFit.gpusUsed));
    expect(result.best.gpusUsed).toBeGreaterThanOrEqual(result.lowerBound.gpus);
    expectFeasible(result.best, workloads(sizes), cluster, 0.9, 3);
  });

  it("keeps a multi-GPU workload's GPUs on one node", async () => {
    const list: Workload[] = [
      { id: "train", gpuCount: 4, gpuMilli: 1000, kind: "batch" },
      ...workloads([500, 500, 500, 500]),
    ];
    const result = await optimizePacking(list, nodes(3, 4), { headroom: 1 });
    const train = result.best.assignments.find((a) => a.workload === "train")!;
    expect(train.gpuIndexes).toHaveLength(4);
    expect(result.best.gpusUsed).toBe(6);
  });

  it("puts at most one latency-sensitive workload on a GPU unless allowed", async () => {
    const list = workloads([300, 300, 300, 300], { kind: "latency-sensitive" });
    expect((await optimizePacking(list, nodes(1, 4), { headroom: 1 })).best.gpusUsed).toBe(4);
    expect((await optimizePacking(list, nodes(1, 4), { headroom: 1, allowLatencySensitiveSharing: true })).best.gpusUsed).toBe(2);
  });

  it("honours node CPU and the allowed GPU models", async () => {
    const cluster: GpuNode[] = [
      { id: "small", model: "T4", gpuCount: 4, cpuMilli: 4_000 },
      { id: "big", model: "V100", gpuCount: 4, cpuMilli: 64_000 },
    ];
    const list: Workload[] = [
      { id: "cpu-heavy", gpuCount: 1, gpuMilli: 500, cpuMilli: 8_000, kind: "batch" },
      { id: "t4-only", gpuCount: 1, gpuMilli: 500, kind: "batch", allowedModels: ["T4"] },
    ];
    const result = await optimizePacking(list, cluster, { headroom: 1 });
    expect(result.best.assignments.find((a) => a.workload === "cpu-heavy")!.node).toBe("big");
    expect(result.best.assignments.find((a) => a.workload === "t4-only")!.node).toBe("small");
  });

  it("never shares a GPU between a forbidden interference pair", async () => {
    const list: Workload[] = [
      { id: "a", gpuCount: 1, gpuMilli: 400, kind: "batch", profile: "training" },
      { id: "b", gpuCount: 1, gpuMilli: 400, kind: "batch", profile: "inference" },
    ];
    const result = await optimizePacking(list, nodes(1, 2), { headroom: 1, interference: [{ profileA: "training", profileB: "inference", penalty: 0.8 }] });
    expect(result.best.gpusUsed).toBe(2);
    expect(result.best.interferencePenalty).toBe(0);
  });

  it("frees GPUs from the current placement within the migration budget", async () => {
    // Four half-used GPUs today; with 1 move one GPU is freed, with 2 moves two.
    const list = workloads([400, 400, 400, 400]).map((w, i) => ({ ...w, current: { node: "n0", gpuIndexes: [i] } }));
    const one = await optimizePacking(list, nodes(1, 4), { headroom: 1, maxMoves: 1 });
    expect(one.best.moves).toBeLessThanOrEqual(1);
    expect(one.freedVsCurrent?.gpus).toBe(1);
    const two = await optimizePacking(list, nodes(1, 4), { headroom: 1, maxMoves: 2 });
    expect(two.best.moves).toBeLessThanOrEqual(2);
    expect(two.freedVsCurrent?.gpus).toBe(2);
    expect(two.best.gpusUsed).toBe(2);
  });

  it("explains workloads that can never be placed", async () => {
    const list: Workload[] = [
      { id: "huge", gpuCount: 16, gpuMilli: 1000, kind: "batch" },
      { id: "wrong-model", gpuCount: 1, gpuMilli: 500, kind: "batch", allowedModels: ["H100"] },
      { id: "ok", gpuCount: 1, gpuMilli: 500, kind: "batch" },
    ];
    const result = await optimizePacking(list, nodes(2, 8), {});
    expect(result.best.unplaced.map((u) => u.workload).sort()).toEqual(["huge", "wrong-model"]);
    expect(result.messages.join("\n")).toMatch(/needs 16 GPUs on one node; the largest eligible node has 8/);
    expect(result.messages.join("\n")).toMatch(/no node has an allowed GPU model \(H100\)/);
    expect(result.best.assignments).toHaveLength(1);
  });

  it("bounds the placeable demand when the cluster is too small, and reports all-placed otherwise", async () => {
    // Three 600-milli pods on 2 GPUs: no two share a GPU, so at most 1.2 of 1.8 GPUs of demand fit.
    const short = await optimizePacking(workloads([600, 600, 600]), nodes(1, 2), { headroom: 1 });
    expect(short.best.placedDemandShare).toBeCloseTo(2 / 3, 6);
    expect(short.placeableDemandBound.method).toBe("lp");
    expect(short.placeableDemandBound.gpus).toBeCloseTo(1.2, 6);
    expect(short.placeableDemandBound.share).toBeGreaterThanOrEqual(short.best.placedDemandShare - 1e-9);
    const roomy = await optimizePacking(workloads([600, 600, 600]), nodes(1, 3), { headroom: 1 });
    expect(roomy.placeableDemandBound).toMatchObject({ method: "all-placed", share: 1 });
  });

  it("says infeasible when there are no nodes, and handles no workloads", async () => {
    const none = await optimizePacking(workloads([500]), [], {});
    expect(none.status).toBe("infeasible");
    expect(none.messages[0]).toMatch(/no GPU nodes/);
    const empty = await optimizePacking([], nodes(1, 1), {});
    expect(empty.best.gpusUsed).toBe(0);
    expect(empty.status).toBe("optimal");
  });

  it("rejects duplicate ids and bad options with clear messages", async () => {
    await expect(optimizePacking([...workloads([1]), ...workloads([1])], nodes(1, 1))).rejects.toThrow(/appears twice/);
    await expect(optimizePacking(workloads([1]), nodes(1, 1), { headroom: 1.5 })).rejects.toThrow(/headroom/);
    expect(whyUnplaceable({ id: "x", gpuCount: 1, gpuMilli: 1500, kind: "batch" }, nodes(1, 1))).toMatch(/gpuMilli must be in 1..1000/);
  });

  it("leaves gapPct null when a pod that fits somewhere is left out, and gives the gap to the placeable-demand bound", async () => {
    // Three 600-milli pods on 2 GPUs: no two share a GPU, so 1.2 of 1.8 GPUs of demand is the most.
    const result = await optimizePacking(workloads([600, 600, 600]), nodes(1, 2), { headroom: 1, maxWorkloadsPerGpu: Number.POSITIVE_INFINITY });
    expect(result.best.unplaced).toHaveLength(1);
    expect(result.gapPct).toBeNull();
    expect(result.placeableDemandBound).toMatchObject({ method: "lp", converged: true });
    expect(result.placedDemandGapPct).toBeCloseTo(0, 9);
    const allFit = await optimizePacking(workloads([600, 300]), nodes(1, 2), { headroom: 1 });
    expect(allFit.gapPct).toBe(0);
    expect(allFit.placedDemandGapPct).toBe(0);
  });

  it("refuses negative CPU or memory and fractional GPU counts instead of letting them create capacity", async () => {
    const sixteenCores = nodes(1, 2, { cpuMilli: 16_000, hostMemoryMiB: 65_536 });
    const twoBig = workloads([1000, 1000], { cpuMilli: 16_000 });
    await expect(optimizePacking([...twoBig, { id: "neg", gpuCount: 1, gpuMilli: 100, cpuMilli: -100_000, kind: "batch" }], sixteenCores)).rejects.toThrow(/workload neg: cpuMilli must be a finite number >= 0, got -100000/);
    await expect(optimizePacking([{ id: "half", gpuCount: 1.5, gpuMilli: 1000, kind: "batch" }], sixteenCores)).rejects.toThrow(/workload half: gpuCount must be a whole number/);
    await expect(optimizePacking(twoBig, nodes(1, 2, { cpuMilli: -1 }))).rejects.toThrow(/node n0: cpuMilli must be a finite number >= 0/);
  });
});

describe("optimizePacking with CPU-only workloads", () => {
  const gpuPods = workloads([1000, 1000], { cpuMilli: 6_000, hostMemoryMiB: 8_192 });
  const cpuPod = (id: string, cpuMilli: number): Workload => ({ id, gpuCount: 0, gpuMilli: 0, cpuMilli, hostMemoryMiB: 1_024, kind: "batch" });

  it("places them on node CPU and memory after the GPU workloads, nodes without GPUs first, and counts none in the GPU figures", async () => {
    const cluster: GpuNode[] = [{ id: "gpu", model: "T4", gpuCount: 2, cpuMilli: 16_000, hostMemoryMiB: 65_536 }, { id: "cpu", model: "", gpuCount: 0, cpuMilli: 8_000, hostMemoryMiB: 32_768 }];
    const result = await optimizePacking([...gpuPods, cpuPod("c0", 5_000), cpuPod("c1", 3_000), cpuPod("c2", 3_000)], cluster, { headroom: 1 });
    expect(result.best.placedDemandShare).toBe(1);
    expect(result.best.assignments.map((a) => a.workload).sort()).toEqual(["w0", "w1"]);
    expect(result.cpuOnly).toMatchObject({ workloads: 3, unplaced: [], order: "after-gpu-workloads" });
    const where = new Map(result.cpuOnly!.assignments.map((a) => [a.workload, a.node]));
    // 5,000 on the CPU node; the 3,000s: one more fits there (8,000), the other on the GPU node (4,000 left beside the GPU pods).
    expect(where.get("c0")).toBe("cpu");
    expect([where.get("c1"), where.get("c2")].sort()).toEqual(["cpu", "gpu"].sort());
    expect(result.cpuOnly!.onGpuNodes).toBe(1);
    const cpuOn = (node: string) => [...gpuPods, cpuPod("c0", 5_000), cpuPod("c1", 3_000), cpuPod("c2", 3_000)].filter((w) => [...result.best.assignments, ...result.cpuOnly!.assignments].some((a) => a.workload === w.id && a.node === node)).reduce((sum, w) => sum + (w.cpuMilli ?? 0), 0);
    expect(cpuOn("gpu")).toBeLessThanOrEqual(16_000);
    expect(cpuOn("cpu")).toBeLessThanOrEqual(8_000);
  });

  it("shows CPU contention on GPU nodes: what does not fit beside the GPU workloads is listed, and with cpuOnlyFirst it is reserved first", async () => {
    const cluster: GpuNode[] = [{ id: "gpu", model: "T4", gpuCount: 2, cpuMilli: 16_000, hostMemoryMiB: 65_536 }];
    const after = await optimizePacking([...gpuPods, cpuPod("c0", 8_000)], cluster, { headroom: 1 });
    expect(after.best.placedDemandShare).toBe(1);
    expect(after.cpuOnly!.unplaced).toEqual([{ workload: "c0", reason: "no node had room left for it" }]);
    expect(after.messages).toContain("1 of 1 CPU-only workloads did not fit on node CPU and memory (placed after the GPU workloads)");
    const first = await optimizePacking([...gpuPods, cpuPod("c0", 8_000)], cluster, { headroom: 1, cpuOnlyFirst: true });
    expect(first.cpuOnly).toMatchObject({ unplaced: [], onGpuNodes: 1, order: "before-gpu-workloads" });
    expect(first.best.assignments).toHaveLength(1);
    expect(first.best.placedDemandShare).toBeCloseTo(0.5, 9);
  });
});

describe("firstFitDecreasing", () => {
  it("places the largest dominant share first on the first GPU with room", () => {
    const placement = firstFitDecreasing(workloads([300, 700, 300]), nodes(1, 2), resolveOptions({ headroom: 1 }));
    expect(placement.gpusUsed).toBe(2);
    expect(placement.assignments.find((a) => a.workload === "w1")!.gpuIndexes).toEqual([0]);
  });
});

describe("firstFitDecreasing and bestFit under a deadline", () => {
  it("stop at the deadline and list what they had not reached as unplaced", () => {
    const passed = performance.now() - 1;
    for (const run of [firstFitDecreasing, bestFit]) {
      const placement = run(workloads([300, 700, 300]), nodes(1, 2), resolveOptions({ headroom: 1 }), passed);
      expect(placement.stoppedEarly).toBe(true);
      expect(placement.assignments).toHaveLength(0);
      expect(placement.unplaced.map((u) => u.reason)).toEqual(Array(3).fill("the time limit was reached before this method got to it"));
    }
    expect(firstFitDecreasing(workloads([300]), nodes(1, 1), resolveOptions({})).stoppedEarly).toBeUndefined();
  });
});

describe("optimizePacking on a cluster larger than one part", () => {
  it("splits it into parts, keeps within about its time limit and says which phases ran", async () => {
    // 2,600 nodes of 2 GPUs (3 parts) and 6,000 pods: more demand than GPUs.
    const cluster = Array.from({ length: 2_600 }, (_, i): GpuNode => ({ id: `n${i}`, model: i % 3 === 0 ? "V100" : "T4", gpuCount: 2, cpuMilli: 16_000, hostMemoryMiB: 65_536 }));
    const sizes = [250, 400, 500, 700, 1000];
    const list = Array.from({ length: 6_000 }, (_, i): Workload => ({ id: `w${i}`, gpuCount: i % 17 === 0 ? 2 : 1, gpuMilli: i % 17 === 0 ? 1000 : sizes[i % 5], cpuMilli: 1_000 + (i % 4) * 1_000, hostMemoryMiB: 4_096, kind: "batch", allowedModels: i % 7 === 0 ? ["T4"] : undefined }));
    const timeLimitMs = 4_000;
    const result = await optimizePacking(list, cluster, { headroom: 1, maxWorkloadsPerGpu: Number.POSITIVE_INFINITY, timeLimitMs });
    expect(result.parts).toBe(3);
    // Loose on purpose (the test machine is shared): an unbounded baseline or bound would take far longer.
    expect(result.seconds).toBeLessThan((timeLimitMs / 1000) * 2);
    expect(result.phases.map((p) => p.name)).toEqual(expect.arrayContaining(["baseline ffd", "baseline best-fit", "lower bound", "transplant to 2 parts"]));
    expect(result.best.placedDemandShare).toBeGreaterThanOrEqual(result.baselines.ffd.placedDemandShare);
    expect(placementViolations(result.best, list, cluster)).toEqual([]);
  });
});

describe("bestFit", () => {
  it("prefers the fullest GPU that still has room", () => {
    const placement = bestFit(workloads([600, 500, 400]), nodes(1, 3), resolveOptions({ headroom: 1 }));
    // 600 and 500 take two GPUs; 400 goes with the 600 (fuller), not the 500.
    const of = (id: string) => placement.assignments.find((a) => a.workload === id)!.gpuIndexes[0];
    expect(of("w2")).toBe(of("w0"));
  });
});

describe("consolidateWithinBudget", () => {
  it("returns undefined without a current placement", () => {
    expect(consolidateWithinBudget(workloads([100]), nodes(1, 1), resolveOptions({}))).toBeUndefined();
  });
});
