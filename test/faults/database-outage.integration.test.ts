/**
 * The database unavailable while collectors stream: the server answers 503 with
 * Retry-After, /api/health says so, a metric counts it, the collectors spool, and
 * after the database is back everything is stored once. PostgreSQL only: the
 * outage is a TCP proxy between the server and the shared PostgreSQL server,
 * cut for GPU_ROI_TEST_DB_OUTAGE_MS (default 6000 ms, a shortened minute) in
 * three phases: refused, reset on connect, never answered.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleHealthRequest } from "../../server/api/rest/health-handler";
import { PostgresDatabase } from "../../server/db/postgres-database";
import { issueNodeToken } from "../../server/services/node-tokens";
import { makeBatch } from "../support/batches";
import { startHttpIngestServer, type HttpIngestServer } from "../support/http-ingest-server";
import { expectedRollupTotals, expectSameTotals, storedRollupTotals, storedTotals, truthOf } from "../support/ingest-truth";
import { startSimulatedCollectors, type SimulatedCollectors } from "../support/simulated-collectors";
import { startTcpProxy, type OutageMode, type TcpProxy } from "../support/tcp-proxy";
import { createPostgresTestDatabase, PROJECT_ROOT, postgresUnavailableReason, type TestDatabase } from "../support/test-databases";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const OUTAGE_MS = Number(process.env.GPU_ROI_TEST_DB_OUTAGE_MS ?? 6000);
const PHASES: OutageMode[] = ["refuse", "reset", "blackhole"];

const skipReason = await postgresUnavailableReason();
if (skipReason && process.env.CI === "true") throw new Error(`CI requires PostgreSQL: ${skipReason}`);

if (skipReason) console.warn(`skipping the database outage suite: ${skipReason}`);

describe.skipIf(skipReason !== null)("ingest while PostgreSQL is unavailable", () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let proxied: PostgresDatabase;
  let server: HttpIngestServer;
  let collectors: SimulatedCollectors | undefined;

  beforeAll(async () => {
    db = await createPostgresTestDatabase();
    const upstream = new URL(db.url);
    proxy = await startTcpProxy({ host: upstream.hostname, port: Number(upstream.port || 5432) });
    const viaProxy = new URL(db.url);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(proxy.port);
    // The server's pool reaches PostgreSQL only through the proxy; 1 s to connect so
    // the never-answering phase fails requests quickly.
    proxied = new PostgresDatabase(viaProxy.toString(), { connectTimeoutMs: 1000 });
    server = await startHttpIngestServer(proxied);
  });
  afterAll(async () => {
    await collectors?.dispose();
    await server?.stop();
    await proxied?.close();
    await proxy?.close();
    await db?.dispose();
  });

  const health = () => handleHealthRequest({ db: proxied, target: db.target, projectRoot: PROJECT_ROOT, metrics: server.metrics });

  it("answers 503 with Retry-After and a JSON message while the database is down, and stores every window once after it is back", async () => {
    expect((await health()).status).toBe(200);
    collectors = await startSimulatedCollectors(db.prisma, { nodeCount: 3, serverUrl: server.url });
    await sleep(2500);
    const storedBeforeOutage = (await storedTotals(db.sql)).gpuWindows;
    expect(storedBeforeOutage).toBeGreaterThan(0);

    // 1. The outage: each phase a third of it; the collectors keep collecting.
    const statusesBefore = server.statuses.length;
    const failedBefore = collectors.failedSends();
    let healthDuringOutage: Response | null = null;
    for (const mode of PHASES) {
      await proxy.cut(mode);
      await sleep(OUTAGE_MS / PHASES.length);
      if (mode === "refuse") healthDuringOutage = await health();
    }
    const spooledDuringOutage = collectors.spooledDepth();
    const answeredDuringOutage = server.statuses.slice(statusesBefore);

    // A direct request sees the answer a collector gets.
    const token = (await issueNodeToken(db.prisma, { clusterName: "sim", hostname: "node-a", nowMs: Date.now() })).token;
    await proxy.cut("refuse");
    const refused = await fetch(`${server.url}/api/v1/ingest`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(makeBatch()),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toEqual({ error: { status: 503, message: "database unavailable, retry later" } });

    // 2. The database is back; the same pool recovers without a restart.
    await proxy.restore();
    await sleep(2500);
    expect(await collectors.finish(30_000)).toBe(true);
    const healthAfter = await health();

    expect(healthDuringOutage?.status).toBe(503);
    expect((await healthDuringOutage!.json()).reason).toMatch(/^database unreachable/);
    expect(healthAfter.status).toBe(200);
    // 503s, never a 500 (a request committed just before the cut may still answer 200).
    expect(answeredDuringOutage.filter((status) => status === 503).length).toBeGreaterThan(0);
    expect(answeredDuringOutage.filter((status) => status !== 503 && status !== 200)).toEqual([]);
    expect(collectors.failedSends()).toBeGreaterThan(failedBefore);
    expect(spooledDuringOutage).toBeGreaterThanOrEqual(3);
    const metricsText = await server.metrics.registry.metrics();
    const unavailableIngests = Number(/gpu_roi_database_unavailable_total\{route="\/api\/v1\/ingest"\} (\d+)/.exec(metricsText)?.[1] ?? 0);
    expect(unavailableIngests).toBeGreaterThanOrEqual(answeredDuringOutage.filter((status) => status === 503).length);
    expect(metricsText).toMatch(/gpu_roi_database_unavailable_total\{route="\/api\/health"\} 1/);

    // 3. Nothing lost, nothing counted twice: raw windows and rollups equal what the collectors sent.
    const truth = truthOf(collectors.batches);
    expect(truth.gpuWindows).toBeGreaterThan(storedBeforeOutage);
    const stored = await storedTotals(db.sql);
    expectSameTotals(stored, truth);
    expectSameTotals(await storedRollupTotals(db.sql), expectedRollupTotals(truth));
  });
});
