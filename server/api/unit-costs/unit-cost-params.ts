/**
 * The unit-cost query's parameters, shared by GET /api/v1/unit-costs and the
 * unitCosts tRPC procedures. window, shareIdle, idleBy, accumulate, step and
 * format mean what they mean for GET /api/v1/allocation.
 */
import { z } from "zod";
import { UNIT_COST_AGGREGATE_KEYS, type UnitCostAggregateKey } from "../../domain/unit-costs";
import { resolveTimeWindow, TimeWindowError } from "../../domain/time-window";
import type { UnitCostQuery } from "../../services/unit-cost-service";
import { ServiceError } from "../../services/service-error";
import { workUnitSchema } from "../../wire/ingest-v1";

const STEPS_MS = { "1h": 3_600_000, "1d": 86_400_000 } as const;

const booleanText = z.union([z.boolean(), z.enum(["true", "false"]).transform((value) => value === "true")]);

const commaList = (maxLength: number, defaultText: string) =>
  z
    .string()
    .max(maxLength)
    .default(defaultText)
    .transform((text) => text.split(",").map((part) => part.trim()).filter((part) => part.length > 0));

export const unitCostParamsSchema = z.object({
  window: z.string().min(1).max(100).default("7d"),
  /** Comma-separated keys; empty for one row per unit over everything. */
  aggregate: commaList(500, "model").pipe(z.array(z.enum(UNIT_COST_AGGREGATE_KEYS, { message: `expected one of ${UNIT_COST_AGGREGATE_KEYS.join(", ")}` })).max(5)),
  /** Comma-separated units (prompt_tokens, generation_tokens, requests, samples, ...); empty for every unit measured. */
  unit: commaList(1000, "").pipe(z.array(workUnitSchema).max(20)),
  // OpenCost's shareIdle=true means weighted sharing, as in allocation.
  shareIdle: z
    .enum(["none", "weighted", "even", "true", "false"])
    .default("none")
    .transform((value) => (value === "true" ? "weighted" : value === "false" ? "none" : value)),
  idleBy: z.enum(["cluster", "node"]).default("cluster"),
  accumulate: booleanText.default(true),
  step: z.enum(["1h", "1d"]).optional(),
  format: z.enum(["json", "csv"]).default("json"),
});

export type UnitCostParams = z.input<typeof unitCostParamsSchema>;

/** Validated parameters → the service's query; errors name the parameter. */
export function toUnitCostQuery(params: z.output<typeof unitCostParamsSchema>, nowMs: number): { query: UnitCostQuery; format: "json" | "csv" } {
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
  return {
    query: {
      window,
      aggregate: params.aggregate as UnitCostAggregateKey[],
      units: params.unit.length === 0 ? null : [...new Set(params.unit)],
      shareIdle: params.shareIdle as UnitCostQuery["shareIdle"],
      idleBy: params.idleBy,
      stepMs,
    },
    format: params.format,
  };
}
