import { z } from "zod";
import type { DataScope } from "../../auth/principal";
import type { SqlDatabase } from "../../db/sql-database";
import { resolveTimeWindow, TimeWindowError } from "../../domain/time-window";
import { getExperimentCosts, listExperimentCosts } from "../../services/experiment-service";
import { ServiceError } from "../../services/service-error";
import { jsonResponse, parseOrThrow, responseForError } from "./http-responses";

const querySchema = z.object({
  window: z.string().min(1).max(100).default("30d"),
  model: z.string().min(1).max(256).optional(),
  shareIdle: z.enum(["none", "weighted", "even"]).default("none"),
});

function parseQuery(request: Request, nowMs: number) {
  const params = parseOrThrow(querySchema, Object.fromEntries(new URL(request.url).searchParams));
  try {
    return { ...params, window: resolveTimeWindow(params.window, nowMs) };
  } catch (error) {
    if (error instanceof TimeWindowError) throw new ServiceError(400, error.message, "window");
    throw error;
  }
}

/** GET /api/v1/experiments?window=30d[&model=M][&shareIdle=...]: experiments ranked by cost. */
export async function handleListExperiments(request: Request, context: { db: SqlDatabase; nowMs: () => number; scope: DataScope }): Promise<Response> {
  try {
    const query = parseQuery(request, context.nowMs());
    return jsonResponse(await listExperimentCosts(context.db, query, context.scope));
  } catch (error) {
    return responseForError(error);
  }
}

/** GET /api/v1/experiments/{experiment}?window=30d: one experiment's runs and daily cost. */
export async function handleGetExperiment(
  request: Request,
  experiment: string,
  context: { db: SqlDatabase; nowMs: () => number; scope: DataScope },
): Promise<Response> {
  try {
    const query = parseQuery(request, context.nowMs());
    const detail = await getExperimentCosts(context.db, { window: query.window, experiment, shareIdle: query.shareIdle }, context.scope);
    if (!detail.summary) throw new ServiceError(404, `experiment "${experiment}" has no GPU time in this window`, "experiment");
    return jsonResponse(detail);
  } catch (error) {
    return responseForError(error);
  }
}
