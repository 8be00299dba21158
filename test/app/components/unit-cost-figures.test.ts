import { describe, expect, it } from "vitest";
import type { UnitCostOutputRow } from "../../../server/api/unit-costs/unit-cost-output";
import { formatUnitCost, perLabel, topModelUnitCosts, unitLabel } from "../../../app/components/unit-cost-figures";

const DAY1 = "2026-11-02T00:00:00.000Z";
const DAY2 = "2026-11-03T00:00:00.000Z";

function row(model: string, unit: string, start: string, cost: number, count: number): UnitCostOutputRow {
  return {
    name: model,
    properties: { model },
    unit,
    per: 1_000_000,
    start,
    end: start,
    count,
    gpuHours: 1,
    cost,
    groupCost: cost,
    costPerUnits: count > 0 ? (cost / count) * 1e6 : null,
    workPerGpuHour: count,
    jobs: 1,
    currency: "USD",
  };
}

describe("topModelUnitCosts", () => {
  it("divides the window's summed cost by its summed count, keeps the daily series, and ranks models by cost", () => {
    const rows = [
      row("ranker", "samples", DAY2, 30, 1_000_000),
      row("ranker", "samples", DAY1, 10, 1_000_000),
      row("vision", "samples", DAY1, 50, 10_000_000),
      row("llama", "prompt_tokens", DAY1, 99, 1),
      row("__unallocated__", "samples", DAY1, 500, 1),
    ];
    const top = topModelUnitCosts(rows, "samples", 5);
    expect(top.map((entry) => [entry.model, entry.cost, entry.costPerUnits])).toEqual([
      ["vision", 50, 5],
      ["ranker", 40, 20],
    ]);
    expect(top[1].points).toEqual([
      { startMs: Date.parse(DAY1), costPerUnits: 10 },
      { startMs: Date.parse(DAY2), costPerUnits: 30 },
    ]);
    expect(topModelUnitCosts(rows, "samples", 1).map((entry) => entry.model)).toEqual(["vision"]);
  });
});

describe("perLabel", () => {
  it("names a million and a thousand", () => {
    expect([perLabel(1_000_000), perLabel(1_000)]).toEqual(["per 1M", "per 1k"]);
  });
});

describe("unitLabel", () => {
  it("reads the inference units as words", () => {
    expect([unitLabel("prompt_tokens"), unitLabel("generation_tokens"), unitLabel("samples")]).toEqual(["prompt tokens", "generated tokens", "samples"]);
  });
});

describe("formatUnitCost", () => {
  it("shows a cost from a cent up as money in cents", () => {
    expect(formatUnitCost(301.5, "USD")).toBe("$301.50");
    expect(formatUnitCost(1.5, "USD")).toBe("$1.50");
    expect(formatUnitCost(0, "USD")).toBe("$0.00");
  });

  it("shows a cost under a cent to three significant digits instead of $0.00", () => {
    expect(formatUnitCost(0.0031234, "USD")).toBe("$0.00312");
    expect(formatUnitCost(0.38, "USD")).toBe("$0.38");
    expect(formatUnitCost(0.0204, "EUR")).toBe("€0.0204");
  });

  it("says when there is no price, and shows a currency Intl does not know as a suffix", () => {
    expect(formatUnitCost(0.0031234, null)).toBe("0.00312 (no price)");
    expect(formatUnitCost(0.0031234, "XX1")).toBe("0.00312 XX1");
  });
});
