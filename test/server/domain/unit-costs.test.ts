/**
 * Unit costs over a small fleet (allocated costs as the allocation engine gives
 * them, literal prices: A100 2.50/h, H100 4.00/h):
 *
 *   job         model      GPU-hours          cost    work
 *   infer-1     llama-70b  10 on A100         25.00   50M prompt, 10M generated tokens, 20k requests
 *   train-1     ranker      4 on H100         16.00   2M samples
 *   train-2     ranker      2 on A100 + 2 H100 5.00 + 8.00  3M samples (split 1.5M / 1.5M by GPU-hours)
 *   notebook-1  ranker      1.2 on A100        3.00   none
 */
import { describe, expect, it } from "vitest";
import {
  attributeWork,
  computeUnitCosts,
  throughputEvidenceByJob,
  unitsPerFigure,
  type JobCostShare,
  type JobWorkCount,
} from "../../../server/domain/unit-costs";

const T0_MS = Date.UTC(2026, 10, 2, 0, 0, 0);
const DAY_MS = 86_400_000;
const A100 = "NVIDIA A100-SXM4-80GB";
const H100 = "NVIDIA H100 80GB HBM3";

function share(job: string, model: string, gpuModel: string, gpuHours: number, cost: number, stepStartMs = T0_MS): JobCostShare {
  return {
    jobKey: `c1/${job}`,
    properties: { cluster: "c1", job, team: model === "ranker" ? "search" : "serving", project: "p", model, experiment: `${model}-exp`, user: "alice" },
    gpuModel,
    stepStartMs,
    stepEndMs: stepStartMs + DAY_MS,
    gpuHours,
    cost,
  };
}

const work = (job: string, unit: string, count: number, stepStartMs = T0_MS): JobWorkCount => ({ jobKey: `c1/${job}`, unit, stepStartMs, count });

const COSTS = [
  share("infer-1", "llama-70b", A100, 10, 25),
  share("train-1", "ranker", H100, 4, 16),
  share("train-2", "ranker", A100, 2, 5),
  share("train-2", "ranker", H100, 2, 8),
  share("notebook-1", "ranker", A100, 1.2, 3),
];
const WORK = [
  work("infer-1", "prompt_tokens", 50_000_000),
  work("infer-1", "generation_tokens", 10_000_000),
  work("infer-1", "requests", 20_000),
  work("train-1", "samples", 2_000_000),
  work("train-2", "samples", 3_000_000),
];

describe("unitsPerFigure", () => {
  it("quotes tokens and samples per million and requests and other units per thousand", () => {
    expect(["prompt_tokens", "generation_tokens", "tokens", "samples"].map(unitsPerFigure)).toEqual([1e6, 1e6, 1e6, 1e6]);
    expect(["requests", "steps", "images", "frames"].map(unitsPerFigure)).toEqual([1e3, 1e3, 1e3, 1e3]);
  });
});

describe("computeUnitCosts", () => {
  it("prices a million prompt and generated tokens and a thousand requests of a served model at its whole allocated cost", () => {
    const { rows } = computeUnitCosts(COSTS, WORK, { aggregate: ["model"], units: null });
    const llama = rows.filter((row) => row.properties.model === "llama-70b");
    expect(llama.map((row) => [row.unit, row.cost, row.count, row.costPerUnits, row.workPerGpuHour])).toEqual([
      ["generation_tokens", 25, 10_000_000, 2.5, 1_000_000],
      ["prompt_tokens", 25, 50_000_000, 0.5, 5_000_000],
      ["requests", 25, 20_000, 1.25, 2_000],
    ]);
  });

  it("divides only the cost of the jobs that counted the unit, and shows the group's whole cost beside it", () => {
    const { rows } = computeUnitCosts(COSTS, WORK, { aggregate: ["model"], units: ["samples"] });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: "ranker", unit: "samples", per: 1e6, count: 5_000_000, gpuHours: 8, cost: 29, groupCost: 32, jobs: 2 });
    expect(rows[0].costPerUnits).toBeCloseTo(5.8, 12);
  });

  it("splits a job's work between its GPU models by GPU-hours", () => {
    const { rows } = computeUnitCosts(COSTS, WORK, { aggregate: ["gpuModel"], units: ["samples"] });
    const byModel = Object.fromEntries(rows.map((row) => [row.properties.gpuModel, row]));
    expect(byModel[H100]).toMatchObject({ count: 3_500_000, gpuHours: 6, cost: 24 });
    expect(byModel[H100].costPerUnits).toBeCloseTo((24 / 3.5), 12);
    expect(byModel[A100]).toMatchObject({ count: 1_500_000, gpuHours: 2, cost: 5, groupCost: 33 });
    expect(byModel[A100].workPerGpuHour).toBe(750_000);
  });

  it("adds up: each row's cost per unit times its units is its allocated cost, and the rows' costs sum to the total", () => {
    for (const aggregate of [["job"], ["model"], ["team", "gpuModel"], ["experiment"]] as const) {
      const { rows, totals } = computeUnitCosts(COSTS, WORK, { aggregate, units: null });
      for (const row of rows) expect(((row.costPerUnits ?? 0) * row.count) / row.per).toBeCloseTo(row.cost, 9);
      for (const total of totals) {
        const sum = rows.filter((row) => row.unit === total.unit).reduce((cost, row) => cost + row.cost, 0);
        expect(sum).toBeCloseTo(total.cost, 9);
      }
    }
    const { totals } = computeUnitCosts(COSTS, WORK, { aggregate: [], units: ["samples"] });
    expect(totals.map((total) => [total.unit, total.cost, total.count, total.groupCost])).toEqual([["samples", 29, 5_000_000, 57]]);
  });

  it("keeps one row per step and totals over every step, never averaging the steps' ratios", () => {
    const day2 = T0_MS + DAY_MS;
    const costs = [share("train-1", "ranker", H100, 4, 16), share("train-1", "ranker", H100, 4, 16, day2)];
    const counts = [work("train-1", "samples", 1_000_000), work("train-1", "samples", 3_000_000, day2)];
    const { rows, totals } = computeUnitCosts(costs, counts, { aggregate: ["model"], units: null });
    expect(rows.map((row) => row.startMs)).toEqual([T0_MS, day2]);
    expect(rows[0].costPerUnits).toBe(16);
    expect(rows[1].costPerUnits).toBeCloseTo(16 / 3, 12);
    expect(totals).toHaveLength(1);
    expect(totals[0]).toMatchObject({ startMs: T0_MS, endMs: day2 + DAY_MS, count: 4_000_000, cost: 32, costPerUnits: 8, jobs: 1 });
  });

  it("leaves out and reports work counted while its job held no GPU time", () => {
    const result = computeUnitCosts(COSTS, [...WORK, work("ghost", "samples", 999), work("train-1", "samples", 5, T0_MS + DAY_MS)], { aggregate: ["model"], units: null });
    expect(result.unattributedWork).toEqual([{ unit: "samples", count: 1004 }]);
    expect(result.rows.find((row) => row.unit === "samples")?.count).toBe(5_000_000);
  });

  it("sums the same job's work from several sources before dividing", () => {
    const { rows } = computeUnitCosts(COSTS, [work("train-1", "samples", 1_000_000), work("train-1", "samples", 1_000_000)], { aggregate: ["job"], units: null });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ count: 2_000_000, cost: 16, costPerUnits: 8 });
  });
});

describe("computeUnitCosts with names holding the separator", () => {
  it("keeps groups apart whose joined names read alike", () => {
    const costs = [
      { ...share("j1", "a/b", A100, 1, 1), properties: { ...share("j1", "a/b", A100, 1, 1).properties, team: "c" } },
      { ...share("j2", "a", A100, 1, 2), properties: { ...share("j2", "a", A100, 1, 2).properties, team: "b/c" } },
    ];
    const { rows } = computeUnitCosts(costs, [work("j1", "samples", 1_000_000), work("j2", "samples", 1_000_000)], { aggregate: ["model", "team"], units: null });
    expect(rows.map((row) => [row.name, row.properties, row.cost, row.groupCost]).sort((a, b) => Number(a[2]) - Number(b[2]))).toEqual([
      ["a/b/c", { model: "a/b", team: "c" }, 1, 1],
      ["a/b/c", { model: "a", team: "b/c" }, 2, 2],
    ]);
  });
});

describe("attributeWork", () => {
  it("attributes nothing to a job whose shares hold no GPU-hours", () => {
    const { attributed, unattributed } = attributeWork([share("idle-job", "m", A100, 0, 0)], [work("idle-job", "requests", 10)]);
    expect(attributed).toEqual([]);
    expect([...unattributed]).toEqual([["requests", 10]]);
  });
});

describe("throughputEvidenceByJob", () => {
  it("gives each job's measured work per GPU-hour on each GPU model it ran on", () => {
    const evidence = throughputEvidenceByJob(COSTS, WORK);
    expect(evidence.get("c1/train-2")).toEqual([
      { gpuModel: A100, unit: "samples", workPerGpuHour: 750_000 },
      { gpuModel: H100, unit: "samples", workPerGpuHour: 750_000 },
    ]);
    expect(evidence.get("c1/train-1")).toEqual([{ gpuModel: H100, unit: "samples", workPerGpuHour: 500_000 }]);
    expect(evidence.has("c1/notebook-1")).toBe(false);
  });
});
