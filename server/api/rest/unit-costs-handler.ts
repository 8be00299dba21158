import type { DataScope } from "../../auth/principal";
import type { SqlDatabase } from "../../db/sql-database";
import { unitCosts } from "../../services/unit-cost-service";
import { unitCostCsv, unitCostJson } from "../unit-costs/unit-cost-output";
import { toUnitCostQuery, unitCostParamsSchema } from "../unit-costs/unit-cost-params";
import { jsonResponse, parseOrThrow, responseForError } from "./http-responses";

/** GET /api/v1/unit-costs?window=7d&aggregate=model&unit=samples&shareIdle=none&format=json|csv */
export async function handleUnitCostsRequest(request: Request, context: { db: SqlDatabase; nowMs: () => number; scope: DataScope }): Promise<Response> {
  try {
    const url = new URL(request.url);
    const params = parseOrThrow(unitCostParamsSchema, Object.fromEntries(url.searchParams));
    const { query, format } = toUnitCostQuery(params, context.nowMs());
    const json = unitCostJson(await unitCosts(context.db, query, context.scope), query);
    if (format === "csv") {
      return new Response(unitCostCsv(json), {
        headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": 'attachment; filename="unit-costs.csv"' },
      });
    }
    return jsonResponse(json);
  } catch (error) {
    return responseForError(error);
  }
}
