import { describe, expect, it } from "vitest";
import { placeableDemandUpperBound } from "../../solver/packing/upper-bound.ts";
import { optimizePacking } from "../../solver/packing/optimize.ts";
import { resolveOptions, type GpuNode, type Workload } from "../../solver/packing/types.ts";
import { placementViolations } from "./placement-checker.ts";

const open = resolveOptions({ headroom: 1, maxWorkloadsPerGpu: Number.POSITIVE_INFINITY, allowLatencySensitiveSharing: true });

function pod(id: string, gpuMilli: number, extra: Partial<Workload> = {}): Workload {
  return { id, gpuCount: 1, gpuMilli, kind: "batch", ...extra };
}

/** Most demand (GPUs) any placement achieves, by trying every assignment (tiny cases only). */
function bruteForceBest(list: readonly Workload[], cluster: readonly GpuNode[]): number {
  const cpu = cluster.map((n) => n.cpuMilli ?? Infinity);
  const memory = cluster.map((n) => n.hostMemoryMiB ?? Infinity);
  const milli = cluster.map((n) => new Array<number>(n.gpuCount).fill(0));
  let best = 0;
  const subsets = (n: number, k: number): number[][] => (k === 0 ? [[]] : n < k ? [] : [...subsets(n - 1, k), ...subsets(n - 1, k - 1).map((s) => [...s, n - 1])]);
  const visit = (i: number, placed: number): void => {
    if (i === list.length) {
      best = Math.max(best, placed);
      return;
    }
    const w = list[i];
    visit(i + 1, placed);
    cluster.forEach((node, n) => {
      if (w.allowedModels && !w.allowedModels.includes(node.model)) return;
      if ((w.cpuMilli ?? 0) > cpu[n] || (w.hostMemoryMiB ?? 0) > memory[n]) return;
      for (const gpus of subsets(node.gpuCount, w.gpuCount)) {
        if (gpus.some((g) => milli[n][g] + w.gpuMilli > 1000)) continue;
        for (const g of gpus) milli[n][g] += w.gpuMilli;
        cpu[n] -= w.cpuMilli ?? 0;
        memory[n] -= w.hostMemoryMiB ?? 0;
        visit(i + 1, placed + (w.gpuMilli * w.gpuCount) / 1000);
        for (const g of gpus) milli[n][g] -= w.gpuMilli;
        cpu[n] += w.cpuMilli ?? 0;
        memory[n] += w.hostMemoryMiB ?? 0;
      }
    });
  };
  visit(0, 0);
  return best;
}

describe("placeableDemandUpperBound", () => {
  it("is tight when GPUs run out: three whole-GPU pods on two GPUs place at most 2 GPUs of 3", async () => {
    const bound = await placeableDemandUpperBound([pod("a", 1000), pod("b", 1000), pod("c", 1000)], [{ id: "n", model: "T4", gpuCount: 2 }], open, 5_000);
    expect(bound.converged).toBe(true);
    expect(bound.gpus).toBeCloseTo(2, 6);
    expect(bound.share).toBeCloseTo(2 / 3, 6);
  });

  it("says what proved the bound: the LP at convergence, the trivial bound when no time was left", async () => {
    const list = [pod("a", 1000), pod("b", 1000), pod("c", 1000)];
    const cluster: GpuNode[] = [{ id: "n", model: "T4", gpuCount: 2 }];
    expect(await placeableDemandUpperBound(list, cluster, open, 5_000)).toMatchObject({ method: "lp", converged: true });
    const none = await placeableDemandUpperBound(list, cluster, open, 0);
    expect(none).toMatchObject({ method: "placeable-alone", converged: false, iterations: 0 });
    expect(none.gpus).toBe(3);
  });

  it("counts that two 600-milli pods cannot share a GPU (a compute-only bound would allow 1 GPU)", async () => {
    const bound = await placeableDemandUpperBound([pod("a", 600), pod("b", 600)], [{ id: "n", model: "T4", gpuCount: 1 }], open, 5_000);
    expect(bound.gpus).toBeCloseTo(0.6, 6);
  });

  it("is tight when node CPU binds: 6,000 millicores hold two 3,000-millicore pods of four", async () => {
    const list = ["a", "b", "c", "d"].map((id) => pod(id, 1000, { cpuMilli: 3_000 }));
    const bound = await placeableDemandUpperBound(list, [{ id: "n", model: "T4", gpuCount: 4, cpuMilli: 6_000 }], open, 5_000);
    expect(bound.gpus).toBeCloseTo(2, 6);
  });

  it("gives nothing to a multi-GPU pod larger than every eligible node, or to a model no node has", async () => {
    const list = [pod("big", 1000, { gpuCount: 4 }), pod("a100", 500, { allowedModels: ["A100"] })];
    const bound = await placeableDemandUpperBound(list, [{ id: "n0", model: "T4", gpuCount: 2 }, { id: "n1", model: "T4", gpuCount: 2 }], open, 5_000);
    expect(bound.gpus).toBe(0);
    expect(bound.demandGpus).toBeCloseTo(4.5, 6);
  });

  it("is at least the brute-force optimum on random small clusters (and the optimizer, checked rule by rule, at most it), equal to it where it is tight", async () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    let tight = 0;
    for (let trial = 0; trial < 40; trial++) {
      const cluster: GpuNode[] = Array.from({ length: 2 }, (_, n) => ({
        id: `n${n}`,
        model: random() < 0.5 ? "T4" : "V100",
        gpuCount: 1 + Math.floor(random() * 3),
        cpuMilli: 4_000 + Math.floor(random() * 8) * 1_000,
        hostMemoryMiB: 8_192 + Math.floor(random() * 4) * 8_192,
      }));
      const list: Workload[] = Array.from({ length: 5 }, (_, i) => {
        const gpuCount = random() < 0.2 ? 2 : 1;
        return pod(`w${i}`, gpuCount > 1 ? 1000 : [250, 400, 500, 600, 1000][Math.floor(random() * 5)], {
          gpuCount,
          cpuMilli: 1_000 + Math.floor(random() * 4) * 1_000,
          hostMemoryMiB: 4_096 * (1 + Math.floor(random() * 3)),
          allowedModels: random() < 0.2 ? ["V100"] : undefined,
        });
      });
      const best = bruteForceBest(list, cluster);
      const bound = await placeableDemandUpperBound(list, cluster, open, 5_000);
      expect(bound.gpus).toBeGreaterThanOrEqual(best - 1e-6);
      const result = await optimizePacking(list, cluster, { headroom: 1, maxWorkloadsPerGpu: Number.POSITIVE_INFINITY, allowLatencySensitiveSharing: true, timeLimitMs: 2_000 });
      expect(placementViolations(result.best, list, cluster)).toEqual([]);
      expect(result.best.placedDemandShare * bound.demandGpus).toBeLessThanOrEqual(best + 1e-6);
      expect(result.placeableDemandBound.gpus).toBeGreaterThanOrEqual(best - 1e-6);
      if (Math.abs(bound.gpus - best) < 1e-6) tight++;
    }
    // Not a proof of strength, but a bound that is never tight would be useless.
    expect(tight).toBeGreaterThan(10);
  });
});
