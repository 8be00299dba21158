import type { SqlDatabase } from "../../db/sql-database";
import { allocate } from "../../services/allocation-service";
import { ServiceError } from "../../services/service-error";
import { formatIssuePath } from "../../wire/ingest-v1";
import { allocationCsv, allocationJson } from "../allocation/allocation-output";
import { allocationParamsSchema, toAllocationQuery } from "../allocation/allocation-params";
import { jsonResponse, responseForError } from "./http-responses";

/** GET /api/v1/allocation?window=7d&aggregate=team&shareIdle=none&basis=allocation&format=json|csv */
export async function handleAllocationRequest(request: Request, context: { db: SqlDatabase; nowMs: () => number }): Promise<Response> {
  try {
    const url = new URL(request.url);
    const parsed = allocationParamsSchema.safeParse(Object.fromEntries(url.searchParams));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = formatIssuePath(issue.path);
      throw new ServiceError(400, `${field}: ${issue.message}`, field);
    }
    const { query, format } = toAllocationQuery(parsed.data, context.nowMs());
    const json = allocationJson(await allocate(context.db, query), query);
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
