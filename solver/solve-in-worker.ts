/**
 * Runs one large solve in a worker_threads worker so that the calling thread
 * (a server's event loop) stays responsive; GLPK itself is synchronous.
 * Progress events arrive every `progressEvery` simplex iterations (LPs only).
 * The worker is terminated when the time limit plus a grace period passes.
 */
import { Worker } from "node:worker_threads";
import type { LinearModel, SolveOptions, SolveResult } from "./linear-model.ts";
import { isMip } from "./linear-model.ts";
import { fromRawResult, glpkModuleUrl, glpkWorkerSource, loadGlpk, toGlpkLp, type RawGlpkResult } from "./glpk.ts";

/** Extra wall-clock time, milliseconds, the worker gets past the limit (start-up, wasm load) before it is killed. */
const GRACE_MS = 2_000;

type WorkerMessage =
  | { type: "progress"; elapsedMs: number; objective: number }
  | { type: "done"; raw: RawGlpkResult | undefined; elapsedMs: number }
  | { type: "error"; message: string };

export function solveInWorker(model: LinearModel, options: SolveOptions): Promise<SolveResult> {
  return loadGlpk().then(
    (glpk) =>
      new Promise<SolveResult>((resolve, reject) => {
        const started = performance.now();
        const timeLimitMs = Math.max(1, options.timeLimitMs);
        const worker = new Worker(glpkWorkerSource, {
          eval: true,
          workerData: {
            glpkUrl: glpkModuleUrl(),
            lp: toGlpkLp(glpk, model),
            timeLimitMs,
            mipGap: options.mipGap ?? 0,
            mip: isMip(model),
            progressEvery: options.progressEvery ?? 200,
          },
        });
        let settled = false;
        const finish = (outcome: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(watchdog);
          void worker.terminate();
          outcome();
        };
        // GLPK checks its limit only between iterations; the watchdog covers a stuck solve.
        const watchdog = setTimeout(() => {
          finish(() =>
            resolve({ status: "timedout", objective: Number.NaN, values: {}, elapsedMs: performance.now() - started, message: "the worker passed the time limit and was stopped" }),
          );
        }, timeLimitMs + GRACE_MS);
        worker.on("message", (message: WorkerMessage) => {
          if (message.type === "progress") options.onProgress?.({ elapsedMs: message.elapsedMs, objective: message.objective });
          else if (message.type === "done") finish(() => resolve(fromRawResult(glpk, model, message.raw, message.elapsedMs, timeLimitMs)));
          else finish(() => reject(new Error(`solver worker failed: ${message.message}`)));
        });
        worker.on("error", (error) => finish(() => reject(error)));
        worker.on("exit", (code) => finish(() => reject(new Error(`solver worker exited with code ${code} before answering`))));
      }),
  );
}
