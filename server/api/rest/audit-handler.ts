import type { AppPrismaClient } from "../../db/prisma-client";
import { csvDocument } from "../../wire/csv";
import { AUDIT_CSV_HEADER, auditCsvLines, listAuditEntries } from "../../services/audit-log";
import { auditParamsSchema, auditQueryFrom } from "../audit/audit-params";
import { requireAdminBearer, type AdminBearerContext } from "./api-token-auth";
import { jsonResponse, parseOrThrow, responseForError } from "./http-responses";

export interface AuditContext extends AdminBearerContext {
  prisma: AppPrismaClient;
}

/**
 * GET /api/v1/audit?window=30d&action=price.add&limit=100&cursor=N&format=json|csv
 * (admin): the audit log, newest first, one page at a time.
 */
export async function handleListAudit(request: Request, context: AuditContext): Promise<Response> {
  try {
    await requireAdminBearer(request, context);
    const params = parseOrThrow(auditParamsSchema, Object.fromEntries(new URL(request.url).searchParams.entries()));
    const page = await listAuditEntries(context.prisma, auditQueryFrom(params, context.nowMs()));
    const noStore = { "cache-control": "no-store" };
    if (params.format === "csv") {
      return new Response(csvDocument(AUDIT_CSV_HEADER, auditCsvLines(page.entries)), {
        status: 200,
        headers: {
          ...noStore,
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": 'attachment; filename="audit.csv"',
          // The CSV has no room for it: the next page's cursor travels as a header.
          ...(page.nextCursor === null ? {} : { "x-next-cursor": String(page.nextCursor) }),
        },
      });
    }
    return jsonResponse(page, 200, noStore);
  } catch (error) {
    return responseForError(error);
  }
}
