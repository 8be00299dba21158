/**
 * The allocation query's parameters, shared by GET /api/v1/allocation and the
 * allocation.get tRPC procedure (OpenCost's names and values).
 */
import { z } from "zod";
import { AGGREGATE_KEYS, type AggregateKey, type ShareIdle } from "../../domain/allocation";
import { resolveTimeWindow, TimeWindowError, type TimeWindow } from "../../domain/time-window";
import type { AllocationQuery } from "../../services/allocation-service";
import { ServiceError } from "../../services/service-error";

const STEPS_MS = { "1h": 3_600_000, "1d": 86_400_000 } as const;

const aggregateKey = z.string().refine((key) => AGGREGATE_KEYS.includes(key) || /^label:[A-Za-z0-9_.\-/]{1,128}$/.test(key), {
  message: `expected one of ${AGGREGATE_KEYS.join(", ")} or label:KEY`,
});

const booleanText = z.union([z.boolean(), z.enum(["true", "false"]).transform((value) => value === "true")]);

/** The parameters allocation shares with the queries built on it (unit costs): same names, values and defaults. */
export const windowStepAndIdleParams = {
  window: z.string().min(1).max(100).default("7d"),
  // OpenCost's shareIdle=true means weighted sharing.
  shareIdle: z
    .enum(["none", "weighted", "even", "true", "false"])
    .default("none")
    .transform((value): ShareIdle => (value === "true" ? "weighted" : value === "false" ? "none" : value)),
  idleBy: z.enum(["cluster", "node"]).default("cluster"),
  accumulate: booleanText.default(true),
  step: z.enum(["1h", "1d"]).optional(),
  format: z.enum(["json", "csv"]).default("json"),
};

export const allocationParamsSchema = z.object({
  ...windowStepAndIdleParams,
  /** Comma-separated aggregate keys; empty for one row over everything. */
  aggregate: z
    .string()
    .max(500)
    .default("")
    .transform((text) => text.split(",").map((key) => key.trim()).filter((key) => key.length > 0))
    .pipe(z.array(aggregateKey).max(5)),
  basis: z.enum(["allocation", "usage"]).default("allocation"),
  /** `key:value` pairs, comma-separated: the same key again widens (OR), another key narrows (AND). */
  filter: z.string().max(2000).default(""),
});

export type AllocationParams = z.input<typeof allocationParamsSchema>;

/** The window and step of validated parameters; errors name the parameter. */
export function resolveWindowAndStep(
  params: { window: string; accumulate: boolean; step?: keyof typeof STEPS_MS },
  nowMs: number,
): { window: TimeWindow; stepMs: number | null } {
  let window;
  try {
    window = resolveTimeWindow(params.window, nowMs);
  } catch (error) {
    if (error instanceof TimeWindowError) throw new ServiceError(400, error.message, "window");
    throw error;
  }
  const stepMs = params.step ? STEPS_MS[params.step] : params.accumulate ? null : STEPS_MS["1d"];
  if (stepMs !== null && (window.endMs - window.startMs) / stepMs > 5000) {
    throw new ServiceError(400, `step: ${params.step ?? "1d"} over this window gives more than 5,000 steps; use a larger step or a shorter window`, "step");
  }
  return { window, stepMs };
}

/** Validated parameters → the service's query; errors name the parameter. */
export function toAllocationQuery(
  params: z.output<typeof allocationParamsSchema>,
  nowMs: number,
): { query: AllocationQuery; format: "json" | "csv" } {
  const { window, stepMs } = resolveWindowAndStep(params, nowMs);
  const filter = new Map<string, string[]>();
  for (const part of params.filter.split(",").map((text) => text.trim()).filter(Boolean)) {
    const separator = part.indexOf(":");
    const key = separator > 0 ? part.slice(0, separator) : "";
    // label:KEY:value has its value after the second colon.
    const isLabel = key === "label";
    const labelEnd = isLabel ? part.indexOf(":", separator + 1) : -1;
    const filterKey = isLabel ? part.slice(0, labelEnd) : key;
    const value = isLabel ? part.slice(labelEnd + 1) : part.slice(separator + 1);
    if (!filterKey || (isLabel && labelEnd < 0) || value.length === 0 || !aggregateKey.safeParse(filterKey).success) {
      throw new ServiceError(400, `filter: "${part}" is not KEY:VALUE with KEY one of ${AGGREGATE_KEYS.join(", ")} or label:NAME`, "filter");
    }
    filter.set(filterKey, [...(filter.get(filterKey) ?? []), value]);
  }
  return {
    query: {
      window,
      aggregate: params.aggregate as AggregateKey[],
      basis: params.basis,
      shareIdle: params.shareIdle,
      idleBy: params.idleBy,
      filter,
      stepMs,
    },
    format: params.format,
  };
}
