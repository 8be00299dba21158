import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { attributeSavings, splitByLargestRemainder, totalSaving, type PoolSaving } from "../../../solver/plan/attribute-savings.ts";

describe("splitByLargestRemainder", () => {
  it("splits in proportion and gives the leftover units to the largest remainders", () => {
    expect(splitByLargestRemainder(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(splitByLargestRemainder(10, [3, 0, 1])).toEqual([8, 0, 2]);
    expect(splitByLargestRemainder(5, [0, 0])).toEqual([3, 2]);
  });

  it("always sums exactly to the total", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 20 }), (total, weights) => {
        const shares = splitByLargestRemainder(total, weights);
        expect(shares.reduce((s, v) => s + v, 0)).toBe(total);
        expect(shares.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
      }),
    );
  });
});

describe("attributeSavings", () => {
  it("splits each pool's cash, capacity and rent across the actions that take GPU-hours off it, summing to the totals", () => {
    const savings = new Map<string, PoolSaving>([
      ["c/A100", { cashCents: 1_000_001, capacityCentiGpuHours: 0, rentEquivalentCents: null }],
      ["c/H100", { cashCents: 0, capacityCentiGpuHours: 292_000, rentEquivalentCents: 1_460_000 }],
    ]);
    const shares = attributeSavings(savings, [new Map([["c/A100", 200]]), new Map([["c/A100", 100], ["c/H100", 50]]), new Map([["c/H100", 150]])]);
    expect(shares.map((s) => s.cashSavingPerMonth)).toEqual([6666.67, 3333.34, 0]);
    expect(shares.map((s) => s.capacityFreedGpuHoursPerMonth)).toEqual([0, 730, 2190]);
    expect(shares.map((s) => s.rentEquivalentPerMonth)).toEqual([null, 3650, 10950]);
    const total = totalSaving(savings);
    expect(Math.round(shares.reduce((s, a) => s + a.cashSavingPerMonth, 0) * 100)).toBe(Math.round(total.cashSavingPerMonth * 100));
  });

  it("refuses a pool that frees something no action touches", () => {
    expect(() => attributeSavings(new Map([["c/A100", { cashCents: 5, capacityCentiGpuHours: 0, rentEquivalentCents: null }]]), [new Map()])).toThrow(/no action touches it/);
  });
});
