import type { Principal } from "../../auth/principal";
import { z } from "zod";
import type { AppPrismaClient } from "../../db/prisma-client";
import type { SqlDatabase } from "../../db/sql-database";
import type { SendEmail } from "../../services/channels/email-message";
import { loadChargeback, sendChargeback } from "../../services/chargeback-service";
import { ServiceError } from "../../services/service-error";
import { chargebackCsv, chargebackHtml } from "../../wire/chargeback-documents";
import { requireAdmin } from "./admin-auth";
import { jsonResponse, parseOrThrow, responseForError } from "./http-responses";
import { readJsonBody } from "./read-request-body";

export const chargebackParamsSchema = z.object({
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "a month as YYYY-MM"),
  format: z.enum(["json", "csv", "html"]).default("json"),
});

export const chargebackEmailSchema = z.object({
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "a month as YYYY-MM"),
  to: z.array(z.email()).min(1).max(50),
});

export interface ChargebackContext {
  db: SqlDatabase;
  prisma: AppPrismaClient;
  adminToken: string | undefined;
  /** The principal the route resolved (a signed-in admin or an admin's API token may write; see requireAdmin). */
  signedIn?: Principal | null;
  nowMs: () => number;
  /** The e-mail channel; absent when the server has none configured. */
  sendEmail?: SendEmail;
}

/** GET /api/v1/chargeback?month=2026-11&format=json|csv|html: the month's per-team chargeback report. */
export async function handleChargebackRequest(request: Request, context: ChargebackContext): Promise<Response> {
  try {
    const params = parseOrThrow(chargebackParamsSchema, Object.fromEntries(new URL(request.url).searchParams));
    const report = await loadChargeback(context.db, context.prisma, params.month, context.nowMs());
    const fileName = `gpu-chargeback-${params.month}`;
    if (params.format === "csv") {
      return new Response(chargebackCsv(report), {
        headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${fileName}.csv"` },
      });
    }
    if (params.format === "html") {
      return new Response(chargebackHtml(report), {
        headers: { "content-type": "text/html; charset=utf-8", "content-disposition": `attachment; filename="${fileName}.html"` },
      });
    }
    return jsonResponse(report);
  } catch (error) {
    return responseForError(error);
  }
}

/** POST /api/v1/chargeback/email (admin): e-mails a month's report now to the addresses given. */
export async function handleChargebackEmail(request: Request, context: ChargebackContext): Promise<Response> {
  try {
    requireAdmin(request, context.adminToken, context.signedIn);
    const body = parseOrThrow(chargebackEmailSchema, await readJsonBody(request, 16 * 1024));
    if (!context.sendEmail) throw new ServiceError(503, "e-mail is not configured on this server");
    const report = await sendChargeback(context.db, context.prisma, { month: body.month, recipients: body.to, nowMs: context.nowMs() }, context.sendEmail);
    return jsonResponse({ sent: true, month: report.month, to: body.to });
  } catch (error) {
    return responseForError(error);
  }
}
