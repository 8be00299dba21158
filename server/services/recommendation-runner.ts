/**
 * Where an on-demand optimizer run executes. The optimizer is CPU-bound for
 * seconds to minutes (profiles from SQL, column generation with GLPK, right-sizing,
 * tidal), so the web server hands it to a child process running the admin CLI
 * (`scripts/admin.ts run-recommendations --json`) and stays responsive; the child
 * reports its steps on stderr as "progress: …" lines and its stored
 * recommendations as JSON on stdout. One run at a time per server process.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { AppPrismaClient } from "../db/prisma-client";
import type { SqlDatabase } from "../db/sql-database";
import { runRecommendations, type Recommendation } from "./recommendation-service";
import { ServiceError } from "./service-error";

export interface RecommendationRunRequest {
  nowMs: number;
  lookbackDays?: number;
  onProgress?: (step: string) => void;
}

export type RecommendationRunner = (request: RecommendationRunRequest) => Promise<Recommendation[]>;

/** Runs in the calling process (CLI, scheduler, tests of the service itself). */
export function inProcessRunner(db: SqlDatabase, prisma: AppPrismaClient): RecommendationRunner {
  return (request) => runRecommendations(db, prisma, request);
}

export interface ChildProcessRunnerOptions {
  /** The project's root: holds scripts/admin.ts and node_modules/tsx. */
  projectRoot: string;
  databaseUrl: string;
  /** A run that takes longer is stopped (default 15 minutes). */
  timeoutMs?: number;
}

const PROGRESS_PREFIX = "progress: ";

/** Runs the admin CLI in a child process against `databaseUrl` and returns what it stored. */
export function childProcessRunner(options: ChildProcessRunnerOptions): RecommendationRunner {
  const tsxCli = path.join(options.projectRoot, "node_modules", "tsx", "dist", "cli.mjs");
  const adminScript = path.join(options.projectRoot, "scripts", "admin.ts");
  return (request) =>
    new Promise<Recommendation[]>((resolve, reject) => {
      for (const file of [tsxCli, adminScript]) {
        // Paths known only at run time: keep Next's file tracer from tracing the whole project.
        if (!fs.existsSync(/* turbopackIgnore: true */ file)) return reject(new Error(`recommendations: cannot start the optimizer, ${file} is missing`));
      }
      const args = [tsxCli, adminScript, "run-recommendations", "--json", "--at", new Date(request.nowMs).toISOString()];
      if (request.lookbackDays !== undefined) args.push("--lookback-days", String(request.lookbackDays));
      const child = spawn(process.execPath, args, {
        cwd: options.projectRoot,
        env: { ...process.env, DATABASE_URL: options.databaseUrl },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const stdout: Buffer[] = [];
      let stderrTail = "";
      let pending = "";
      child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => {
        pending += chunk.toString("utf8");
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          if (line.startsWith(PROGRESS_PREFIX)) request.onProgress?.(line.slice(PROGRESS_PREFIX.length));
          else stderrTail = `${stderrTail}${line}\n`.slice(-4000);
        }
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 15 * 60_000);
      child.on("error", (error) => {
        clearTimeout(timer);
        reject(new Error(`recommendations: the optimizer process failed to start: ${error.message}`));
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        if (code !== 0) {
          const why = signal ? `was stopped by ${signal}` : `exited with code ${code}`;
          return reject(new Error(`recommendations: the optimizer process ${why}: ${(stderrTail + pending).trim() || "no message"}`));
        }
        try {
          resolve(JSON.parse(Buffer.concat(stdout).toString("utf8")) as Recommendation[]);
        } catch (error) {
          reject(new Error(`recommendations: the optimizer process printed no JSON: ${(error as Error).message}`));
        }
      });
    });
}

/** At most one run at a time: a request while one is going gets 409 and is not queued. */
export function singleFlight(runner: RecommendationRunner, clock: () => number = Date.now): RecommendationRunner {
  let runningSinceMs: number | null = null;
  return async (request) => {
    if (runningSinceMs !== null) {
      throw new ServiceError(409, `recommendations: a run is already in progress (started ${new Date(runningSinceMs).toISOString()}); try again when it ends`);
    }
    runningSinceMs = clock();
    try {
      return await runner(request);
    } finally {
      runningSinceMs = null;
    }
  };
}

// One runner per server process, kept on globalThis so Next's module copies share it.
const holder = globalThis as typeof globalThis & { gpuRoiRecommendationRunner?: RecommendationRunner };

/** The web server's runner: a child process against the server's own database, one at a time. */
export function serverRecommendationRunner(databaseUrl: string): RecommendationRunner {
  if (!holder.gpuRoiRecommendationRunner) {
    const runner = singleFlight(childProcessRunner({ projectRoot: process.cwd(), databaseUrl }));
    // The server's log shows a long run's steps as they happen.
    holder.gpuRoiRecommendationRunner = (request) =>
      runner({
        ...request,
        onProgress: (step) => {
          console.log(`gpu-roi: recommendations run: ${step}`);
          request.onProgress?.(step);
        },
      });
  }
  return holder.gpuRoiRecommendationRunner;
}
