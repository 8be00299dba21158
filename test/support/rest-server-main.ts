/**
 * POST /api/v1/ingest and GET /api/health as a server process of its own (the
 * real handlers in a node:http server, as the app routes call them), for abuse
 * tests that watch the server from outside: whether health still answers while a
 * hostile body is processed, and how much memory the process took (its peak
 * resident size, VmHWM, read from /proc by the test). The full Next.js server
 * would need a production build first.
 *
 * Environment: DATABASE_URL, PORT (0: any free port).
 * Standard output: `listening PORT`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { handleHealthRequest } from "../../server/api/rest/health-handler";
import { DEFAULT_INGEST_MAX_BYTES, handleIngestRequest } from "../../server/api/rest/ingest-handler";
import { parseDatabaseUrl } from "../../server/db/database-url";
import { openSqlDatabase } from "../../server/db/server-database";
import { DatabaseWriteHealth } from "../../server/services/database-write-health";
import { createServerMetrics } from "../../server/services/metrics";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL is required");
const target = parseDatabaseUrl(databaseUrl, process.cwd());
const db = openSqlDatabase(target);
const metrics = createServerMetrics();
const writeHealth = new DatabaseWriteHealth();

async function answer(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (pathname === "/api/health") return handleHealthRequest({ db, target, projectRoot: process.cwd(), metrics, writeHealth });
  if (pathname === "/api/v1/ingest" && request.method === "POST") {
    return handleIngestRequest(request, { db, metrics, maxBodyBytes: DEFAULT_INGEST_MAX_BYTES, nowMs: Date.now, writeHealth });
  }
  return new Response("not found", { status: 404 });
}

const server = http.createServer((incoming, outgoing) => {
  const chunks: Buffer[] = [];
  incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
  incoming.on("end", () => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === "string") headers.set(name, value);
    const body = Buffer.concat(chunks);
    const request = new Request(`http://127.0.0.1${incoming.url ?? "/"}`, { method: incoming.method, headers, body: body.length > 0 ? body : undefined });
    answer(request)
      .then(async (response) => outgoing.writeHead(response.status, Object.fromEntries(response.headers)).end(await response.text()))
      .catch((error: Error) => outgoing.writeHead(500).end(error.message));
  });
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});

const shutdown = () => server.close(() => void db.close().then(() => process.exit(0)));
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
