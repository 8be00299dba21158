/**
 * A real HTTP server (node:http on 127.0.0.1) that hands requests to Next route
 * handlers in this process (the exported GET/POST of app/api/.../route.ts), for
 * tests of what those routes do with hostile requests without a production
 * build. Routes are matched by path prefix, longest first.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";

export type RouteHandler = (request: Request) => Promise<Response>;

export interface RouteServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startRouteServer(routes: Record<string, Partial<Record<"GET" | "POST", RouteHandler>>>): Promise<RouteServer> {
  const prefixes = Object.keys(routes).sort((a, b) => b.length - a.length);
  let port = 0;
  const server = http.createServer((incoming, outgoing) => {
    void (async () => {
      const url = new URL(incoming.url ?? "/", `http://127.0.0.1:${port}`);
      const prefix = prefixes.find((candidate) => url.pathname === candidate || url.pathname.startsWith(`${candidate}/`));
      const handler = prefix === undefined ? undefined : routes[prefix][incoming.method as "GET" | "POST"];
      if (!handler) {
        outgoing.writeHead(404).end();
        return;
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === "string") headers.set(name, value);
      const hasBody = incoming.method !== "GET" && incoming.method !== "HEAD";
      const request = new Request(url, {
        method: incoming.method,
        headers,
        body: hasBody ? (Readable.toWeb(incoming) as ReadableStream<Uint8Array>) : undefined,
        ...(hasBody ? { duplex: "half" } : {}),
      } as RequestInit);
      const response = await handler(request);
      const body = Buffer.from(await response.arrayBuffer());
      outgoing.writeHead(response.status, Object.fromEntries(response.headers)).end(body);
    })().catch((error: Error) => {
      if (!outgoing.headersSent) outgoing.writeHead(500).end(error.message);
      else outgoing.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
