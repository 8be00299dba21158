import { auditParamsSchema, auditQueryFrom } from "../../../audit/audit-params";
import { listAuditEntries } from "../../../../services/audit-log";
import { adminProcedure } from "../../init";

/** The same parameters as GET /api/v1/audit, without `format`. */
export const listAuditInput = auditParamsSchema.omit({ format: true });

/** One page of the audit log, newest first (admin only). */
export const listAuditProcedure = adminProcedure
  .input(listAuditInput)
  .query(({ ctx, input }) => listAuditEntries(ctx.prisma, auditQueryFrom({ ...input, format: "json" }, ctx.nowMs())));
