import { z } from "zod";
import type { DataScope } from "../../auth/principal";
import type { SqlDatabase } from "../../db/sql-database";
import { estimate } from "../../services/estimate-service";
import { jsonResponse, parseOrThrow, responseForError } from "./http-responses";
import { readJsonBody } from "./read-request-body";

export const estimateRequestSchema = z
  .object({
    gpuModel: z.string().min(1).max(128).optional(),
    gpuCount: z.number().int().positive().max(100_000).optional(),
    hours: z.number().positive().max(24 * 366).optional(),
    /** "like experiment X, scaled by N" instead of a shape. */
    likeExperiment: z.string().min(1).max(256).optional(),
    scale: z.number().positive().max(1000).default(1),
    /** Work per GPU-hour relative to an A100, to override the peak-throughput defaults. */
    relativeThroughput: z.record(z.string(), z.number().positive()).optional(),
  })
  .refine((body) => (body.likeExperiment !== undefined) !== (body.gpuModel !== undefined), {
    message: "give either gpuModel, gpuCount and hours, or likeExperiment (and scale)",
    path: ["gpuModel"],
  })
  .refine((body) => body.likeExperiment !== undefined || (body.gpuCount !== undefined && body.hours !== undefined), {
    message: "gpuCount and hours are required with gpuModel",
    path: ["gpuCount"],
  });

export type EstimateRequestBody = z.input<typeof estimateRequestSchema>;

/** Validated body → the estimate (shared by the REST handler, tRPC and the CLI); history is read within `scope`. */
export function estimateFromBody(db: SqlDatabase, body: z.output<typeof estimateRequestSchema>, nowMs: number, scope: DataScope) {
  const request =
    body.likeExperiment !== undefined
      ? { kind: "like" as const, experiment: body.likeExperiment, scale: body.scale }
      : { kind: "shape" as const, gpuModel: body.gpuModel!, gpuCount: body.gpuCount!, hours: body.hours! };
  return estimate(db, request, { nowMs, relativeThroughput: body.relativeThroughput }, scope);
}

/** POST /api/v1/estimate: what an experiment will cost, before it is launched. Read-only. */
export async function handleEstimateRequest(request: Request, context: { db: SqlDatabase; nowMs: () => number; scope: DataScope }): Promise<Response> {
  try {
    const body = parseOrThrow(estimateRequestSchema, await readJsonBody(request, 64 * 1024));
    return jsonResponse(await estimateFromBody(context.db, body, context.nowMs(), context.scope));
  } catch (error) {
    return responseForError(error);
  }
}
