/**
 * The cost-of-ownership calculator's form: the admin CLI's names for the inputs
 * (`set-price --tco purchase=…,months=…`), and the rate from the pricing domain's
 * formula. Pure.
 */
import { HOURS_PER_MONTH, TCO_INPUT_KEYS, tcoArgument, tcoCostPerGpuHour, type TcoBreakdown, type TcoInputKey, type TcoInputs } from "@/server/domain/pricing";

export interface TcoFormField {
  key: TcoInputKey;
  label: string;
  /** Unit shown after the field; "currency" is replaced by the chosen currency. */
  unit: string;
  /** The range the formula accepts, said when a value is outside it. */
  range: string;
  step: string;
}

export const TCO_FORM_FIELDS: readonly TcoFormField[] = [
  { key: "purchase", label: "Purchase price per GPU", unit: "currency", range: "0 or more", step: "100" },
  { key: "months", label: "Depreciation", unit: "months", range: "more than 0", step: "1" },
  { key: "watts", label: "Power per GPU", unit: "W", range: "0 or more", step: "10" },
  { key: "kwh", label: "Electricity", unit: "currency per kWh", range: "0 or more", step: "0.01" },
  { key: "pue", label: "PUE", unit: "data-centre power / IT power", range: "1 or more", step: "0.05" },
  { key: "overhead", label: "Overhead per GPU", unit: "currency per year", range: "0 or more", step: "100" },
];

export type TcoFormValues = Record<TcoInputKey, string>;

/** The example of the README's `set-price --tco` line. */
export const DEFAULT_TCO_FORM: TcoFormValues = { purchase: "30000", months: "36", watts: "1000", kwh: "0.12", pue: "1.4", overhead: "2500" };

export type TcoCalculation =
  | { ok: true; inputs: TcoInputs; breakdown: TcoBreakdown; costPerGpuMonth: number }
  | { ok: false; errors: Partial<Record<TcoInputKey, string>> };

const FIELD_TO_KEY = new Map(Object.entries(TCO_INPUT_KEYS).map(([key, field]) => [field as string, key as TcoInputKey]));

/** The rate per GPU-hour and its parts for the form's values, or what is wrong with each field. */
export function calculateTco(values: TcoFormValues): TcoCalculation {
  const inputs: Partial<TcoInputs> = {};
  const errors: Partial<Record<TcoInputKey, string>> = {};
  for (const { key } of TCO_FORM_FIELDS) {
    const text = values[key].trim();
    const value = text === "" ? Number.NaN : Number(text);
    if (!Number.isFinite(value)) errors[key] = "a number is required";
    else inputs[TCO_INPUT_KEYS[key]] = value;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  try {
    const breakdown = tcoCostPerGpuHour(inputs as TcoInputs);
    return { ok: true, inputs: inputs as TcoInputs, breakdown, costPerGpuMonth: breakdown.costPerGpuHour * HOURS_PER_MONTH };
  } catch (error) {
    // The domain names the field that is out of range ("pue: 0.9 is out of range").
    const key = FIELD_TO_KEY.get((error as Error).message.split(":")[0]);
    if (!key) throw error;
    const field = TCO_FORM_FIELDS.find((f) => f.key === key)!;
    return { ok: false, errors: { [key]: `out of range: ${field.range}` } };
  }
}

/** The admin CLI line that adds the same price. */
export function setPriceCommand(gpuModel: string, inputs: TcoInputs, currency: string): string {
  const quoted = /^[A-Za-z0-9._-]+$/.test(gpuModel) ? gpuModel : `"${gpuModel.replace(/(["\\$`])/g, "\\$1")}"`;
  return `npm run admin -- set-price --model ${quoted} --tco ${tcoArgument(inputs)}${currency === "USD" ? "" : ` --currency ${currency}`}`;
}

/** A rate per GPU-hour with four decimals and its currency ("$1.5949"). */
export function formatRatePerGpuHour(value: number, currency: string): string {
  try {
    return new Intl.NumberFormat("en-US", { style: "currency", currency, minimumFractionDigits: 4, maximumFractionDigits: 4 }).format(value);
  } catch {
    return `${value.toFixed(4)} ${currency}`;
  }
}
