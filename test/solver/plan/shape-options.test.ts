import { describe, expect, it } from "vitest";
import { buildFleetPools } from "../../../solver/plan/fleet-pools.ts";
import { shapeOptions } from "../../../solver/plan/shape-options.ts";
import { resolvePlanOptions } from "../../../solver/plan/validate-plan-input.ts";
import type { PlanWorkload } from "../../../solver/plan/types.ts";
import { node, planInput, price, workload } from "./plan-fixtures.ts";

const options = resolvePlanOptions({});
const nodes = [node("a100-1", "A100", 8), node("h100-1", "H100", 8), node("l4-1", "L4", 8, { gpuMemoryMiB: 24_576 })];
const pools = buildFleetPools(planInput(nodes, [], [price("A100", 2), price("H100", 4), price("L4", 1)])).pools;
const onA100 = (extra: Partial<PlanWorkload>) => workload("job", "A100", 8, [{ node: "a100-1", gpuIndexes: [0, 1, 2, 3, 4, 5, 6, 7] }], extra);
const shapesOn = (w: PlanWorkload, model: string, relative?: Record<string, number>) => shapeOptions(w, pools, relative, options).filter((s) => s.gpuModel === model);

describe("shapeOptions", () => {
  it("starts with today's shape and offers fewer GPUs of the same model from the p95 busy GPUs", () => {
    const shapes = shapeOptions(onA100({ busyGpusP95: 2.4 }), pools, undefined, options);
    expect(shapes[0]).toMatchObject({ gpuModel: "A100", gpuCount: 8, gpuMilli: 1000, throughput: "unchanged" });
    expect(shapes.slice(1).map((s) => [s.gpuModel, s.gpuCount])).toEqual([["A100", 3]]);
  });

  it("never cuts the GPUs a workload needs by more than half on assumed throughput alone", () => {
    // Needs 8 A100s; a peak ratio of 10 discounted to 5.5x would say 2 H100s: assumed throughput may only halve, to 4.
    const [h100] = shapesOn(onA100({ busyGpusP95: 6.4 }), "H100", { A100: 1, H100: 10 });
    expect(h100).toMatchObject({ gpuCount: 4, throughput: "assumed" });
  });

  it("counts an assumed speedup at its share and uses measured throughput when both models have it", () => {
    // Peak ratio 2 counted as 1.5: 8 / 1.5 -> 6 H100s; measured 4x -> 2 H100s.
    expect(shapesOn(onA100({ busyGpusP95: 6.4 }), "H100", { A100: 1, H100: 2 })[0]).toMatchObject({ gpuCount: 6, throughput: "assumed" });
    const measured = onA100({ busyGpusP95: 6.4, throughput: [{ gpuModel: "A100", workPerGpuHour: 100, unit: "samples" }, { gpuModel: "H100", workPerGpuHour: 400, unit: "samples" }] });
    expect(shapesOn(measured, "H100", { A100: 1, H100: 2 })[0]).toMatchObject({ gpuCount: 2, throughput: "measured" });
  });

  it("compares measured throughput across models only in one unit, else falls back to assumed", () => {
    const mixedUnits = onA100({ busyGpusP95: 6.4, throughput: [{ gpuModel: "A100", workPerGpuHour: 100, unit: "samples" }, { gpuModel: "H100", workPerGpuHour: 4_000, unit: "tokens" }] });
    expect(shapesOn(mixedUnits, "H100", { A100: 1, H100: 2 })[0]).toMatchObject({ gpuCount: 6, throughput: "assumed" });
    const secondUnitShared = onA100({
      busyGpusP95: 6.4,
      throughput: [
        { gpuModel: "A100", workPerGpuHour: 100, unit: "samples" },
        { gpuModel: "A100", workPerGpuHour: 1_000, unit: "tokens" },
        { gpuModel: "H100", workPerGpuHour: 4_000, unit: "tokens" },
      ],
    });
    expect(shapesOn(secondUnitShared, "H100", { A100: 1, H100: 2 })[0]).toMatchObject({ gpuCount: 2, throughput: "measured" });
  });

  it("counts an assumed slowdown in full and offers no model whose memory is too small or whose ratio is unknown", () => {
    const small = onA100({ gpuCount: 8, busyGpusP95: 0.8, memoryPerGpuP99MiB: 10_000 });
    expect(shapesOn(small, "L4", { A100: 1, L4: 0.5 }).map((s) => s.gpuCount)).toEqual([2]);
    expect(shapesOn(onA100({ busyGpusP95: 0.8, memoryPerGpuP99MiB: 40_000 }), "L4", { A100: 1, L4: 0.5 })).toEqual([]);
    expect(shapesOn(small, "H100", { A100: 1 })).toEqual([]);
  });

  it("offers a fraction of one GPU when the work and its memory fit a shared GPU", () => {
    const shapes = shapeOptions(onA100({ gpuCount: 1, current: [{ node: "a100-1", gpuIndexes: [0] }], busyGpusP95: 0.3, memoryPerGpuP99MiB: 20_000 }), pools, undefined, options);
    expect(shapes.find((s) => s.gpuMilli < 1000)).toMatchObject({ gpuModel: "A100", gpuCount: 1, gpuMilli: 380, capacityPerGpu: 0.5 });
  });
});
