import { describe, expect, it } from "vitest";
import { migFraction, priceChangePoints, priceFor, tcoArgument, tcoCostPerGpuHour, type PriceEntry } from "../../../server/domain/pricing";

const HOUR_MS = 3_600_000;
const NOV_1_MS = Date.UTC(2026, 10, 1);

function entry(id: number, overrides: Partial<PriceEntry> = {}): PriceEntry {
  return { id, gpuModel: "NVIDIA H100 80GB HBM3", costPerGpuHour: 4, currency: "USD", effectiveFromMs: NOV_1_MS, effectiveToMs: null, nodeLabelKey: null, nodeLabelValue: null, ...overrides };
}

describe("tcoCostPerGpuHour", () => {
  it("adds amortization, power and overhead per GPU-hour", () => {
    const breakdown = tcoCostPerGpuHour({
      purchasePricePerGpu: 30_000,
      amortizationMonths: 36,
      powerDrawW: 1000,
      electricityPricePerKwh: 0.12,
      pue: 1.4,
      yearlyOverheadPerGpu: 2_190,
    });
    expect(breakdown.amortizationPerGpuHour).toBeCloseTo(30_000 / (36 * 730), 10); // 1.1416
    expect(breakdown.powerPerGpuHour).toBeCloseTo(1 * 0.12 * 1.4, 10); // 0.168
    expect(breakdown.overheadPerGpuHour).toBeCloseTo(0.25, 10);
    expect(breakdown.costPerGpuHour).toBeCloseTo(30_000 / 26_280 + 0.168 + 0.25, 10);
  });

  it("refuses inputs out of range, naming the input", () => {
    expect(() =>
      tcoCostPerGpuHour({ purchasePricePerGpu: 1, amortizationMonths: 0, powerDrawW: 1, electricityPricePerKwh: 1, pue: 1.2, yearlyOverheadPerGpu: 0 }),
    ).toThrow(/^amortizationMonths/);
    expect(() =>
      tcoCostPerGpuHour({ purchasePricePerGpu: 1, amortizationMonths: 12, powerDrawW: 1, electricityPricePerKwh: 1, pue: 0.9, yearlyOverheadPerGpu: 0 }),
    ).toThrow(/^pue/);
  });
});

describe("priceFor", () => {
  it("takes the entry in force, the latest to take effect winning", () => {
    const entries = [entry(1), entry(2, { costPerGpuHour: 5, effectiveFromMs: NOV_1_MS + 10 * HOUR_MS })];
    expect(priceFor(entries, "NVIDIA H100 80GB HBM3", {}, NOV_1_MS + HOUR_MS)?.costPerGpuHour).toBe(4);
    expect(priceFor(entries, "NVIDIA H100 80GB HBM3", {}, NOV_1_MS + 10 * HOUR_MS)?.costPerGpuHour).toBe(5);
    expect(priceFor(entries, "NVIDIA H100 80GB HBM3", {}, NOV_1_MS - 1)).toBeNull();
    expect(priceFor(entries, "Tesla T4", {}, NOV_1_MS)).toBeNull();
  });

  it("prefers a node-label override on the nodes that carry the label", () => {
    const entries = [entry(1), entry(2, { costPerGpuHour: 2.5, nodeLabelKey: "pool", nodeLabelValue: "reserved" })];
    expect(priceFor(entries, "NVIDIA H100 80GB HBM3", { pool: "reserved" }, NOV_1_MS)?.costPerGpuHour).toBe(2.5);
    expect(priceFor(entries, "NVIDIA H100 80GB HBM3", { pool: "spot" }, NOV_1_MS)?.costPerGpuHour).toBe(4);
  });

  it("stops applying an entry at its effective end", () => {
    expect(priceFor([entry(1, { effectiveToMs: NOV_1_MS + HOUR_MS })], "NVIDIA H100 80GB HBM3", {}, NOV_1_MS + HOUR_MS)).toBeNull();
  });
});

describe("priceChangePoints", () => {
  it("lists price starts and ends inside the window, rounded up to whole hours", () => {
    const entries = [entry(1, { effectiveFromMs: NOV_1_MS + 90 * 60_000, effectiveToMs: NOV_1_MS + 5 * HOUR_MS })];
    expect(priceChangePoints(entries, NOV_1_MS, NOV_1_MS + 10 * HOUR_MS)).toEqual([NOV_1_MS + 2 * HOUR_MS, NOV_1_MS + 5 * HOUR_MS]);
    expect(priceChangePoints(entries, NOV_1_MS + 6 * HOUR_MS, NOV_1_MS + 10 * HOUR_MS)).toEqual([]);
  });
});

describe("migFraction", () => {
  it("reads the GPU instance's compute slices out of seven", () => {
    expect(migFraction("1g.10gb")).toBeCloseTo(1 / 7, 10);
    expect(migFraction("MIG 3g.40gb")).toBeCloseTo(3 / 7, 10);
    expect(migFraction("1c.3g.40gb")).toBeCloseTo(3 / 7, 10);
    expect(migFraction("7g.80gb")).toBe(1);
    expect(migFraction("A100-4C")).toBeNull();
    expect(migFraction(null)).toBeNull();
  });
});

describe("tcoArgument", () => {
  it("writes the inputs as the admin CLI's --tco argument, in its key order", () => {
    expect(
      tcoArgument({ purchasePricePerGpu: 35_000, amortizationMonths: 48, powerDrawW: 1_100, electricityPricePerKwh: 0.12, pue: 1.3, yearlyOverheadPerGpu: 2_500 }),
    ).toBe("purchase=35000,months=48,watts=1100,kwh=0.12,pue=1.3,overhead=2500");
  });
});
