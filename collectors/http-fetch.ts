/**
 * The part of the Fetch API the collector uses (send a batch, scrape a /metrics
 * page), over node:http and node:https.
 *
 * Why not the global fetch: Node's fetch is undici, loaded on first use with its
 * WebAssembly HTTP parser, about 12 MiB resident; the collector's budget on a GPU
 * node is 60 MiB in all. Tests and callers may still pass the global fetch
 * wherever a HttpFetch is taken: it has this shape.
 */
import http from "node:http";
import https from "node:https";

export interface HttpFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
  signal?: AbortSignal;
}

export interface HttpFetchResponse {
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export type HttpFetch = (url: string | URL, init?: HttpFetchInit) => Promise<HttpFetchResponse>;

/** Redirects followed before giving up, as fetch does (it allows 20; servers here need one or two). */
const MAX_REDIRECTS = 5;

function requestOnce(url: URL, init: HttpFetchInit): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      reject(new TypeError(`${url.href}: only http and https URLs are supported`));
      return;
    }
    const transport = url.protocol === "https:" ? https : http;
    const body = init.body === undefined ? undefined : typeof init.body === "string" ? Buffer.from(init.body) : init.body;
    const headers: Record<string, string | number> = { ...init.headers };
    if (body !== undefined) headers["content-length"] = body.byteLength;
    const request = transport.request(url, { method: init.method ?? "GET", headers, signal: init.signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(body);
  });
}

/** fetch(url, init) for the collector: follows redirects, reads the whole body, honours the signal. */
export const httpFetch: HttpFetch = async (input, init = {}) => {
  let url = new URL(input);
  let current = init;
  for (let redirects = 0; ; redirects++) {
    const response = await requestOnce(url, current);
    const location = response.headers.location;
    if ([301, 302, 303, 307, 308].includes(response.status) && location !== undefined && redirects < MAX_REDIRECTS) {
      url = new URL(location, url);
      // As fetch does: 303, and 301/302 after a POST, continue as a GET without the body.
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && current.method === "POST")) {
        current = { ...current, method: "GET", body: undefined };
      }
      continue;
    }
    const text = response.body.toString("utf8");
    return {
      ok: response.status >= 200 && response.status < 300,
      status: response.status,
      headers: {
        get(name: string) {
          const value = response.headers[name.toLowerCase()];
          return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
        },
      },
      text: async () => text,
    };
  }
};
