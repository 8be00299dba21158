/**
 * Packing pods limited to GPU models (openb's gpu_spec): the scarcity
 * penalties, the order constrained pods are realised in, and the cascade
 * repair, on small instances whose best placement is known by construction.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClusterState } from "../../../solver/packing/cluster-state.ts";
import { placeConstrainedByCascade } from "../../../solver/packing/eviction-cascade.ts";
import { improvePlacement } from "../../../solver/packing/improve.ts";
import { constrainedFirst, optimizePacking } from "../../../solver/packing/optimize.ts";
import { modelPenalties, modelPressures, repinUnconstrained } from "../../../solver/packing/scarcity.ts";
import { resolveOptions, type GpuNode, type Workload } from "../../../solver/packing/types.ts";
import { placementViolations } from "../placement-checker.ts";

const options = resolveOptions({ headroom: 1, maxWorkloadsPerGpu: Number.POSITIVE_INFINITY, allowLatencySensitiveSharing: true });
const pod = (id: string, gpuMilli: number, allowedModels?: string[], cpuMilli?: number): Workload => ({ id, gpuCount: 1, gpuMilli, cpuMilli, kind: "batch", allowedModels });

describe("modelPressures", () => {
  it("counts the CPU the constrained pods need when it is tighter than the GPUs", () => {
    const nodes: GpuNode[] = [{ id: "p", model: "P100", gpuCount: 2, cpuMilli: 16_000 }];
    // 0.94 GPUs of compute on 2 GPUs, but 24 cores on a 16-core node.
    const pressures = modelPressures([pod("a", 470, ["P100"], 12_000), pod("b", 470, ["P100"], 12_000)], nodes);
    expect(pressures.get("P100")).toBeCloseTo(1.5, 9);
  });
});

describe("placementPenalty", () => {
  const nodes: GpuNode[] = [
    { id: "p", model: "P100", gpuCount: 1 },
    { id: "v", model: "V100", gpuCount: 1 },
  ];
  const state = new ClusterState(nodes, { ...options, modelPenalty: new Map([["P100", 1.5], ["V100", 0.25]]) });

  it("charges a pod allowed on several models what a model costs over its least pressed one", () => {
    const wide = pod("wide", 1000, ["P100", "V100"]);
    expect(state.placementPenalty(wide, 0)).toBeCloseTo(1.25, 9);
    expect(state.placementPenalty(wide, 1)).toBe(0);
  });

  it("charges nothing to a pod with one allowed model and the model's penalty to one allowed anywhere", () => {
    expect(state.placementPenalty(pod("narrow", 1000, ["P100"]), 0)).toBe(0);
    expect(state.placementPenalty(pod("any", 1000), 0)).toBe(1.5);
    expect(state.placementPenalty(pod("any", 1000), 1)).toBe(0.25);
  });
});

describe("constrainedFirst", () => {
  it("orders pods by how few GPUs they may use, then by size, pods allowed anywhere last", () => {
    const nodes: GpuNode[] = [
      { id: "p", model: "P100", gpuCount: 2 },
      { id: "v", model: "V100", gpuCount: 4 },
    ];
    const order = constrainedFirst([pod("any", 1000), pod("wide", 1000, ["P100", "V100"]), pod("narrow-small", 100, ["P100"]), pod("narrow-big", 900, ["P100"])], nodes);
    expect(order.map((w) => w.id)).toEqual(["narrow-big", "narrow-small", "wide", "any"]);
  });
});

describe("placeConstrainedByCascade", () => {
  // p100 holds x (P100 or V100), v100 holds y (any model), g2 is free; u may use only P100.
  // Everything fits only as u on p100, x on v100, y on g2: two moves in a chain.
  const nodes: GpuNode[] = [
    { id: "p100", model: "P100", gpuCount: 1 },
    { id: "v100", model: "V100", gpuCount: 1 },
    { id: "g2", model: "G2", gpuCount: 1 },
  ];
  const x = pod("x", 1000, ["P100", "V100"]);
  const y = pod("y", 1000);
  const u = pod("u", 1000, ["P100"]);
  const start = () => {
    const state = new ClusterState(nodes, { ...options, modelPenalty: modelPenalties([x, y, u], nodes) });
    state.place(x, [0]);
    state.place(y, [1]);
    return state;
  };

  it("places a waiting P100-only pod that the local search and the per-node repin leave out", () => {
    const searched = start();
    expect(improvePlacement(searched, [x, y, u], [u], Number.POSITIVE_INFINITY).unplaced).toEqual([u]);
    expect(repinUnconstrained(searched, [x, y], [u], Number.POSITIVE_INFINITY).unplaced).toEqual([u]);

    const state = start();
    const result = placeConstrainedByCascade(state, [x, y], [u], Number.POSITIVE_INFINITY);
    expect(result).toEqual({ unplaced: [], placed: 1 });
    expect(["u", "x", "y"].map((id) => state.assignments.get(id)!.node)).toEqual(["p100", "v100", "g2"]);
    expect(placementViolations(state.summarize("cascade", [x, y, u], []), [x, y, u], nodes)).toEqual([]);
  });

  it("undoes every move when the last pod of the chain finds no place", () => {
    const full = nodes.slice(0, 2);
    const state = new ClusterState(full, { ...options, modelPenalty: modelPenalties([x, y, u], full) });
    state.place(x, [0]);
    state.place(y, [1]);
    const result = placeConstrainedByCascade(state, [x, y], [u], Number.POSITIVE_INFINITY);
    expect(result).toEqual({ unplaced: [u], placed: 0 });
    expect(["x", "y"].map((id) => state.assignments.get(id)!.node)).toEqual(["p100", "v100"]);
    expect(state.assignments.has("u")).toBe(false);
  });

  it("never unplaces a placed pod, never lowers the demand placed and keeps every rule (random instances)", () => {
    const models = ["A", "B", "C"];
    const instance = fc.record({
      nodes: fc.array(fc.record({ model: fc.constantFrom(...models), gpuCount: fc.integer({ min: 1, max: 4 }), cpuMilli: fc.integer({ min: 4, max: 32 }) }), { minLength: 1, maxLength: 6 }),
      pods: fc.array(
        fc.record({
          gpuCount: fc.integer({ min: 1, max: 2 }),
          gpuMilli: fc.constantFrom(100, 250, 500, 810, 1000),
          cpuMilli: fc.integer({ min: 0, max: 8 }),
          allowed: fc.option(fc.subarray(models, { minLength: 1 })),
        }),
        { minLength: 1, maxLength: 24 },
      ),
    });
    fc.assert(
      fc.property(instance, ({ nodes: shapes, pods: specs }) => {
        const cluster: GpuNode[] = shapes.map((s, i) => ({ id: `n${i}`, model: s.model, gpuCount: s.gpuCount, cpuMilli: s.cpuMilli * 1000 }));
        const workloads: Workload[] = specs.map((s, i) => ({ id: `w${i}`, gpuCount: s.gpuCount, gpuMilli: s.gpuCount > 1 ? 1000 : s.gpuMilli, cpuMilli: s.cpuMilli * 1000, kind: "batch", allowedModels: s.allowed ?? undefined }));
        const state = new ClusterState(cluster, { ...options, modelPenalty: modelPenalties(workloads, cluster) });
        // Pods allowed anywhere first, so they sit on the models the constrained ones need.
        const waiting: Workload[] = [];
        for (const w of [...workloads].sort((a, b) => Number(Boolean(a.allowedModels)) - Number(Boolean(b.allowedModels)))) {
          const gpus = cluster.map((_, n) => state.findGpus(w, n, "first")).find((g) => g !== undefined);
          if (gpus) state.place(w, gpus);
          else waiting.push(w);
        }
        const placedBefore = new Set(state.assignments.keys());
        const demandBefore = state.summarize("before", workloads, []).placedDemandShare;
        const result = placeConstrainedByCascade(state, workloads, waiting, Number.POSITIVE_INFINITY);
        const after = state.summarize("after", workloads, result.unplaced.map((w) => ({ workload: w.id, reason: "" })));
        expect(placementViolations(after, workloads, cluster)).toEqual([]);
        for (const id of placedBefore) expect(state.assignments.has(id)).toBe(true);
        expect(after.placedDemandShare).toBeGreaterThanOrEqual(demandBefore - 1e-12);
        expect(result.unplaced.length + after.assignments.length).toBe(workloads.length);
      }),
      { numRuns: 150, seed: 20 },
    );
  });
});

describe("optimizePacking with model-constrained pods", () => {
  it("places every pod when P100 CPU must go to the P100-only pods and the pods with more choice to V100", async () => {
    // P100 nodes: 16 cores for 2 GPUs; the four P100-only pods need all 32 cores, so the
    // four pods that may also use V100 must all go there, and the two allowed anywhere to G2.
    const nodes: GpuNode[] = [
      { id: "p100-a", model: "P100", gpuCount: 2, cpuMilli: 16_000 },
      { id: "p100-b", model: "P100", gpuCount: 2, cpuMilli: 16_000 },
      { id: "v100", model: "V100", gpuCount: 4, cpuMilli: 48_000 },
      { id: "g2", model: "G2", gpuCount: 2, cpuMilli: 8_000 },
    ];
    const wide = [1, 2, 3, 4].map((i) => pod(`wide-${i}`, 1000, ["P100", "V100"], 11_300));
    const narrow = [1, 2, 3, 4].map((i) => pod(`narrow-${i}`, 470, ["P100"], 8_000));
    const pods = [...wide, ...narrow, pod("any-1", 810, undefined, 3_000), pod("any-2", 810, undefined, 3_000)];
    const result = await optimizePacking(pods, nodes, { headroom: 1, maxWorkloadsPerGpu: 4, timeLimitMs: 3_000 });
    expect(result.best.unplaced).toEqual([]);
    expect(placementViolations(result.best, pods, nodes)).toEqual([]);
    for (const w of wide) expect(result.best.assignments.find((a) => a.workload === w.id)!.node).toBe("v100");
  });

  it("never places a pod on a model it may not use and keeps every rule (random instances)", async () => {
    const models = ["T4", "P100", "V100"];
    const instance = fc.record({
      nodes: fc.array(fc.record({ model: fc.constantFrom(...models), gpuCount: fc.constantFrom(1, 2, 4), cpuMilli: fc.integer({ min: 8, max: 48 }) }), { minLength: 1, maxLength: 5 }),
      pods: fc.array(
        fc.record({ gpuCount: fc.integer({ min: 1, max: 2 }), gpuMilli: fc.constantFrom(110, 320, 470, 810, 1000), cpuMilli: fc.integer({ min: 1, max: 12 }), allowed: fc.option(fc.subarray(models, { minLength: 1 })) }),
        { minLength: 1, maxLength: 16 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(instance, async ({ nodes: shapes, pods: specs }) => {
        const cluster: GpuNode[] = shapes.map((s, i) => ({ id: `n${i}`, model: s.model, gpuCount: s.gpuCount, cpuMilli: s.cpuMilli * 1000 }));
        const workloads: Workload[] = specs.map((s, i) => ({ id: `w${i}`, gpuCount: s.gpuCount, gpuMilli: s.gpuCount > 1 ? 1000 : s.gpuMilli, cpuMilli: s.cpuMilli * 1000, kind: "batch", allowedModels: s.allowed ?? undefined }));
        const result = await optimizePacking(workloads, cluster, { headroom: 1, maxWorkloadsPerGpu: 8, timeLimitMs: 300 });
        expect(placementViolations(result.best, workloads, cluster)).toEqual([]);
        const model = new Map(cluster.map((n) => [n.id, n.model]));
        const byId = new Map(workloads.map((w) => [w.id, w]));
        for (const a of result.best.assignments) {
          const allowed = byId.get(a.workload)!.allowedModels;
          if (allowed) expect(allowed).toContain(model.get(a.node));
        }
      }),
      { numRuns: 30, seed: 20 },
    );
  });
});
