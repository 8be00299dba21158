import { gzipSync } from "node:zlib";
import { handleIngestRequest } from "../../server/api/rest/ingest-handler";
import type { SqlDatabase } from "../../server/db/sql-database";
import type { WindowTimeBounds } from "../../server/domain/window-time-bounds";
import { createServerMetrics } from "../../server/services/metrics";

/**
 * A fetch that hands each request to the real ingest handler in this process, so
 * collector code runs unchanged against a test database without a listening port.
 */
export function fetchIntoIngestHandler(db: SqlDatabase, nowMs: () => number, windowTimeBounds?: WindowTimeBounds): typeof fetch {
  const metrics = createServerMetrics();
  return (async (input: string | URL | Request, init?: RequestInit) =>
    handleIngestRequest(new Request(input, init), { db, metrics, maxBodyBytes: 16 * 1024 * 1024, nowMs, windowTimeBounds })) as typeof fetch;
}

export interface IngestRequestOptions {
  /** The body as sent, instead of `body` as JSON (malformed text, bytes). */
  raw?: string | Uint8Array;
  /** Gzip the body and say so (Content-Encoding: gzip). */
  gzip?: boolean;
  /** Default application/json. */
  contentType?: string;
  /** More headers; they win over the ones above. */
  headers?: Record<string, string>;
}

/** POST /api/v1/ingest with `body` as JSON and the node token (none when null), for the handler's tests. */
export function ingestRequest(body: unknown, token: string | null, options: IngestRequestOptions = {}): Request {
  const payload = options.raw ?? JSON.stringify(body);
  const headers: Record<string, string> = { "content-type": options.contentType ?? "application/json" };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.gzip) headers["content-encoding"] = "gzip";
  return new Request("http://gpu-roi.test/api/v1/ingest", {
    method: "POST",
    headers: { ...headers, ...options.headers },
    body: (options.gzip ? gzipSync(payload) : payload) as BodyInit,
  });
}
