/**
 * A small gzip body that expands to millions of nested (or empty) arrays, sent
 * to a real HTTP server: refused before JSON.parse builds them, quickly, with a
 * bounded memory peak, while /api/health keeps answering.
 */
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueNodeToken } from "../../server/services/node-tokens";
import { T0_MS } from "../support/batches";
import { spawnRestServer, type RestServerProcess } from "../support/rest-server-process";
import { createSqliteTestDatabase, type TestDatabase } from "../support/test-databases";

/** 8 million nested arrays: 16,000,000 bytes of JSON, under the 16 MiB ingest limit once decompressed. */
const NESTED_ARRAYS = 8_000_000;
/** Well above what the server needs for the body itself (the 16 MB of text, twice), far below what building the arrays took (over a gigabyte). */
const MAX_PEAK_GROWTH_MIB = 200;
/** Before the bound, JSON.parse alone blocked the event loop for over 5 s. */
const MAX_ANSWER_MS = 2_000;

interface Timed {
  status: number;
  elapsedMs: number;
  body: string;
}

async function timedFetch(url: string, init?: RequestInit): Promise<Timed> {
  const startedAt = performance.now();
  const response = await fetch(url, init);
  const body = await response.text();
  return { status: response.status, elapsedMs: performance.now() - startedAt, body };
}

describe("readJsonBody through POST /api/v1/ingest on a running server", () => {
  let db: TestDatabase;
  let server: RestServerProcess;
  let token: string;

  beforeAll(async () => {
    db = await createSqliteTestDatabase();
    token = (await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-a", nowMs: T0_MS })).token;
    server = await spawnRestServer(db.url);
    // Warm up both routes, so the baseline includes the loaded code.
    expect((await timedFetch(`${server.url}/api/health`)).status).toBe(200);
    await timedFetch(`${server.url}/api/v1/ingest`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.dispose();
  });

  /** Sends `json` gzipped as an ingest body, polling /api/health every 25 ms until it is answered. */
  async function sendWhileCheckingHealth(json: string) {
    const gzipped = gzipSync(json);
    const before = server.memoryMiB();
    const answer = timedFetch(`${server.url}/api/v1/ingest`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "content-encoding": "gzip" },
      body: gzipped,
    });
    let answered = false;
    void answer.finally(() => (answered = true));
    const healthChecks: Timed[] = [];
    do {
      healthChecks.push(await timedFetch(`${server.url}/api/health`));
      await new Promise((resolve) => setTimeout(resolve, 25));
    } while (!answered);
    return { gzippedBytes: gzipped.length, answer: await answer, healthChecks, peakGrowthMiB: server.memoryMiB().peakResidentMiB - before.residentMiB };
  }

  it("refuses 8 million nested arrays (15.6 KB gzip) with 400 in bounded time and memory, health answering meanwhile", async () => {
    const { gzippedBytes, answer, healthChecks, peakGrowthMiB } = await sendWhileCheckingHealth("[".repeat(NESTED_ARRAYS) + "]".repeat(NESTED_ARRAYS));
    expect(gzippedBytes).toBeLessThan(20_000);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { status: 400, message: "body: JSON nested deeper than 64 levels" } });
    expect(answer.elapsedMs).toBeLessThan(MAX_ANSWER_MS);
    expect(peakGrowthMiB).toBeLessThan(MAX_PEAK_GROWTH_MIB);
    expect(healthChecks.length).toBeGreaterThan(0);
    for (const check of healthChecks) {
      expect(check.status).toBe(200);
      expect(check.elapsedMs).toBeLessThan(MAX_ANSWER_MS);
    }
  });

  it("refuses millions of empty arrays side by side with 413, in bounded time and memory", async () => {
    const emptyArrays = 5_000_000;
    const { answer, healthChecks, peakGrowthMiB } = await sendWhileCheckingHealth(`{"gpuWindows":[${"[],".repeat(emptyArrays - 1)}[]]}`);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.message).toMatch(/^body: more than 2097152 JSON elements/);
    expect(answer.elapsedMs).toBeLessThan(MAX_ANSWER_MS);
    expect(peakGrowthMiB).toBeLessThan(MAX_PEAK_GROWTH_MIB);
    for (const check of healthChecks) expect(check.status).toBe(200);
  });
});
