/**
 * Limits on one request to /api/trpc, checked before tRPC reads it. The web app
 * batches the calls a page makes (at most four today) into one GET; without a
 * bound one URL could name a hundred expensive reads, and one POST could carry
 * any amount of JSON.
 */
import { errorResponse } from "../rest/http-responses";

/** Procedure calls one batched request may name. Keep the client's httpBatchLink maxItems at or under it. */
export const MAX_TRPC_BATCH_CALLS = 10;

/** Largest POST body (mutations: a price, a token request, a state change are well under 1 KiB). */
export const MAX_TRPC_BODY_BYTES = 256 * 1024;

/** How many procedure calls a tRPC URL names: `/api/trpc/a.get,b.list?batch=1` is two. */
export function trpcCallCount(url: URL, endpoint: string): number {
  if (url.searchParams.get("batch") !== "1") return 1;
  const rawPath = url.pathname.startsWith(`${endpoint}/`) ? url.pathname.slice(endpoint.length + 1) : url.pathname;
  let path = rawPath;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    // tRPC answers a path it cannot decode itself.
  }
  return path.split(",").length;
}

/** The body, read up to `maxBytes`: null as soon as it is longer (the rest is not read). */
async function readBodyUpTo(request: Request, maxBytes: number): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let receivedBytes = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      receivedBytes += value.byteLength;
      if (receivedBytes > maxBytes) {
        await reader.cancel();
        return null;
      }
      chunks.push(value);
    }
  }
  return Buffer.concat(chunks);
}

/**
 * The request to hand to tRPC, or the refusal: 400 for a batch of more than
 * MAX_TRPC_BATCH_CALLS calls, 413 for a body over MAX_TRPC_BODY_BYTES (a POST's
 * body is read here, within the limit, and passed on).
 */
export async function limitTrpcRequest(request: Request, endpoint: string): Promise<Request | Response> {
  const calls = trpcCallCount(new URL(request.url), endpoint);
  if (calls > MAX_TRPC_BATCH_CALLS) {
    return errorResponse(400, `batch: ${calls} procedure calls in one request; at most ${MAX_TRPC_BATCH_CALLS} are accepted (split the batch)`, "batch");
  }
  if (request.method !== "POST") return request;
  const tooLarge = () => errorResponse(413, `body: larger than the limit of ${MAX_TRPC_BODY_BYTES} bytes`, "body");
  if (Number(request.headers.get("content-length") ?? "0") > MAX_TRPC_BODY_BYTES) return tooLarge();
  const body = await readBodyUpTo(request, MAX_TRPC_BODY_BYTES);
  if (body === null) return tooLarge();
  return new Request(request.url, { method: request.method, headers: request.headers, body: body as BodyInit, signal: request.signal });
}
