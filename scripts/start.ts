/**
 * npm start: build if needed, migrate, start the server, and (unless
 * GPU_ROI_SIMULATE=0) run the simulated fleet against it.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import path from "node:path";
import { DEFAULT_DATABASE_URL, parseDatabaseUrl } from "../server/db/database-url";
import { applyMigrations } from "../server/db/migrations";
import { createPrismaClient } from "../server/db/prisma-client";
import { openSqlDatabase } from "../server/db/server-database";
import { startRecommendationSchedule } from "../server/services/recommendation-schedule";
import { rebuildHourlyRollups } from "../server/services/rollup-service";
import { authStartupDecision } from "../server/auth/startup-rule";
import { authSettingsFrom, listenHostFrom, rawRetentionDaysFrom } from "../server/config/server-settings";
import { buildIsCurrent, recordBuildFingerprint } from "./build-fingerprint";
import { superviseServer } from "./server-supervision";
import { fleetConfigFromEnv, runSimulatedFleet } from "./simulated-fleet";

const root = process.cwd();
const log = (line: string) => console.log(`gpu-roi: ${line}`);

function fail(message: string): never {
  console.error(`gpu-roi: ${message}`);
  process.exit(1);
}

async function waitForHealth(url: string, server: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = "no answer yet";
  while (Date.now() < deadline) {
    if (server.exitCode !== null) fail(`the server exited (code ${server.exitCode}) before it became healthy`);
    try {
      const response = await fetch(new URL("/api/health", url));
      if (response.ok) return;
      lastProblem = `${response.status} ${await response.text()}`;
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  fail(`the server did not become healthy within ${timeoutMs / 1000} s (${lastProblem})`);
}

/**
 * A database written before hourly rollups existed has windows but no rollups:
 * compute them once from the raw windows.
 */
async function ensureRollups(target: ReturnType<typeof parseDatabaseUrl>): Promise<void> {
  const sql = openSqlDatabase(target);
  try {
    const [rollups] = await sql.query<{ n: number }>(`SELECT COUNT(*) AS n FROM gpu_usage_hourly`);
    if (Number(rollups.n) > 0) return;
    const [span] = await sql.query<{ first: number | null; last: number | null }>(`SELECT MIN(start_ms) AS first, MAX(end_ms) AS last FROM gpu_usage_window`);
    if (span.first === null || span.last === null) return;
    log("computing hourly rollups from the stored windows (once) ...");
    await rebuildHourlyRollups(sql, Number(span.first), Number(span.last));
  } finally {
    await sql.close();
  }
}

async function main(): Promise<void> {
  process.env.NEXT_TELEMETRY_DISABLED = "1";
  const databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  process.env.DATABASE_URL = databaseUrl;
  const target = parseDatabaseUrl(databaseUrl, root);
  const port = Number(process.env.PORT ?? 3000);
  const host = listenHostFrom(process.env);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`PORT: expected a port number, got "${process.env.PORT}"`);
  // 0. Sign-in: a server other machines can reach must have it (or GPU_ROI_AUTH=none, said out loud).
  let authMode;
  try {
    authMode = authSettingsFrom(process.env).mode;
  } catch (error) {
    fail((error as Error).message);
  }
  const startup = authStartupDecision(authMode, host);
  if (startup.kind === "refuse") fail(startup.message);
  if (startup.warning) console.warn(`gpu-roi: WARNING: ${startup.warning}`);
  const simulate = process.env.GPU_ROI_SIMULATE !== "0";
  const backfillDays = Number(process.env.GPU_ROI_BACKFILL_DAYS ?? 30);
  if (!Number.isFinite(backfillDays) || backfillDays < 0 || backfillDays > 400) {
    fail(`GPU_ROI_BACKFILL_DAYS: expected a number of days from 0 to 400, got "${process.env.GPU_ROI_BACKFILL_DAYS}"`);
  }
  const fleetConfig = simulate ? fleetConfigFromEnv(process.env) : null;
  // The simulated backfill sends history through the ingest endpoint, which by
  // default refuses windows older than the raw retention: let this server take it.
  if (simulate && !process.env.GPU_ROI_INGEST_MAX_AGE_DAYS) {
    process.env.GPU_ROI_INGEST_MAX_AGE_DAYS = String(Math.max(rawRetentionDaysFrom(process.env), backfillDays + 1));
  }

  // 1. Build when the sources changed since the last build.
  if (buildIsCurrent(root)) {
    log("build is current");
  } else {
    log("building the web app (next build, about a minute) ...");
    const build = spawnSync(process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"], {
      stdio: "inherit",
      env: process.env,
    });
    if (build.status !== 0) fail("next build failed");
    recordBuildFingerprint(root);
  }

  // 2. Migrate.
  log(`database: ${target.dialect === "sqlite" ? `SQLite at ${path.relative(root, target.sqliteFilePath!) || target.sqliteFilePath}` : "PostgreSQL"}; applying migrations ...`);
  await applyMigrations(root, databaseUrl, { log });
  await ensureRollups(target);

  // 3. Serve.
  const serverUrl = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const server = spawn(
    process.execPath,
    [path.join(root, "node_modules", "next", "dist", "bin", "next"), "start", "--port", String(port), "--hostname", host],
    { stdio: "inherit", env: process.env },
  );
  let stopFleet: (() => void) | null = null;
  const supervision = superviseServer(server, { log, logError: (line) => console.error(`gpu-roi: ${line}`), exit: (status) => process.exit(status) });
  const shutdown = (signal: NodeJS.Signals) => {
    stopFleet?.();
    supervision.stop(signal);
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  await waitForHealth(serverUrl, server, 90_000);
  log(`serving ${serverUrl}`);

  // 4. The simulated fleet.
  if (fleetConfig) {
    const sql = openSqlDatabase(target);
    const prisma = createPrismaClient(target);
    stopFleet = await runSimulatedFleet({
      config: fleetConfig,
      serverUrl,
      sql,
      prisma,
      tokenFile: process.env.GPU_ROI_SIM_TOKEN_FILE || path.join(root, "data", "simulator-tokens.json"),
      backfillDays,
      log,
    });
    await prisma.$disconnect();
    await sql.close();
    log(`ready: open ${serverUrl}`);
  } else {
    log("simulator off (GPU_ROI_SIMULATE=0): waiting for collectors");
  }

  // 5. The optimizer's schedule runs here, beside the server rather than in it:
  //    its solves are synchronous and would stall the server's requests.
  startRecommendationSchedule();
  log("recommendations: first run in 5 minutes, then every 6 hours");
}

main().catch((error: Error) => fail(error.stack ?? error.message));
