import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Spool, SpoolSender } from "../../collectors/spool";
import type { IngestBatch } from "../../server/wire/ingest-v1";

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
    const sender = new SpoolSender(spool, { serverUrl: "http://gpu-roi.test", token: "t", fetchImpl, initialBackoffMs: 1, random: () => 0 });
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
