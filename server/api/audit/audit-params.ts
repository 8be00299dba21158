/**
 * The audit log query's parameters, shared by GET /api/v1/audit and the
 * audit.list tRPC procedure: a window (as everywhere: 7d, month, START,END),
 * an action, and paging by cursor.
 */
import { z } from "zod";
import { resolveTimeWindow, TimeWindowError } from "../../domain/time-window";
import { AUDIT_ACTIONS, type AuditQuery } from "../../services/audit-log";
import { ServiceError } from "../../services/service-error";

export const auditParamsSchema = z.object({
  /** Absent: the whole log. */
  window: z.string().min(1).max(100).optional(),
  action: z.enum(AUDIT_ACTIONS).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** The previous page's nextCursor. */
  cursor: z.coerce.number().int().positive().optional(),
  format: z.enum(["json", "csv"]).default("json"),
});

export type AuditParams = z.output<typeof auditParamsSchema>;

/** The service's query for validated parameters; a window that does not resolve is a 400 naming `window`. */
export function auditQueryFrom(params: AuditParams, nowMs: number): AuditQuery {
  let window: { startMs: number; endMs: number } | undefined;
  try {
    window = params.window === undefined ? undefined : resolveTimeWindow(params.window, nowMs);
  } catch (error) {
    if (error instanceof TimeWindowError) throw new ServiceError(400, error.message, "window");
    throw error;
  }
  return { fromMs: window?.startMs, toMs: window?.endMs, action: params.action, limit: params.limit, cursor: params.cursor };
}
