import { describe, expect, it } from "vitest";
import { ClusterState } from "../../solver/packing/cluster-state.ts";
import { leftoverCapacity } from "../../solver/packing/fragmentation.ts";
import { improvePlacement } from "../../solver/packing/improve.ts";
import { resolveOptions, type GpuNode, type Workload } from "../../solver/packing/types.ts";

const options = resolveOptions({ headroom: 1, maxWorkloadsPerGpu: Number.POSITIVE_INFINITY, allowLatencySensitiveSharing: true });

function at(state: ClusterState, id: string): string | undefined {
  return state.assignments.get(id)?.node;
}

describe("improvePlacement", () => {
  it("moves a placed workload to another node to make room (ejection)", () => {
    const cluster: GpuNode[] = [
      { id: "small", model: "T4", gpuCount: 1, cpuMilli: 4_000 },
      { id: "big", model: "T4", gpuCount: 1, cpuMilli: 16_000 },
    ];
    const v: Workload = { id: "v", gpuCount: 1, gpuMilli: 500, cpuMilli: 1_000, kind: "batch" };
    const u: Workload = { id: "u", gpuCount: 1, gpuMilli: 1000, cpuMilli: 8_000, kind: "batch" };
    const state = new ClusterState(cluster, options);
    state.place(v, [1]);
    const result = improvePlacement(state, [v, u], [u], Number.POSITIVE_INFINITY);
    expect(result.unplaced).toHaveLength(0);
    expect(at(state, "u")).toBe("big");
    expect(at(state, "v")).toBe("small");
    expect(result.stats.ejections).toBe(1);
  });

  it("swaps a smaller workload out for a larger one when nothing else fits (exchange)", () => {
    const cluster: GpuNode[] = [{ id: "n", model: "T4", gpuCount: 1 }];
    const v: Workload = { id: "v", gpuCount: 1, gpuMilli: 300, kind: "batch" };
    const u: Workload = { id: "u", gpuCount: 1, gpuMilli: 800, kind: "batch" };
    const state = new ClusterState(cluster, options);
    state.place(v, [0]);
    const result = improvePlacement(state, [v, u], [u], Number.POSITIVE_INFINITY);
    expect(result.unplaced.map((w) => w.id)).toEqual(["v"]);
    expect(at(state, "u")).toBe("n");
    expect(result.stats.exchanges).toBe(1);
  });

  it("swaps a host-heavy workload onto a host-rich node so that a third one fits (chain of two)", () => {
    const cluster: GpuNode[] = [
      { id: "poor", model: "T4", gpuCount: 2, cpuMilli: 8_000 },
      { id: "rich", model: "T4", gpuCount: 1, cpuMilli: 32_000 },
    ];
    const v: Workload = { id: "v", gpuCount: 1, gpuMilli: 1000, cpuMilli: 6_000, kind: "batch" };
    const x: Workload = { id: "x", gpuCount: 1, gpuMilli: 1000, cpuMilli: 3_000, kind: "batch" };
    const u: Workload = { id: "u", gpuCount: 1, gpuMilli: 1000, cpuMilli: 4_000, kind: "batch" };
    const state = new ClusterState(cluster, options);
    state.place(v, [0]);
    state.place(x, [2]);
    // No single move works: u lacks CPU on poor and a GPU on rich; x lacks CPU on poor; v has no GPU elsewhere.
    const result = improvePlacement(state, [v, x, u], [u], Number.POSITIVE_INFINITY);
    expect(result.unplaced).toHaveLength(0);
    expect(result.stats).toMatchObject({ ejections: 0, exchanges: 0, chains: 1 });
    expect([at(state, "u"), at(state, "x"), at(state, "v")]).toEqual(["poor", "poor", "rich"]);
  });

  it("never swaps out a workload worth as much or more", () => {
    const cluster: GpuNode[] = [{ id: "n", model: "T4", gpuCount: 1 }];
    const v: Workload = { id: "v", gpuCount: 1, gpuMilli: 800, kind: "batch" };
    const u: Workload = { id: "u", gpuCount: 1, gpuMilli: 800, kind: "batch" };
    const state = new ClusterState(cluster, options);
    state.place(v, [0]);
    const result = improvePlacement(state, [v, u], [u], Number.POSITIVE_INFINITY);
    expect(result.unplaced.map((w) => w.id)).toEqual(["u"]);
    expect(at(state, "v")).toBe("n");
  });
});

describe("leftoverCapacity", () => {
  it("counts free compute no unplaced workload can use as fragmented", () => {
    const cluster: GpuNode[] = [
      { id: "a", model: "T4", gpuCount: 2, cpuMilli: 8_000 },
      { id: "b", model: "T4", gpuCount: 1, cpuMilli: 1_000 },
    ];
    const state = new ClusterState(cluster, options);
    state.place({ id: "p", gpuCount: 1, gpuMilli: 700, cpuMilli: 1_000, kind: "batch" }, [0]);
    // Waiting: 500 milli and 2,000 millicores. GPU a/0 has 300 free (too little), a/1 is idle and usable, b/0 lacks CPU.
    const waiting: Workload[] = [{ id: "q", gpuCount: 1, gpuMilli: 500, cpuMilli: 2_000, kind: "batch" }];
    const left = leftoverCapacity(state, waiting);
    expect(left).toMatchObject({ idleGpus: 2, partlyUsedGpus: 1 });
    expect(left.freeGpus).toBeCloseTo(2.3, 6);
    expect(left.fragmentedGpus).toBeCloseTo(1.3, 6);
    expect(leftoverCapacity(state, []).fragmentedGpus).toBe(0);
  });
});
