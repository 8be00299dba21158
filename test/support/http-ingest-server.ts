/**
 * A real HTTP server (node:http on 127.0.0.1) in front of the ingest handler, for
 * fault tests: it can be stopped and started again on the same port, and can hold
 * each answer back after the batch was stored (a lost or late acknowledgement).
 */
import type { WindowTimeBounds } from "../../server/domain/window-time-bounds";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { handleIngestRequest } from "../../server/api/rest/ingest-handler";
import type { SqlDatabase } from "../../server/db/sql-database";
import { createServerMetrics, type ServerMetrics } from "../../server/services/metrics";

export interface HttpIngestServer {
  readonly url: string;
  readonly port: number;
  /** The handler's metrics (one registry per server). */
  readonly metrics: ServerMetrics;
  /** Requests answered, by status. */
  readonly statuses: number[];
  /** Requests received and not answered yet. */
  readonly inFlight: number;
  /** Delay between storing a batch and answering, ms. */
  responseDelayMs: number;
  /** Stops listening and drops open connections; start() listens on the same port again. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface HttpIngestServerOptions {
  nowMs?: () => number;
  /** Ingest's time bounds (default: the server's, 14 days back). */
  windowTimeBounds?: WindowTimeBounds;
  port?: number;
  responseDelayMs?: number;
  /** Called when a request arrives, and when its answer is sent. */
  onReceived?: () => void;
  onAnswered?: (status: number) => void;
}

export async function startHttpIngestServer(db: SqlDatabase, options: HttpIngestServerOptions = {}): Promise<HttpIngestServer> {
  const metrics = createServerMetrics();
  const nowMs = options.nowMs ?? Date.now;
  let server: http.Server | null = null;
  let port = options.port ?? 0;
  const statuses: number[] = [];
  let inFlight = 0;

  const handler = async (request: http.IncomingMessage, response: http.ServerResponse) => {
    inFlight += 1;
    options.onReceived?.();
    response.on("close", () => (inFlight -= 1));
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) if (typeof value === "string") headers.set(name, value);
    const body = Buffer.concat(chunks);
    const answer = await handleIngestRequest(
      new Request(`http://127.0.0.1:${port}${request.url ?? "/"}`, { method: request.method, headers, body: body.length > 0 ? body : undefined }),
      { db, metrics, maxBodyBytes: 16 * 1024 * 1024, nowMs, windowTimeBounds: options.windowTimeBounds },
    );
    const text = await answer.text();
    if (self.responseDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, self.responseDelayMs));
    statuses.push(answer.status);
    options.onAnswered?.(answer.status);
    response.writeHead(answer.status, Object.fromEntries(answer.headers)).end(text);
  };

  const self: HttpIngestServer = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    metrics,
    statuses,
    get inFlight() {
      return inFlight;
    },
    responseDelayMs: options.responseDelayMs ?? 0,
    async start() {
      if (server) return;
      const created = http.createServer((request, response) => {
        handler(request, response).catch((error: Error) => {
          if (!response.headersSent) response.writeHead(500).end(error.message);
        });
      });
      await new Promise<void>((resolve, reject) => {
        created.once("error", reject);
        created.listen(port, "127.0.0.1", () => resolve());
      });
      port = (created.address() as AddressInfo).port;
      server = created;
    },
    async stop() {
      const current = server;
      server = null;
      if (!current) return;
      await new Promise<void>((resolve) => {
        current.close(() => resolve());
        current.closeAllConnections();
      });
    },
  };
  await self.start();
  return self;
}
