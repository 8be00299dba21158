/**
 * Sends ingest batches to the server: gzip-compressed JSON, bearer node token,
 * retries with exponential backoff while the server or network fails. A batch
 * keeps its batchId across retries, so a retry after a lost acknowledgement is
 * stored once.
 */
import { gzipSync } from "node:zlib";
import type { IngestAck, IngestBatch } from "../server/wire/ingest-v1";
import { httpFetch, type HttpFetch } from "./http-fetch";

export interface IngestClientOptions {
  /** Base URL of the gpu-roi server, e.g. http://127.0.0.1:3000 */
  serverUrl: string;
  token: string;
  /** Attempts before giving up on a batch (default 8, about a minute of backoff). */
  maxAttempts?: number;
  /** Delay before the first retry, doubled each time up to 10 s (default 250 ms). */
  initialBackoffMs?: number;
  /** Default: httpFetch (node:http), not the global fetch; see http-fetch.ts. */
  fetchImpl?: HttpFetch;
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

/**
 * The server could not take the batch now (5xx, 408, 429, or no answer): send it
 * again later. `retryAfterMs` is the server's Retry-After, when it gave one.
 */
export class IngestDeferredError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
    this.name = "IngestDeferredError";
  }
}

/** Retry-After in seconds or as an HTTP date, in ms from now; null when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs: number = Date.now()): number | null {
  if (header === null || header.trim() === "") return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const atMs = Date.parse(trimmed);
  return Number.isNaN(atMs) ? null : Math.max(0, atMs - nowMs);
}

/** Longest pause between two attempts, ms. */
const MAX_BACKOFF_MS = 10_000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function sendBatch(batch: IngestBatch, options: IngestClientOptions): Promise<IngestAck> {
  const fetchImpl = options.fetchImpl ?? httpFetch;
  const sleep = options.sleep ?? defaultSleep;
  const maxAttempts = options.maxAttempts ?? 8;
  let backoffMs = options.initialBackoffMs ?? 250;
  const body = gzipSync(JSON.stringify(batch));
  const url = new URL("/api/v1/ingest", options.serverUrl);
  let lastProblem = "";
  let serverRetryAfterMs: number | null = null;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    serverRetryAfterMs = null;
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
      // 503 is what the server answers while its database is unavailable.
      const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
      if (!retryable) throw new IngestRejectedError(response.status, lastProblem);
      serverRetryAfterMs = retryAfterMs(response.headers.get("retry-after"));
    } catch (error) {
      if (error instanceof IngestRejectedError) throw error;
      lastProblem = (error as Error).message;
    }
    if (attempt < maxAttempts) {
      // The server's Retry-After wins over a shorter backoff (capped at MAX_BACKOFF_MS),
      // so a fleet does not hammer a server whose database is recovering.
      await sleep(Math.max(backoffMs, Math.min(serverRetryAfterMs ?? 0, MAX_BACKOFF_MS)));
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  }
  throw new IngestDeferredError(`ingest: batch ${batch.batchId} not delivered after ${maxAttempts} attempts (${lastProblem})`, serverRetryAfterMs);
}
