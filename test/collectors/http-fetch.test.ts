import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpFetch } from "../../collectors/http-fetch";

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe("httpFetch", () => {
  let server: http.Server;
  let base: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        seen.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
        if (request.url === "/moved-temporarily") response.writeHead(307, { location: "/echo" }).end();
        else if (request.url === "/see-other") response.writeHead(303, { location: "/echo" }).end();
        else if (request.url === "/busy") response.writeHead(503, { "retry-after": "7", "content-type": "text/plain" }).end("database unavailable");
        else if (request.url === "/slow") setTimeout(() => response.writeHead(200).end("late"), 5000);
        else response.writeHead(200, { "content-type": "application/json", "x-multi": ["a", "b"] }).end(JSON.stringify({ ok: true, bytes: chunks.reduce((sum, chunk) => sum + chunk.length, 0) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it("posts the body with its headers and reads the answer", async () => {
    const body = new Uint8Array([1, 2, 3, 4, 5]);
    const response = await httpFetch(new URL("/echo", base), { method: "POST", headers: { authorization: "Bearer t", "content-encoding": "gzip" }, body });
    expect(response.ok).toBe(true);
    expect(response.status).toBe(200);
    expect(JSON.parse(await response.text())).toEqual({ ok: true, bytes: 5 });
    expect(response.headers.get("Content-Type")).toBe("application/json");
    expect(response.headers.get("x-multi")).toBe("a, b");
    expect(response.headers.get("retry-after")).toBeNull();
    const request = seen.at(-1) as Seen;
    expect(request).toMatchObject({ method: "POST", url: "/echo" });
    expect(request.headers).toMatchObject({ authorization: "Bearer t", "content-encoding": "gzip", "content-length": "5" });
  });

  it("follows a 307 with the same method and body, and a 303 as a GET", async () => {
    seen.length = 0;
    await httpFetch(`${base}/moved-temporarily`, { method: "POST", body: "batch" });
    expect(seen.map((request) => [request.method, request.url, request.body])).toEqual([
      ["POST", "/moved-temporarily", "batch"],
      ["POST", "/echo", "batch"],
    ]);
    seen.length = 0;
    await httpFetch(`${base}/see-other`, { method: "POST", body: "batch" });
    expect(seen.map((request) => [request.method, request.url, request.body])).toEqual([
      ["POST", "/see-other", "batch"],
      ["GET", "/echo", ""],
    ]);
  });

  it("gives an error status as a response, with its headers", async () => {
    const response = await httpFetch(`${base}/busy`);
    expect(response.ok).toBe(false);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(await response.text()).toBe("database unavailable");
  });

  it("rejects when the signal aborts, and when nothing listens", async () => {
    await expect(httpFetch(`${base}/slow`, { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    await expect(httpFetch("http://127.0.0.1:9/metrics")).rejects.toThrow(/ECONNREFUSED/);
    await expect(httpFetch("ftp://127.0.0.1/x")).rejects.toThrow("only http and https URLs are supported");
  });
});
