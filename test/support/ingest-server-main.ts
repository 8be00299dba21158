/**
 * The ingest endpoint as a server process of its own, for tests that kill it
 * (SIGKILL) or run several replicas: the real handler (server/api/rest/ingest-handler)
 * in a node:http server, on the database DATABASE_URL names. The full Next.js
 * server would need a production build first (about a minute and 1 GB here).
 *
 * Environment: DATABASE_URL, PORT (0: any free port), GPU_ROI_INGEST_MAX_AGE_DAYS, GPU_ROI_TEST_RESPONSE_DELAY_MS
 * (hold each answer back after the batch was stored, to land kills between the
 * commit and the acknowledgement).
 * Standard output, one line each: `listening PORT`, `received`, `answered STATUS`.
 */
import { windowTimeBoundsFromEnv } from "../../server/api/rest/ingest-config";
import { parseDatabaseUrl } from "../../server/db/database-url";
import { openSqlDatabase } from "../../server/db/server-database";
import { startHttpIngestServer } from "./http-ingest-server";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL is required");
const db = openSqlDatabase(parseDatabaseUrl(databaseUrl, process.cwd()));
const server = await startHttpIngestServer(db, {
  port: Number(process.env.PORT ?? 0),
  // GPU_ROI_INGEST_MAX_AGE_DAYS, as the real server reads it.
  windowTimeBounds: windowTimeBoundsFromEnv(process.env),
  responseDelayMs: Number(process.env.GPU_ROI_TEST_RESPONSE_DELAY_MS ?? 0),
  onReceived: () => process.stdout.write("received\n"),
  onAnswered: (status) => process.stdout.write(`answered ${status}\n`),
});
process.stdout.write(`listening ${server.port}\n`);

const shutdown = async () => {
  await server.stop();
  await db.close();
  process.exit(0);
};
process.on("SIGTERM", () => void shutdown());
process.on("SIGINT", () => void shutdown());
