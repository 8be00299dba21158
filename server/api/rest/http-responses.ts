import type { z } from "zod";
import { isDatabaseWriteFailure } from "../../services/database-write-health";
import { ServiceError } from "../../services/service-error";
import { formatIssuePath } from "../../wire/ingest-v1";

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** The one shape every REST error has: `{ error: { status, message, field? } }`. */
export function errorResponse(
  status: number,
  message: string,
  field?: string,
  headers: Record<string, string> = {},
  issues?: readonly { field: string; message: string }[],
): Response {
  return jsonResponse({ error: { status, message, ...(field ? { field } : {}), ...(issues ? { issues } : {}) } }, status, headers);
}

/** Network errors that mean the database server could not be reached or dropped the connection. */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "EAI_AGAIN"]);

/**
 * Whether an error means the database could not be reached, or cannot take
 * writes (read-only, I/O error, disk full): answer 503, retry later.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return (
    isDatabaseWriteFailure(error) ||
    (typeof code === "string" &&
      (UNREACHABLE_CODES.has(code) ||
        code.startsWith("08") || // PostgreSQL connection_exception class
        code === "57P01" || // admin_shutdown
        code === "57P02" || // crash_shutdown
        code === "57P03" || // cannot_connect_now (starting up, recovering)
        code === "53300" || // too_many_connections
        code === "SQLITE_BUSY" ||
        code === "SQLITE_CANTOPEN")) ||
    (error instanceof Error &&
      /Connection terminated|timeout exceeded when trying to connect|Connection ended unexpectedly|is not queryable/i.test(error.message))
  );
}

/** Seconds a client is asked to wait (Retry-After) when the database is unavailable. */
export const DATABASE_UNAVAILABLE_RETRY_AFTER_S = 5;

/** Maps a thrown error to its response: service errors keep their status, the rest are 503 or 500. */
export function responseForError(error: unknown): Response {
  if (error instanceof ServiceError) return errorResponse(error.status, error.message, error.field, {}, error.issues);
  if (isDatabaseUnavailable(error)) {
    return errorResponse(503, "database unavailable, retry later", undefined, { "retry-after": String(DATABASE_UNAVAILABLE_RETRY_AFTER_S) });
  }
  console.error("gpu-roi: unexpected error", error);
  return errorResponse(500, "internal error");
}

/** Validates input with a zod schema; the first problem becomes a 400 naming its field. */
export function parseOrThrow<Schema extends z.ZodType>(schema: Schema, input: unknown): z.output<Schema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = formatIssuePath(issue.path);
  throw new ServiceError(400, `${field}: ${issue.message}`, field);
}
