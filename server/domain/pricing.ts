/**
 * GPU prices: the cost per GPU-hour of each GPU model, effective-dated, and the
 * on-prem cost-of-ownership formula. Pure.
 */

import { HOURS_PER_MONTH } from "../../solver/calendar";

export { HOURS_PER_MONTH };
export const HOURS_PER_YEAR = 8760;

export interface TcoInputs {
  /** Purchase price of one GPU's share of its server (GPU, host, network), in the currency. */
  purchasePricePerGpu: number;
  amortizationMonths: number;
  /** Average power drawn by one GPU and its share of the host, in watts. */
  powerDrawW: number;
  electricityPricePerKwh: number;
  /** Power usage effectiveness of the data centre (1.0 = no overhead; typical 1.2-1.6). */
  pue: number;
  /** Space, network, support and staff per GPU per year, in the currency. */
  yearlyOverheadPerGpu: number;
}

/**
 * The short names of the cost-of-ownership inputs, as the admin CLI takes them
 * (`set-price --tco purchase=…,months=…,watts=…,kwh=…,pue=…,overhead=…`) and the
 * settings page's calculator names its fields.
 */
export const TCO_INPUT_KEYS = {
  purchase: "purchasePricePerGpu",
  months: "amortizationMonths",
  watts: "powerDrawW",
  kwh: "electricityPricePerKwh",
  pue: "pue",
  overhead: "yearlyOverheadPerGpu",
} as const satisfies Record<string, keyof TcoInputs>;

export type TcoInputKey = keyof typeof TCO_INPUT_KEYS;

/** The CLI's `--tco` argument for `inputs` ("purchase=30000,months=36,…"). */
export function tcoArgument(inputs: TcoInputs): string {
  return (Object.entries(TCO_INPUT_KEYS) as [TcoInputKey, keyof TcoInputs][]).map(([key, field]) => `${key}=${inputs[field]}`).join(",");
}

export interface TcoBreakdown {
  costPerGpuHour: number;
  amortizationPerGpuHour: number;
  powerPerGpuHour: number;
  overheadPerGpuHour: number;
}

/**
 * On-prem cost of ownership per GPU-hour:
 *   amortization = purchase price / (amortization months x 730 h)
 *   power        = power draw (kW) x electricity price per kWh x PUE
 *   overhead     = yearly overhead / 8,760 h
 *   cost per GPU-hour = amortization + power + overhead
 * (the per-GPU form of (purchase / months + monthly power + monthly overhead) / hours in a month).
 */
export function tcoCostPerGpuHour(inputs: TcoInputs): TcoBreakdown {
  const checks: [keyof TcoInputs, boolean][] = [
    ["purchasePricePerGpu", inputs.purchasePricePerGpu >= 0],
    ["amortizationMonths", inputs.amortizationMonths > 0],
    ["powerDrawW", inputs.powerDrawW >= 0],
    ["electricityPricePerKwh", inputs.electricityPricePerKwh >= 0],
    ["pue", inputs.pue >= 1],
    ["yearlyOverheadPerGpu", inputs.yearlyOverheadPerGpu >= 0],
  ];
  for (const [field, ok] of checks) {
    if (!ok || !Number.isFinite(inputs[field])) throw new RangeError(`${field}: ${inputs[field]} is out of range`);
  }
  const amortizationPerGpuHour = inputs.purchasePricePerGpu / (inputs.amortizationMonths * HOURS_PER_MONTH);
  const powerPerGpuHour = (inputs.powerDrawW / 1000) * inputs.electricityPricePerKwh * inputs.pue;
  const overheadPerGpuHour = inputs.yearlyOverheadPerGpu / HOURS_PER_YEAR;
  return {
    costPerGpuHour: amortizationPerGpuHour + powerPerGpuHour + overheadPerGpuHour,
    amortizationPerGpuHour,
    powerPerGpuHour,
    overheadPerGpuHour,
  };
}

export interface PriceEntry {
  id: number;
  gpuModel: string;
  costPerGpuHour: number;
  currency: string;
  effectiveFromMs: number;
  /** Exclusive; null = open-ended. */
  effectiveToMs: number | null;
  nodeLabelKey: string | null;
  nodeLabelValue: string | null;
  /** cloud-on-demand | cloud-reserved | on-prem-tco; absent = cloud-on-demand (the price book's default). */
  source?: string;
}

function inForce(entry: PriceEntry, atMs: number): boolean {
  return entry.effectiveFromMs <= atMs && (entry.effectiveToMs === null || atMs < entry.effectiveToMs);
}

/**
 * The price of one GPU-hour of `gpuModel` on a node with `nodeLabels` at `atMs`:
 * a node-label override in force wins over the model's general price; among
 * several in force, the one that took effect last wins. null when none applies.
 */
export function priceFor(
  entries: readonly PriceEntry[],
  gpuModel: string,
  nodeLabels: Readonly<Record<string, string>>,
  atMs: number,
): PriceEntry | null {
  let best: PriceEntry | null = null;
  let bestIsOverride = false;
  for (const entry of entries) {
    if (entry.gpuModel !== gpuModel || !inForce(entry, atMs)) continue;
    const isOverride = entry.nodeLabelKey !== null;
    if (isOverride && nodeLabels[entry.nodeLabelKey!] !== entry.nodeLabelValue) continue;
    const better =
      best === null ||
      (isOverride && !bestIsOverride) ||
      (isOverride === bestIsOverride && (entry.effectiveFromMs > best.effectiveFromMs || (entry.effectiveFromMs === best.effectiveFromMs && entry.id > best.id)));
    if (better) {
      best = entry;
      bestIsOverride = isOverride;
    }
  }
  return best;
}

/**
 * The instants in (startMs, endMs) where some price starts or stops, rounded up to
 * whole hours (an hour is priced by the entry in force at its start), so the
 * window can be cut into periods of constant prices.
 */
export function priceChangePoints(entries: readonly PriceEntry[], startMs: number, endMs: number, hourMs = 3_600_000): number[] {
  const points = new Set<number>();
  for (const entry of entries) {
    for (const edge of [entry.effectiveFromMs, entry.effectiveToMs]) {
      if (edge === null) continue;
      const hour = Math.ceil(edge / hourMs) * hourMs;
      if (hour > startMs && hour < endMs) points.add(hour);
    }
  }
  return [...points].sort((a, b) => a - b);
}

/** Compute slices of a MIG profile ("3g.40gb" → 3) out of the 7 of an A100/H100/H200-class GPU. */
export const MIG_COMPUTE_SLICES = 7;

/**
 * The fraction of its parent GPU a MIG instance carries, from its profile's compute
 * slices ("1g.10gb" → 1/7, "7g.80gb" → 1); null when the profile cannot be read.
 */
export function migFraction(profile: string | null): number | null {
  if (!profile) return null;
  // "MIG 3g.40gb" (nvidia-smi) and "3g.40gb" (dcgm) name a GPU instance; "1c.3g.40gb"
  // a compute instance inside a 3g instance, which holds the whole 3g instance.
  const match = /(?:^|\s|\.)(\d+)g\.\d+gb/i.exec(profile.trim());
  if (!match) return null;
  const slices = Number(match[1]);
  return slices >= 1 && slices <= MIG_COMPUTE_SLICES ? slices / MIG_COMPUTE_SLICES : null;
}
