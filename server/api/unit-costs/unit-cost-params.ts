/**
 * The unit-cost query's parameters, shared by GET /api/v1/unit-costs and the
 * unitCosts.get tRPC procedure. window, shareIdle, idleBy, accumulate, step and
 * format are allocation's (same names, values, defaults and errors).
 */
import { z } from "zod";
import { UNIT_COST_AGGREGATE_KEYS, type UnitCostAggregateKey } from "../../domain/unit-costs";
import type { UnitCostQuery } from "../../services/unit-cost-service";
import { workUnitSchema } from "../../wire/ingest-v1";
import { resolveWindowAndStep, windowStepAndIdleParams } from "../allocation/allocation-params";

const commaList = (maxLength: number, defaultText: string) =>
  z
    .string()
    .max(maxLength)
    .default(defaultText)
    .transform((text) => text.split(",").map((part) => part.trim()).filter((part) => part.length > 0));

export const unitCostParamsSchema = z.object({
  ...windowStepAndIdleParams,
  /** Comma-separated keys; empty for one row per unit over everything. */
  aggregate: commaList(500, "model").pipe(z.array(z.enum(UNIT_COST_AGGREGATE_KEYS, { message: `expected one of ${UNIT_COST_AGGREGATE_KEYS.join(", ")}` })).max(5)),
  /** Comma-separated units (prompt_tokens, generation_tokens, requests, samples, ...); empty for every unit measured. */
  unit: commaList(1000, "").pipe(z.array(workUnitSchema).max(20)),
});

export type UnitCostParams = z.input<typeof unitCostParamsSchema>;

/** Validated parameters → the service's query; errors name the parameter. */
export function toUnitCostQuery(params: z.output<typeof unitCostParamsSchema>, nowMs: number): { query: UnitCostQuery; format: "json" | "csv" } {
  const { window, stepMs } = resolveWindowAndStep(params, nowMs);
  return {
    query: {
      window,
      aggregate: params.aggregate as UnitCostAggregateKey[],
      units: params.unit.length === 0 ? null : [...new Set(params.unit)],
      shareIdle: params.shareIdle,
      idleBy: params.idleBy,
      stepMs,
    },
    format: params.format,
  };
}
