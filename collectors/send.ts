/**
 * Sends ingest batches to the server: gzip-compressed JSON, bearer node token,
 * retries with exponential backoff while the server or network fails. A batch
 * keeps its batchId across retries, so a retry after a lost acknowledgement is
 * stored once.
 */
import { gzipSync } from "node:zlib";
import type { IngestAck, IngestBatch } from "../server/wire/ingest-v1";

export interface IngestClientOptions {
  /** Base URL of the gpu-roi server, e.g. http://127.0.0.1:3000 */
  serverUrl: string;
  token: string;
  /** Attempts before giving up on a batch (default 8, about a minute of backoff). */
  maxAttempts?: number;
  /** Delay before the first retry, doubled each time up to 10 s (default 250 ms). */
  initialBackoffMs?: number;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/** The server refused the batch (4xx other than 408/429): retrying will not help. */
export class IngestRejectedError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "IngestRejectedError";
  }
}

/** The batch could not be delivered this time (network, 5xx, 408, 429): keep it and retry later. */
export class IngestNotDeliveredError extends Error {
  constructor(
    message: string,
    /** The server's Retry-After (429, 503), in ms, when it gave one: wait at least this long. */
    readonly retryAfterMs: number | null,
  ) {
    super(message);
    this.name = "IngestNotDeliveredError";
  }
}

/** Longest Retry-After honoured, so a wrong header cannot stall a collector. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** Retry-After in seconds (the form gpu-roi sends) as ms, or null. */
export function retryAfterMs(response: Response): number | null {
  const value = response.headers.get("retry-after");
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Math.min(Number(value.trim()) * 1000, MAX_RETRY_AFTER_MS);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function sendBatch(batch: IngestBatch, options: IngestClientOptions): Promise<IngestAck> {
  const fetchImpl = options.fetchImpl ?? fetch;
  const sleep = options.sleep ?? defaultSleep;
  const maxAttempts = options.maxAttempts ?? 8;
  let backoffMs = options.initialBackoffMs ?? 250;
  const body = gzipSync(JSON.stringify(batch));
  const url = new URL("/api/v1/ingest", options.serverUrl);
  let lastProblem = "";
  let waitAtLeastMs: number | null = null;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    waitAtLeastMs = null;
    try {
      const response = await fetchImpl(url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${options.token}`,
          "content-type": "application/json",
          "content-encoding": "gzip",
        },
        body,
      });
      const text = await response.text();
      if (response.ok) return JSON.parse(text) as IngestAck;
      lastProblem = `HTTP ${response.status}: ${text.slice(0, 500)}`;
      const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
      if (!retryable) throw new IngestRejectedError(response.status, lastProblem);
      waitAtLeastMs = retryAfterMs(response);
    } catch (error) {
      if (error instanceof IngestRejectedError) throw error;
      lastProblem = (error as Error).message;
    }
    if (attempt < maxAttempts) {
      // A rate-limited (429) or busy (503) server says when to come back.
      await sleep(Math.max(backoffMs, waitAtLeastMs ?? 0));
      backoffMs = Math.min(backoffMs * 2, 10_000);
    }
  }
  throw new IngestNotDeliveredError(`ingest: batch ${batch.batchId} not delivered after ${maxAttempts} attempts (${lastProblem})`, waitAtLeastMs);
}
