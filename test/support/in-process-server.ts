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
