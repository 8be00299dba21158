import type { DataScope } from "../../auth/principal";
import type { SqlDatabase } from "../../db/sql-database";
import { allocate } from "../../services/allocation-service";
import { allocationCsv, allocationJson } from "../allocation/allocation-output";
import { allocationParamsSchema, toAllocationQuery } from "../allocation/allocation-params";
import { jsonResponse, parseOrThrow, responseForError } from "./http-responses";

/** GET /api/v1/allocation?window=7d&aggregate=team&shareIdle=none&basis=allocation&format=json|csv */
export async function handleAllocationRequest(request: Request, context: { db: SqlDatabase; nowMs: () => number; scope: DataScope }): Promise<Response> {
  try {
    const url = new URL(request.url);
    const params = parseOrThrow(allocationParamsSchema, Object.fromEntries(url.searchParams));
    const { query, format } = toAllocationQuery(params, context.nowMs());
    const json = allocationJson(await allocate(context.db, query, context.scope), query);
    if (format === "csv") {
      return new Response(allocationCsv(json), {
        headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": 'attachment; filename="allocation.csv"' },
      });
    }
    return jsonResponse(json);
  } catch (error) {
    return responseForError(error);
  }
}
