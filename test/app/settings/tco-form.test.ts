import { describe, expect, it } from "vitest";
import { calculateTco, DEFAULT_TCO_FORM, formatRatePerGpuHour, setPriceCommand, TCO_FORM_FIELDS } from "../../../app/settings/tco-form";
import { TCO_INPUT_KEYS } from "../../../server/domain/pricing";

describe("calculateTco", () => {
  it("prices a GPU-hour from the form's text values with capital, power and overhead parts", () => {
    const result = calculateTco(DEFAULT_TCO_FORM);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    // 30,000 / (36 x 730 h) = 1.141553; 1 kW x 0.12 x 1.4 = 0.168; 2,500 / 8,760 h = 0.285388
    expect(result.breakdown.amortizationPerGpuHour).toBeCloseTo(1.1415525, 6);
    expect(result.breakdown.powerPerGpuHour).toBeCloseTo(0.168, 9);
    expect(result.breakdown.overheadPerGpuHour).toBeCloseTo(0.2853881, 6);
    expect(result.breakdown.costPerGpuHour).toBeCloseTo(1.5949406, 6);
    expect(result.costPerGpuMonth).toBeCloseTo(1.5949406 * 730, 3);
    expect(result.inputs).toEqual({ purchasePricePerGpu: 30000, amortizationMonths: 36, powerDrawW: 1000, electricityPricePerKwh: 0.12, pue: 1.4, yearlyOverheadPerGpu: 2500 });
  });

  it("names every field that is not a number", () => {
    expect(calculateTco({ ...DEFAULT_TCO_FORM, watts: "", kwh: "abc" })).toEqual({ ok: false, errors: { watts: "a number is required", kwh: "a number is required" } });
  });

  it("names the field the formula rejects, with the range it accepts", () => {
    expect(calculateTco({ ...DEFAULT_TCO_FORM, pue: "0.9" })).toEqual({ ok: false, errors: { pue: "out of range: 1 or more" } });
    expect(calculateTco({ ...DEFAULT_TCO_FORM, months: "0" })).toEqual({ ok: false, errors: { months: "out of range: more than 0" } });
  });

  it("has one field per key of the admin CLI's --tco argument", () => {
    expect(TCO_FORM_FIELDS.map((field) => field.key).sort()).toEqual(Object.keys(TCO_INPUT_KEYS).sort());
  });
});

describe("setPriceCommand", () => {
  it("writes the admin CLI line that adds the same price, quoting the model name", () => {
    const result = calculateTco(DEFAULT_TCO_FORM);
    if (!result.ok) throw new Error("the default form must be valid");
    expect(setPriceCommand("NVIDIA H100 80GB HBM3", result.inputs, "USD")).toBe(
      'npm run admin -- set-price --model "NVIDIA H100 80GB HBM3" --tco purchase=30000,months=36,watts=1000,kwh=0.12,pue=1.4,overhead=2500',
    );
    expect(setPriceCommand("h100", result.inputs, "EUR")).toBe(
      "npm run admin -- set-price --model h100 --tco purchase=30000,months=36,watts=1000,kwh=0.12,pue=1.4,overhead=2500 --currency EUR",
    );
  });
});

describe("formatRatePerGpuHour", () => {
  it("shows four decimals with the currency", () => {
    expect(formatRatePerGpuHour(1.5949406, "USD")).toBe("$1.5949");
    expect(formatRatePerGpuHour(0.168, "EUR")).toBe("€0.1680");
  });
});
