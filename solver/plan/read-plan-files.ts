/**
 * The fleet plan's input from the two files of `solver plan`: USAGE.json (the
 * plan input without prices) and PRICES.json (an array of prices, or the
 * document GET /api/v1/prices returns). Every problem names the file and the
 * field. Pure: texts and the moment prices are read at come in.
 */
import { z } from "zod";
import { parseOrPlanError, PlanInputError, planPriceSchema, planUsageSchema, validatePlanInput } from "./validate-plan-input.ts";
import type { PlanInput, PlanPrice } from "./types.ts";

export interface PlanFile {
  path: string;
  text: string;
}

/** An entry of GET /api/v1/prices (only the fields the plan reads). */
const priceBookEntrySchema = z.object({
  gpuModel: z.string().min(1),
  costPerGpuHour: z.number().finite().nonnegative(),
  currency: z.string().min(1),
  source: z.enum(["cloud-on-demand", "cloud-reserved", "on-prem-tco"]),
  effectiveFromMs: z.number(),
  effectiveToMs: z.number().nullable(),
  nodeLabelKey: z.string().nullable().optional(),
});

const priceBookSchema = z.object({ prices: z.array(priceBookEntrySchema) });

function parseJson(file: PlanFile): unknown {
  try {
    return JSON.parse(file.text);
  } catch (error) {
    throw new Error(`${file.path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

function inFile<T>(file: PlanFile, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof PlanInputError) throw new Error(`${file.path}: ${error.message}`);
    throw error;
  }
}

/**
 * Prices from a price book document: per GPU model, the general entry (no node
 * label) in force at `atMs` that took effect last. Node-label overrides cannot
 * be matched to nodes here: give such nodes costPerGpuHour in USAGE.json.
 */
export function pricesFromPriceBook(entries: readonly z.output<typeof priceBookEntrySchema>[], atMs: number): PlanPrice[] {
  const byModel = new Map<string, z.output<typeof priceBookEntrySchema>>();
  for (const entry of entries) {
    if (entry.nodeLabelKey) continue;
    if (!(entry.effectiveFromMs <= atMs && (entry.effectiveToMs === null || atMs < entry.effectiveToMs))) continue;
    const best = byModel.get(entry.gpuModel);
    if (!best || entry.effectiveFromMs > best.effectiveFromMs) byModel.set(entry.gpuModel, entry);
  }
  return [...byModel.values()].map((e) => ({ gpuModel: e.gpuModel, costPerGpuHour: e.costPerGpuHour, currency: e.currency, source: e.source }));
}

export function readPlanPrices(file: PlanFile, atMs: number): PlanPrice[] {
  const document = parseJson(file);
  return inFile(file, () => (Array.isArray(document) ? parseOrPlanError(z.array(planPriceSchema), document) : pricesFromPriceBook(parseOrPlanError(priceBookSchema, document).prices, atMs)));
}

/** The plan's input from both files, checked; `timeLimitMs` (the CLI's --time-limit-s) overrides the usage file's option. */
export function readPlanInput(usage: PlanFile, prices: PlanFile, options: { atMs: number; timeLimitMs?: number }): PlanInput {
  const usageInput = inFile(usage, () => parseOrPlanError(planUsageSchema, parseJson(usage)));
  const input: PlanInput = {
    ...usageInput,
    prices: readPlanPrices(prices, options.atMs),
    options: { ...usageInput.options, ...(options.timeLimitMs === undefined ? {} : { timeLimitMs: options.timeLimitMs }) },
  };
  // Cross-field problems name a field of one file or the other.
  try {
    return validatePlanInput(input);
  } catch (error) {
    if (error instanceof PlanInputError) throw new Error(`${error.field.startsWith("prices") ? prices.path : usage.path}: ${error.message}`);
    throw error;
  }
}
