/**
 * The built web app on a fresh temporary SQLite database filled by the simulated
 * fleet, for the browser suite: builds when the sources changed (as `npm start`
 * does), migrates, runs `next start` on a free port with an admin token, and
 * backfills history through the real ingest endpoint.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { buildIsCurrent, recordBuildFingerprint } from "../../scripts/build-fingerprint";
import { runSimulatedFleet } from "../../scripts/simulated-fleet";
import { parseDatabaseUrl } from "../../server/db/database-url";
import { applyMigrations } from "../../server/db/migrations";
import { createPrismaClient } from "../../server/db/prisma-client";
import { openSqlDatabase } from "../../server/db/server-database";
import type { FleetConfig } from "../../collectors/simulator/fleet-simulator";
import { PROJECT_ROOT } from "./test-databases";

export const CHROMIUM_PATH = process.env.GPU_ROI_CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/**
 * Why the browser suite cannot run here, or null when it can. Chromium is
 * required in CI (CI=true): there a missing browser fails the run instead of skipping.
 */
export function chromiumUnavailableReason(): string | null {
  if (fs.existsSync(CHROMIUM_PATH)) return null;
  const reason = `Chromium is not installed at ${CHROMIUM_PATH} (Debian: apt-get install -y chromium; or set GPU_ROI_CHROMIUM): the browser suite is skipped`;
  if (process.env.CI === "true") throw new Error(`CI requires Chromium for the browser suite: ${reason}`);
  return reason;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

const NEXT_BIN = path.join(PROJECT_ROOT, "node_modules", "next", "dist", "bin", "next");

/** `next build` unless the build in .next is current; its output is kept for the failure message. */
export async function buildAppIfNeeded(log: (line: string) => void): Promise<void> {
  if (buildIsCurrent(PROJECT_ROOT)) {
    log("build is current");
    return;
  }
  log("next build ...");
  const startedAt = Date.now();
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const build = spawn(process.execPath, [NEXT_BIN, "build"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    build.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    build.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    build.on("error", reject);
    build.on("exit", resolve);
  });
  if (code !== 0) throw new Error(`next build failed (exit ${code}):\n${output.join("").slice(-4000)}`);
  recordBuildFingerprint(PROJECT_ROOT);
  log(`next build done in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
}

export interface E2eApp {
  baseUrl: string;
  adminToken: string;
  databaseUrl: string;
  /** The server's output, for failure messages. */
  serverOutput(): string;
  stop(): Promise<void>;
}

export interface E2eAppOptions {
  fleet: FleetConfig;
  backfillDays: number;
  log: (line: string) => void;
  /** The port to listen on (default: a free one); a test that registers the app's URL elsewhere first picks it. */
  port?: number;
  /** More server settings (sign-in, …). */
  env?: Record<string, string>;
}

async function waitForHealth(baseUrl: string, server: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = "no answer yet";
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited (code ${server.exitCode}) before it became healthy:\n${output()}`);
    try {
      const response = await fetch(`${baseUrl}/api/health`);
      if (response.ok) return;
      lastProblem = `${response.status} ${await response.text()}`;
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`the server did not become healthy within ${timeoutMs / 1000} s (${lastProblem}):\n${output()}`);
}

/**
 * Starts the built app on a new temporary database and backfills it. The
 * returned stop() kills the server and deletes the folder; call it even when
 * this throws halfway (it is also run here on failure).
 */
export async function startE2eApp(options: E2eAppOptions): Promise<E2eApp> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-e2e-"));
  const databaseUrl = `file:${path.join(folder, "e2e.db")}`;
  const adminToken = `e2e-admin-${process.pid}-${Date.now()}`;
  const port = options.port ?? (await freePort());
  const baseUrl = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  let server: ChildProcess | null = null;

  // Should the test process end without stop() (killed worker, interrupt), the server goes with it.
  const killOnExit = () => server?.kill("SIGKILL");
  process.once("exit", killOnExit);

  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server!.once("exit", resolve));
      server.kill("SIGTERM");
      const killTimer = setTimeout(() => server?.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killTimer);
    }
    fs.rmSync(folder, { recursive: true, force: true });
  };

  try {
    await applyMigrations(PROJECT_ROOT, databaseUrl);
    server = spawn(process.execPath, [NEXT_BIN, "start", "--port", String(port), "--hostname", "127.0.0.1"], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        GPU_ROI_ADMIN_TOKEN: adminToken,
        // As npm start does: the backfill reaches a little past its days (window alignment).
        GPU_ROI_INGEST_MAX_AGE_DAYS: String(options.backfillDays + 1),
        NEXT_TELEMETRY_DISABLED: "1",
        NODE_ENV: "production",
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.length > 400) output.splice(0, output.length - 400);
    };
    server.stdout!.on("data", keep);
    server.stderr!.on("data", keep);
    await waitForHealth(baseUrl, server, () => output.join("").slice(-4000), 120_000);

    const target = parseDatabaseUrl(databaseUrl, PROJECT_ROOT);
    const sql = openSqlDatabase(target);
    const prisma = createPrismaClient(target);
    try {
      const stopLive = await runSimulatedFleet({
        config: options.fleet,
        serverUrl: baseUrl,
        sql,
        prisma,
        tokenFile: path.join(folder, "simulator-tokens.json"),
        backfillDays: options.backfillDays,
        log: options.log,
      });
      // History is enough; live windows would make the figures move under the assertions.
      stopLive();
    } finally {
      await prisma.$disconnect();
      await sql.close();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, adminToken, databaseUrl, serverOutput: () => output.join("").slice(-4000), stop };
}
