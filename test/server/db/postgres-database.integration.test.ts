/**
 * PostgresDatabase when its connections break: a connection lost in the middle
 * of a transaction fails that transaction (it must not crash the process), and
 * the same pool serves again once the database is back. The database is reached
 * through a TCP proxy the test cuts, not by stopping the shared server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "../../../server/api/rest/http-responses";
import { PostgresDatabase } from "../../../server/db/postgres-database";
import { startTcpProxy, type TcpProxy } from "../../support/tcp-proxy";
import { postgresUnavailableReason, TEST_POSTGRES_URL } from "../../support/test-databases";

const skipReason = await postgresUnavailableReason();
if (skipReason && process.env.CI === "true") throw new Error(`CI requires PostgreSQL: ${skipReason}`);
if (skipReason) console.warn(`skipping the PostgresDatabase connection suite: ${skipReason}`);

describe.skipIf(skipReason !== null)("PostgresDatabase", () => {
  let proxy: TcpProxy;
  let db: PostgresDatabase;
  const uncaught: Error[] = [];
  const onUncaught = (error: Error) => void uncaught.push(error);

  beforeAll(async () => {
    const upstream = new URL(TEST_POSTGRES_URL);
    proxy = await startTcpProxy({ host: upstream.hostname, port: Number(upstream.port || 5432) });
    const viaProxy = new URL(TEST_POSTGRES_URL);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(proxy.port);
    db = new PostgresDatabase(viaProxy.toString(), { connectTimeoutMs: 1000 });
    process.on("uncaughtException", onUncaught);
  });
  afterAll(async () => {
    process.off("uncaughtException", onUncaught);
    await db?.close();
    await proxy?.close();
  });

  it("fails a transaction whose connection drops between two statements, without an uncaught error, and serves again after", async () => {
    const failure = await db
      .transaction(async (tx) => {
        await tx.query("SELECT 1 AS one");
        // The connection drops while the transaction's code runs (no query in flight).
        await proxy.cut("refuse");
        await new Promise((resolve) => setTimeout(resolve, 300));
        await tx.query("SELECT 2 AS two");
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(failure)).toBe(true);
    expect(uncaught).toEqual([]);

    // While down: a connection error the ingest handler maps to 503.
    const down = await db.query("SELECT 1 AS one").catch((error: unknown) => error);
    expect(isDatabaseUnavailable(down)).toBe(true);
    await proxy.cut("blackhole");
    const unanswered = await db.query("SELECT 1 AS one").catch((error: unknown) => error);
    expect(isDatabaseUnavailable(unanswered)).toBe(true);

    await proxy.restore();
    expect(await db.query<{ one: number }>("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    expect(await db.transaction((tx) => tx.query<{ two: number }>("SELECT 2 AS two"))).toEqual([{ two: 2 }]);
  });
});
