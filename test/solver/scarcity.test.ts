import { describe, expect, it } from "vitest";
import { modelPenalties, repinUnconstrained } from "../../solver/packing/scarcity.ts";
import { placeBestFit } from "../../solver/packing/baselines.ts";
import { ClusterState } from "../../solver/packing/cluster-state.ts";
import { resolveOptions, type GpuNode, type Workload } from "../../solver/packing/types.ts";
import { placementViolations } from "./placement-checker.ts";

const pod = (id: string, gpuMilli: number, allowedModels?: string[]): Workload => ({ id, gpuCount: 1, gpuMilli, kind: "batch", allowedModels });
const cluster: GpuNode[] = [
  { id: "t4", model: "T4", gpuCount: 1 },
  { id: "v100", model: "V100", gpuCount: 2 },
];

describe("modelPenalties", () => {
  it("prices a model by the constrained demand only it can take, and is absent without constrained workloads", () => {
    const penalties = modelPenalties([pod("u", 600, ["T4"]), pod("w", 1000, ["T4"]), pod("any", 500)], cluster)!;
    // 1.6 GPUs of T4-only demand on 1 T4 GPU: full, so unconstrained work goes there only when nothing else fits.
    expect(penalties.get("T4")).toBe(100);
    expect(penalties.get("V100")).toBe(0);
    expect(modelPenalties([pod("any", 500)], cluster)).toBeUndefined();
  });
});

describe("placeBestFit with model penalties", () => {
  it("keeps a workload that may run anywhere off a model constrained work needs", () => {
    const options = { ...resolveOptions({ headroom: 1 }), modelPenalty: new Map([["T4", 100], ["V100", 0]]) };
    const state = new ClusterState(cluster, options);
    // Without the penalty the T4 (listed first, equally empty) would win the tie.
    expect(placeBestFit(state, pod("any", 500))).toBe(true);
    expect(state.assignments.get("any")!.node).toBe("v100");
    const plain = new ClusterState(cluster, resolveOptions({ headroom: 1 }));
    placeBestFit(plain, pod("any", 500));
    expect(plain.assignments.get("any")!.node).toBe("t4");
  });
});

describe("repinUnconstrained", () => {
  it("moves unconstrained work off a node a waiting T4-only pod needs when no single ejection frees enough", () => {
    const options = resolveOptions({ headroom: 1, maxWorkloadsPerGpu: Number.POSITIVE_INFINITY });
    const state = new ClusterState(cluster, options);
    const [a, b, u] = [pod("a", 500), pod("b", 500), pod("u", 600, ["T4"])];
    state.place(a, [0]);
    state.place(b, [0]);
    const { unplaced, moves } = repinUnconstrained(state, [a, b], [u], Number.POSITIVE_INFINITY);
    expect(unplaced).toEqual([]);
    expect(moves).toBe(1);
    expect(state.assignments.get("u")!.node).toBe("t4");
    expect([state.assignments.get("a")!.node, state.assignments.get("b")!.node]).toEqual(["v100", "v100"]);
    const placement = state.summarize("repinned", [a, b, u], []);
    expect(placementViolations(placement, [a, b, u], cluster)).toEqual([]);
  });

  it("undoes a move that would not raise the demand placed", () => {
    const options = resolveOptions({ headroom: 1, maxWorkloadsPerGpu: Number.POSITIVE_INFINITY });
    const full: GpuNode[] = [{ id: "t4", model: "T4", gpuCount: 1 }];
    const state = new ClusterState(full, options);
    const [a, u] = [pod("a", 900), pod("u", 600, ["T4"])];
    state.place(a, [0]);
    const { unplaced, moves } = repinUnconstrained(state, [a], [u], Number.POSITIVE_INFINITY);
    expect(moves).toBe(0);
    expect(unplaced).toEqual([u]);
    expect(state.assignments.get("a")!.node).toBe("t4");
  });
});
