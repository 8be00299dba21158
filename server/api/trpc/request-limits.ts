/**
 * Limits on one request to /api/trpc, checked before tRPC reads it. The web app
 * batches the calls a page makes (at most four today) into one GET; without a
 * bound one URL could name a hundred expensive reads, and one POST could carry
 * any amount of JSON.
 */
import { errorResponse, responseForError } from "../rest/http-responses";
import { readJsonBody } from "../rest/read-request-body";
import { MAX_TRPC_BATCH_CALLS } from "./batch-limit";

export { MAX_TRPC_BATCH_CALLS } from "./batch-limit";

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

/**
 * The request to hand to tRPC, or the refusal: 400 for a batch of more than
 * MAX_TRPC_BATCH_CALLS calls; for a POST, the 4xx of readJsonBody (413 over
 * MAX_TRPC_BODY_BYTES, read no further; 400 for a body that is not JSON). A
 * POST's body is read here, within the limit, and passed on as plain JSON.
 */
export async function limitTrpcRequest(request: Request, endpoint: string): Promise<Request | Response> {
  const calls = trpcCallCount(new URL(request.url), endpoint);
  if (calls > MAX_TRPC_BATCH_CALLS) {
    return errorResponse(400, `batch: ${calls} procedure calls in one request; at most ${MAX_TRPC_BATCH_CALLS} are accepted (split the batch)`, "batch");
  }
  if (request.method !== "POST" || request.headers.get("content-length") === "0") return request;
  let body: unknown;
  try {
    body = await readJsonBody(request, MAX_TRPC_BODY_BYTES);
  } catch (error) {
    return responseForError(error);
  }
  const headers = new Headers(request.headers);
  // The body passed on is the decoded JSON text, whatever encoding it arrived in.
  headers.delete("content-encoding");
  headers.delete("content-length");
  return new Request(request.url, { method: "POST", headers, body: JSON.stringify(body), signal: request.signal });
}
