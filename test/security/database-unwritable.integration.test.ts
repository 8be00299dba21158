/**
 * A database that answers reads but refuses writes (a read-only file, a
 * read-only transaction): ingest answers 503 with Retry-After, so collectors keep
 * their batches and retry, and /api/health answers 503 until writes succeed again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleHealthRequest } from "../../server/api/rest/health-handler";
import { handleIngestRequest, type IngestHandlerContext } from "../../server/api/rest/ingest-handler";
import type { SqlDatabase } from "../../server/db/sql-database";
import { SqliteDatabase } from "../../server/db/sqlite-database";
import { DatabaseWriteHealth } from "../../server/services/database-write-health";
import { createServerMetrics } from "../../server/services/metrics";
import { issueNodeToken } from "../../server/services/node-tokens";
import { makeBatch, MINUTE_MS, T0_MS } from "../support/batches";
import { ingestRequest } from "../support/in-process-server";
import { databaseKinds, PROJECT_ROOT, type TestDatabase } from "../support/test-databases";

const kinds = await databaseKinds();
const NOW_MS = T0_MS + 10 * MINUTE_MS;

/**
 * The same database, refusing writes the way the real thing does: SQLite through
 * a second connection with PRAGMA query_only (file modes would not stop a test
 * run as root), PostgreSQL with every transaction SET READ ONLY.
 */
async function readOnlyView(db: TestDatabase): Promise<{ sql: SqlDatabase; close(): Promise<void> }> {
  if (db.target.dialect === "sqlite") {
    const connection = new SqliteDatabase(db.target.sqliteFilePath!, { checkpointInWorker: false });
    await connection.query("PRAGMA query_only = ON");
    return { sql: connection, close: () => connection.close() };
  }
  const readOnly: SqlDatabase = Object.assign(Object.create(db.sql) as SqlDatabase, {
    transaction: <T>(work: Parameters<SqlDatabase["transaction"]>[0]) =>
      db.sql.transaction(async (tx) => {
        await tx.query("SET TRANSACTION READ ONLY");
        return work(tx) as Promise<T>;
      }),
  });
  return { sql: readOnly, close: async () => undefined };
}

describe.each(kinds)("handleIngestRequest and handleHealthRequest on an unwritable $name database", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL unwritable-database suite: ${skipReason}`);
  let db: TestDatabase;
  let token: string;

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    token = (await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-a", nowMs: T0_MS })).token;
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("answers ingest 503 with Retry-After and health 503 while writes fail, and health 200 once they succeed", async () => {
    const writeHealth = new DatabaseWriteHealth();
    const metrics = createServerMetrics();
    const contextOn = (sql: SqlDatabase): IngestHandlerContext => ({ db: sql, metrics, maxBodyBytes: 1 << 20, nowMs: () => NOW_MS, writeHealth });
    const health = (sql: SqlDatabase) => handleHealthRequest({ db: sql, target: db.target, projectRoot: PROJECT_ROOT, writeHealth });

    // A first batch lands while the database takes writes.
    expect((await handleIngestRequest(ingestRequest(makeBatch(), token), contextOn(db.sql))).status).toBe(200);

    const readOnly = await readOnlyView(db);
    try {
      const refused = await handleIngestRequest(ingestRequest(makeBatch({ batchId: "22222222-0000-4000-8000-000000000001" }), token), contextOn(readOnly.sql));
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("5");
      expect(((await refused.json()) as { error: { message: string } }).error.message).toBe("database unavailable, retry later");

      const unhealthy = await health(readOnly.sql);
      expect(unhealthy.status).toBe(503);
      expect(((await unhealthy.json()) as { reason: string }).reason).toMatch(/^database not writable: /);
      // Still refused while nothing changed: the probe writes, and the write fails.
      expect((await health(readOnly.sql)).status).toBe(503);
    } finally {
      await readOnly.close();
    }

    // Writes work again: the probe succeeds and health recovers without an ingest.
    expect((await health(db.sql)).status).toBe(200);
    expect(writeHealth.lastFailure).toBeNull();
    const stored = await db.sql.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ingest_batch`);
    expect(Number(stored[0].n)).toBe(1);
  });
});
