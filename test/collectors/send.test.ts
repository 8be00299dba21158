import { describe, expect, it } from "vitest";
import { IngestDeferredError, IngestRejectedError, retryAfterMs, sendBatch } from "../../collectors/send";
import { makeBatch } from "../support/batches";

const ACK = { batchId: makeBatch().batchId, duplicate: false, gpuWindowsStored: 2, jobWindowsStored: 1, windowsAlreadyStored: 0 };

function scriptedFetch(answers: (Response | Error)[]) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetchImpl = (async (url: URL, init: RequestInit) => {
    calls.push({ url: String(url), init });
    const answer = answers.shift()!;
    if (answer instanceof Error) throw answer;
    return answer;
  }) as unknown as typeof fetch;
  return { fetchImpl, calls };
}

describe("sendBatch", () => {
  it("posts gzip JSON with the node token and returns the acknowledgement", async () => {
    const { fetchImpl, calls } = scriptedFetch([new Response(JSON.stringify(ACK), { status: 200 })]);
    const ack = await sendBatch(makeBatch(), { serverUrl: "http://127.0.0.1:3000", token: "groi_x", fetchImpl });
    expect(ack).toEqual(ACK);
    expect(calls[0].url).toBe("http://127.0.0.1:3000/api/v1/ingest");
    const headers = calls[0].init.headers as Record<string, string>;
    expect(headers.authorization).toBe("Bearer groi_x");
    expect(headers["content-encoding"]).toBe("gzip");
  });

  it("retries network errors and 503 with backoff, sending the same body each time", async () => {
    const { fetchImpl, calls } = scriptedFetch([
      new Error("ECONNREFUSED"),
      new Response("{}", { status: 503 }),
      new Response(JSON.stringify(ACK), { status: 200 }),
    ]);
    const sleeps: number[] = [];
    const ack = await sendBatch(makeBatch(), {
      serverUrl: "http://127.0.0.1:3000",
      token: "groi_x",
      fetchImpl,
      sleep: async (ms) => void sleeps.push(ms),
    });
    expect(ack).toEqual(ACK);
    expect(sleeps).toEqual([250, 500]);
    expect(calls[1].init.body).toBe(calls[0].init.body);
  });

  it("waits at least the Retry-After of a 503 (database unavailable) before the next attempt", async () => {
    const unavailable = () =>
      new Response('{"error":{"status":503,"message":"database unavailable, retry later"}}', { status: 503, headers: { "retry-after": "5" } });
    const { fetchImpl, calls } = scriptedFetch([unavailable(), unavailable(), new Response(JSON.stringify(ACK), { status: 200 })]);
    const sleeps: number[] = [];
    const ack = await sendBatch(makeBatch(), { serverUrl: "http://h", token: "groi_x", fetchImpl, sleep: async (ms) => void sleeps.push(ms) });
    expect(ack).toEqual(ACK);
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([5000, 5000]);
  });

  it("reports the last Retry-After when it gives up, so a spool can wait that long", async () => {
    const { fetchImpl } = scriptedFetch([new Response("{}", { status: 503, headers: { "retry-after": "7" } })]);
    const failure = await sendBatch(makeBatch(), { serverUrl: "http://h", token: "groi_x", fetchImpl, maxAttempts: 1 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(IngestDeferredError);
    expect((failure as IngestDeferredError).retryAfterMs).toBe(7000);
    expect((failure as Error).message).toMatch(/HTTP 503/);
  });

  it("does not retry a refusal such as 400 and reports the server's message", async () => {
    const { fetchImpl, calls } = scriptedFetch([new Response('{"error":{"message":"batchId: Invalid UUID"}}', { status: 400 })]);
    await expect(sendBatch(makeBatch(), { serverUrl: "http://h", token: "groi_x", fetchImpl })).rejects.toThrow(IngestRejectedError);
    expect(calls).toHaveLength(1);
  });

  it("gives up after maxAttempts with the last problem in the message", async () => {
    const { fetchImpl } = scriptedFetch([new Error("ECONNREFUSED"), new Error("ECONNREFUSED")]);
    await expect(
      sendBatch(makeBatch(), { serverUrl: "http://h", token: "groi_x", fetchImpl, maxAttempts: 2, sleep: async () => undefined }),
    ).rejects.toThrow(/not delivered after 2 attempts \(ECONNREFUSED\)/);
  });
});

describe("retryAfterMs", () => {
  it("reads seconds and HTTP dates, and ignores what it cannot read", () => {
    const nowMs = Date.UTC(2026, 10, 2, 12, 0, 0);
    expect(retryAfterMs("5", nowMs)).toBe(5000);
    expect(retryAfterMs("Mon, 02 Nov 2026 12:00:30 GMT", nowMs)).toBe(30_000);
    expect(retryAfterMs("Mon, 02 Nov 2026 11:00:00 GMT", nowMs)).toBe(0);
    expect(retryAfterMs(null, nowMs)).toBeNull();
    expect(retryAfterMs("soon", nowMs)).toBeNull();
  });
});

describe("sendBatch when rate limited", () => {
  it("retries a 429 after at least the server's Retry-After, with the same body", async () => {
    const { fetchImpl, calls } = scriptedFetch([
      new Response('{"error":{"status":429,"message":"rate limit"}}', { status: 429, headers: { "retry-after": "7" } }),
      new Response(JSON.stringify(ACK), { status: 200 }),
    ]);
    const sleeps: number[] = [];
    const ack = await sendBatch(makeBatch(), { serverUrl: "http://h", token: "groi_x", fetchImpl, sleep: async (ms) => void sleeps.push(ms) });
    expect(ack).toEqual(ACK);
    expect(sleeps).toEqual([7000]);
    expect(calls[1].init.body).toBe(calls[0].init.body);
  });

  it("gives up with the Retry-After in the error, for the spool to wait before its next try", async () => {
    const { fetchImpl } = scriptedFetch([new Response("{}", { status: 429, headers: { "retry-after": "3" } })]);
    const error = await sendBatch(makeBatch(), { serverUrl: "http://h", token: "groi_x", fetchImpl, maxAttempts: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IngestDeferredError);
    expect((error as IngestDeferredError).retryAfterMs).toBe(3000);
  });
});
