import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { gunzipSync } from "node:zlib";
import { Spool, SpoolSender } from "../../collectors/spool";
import type { IngestBatch } from "../../server/wire/ingest-v1";
import { makeBatch, MINUTE_MS, T0_MS } from "../support/batches";

const batch = (n: number): IngestBatch => ({
  schemaVersion: 1,
  batchId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  node: { hostname: "node-a" },
  gpus: [],
  jobs: [],
  gpuWindows: [],
  jobWindows: [],
});

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-spool-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("Spool", () => {
  it("resumes spooled batches in order after a restart and removes half-written temp files", () => {
    const first = new Spool(dir);
    first.put(batch(1));
    first.put(batch(2));
    fs.writeFileSync(path.join(dir, ".000000000003-00000000-0000-4000-8000-000000000003.json.tmp"), "{\"schemaVer");
    const reopened = new Spool(dir);
    expect(reopened.list().map((entry) => entry.batchId)).toEqual([batch(1).batchId, batch(2).batchId]);
    expect(fs.readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    expect(reopened.put(batch(3)).seq).toBe(3);
    expect(reopened.read(reopened.list()[0])).toEqual(batch(1));
  });

  it("drops the oldest batches when over its byte bound, counts them and logs loudly", () => {
    const lines: string[] = [];
    let droppedEvents = 0;
    const size = Buffer.byteLength(JSON.stringify(batch(1)));
    const spool = new Spool(dir, { maxBytes: size * 3, log: (line) => lines.push(line), events: { onDropped: (n) => (droppedEvents += n) } });
    for (let n = 1; n <= 5; n++) spool.put(batch(n));
    expect(spool.list().map((entry) => entry.batchId)).toEqual([3, 4, 5].map((n) => batch(n).batchId));
    expect(spool.droppedCount).toBe(2);
    expect(droppedEvents).toBe(2);
    expect(spool.bytes).toBe(size * 3);
    expect(lines.some((line) => line.startsWith("SPOOL FULL"))).toBe(true);
  });
});

describe("SpoolSender", () => {
  it("removes a batch only after a 2xx, and moves a batch refused with 4xx to rejected/", async () => {
    const spool = new Spool(dir);
    spool.put(batch(1));
    spool.put(batch(2));
    const answers = [new Response("{}", { status: 503 }), new Response('{"error":"bad"}', { status: 400 }), new Response("{}", { status: 200 })];
    const seen: string[] = [];
    const fetchImpl = (async (_url: string | URL | Request, init?: RequestInit) => {
      seen.push(String(init?.method));
      return answers.shift() ?? new Response("{}", { status: 200 });
    }) as typeof fetch;
    const sender = new SpoolSender(spool, { serverUrl: "http://gpu-roi.test", token: "t", fetchImpl, initialBackoffMs: 1, random: () => 0, maxBatchesPerRequest: 1 });
    sender.start();
    expect(await sender.drain(5000)).toBe(true);
    await sender.stop();
    expect(seen).toHaveLength(3);
    expect(sender.failedCount).toBe(1);
    expect(sender.sentCount).toBe(1);
    expect(spool.rejectedCount).toBe(1);
    expect(fs.readdirSync(spool.rejectedDir).sort()).toEqual([
      `000000000001-${batch(1).batchId}.json`,
      `000000000001-${batch(1).batchId}.json.reason.txt`,
    ]);
  });

  it("pauses at least the server's Retry-After (capped by maxBackoffMs) after a 503", async () => {
    const { spool, sender, gapMs } = await resendAfter(503, "3", 600);
    expect(sender.sentCount).toBe(1);
    expect(spool.rejectedCount).toBe(0);
    // Retry-After 3 s, capped at 600 ms; the backoff alone would have been 1 ms.
    expect(gapMs).toBeGreaterThanOrEqual(590);
    expect(gapMs).toBeLessThan(2500);
  });
});

/** One batch answered `status` with `retry-after`, then 200: the sender's state and the time between the two sends. */
async function resendAfter(status: number, retryAfter: string, maxBackoffMs?: number) {
  const spool = new Spool(dir);
  spool.put(batch(1));
  const sentAtMs: number[] = [];
  const answers = [new Response("{}", { status, headers: { "retry-after": retryAfter } }), new Response("{}", { status: 200 })];
  const fetchImpl = (async () => {
    sentAtMs.push(performance.now());
    return answers.shift() ?? new Response("{}", { status: 200 });
  }) as typeof fetch;
  const sender = new SpoolSender(spool, { serverUrl: "http://gpu-roi.test", token: "t", fetchImpl, initialBackoffMs: 1, maxBackoffMs, random: () => 0 });
  sender.start();
  expect(await sender.drain(5000)).toBe(true);
  await sender.stop();
  expect(sentAtMs).toHaveLength(2);
  return { spool, sender, gapMs: sentAtMs[1] - sentAtMs[0] };
}

describe("SpoolSender when rate limited", () => {
  it("keeps a batch answered 429 and sends it again no sooner than the Retry-After", async () => {
    const { spool, sender, gapMs } = await resendAfter(429, "1");
    // Without the Retry-After the backoff would be about 1 ms.
    expect(gapMs).toBeGreaterThanOrEqual(990);
    expect(spool.rejectedCount).toBe(0);
    expect(sender.sentCount).toBe(1);
  });
});

/** The batch of minute `minute` after T0 (makeBatch's windows, moved), with its own id. */
function minuteBatch(minute: number): IngestBatch {
  const template = makeBatch({ batchId: `00000000-0000-4000-8000-${String(minute).padStart(12, "0")}` });
  const shift = <W extends { startMs: number; endMs: number }>(window: W): W => ({ ...window, startMs: T0_MS + minute * MINUTE_MS, endMs: T0_MS + (minute + 1) * MINUTE_MS });
  return { ...template, gpuWindows: template.gpuWindows.map(shift), jobWindows: template.jobWindows.map(shift) };
}

/** A stand-in server: answers each request with `answer(body)` and records the bodies. */
function recordingServer(answer: (body: IngestBatch) => number = () => 200) {
  const bodies: IngestBatch[] = [];
  const fetchImpl = (async (_url: string | URL | Request, init?: RequestInit) => {
    const body = JSON.parse(gunzipSync(Buffer.from(init!.body as Uint8Array)).toString()) as IngestBatch;
    bodies.push(body);
    const status = answer(body);
    return new Response(status === 200 ? "{}" : '{"error":"refused"}', { status });
  }) as typeof fetch;
  return { bodies, fetchImpl };
}

async function sendAll(spool: Spool, fetchImpl: typeof fetch, options: { maxBatchesPerRequest?: number; maxRequestBytes?: number } = {}) {
  const sender = new SpoolSender(spool, { serverUrl: "http://gpu-roi.test", token: "t", fetchImpl, initialBackoffMs: 1, random: () => 0, ...options });
  sender.start();
  expect(await sender.drain(5000)).toBe(true);
  await sender.stop();
  return sender;
}

describe("SpoolSender catching up", () => {
  it("merges the waiting batches into requests of at most maxBatchesPerRequest, every window sent once", async () => {
    const spool = new Spool(dir);
    for (let minute = 0; minute < 5; minute++) spool.put(minuteBatch(minute));
    const server = recordingServer();
    const sender = await sendAll(spool, server.fetchImpl, { maxBatchesPerRequest: 3 });
    expect(server.bodies.map((body) => body.gpuWindows.length)).toEqual([6, 4]);
    expect(server.bodies.flatMap((body) => body.gpuWindows.map((window) => window.startMs))).toEqual(
      [0, 1, 2, 3, 4].flatMap((minute) => [T0_MS + minute * MINUTE_MS, T0_MS + minute * MINUTE_MS]),
    );
    expect(sender.sentCount).toBe(5);
    expect(spool.depth).toBe(0);
  });

  it("keeps a request within maxRequestBytes of spooled JSON", async () => {
    const spool = new Spool(dir);
    for (let minute = 0; minute < 4; minute++) spool.put(minuteBatch(minute));
    const server = recordingServer();
    await sendAll(spool, server.fetchImpl, { maxRequestBytes: spool.list()[0].sizeBytes * 2 });
    expect(server.bodies.map((body) => body.gpuWindows.length / 2)).toEqual([2, 2]);
  });

  it("sends a refused merged request again batch by batch, so only the batch at fault is set aside", async () => {
    const spool = new Spool(dir);
    const bad = minuteBatch(2);
    bad.gpuWindows[0].utilizationAvgPct = 101;
    for (const batch of [minuteBatch(0), minuteBatch(1), bad, minuteBatch(3)]) spool.put(batch);
    const server = recordingServer((body) => (body.gpuWindows.some((window) => window.utilizationAvgPct === 101) ? 400 : 200));
    const sender = await sendAll(spool, server.fetchImpl);
    expect(server.bodies.map((body) => body.gpuWindows.length / 2)).toEqual([4, 1, 1, 1, 1]);
    expect(server.bodies.slice(1).map((body) => body.batchId)).toEqual([0, 1, 2, 3].map((minute) => minuteBatch(minute).batchId));
    expect(spool.rejectedCount).toBe(1);
    expect(fs.readdirSync(spool.rejectedDir).filter((name) => name.endsWith(".json"))).toEqual([`000000000003-${bad.batchId}.json`]);
    expect(sender.sentCount).toBe(3);
  });
});
