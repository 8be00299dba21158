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
import type { Principal } from "../auth/principal";
import type { AppPrismaClient } from "../db/prisma-client";
import type { SqlDatabase } from "../db/sql-database";
import { runRecommendations, type Recommendation } from "./recommendation-service";
import { ServiceError } from "./service-error";

export interface RecommendationRunRequest {
  nowMs: number;
  lookbackDays?: number;
  /** What-if: workloads (cluster/id) and nodes (cluster/hostname) the plan leaves as they are. */
  exclude?: { workloads?: readonly string[]; nodes?: readonly string[] };
  onProgress?: (step: string) => void;
  /** Who asked for the run: the audit log records it with the stored plan. */
  actor?: Principal;
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

/** The admin CLI's exit code when another process holds the optimizer's lock (EX_TEMPFAIL). */
export const RUN_ALREADY_IN_PROGRESS_EXIT_CODE = 75;

/** The admin CLI's exit code when the request itself is wrong, e.g. an exclusion naming no workload (EX_DATAERR). */
export const RUN_BAD_REQUEST_EXIT_CODE = 65;

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
      // Each name is one argument of its own (no shell): whatever it holds stays a name.
      for (const key of request.exclude?.workloads ?? []) args.push(`--exclude-workload=${key}`);
      for (const key of request.exclude?.nodes ?? []) args.push(`--exclude-node=${key}`);
      if (request.actor) args.push(`--actor-json=${JSON.stringify(request.actor)}`);
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
        if (code === RUN_ALREADY_IN_PROGRESS_EXIT_CODE) {
          return reject(new ServiceError(409, "recommendations: another server or process is running the optimizer on this database; try again when it ends"));
        }
        if (code === RUN_BAD_REQUEST_EXIT_CODE) {
          return reject(new ServiceError(400, (stderrTail + pending).trim() || "recommendations: the run's request was refused", "exclude"));
        }
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

/** Where the latest on-demand run stands: what the page shows while it waits. */
export interface RecommendationRunStatus {
  running: boolean;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  /** The steps the run reported so far, oldest first (at most the last 50). */
  steps: string[];
  /** Why the latest run failed; null when it did not. */
  error: string | null;
}

export const IDLE_RUN_STATUS: RecommendationRunStatus = { running: false, startedAtMs: null, finishedAtMs: null, steps: [], error: null };

/** Records the steps, start, end and failure of the runs of `runner`. */
export function trackRuns(runner: RecommendationRunner, clock: () => number = Date.now): { run: RecommendationRunner; status: () => RecommendationRunStatus } {
  let status: RecommendationRunStatus = IDLE_RUN_STATUS;
  const run: RecommendationRunner = async (request) => {
    const previous = status;
    const started: RecommendationRunStatus = { running: true, startedAtMs: clock(), finishedAtMs: null, steps: [], error: null };
    status = started;
    try {
      const stored = await runner({
        ...request,
        onProgress: (step) => {
          started.steps = [...started.steps, step].slice(-50);
          request.onProgress?.(step);
        },
      });
      status = { ...started, running: false, finishedAtMs: clock() };
      return stored;
    } catch (error) {
      // A run refused because another is going leaves that one's status alone.
      status = error instanceof ServiceError && error.status === 409 && previous.running ? previous : { ...started, running: false, finishedAtMs: clock(), error: (error as Error).message };
      throw error;
    }
  };
  return { run, status: () => ({ ...status, steps: [...status.steps] }) };
}

// One runner per server process, kept on globalThis so Next's module copies share it.
const holder = globalThis as typeof globalThis & { gpuRoiRecommendationRunner?: { run: RecommendationRunner; status: () => RecommendationRunStatus } };

function serverRunner(databaseUrl: string): { run: RecommendationRunner; status: () => RecommendationRunStatus } {
  if (!holder.gpuRoiRecommendationRunner) {
    const runner = singleFlight(childProcessRunner({ projectRoot: process.cwd(), databaseUrl }));
    // The server's log shows a long run's steps as they happen.
    holder.gpuRoiRecommendationRunner = trackRuns((request) =>
      runner({
        ...request,
        onProgress: (step) => {
          console.log(`gpu-roi: recommendations run: ${step}`);
          request.onProgress?.(step);
        },
      }),
    );
  }
  return holder.gpuRoiRecommendationRunner;
}

/** The web server's runner: a child process against the server's own database, one at a time. */
export function serverRecommendationRunner(databaseUrl: string): RecommendationRunner {
  return serverRunner(databaseUrl).run;
}

/** Where the server's latest on-demand run stands. */
export function serverRecommendationRunStatus(databaseUrl: string): () => RecommendationRunStatus {
  return serverRunner(databaseUrl).status;
}
