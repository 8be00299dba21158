import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CollectorAgent } from "../../collectors/agent";
import { createProcReader, NodeAttributor } from "../../collectors/attribution";
import { simulatedNodeSource } from "../../collectors/sources/simulated-node";
import { Spool, SpoolSender } from "../../collectors/spool";
import { issueNodeToken } from "../../server/services/node-tokens";
import type { IngestBatch } from "../../server/wire/ingest-v1";
import { startHttpIngestServer, type HttpIngestServer } from "../support/http-ingest-server";
import { createSqliteTestDatabase, type TestDatabase } from "../support/test-databases";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const INTERVAL_MS = 100;
const WINDOW_MS = 1000;

/** GPU windows stored, as `uuid@startMs` keys with their number of rows. */
async function storedGpuWindows(db: TestDatabase): Promise<Map<string, number>> {
  const rows = await db.sql.query<{ uuid: string; start_ms: number | bigint; n: number | bigint }>(
    `SELECT g.uuid AS uuid, w.start_ms AS start_ms, COUNT(*) AS n FROM gpu_usage_window w JOIN gpu g ON g.id = w.gpu_id GROUP BY g.uuid, w.start_ms`,
  );
  return new Map(rows.map((row) => [`${row.uuid}@${Number(row.start_ms)}`, Number(row.n)]));
}

describe("collector against a server that goes away", () => {
  let db: TestDatabase;
  let server: HttpIngestServer;
  let spoolDir: string;
  const source = simulatedNodeSource({ fleet: { seed: 7, gpusPerNode: 4 } });
  let token: string;

  beforeAll(async () => {
    db = await createSqliteTestDatabase();
    token = (await issueNodeToken(db.prisma, { clusterName: "sim", hostname: source.hostname, nowMs: Date.now() })).token;
    server = await startHttpIngestServer(db.sql);
    spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-spool-"));
  });
  afterAll(async () => {
    await server?.stop();
    await db?.dispose();
    fs.rmSync(spoolDir, { recursive: true, force: true });
  });

  it("delivers every window exactly once when the server is stopped mid-stream and restarted", async () => {
    const spool = new Spool(spoolDir);
    const sender = new SpoolSender(spool, { serverUrl: server.url, token, initialBackoffMs: 50, maxBackoffMs: 400, requestTimeoutMs: 2000 });
    const batches: IngestBatch[] = [];
    const agent = new CollectorAgent({
      source,
      attributor: new NodeAttributor(createProcReader(), source.hostname),
      hostname: source.hostname,
      sink: spool,
      intervalMs: INTERVAL_MS,
      windowMs: WINDOW_MS,
      onBatch: (batch) => batches.push(batch),
    });
    sender.start();
    agent.start();
    await sleep(2200);
    await server.stop();
    await sleep(2500);
    const spooledWhileDown = spool.depth;
    await server.start();
    await sleep(2000);
    await agent.stop({ flush: true });
    expect(await sender.drain(10_000)).toBe(true);
    await sender.stop();

    expect(spooledWhileDown).toBeGreaterThanOrEqual(1);
    expect(sender.failedCount).toBeGreaterThan(0);
    const sent = batches.flatMap((batch) => batch.gpuWindows.map((window) => `${window.gpuUuid}@${window.startMs}`));
    expect(new Set(sent).size).toBe(sent.length);
    const stored = await storedGpuWindows(db);
    expect([...stored.values()].every((count) => count === 1)).toBe(true);
    expect([...stored.keys()].sort()).toEqual([...sent].sort());
    // No gap: every GPU has one window per second from the first to the last.
    const starts = [...new Set(batches.flatMap((batch) => batch.gpuWindows.map((window) => window.startMs)))].sort((a, b) => a - b);
    expect(starts.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).toBe(WINDOW_MS);
    expect(sent).toHaveLength(starts.length * 4);
  });

  it("drops the oldest batches when the spool fills while the server is down, and delivers the rest", async () => {
    await server.stop();
    const fullDir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-spool-full-"));
    try {
      const lines: string[] = [];
      const batches: IngestBatch[] = [];
      // Roughly three batches of 4 GPU windows fit.
      const spool = new Spool(fullDir, { maxBytes: 7000, log: (line) => lines.push(line) });
      const agent = new CollectorAgent({
        source,
        attributor: new NodeAttributor(createProcReader(), source.hostname),
        hostname: source.hostname,
        sink: spool,
        intervalMs: INTERVAL_MS,
        windowMs: WINDOW_MS,
        now: (() => {
          // A minute behind the server's real clock: the server refuses windows far
          // in the past or future (clock skew), and this test is about the spool.
          let nowMs = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
          return () => (nowMs += INTERVAL_MS);
        })(),
        onBatch: (batch) => batches.push(batch),
      });
      for (let i = 0; i < 100; i++) await agent.tick();
      expect(batches.length).toBeGreaterThanOrEqual(9);
      expect(spool.droppedCount).toBe(batches.length - spool.depth);
      expect(spool.droppedCount).toBeGreaterThan(0);
      expect(lines.some((line) => line.startsWith("SPOOL FULL"))).toBe(true);
      const kept = spool.list().map((entry) => entry.batchId);
      expect(kept).toEqual(batches.slice(-kept.length).map((batch) => batch.batchId));

      await server.start();
      const sender = new SpoolSender(spool, { serverUrl: server.url, token, initialBackoffMs: 50 });
      sender.start();
      expect(await sender.drain(10_000)).toBe(true);
      await sender.stop();
      expect(sender.sentCount).toBe(kept.length);
    } finally {
      fs.rmSync(fullDir, { recursive: true, force: true });
    }
  });
});
