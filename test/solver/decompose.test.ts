import { describe, expect, it } from "vitest";
import { dealIntoParts, partCount, transplant } from "../../solver/packing/decompose.ts";
import { bestFit } from "../../solver/packing/baselines.ts";
import { ClusterState, nodeShape, workloadShape } from "../../solver/packing/cluster-state.ts";
import { resolveOptions, type GpuNode, type Workload } from "../../solver/packing/types.ts";
import { placementViolations } from "./placement-checker.ts";

const options = resolveOptions({ headroom: 1, maxWorkloadsPerGpu: Number.POSITIVE_INFINITY, allowLatencySensitiveSharing: true });

/** `copies` copies of a small mixed cluster and pod list, ids suffixed by copy. */
function copies(count: number): { nodes: GpuNode[]; workloads: Workload[] } {
  const nodes: GpuNode[] = [];
  const workloads: Workload[] = [];
  for (let c = 0; c < count; c++) {
    nodes.push({ id: `t4-a-${c}`, model: "T4", gpuCount: 2, cpuMilli: 16_000, hostMemoryMiB: 65_536 }, { id: `t4-b-${c}`, model: "T4", gpuCount: 2, cpuMilli: 16_000, hostMemoryMiB: 65_536 }, { id: `v100-${c}`, model: "V100", gpuCount: 4, cpuMilli: 32_000, hostMemoryMiB: 131_072 });
    [300, 300, 700, 500, 1000, 1000].forEach((gpuMilli, i) => workloads.push({ id: `p${i}-${c}`, gpuCount: 1, gpuMilli, cpuMilli: 2_000, hostMemoryMiB: 4_096, kind: "batch" }));
    workloads.push({ id: `big-${c}`, gpuCount: 2, gpuMilli: 1000, cpuMilli: 8_000, hostMemoryMiB: 8_192, kind: "batch" });
    workloads.push({ id: `t4only-${c}`, gpuCount: 1, gpuMilli: 600, cpuMilli: 1_000, hostMemoryMiB: 2_048, kind: "batch", allowedModels: ["T4"] });
  }
  return { nodes, workloads };
}

const shapes = (list: readonly string[]) => [...list].sort().join(";");

describe("dealIntoParts", () => {
  it("deals k copies of a cluster into k parts with the same node and workload shapes", () => {
    const { nodes, workloads } = copies(3);
    const parts = dealIntoParts(workloads, nodes, 3);
    expect(parts).toHaveLength(3);
    for (const part of parts) {
      expect(shapes(part.nodes.map(nodeShape))).toBe(shapes(parts[0].nodes.map(nodeShape)));
      expect(shapes(part.workloads.map(workloadShape))).toBe(shapes(parts[0].workloads.map(workloadShape)));
    }
    expect(parts.flatMap((p) => p.workloads).length).toBe(workloads.length);
  });

  it("splits only clusters larger than one part", () => {
    expect(partCount(copies(1).nodes)).toBe(1);
    expect(partCount(Array.from({ length: 3_000 }, (_, i) => ({ id: `n${i}`, model: "T4", gpuCount: 1 })))).toBe(3);
  });
});

describe("transplant", () => {
  it("repeats part 0's answer on a part of the same shapes, rule by rule", () => {
    const { nodes, workloads } = copies(2);
    const [first, second] = dealIntoParts(workloads, nodes, 2);
    const answer = bestFit(first.workloads, first.nodes, options);
    const state = new ClusterState(second.nodes, options);
    const left = transplant(answer, first, second, state);
    const copied = state.summarize("transplanted", second.workloads, left.map((w) => ({ workload: w.id, reason: "no room" })));
    expect(placementViolations(copied, second.workloads, second.nodes)).toEqual([]);
    expect(copied.placedDemandShare).toBeCloseTo(answer.placedDemandShare, 9);
    expect(copied.gpusUsed).toBe(answer.gpusUsed);
  });
});
