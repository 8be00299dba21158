/**
 * The server killed with SIGKILL during ingest, several times, and restarted on
 * the same port while collectors stream: the collectors' spool and the batchId
 * claimed in the ingest transaction must leave exactly the simulated truth
 * stored. The server is the real ingest handler in a node:http process of its own
 * (test/support/ingest-server-main.ts); each answer is held back 150 ms after
 * the commit so some kills land between a stored batch and its acknowledgement.
 */
import { afterAll, describe, expect, it } from "vitest";
import { expectedRollupTotals, expectSameTotals, storedRollupTotals, storedTotals, truthOf } from "../support/ingest-truth";
import { freePort, killIngestServers, spawnIngestServer, type IngestServerProcess } from "../support/ingest-server-process";
import { startSimulatedCollectors, type SimulatedCollectors } from "../support/simulated-collectors";
import { databaseKinds, type TestDatabase } from "../support/test-databases";

const kinds = await databaseKinds();
const KILLS = 3;
// Migrating, four server starts and the drain: well under a minute alone, more on a busy 2-core machine.

async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(kinds)("server killed during ingest on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping the PostgreSQL server-kill suite: ${skipReason}`);
  let db: TestDatabase | undefined;
  let collectors: SimulatedCollectors | undefined;

  afterAll(async () => {
    await collectors?.dispose();
    await killIngestServers();
    await db?.dispose();
  });

  it.skipIf(skipReason !== null)(`stores every window once after ${KILLS} SIGKILLs and restarts on the same port`, async () => {
    db = await create();
    const port = await freePort();
    const start = () => spawnIngestServer({ databaseUrl: db!.url, port, responseDelayMs: 150 });
    let server: IngestServerProcess = await start();
    collectors = await startSimulatedCollectors(db.prisma, { nodeCount: 3, serverUrl: server.url });

    let killedWithRequestsInFlight = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      // Let a few batches through, then kill while at least one request is in flight.
      await waitFor("3 answers and a request in flight", () => server.statuses.length >= 3 && server.inFlight > 0);
      killedWithRequestsInFlight += server.inFlight;
      await server.kill("SIGKILL");
      expect(server.child.signalCode).toBe("SIGKILL");
      await new Promise((resolve) => setTimeout(resolve, 500));
      server = await start();
    }
    await waitFor("3 answers after the last restart", () => server.statuses.length >= 3);
    expect(await collectors.finish(60_000)).toBe(true);
    await server.kill("SIGTERM");

    expect(killedWithRequestsInFlight).toBeGreaterThanOrEqual(KILLS);
    expect(collectors.failedSends()).toBeGreaterThan(0);
    const truth = truthOf(collectors.batches);
    expect(new Set(collectors.batches.map((batch) => batch.batchId)).size).toBeGreaterThan(3 * (KILLS + 1));
    expectSameTotals(await storedTotals(db.sql), truth);
    expectSameTotals(await storedRollupTotals(db.sql), expectedRollupTotals(truth));
  }, 240_000);
});
