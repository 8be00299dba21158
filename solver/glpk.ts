/**
 * The only module that imports glpk.js. It turns a LinearModel into GLPK's
 * input, solves it (synchronously: GLPK runs on the calling thread, so large
 * models belong in solve-in-worker.ts) and maps the answer to a status union.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import GLPK, { type LP, type Result } from "glpk.js/node";
import type { LinearModel, SolveOptions, SolveResult, SolveStatus } from "./linear-model.ts";
import { isMip } from "./linear-model.ts";

export type Glpk = Awaited<ReturnType<typeof GLPK>>;

let glpkPromise: Promise<Glpk> | undefined;

/** Loads the wasm build once per thread (about 10 ms). */
export function loadGlpk(): Promise<Glpk> {
  glpkPromise ??= GLPK();
  return glpkPromise;
}

/** Thrown from the LP progress callback to stop the simplex loop at the time limit. */
class TimeLimitReached extends Error {}

function bound(glpk: Glpk, lower: number | undefined, upper: number | undefined): { type: number; lb: number; ub: number } {
  const hasLower = lower !== undefined && Number.isFinite(lower);
  const hasUpper = upper !== undefined && Number.isFinite(upper);
  if (hasLower && hasUpper) {
    return lower === upper ? { type: glpk.GLP_FX, lb: lower!, ub: upper! } : { type: glpk.GLP_DB, lb: lower!, ub: upper! };
  }
  if (hasLower) return { type: glpk.GLP_LO, lb: lower!, ub: 0 };
  if (hasUpper) return { type: glpk.GLP_UP, lb: 0, ub: upper! };
  return { type: glpk.GLP_FR, lb: 0, ub: 0 };
}

export function toGlpkLp(glpk: Glpk, model: LinearModel): LP {
  return {
    name: model.name,
    objective: {
      direction: model.direction === "minimize" ? glpk.GLP_MIN : glpk.GLP_MAX,
      name: "objective",
      vars: model.objective.map((t) => ({ name: t.name, coef: t.coef })),
    },
    subjectTo: model.constraints.map((c) => ({
      name: c.name,
      vars: c.terms.map((t) => ({ name: t.name, coef: t.coef })),
      bnds: bound(glpk, c.lower, c.upper),
    })),
    bounds: model.bounds?.map((b) => ({ name: b.name, ...bound(glpk, b.lower ?? 0, b.upper) })),
    binaries: model.binaries ? [...model.binaries] : undefined,
    generals: model.integers ? [...model.integers] : undefined,
  };
}

/** GLPK rejects lower > upper without a status; say which row or variable it is. */
export function crossedBounds(model: LinearModel): string | undefined {
  for (const c of model.constraints) {
    if (c.lower !== undefined && c.upper !== undefined && c.lower > c.upper) return `the constraints cannot all be met: ${c.name} needs at least ${c.lower} and at most ${c.upper}`;
  }
  for (const b of model.bounds ?? []) {
    if (b.lower !== undefined && b.upper !== undefined && b.lower > b.upper) return `the constraints cannot all be met: ${b.name} is bounded to [${b.lower}, ${b.upper}]`;
  }
  return undefined;
}

export function mapStatus(glpk: Glpk, code: number, elapsedMs: number, timeLimitMs: number): { status: SolveStatus; message?: string } {
  // GLPK reports FEAS (MIP) or UNDEF when it stops at tmlim; our clock tells which case it was.
  const ranOut = elapsedMs >= timeLimitMs * 0.98;
  if (code === glpk.GLP_OPT) return { status: "optimal" };
  if (code === glpk.GLP_NOFEAS || code === glpk.GLP_INFEAS) {
    return ranOut ? { status: "timedout", message: "time limit reached before a feasible solution" } : { status: "infeasible", message: "the constraints cannot all be met" };
  }
  if (code === glpk.GLP_UNBND) return { status: "infeasible", message: "the objective is unbounded: a constraint is missing" };
  if (code === glpk.GLP_FEAS) {
    return ranOut ? { status: "timedout", message: "time limit reached; best solution found so far" } : { status: "feasible" };
  }
  return { status: "timedout", message: ranOut ? "time limit reached before a feasible solution" : "the solver stopped without a solution" };
}

/** Solves a linear model with GLPK under a wall-clock limit (milliseconds). */
export async function solve(model: LinearModel, options: SolveOptions): Promise<SolveResult> {
  const glpk = await loadGlpk();
  return solveWith(glpk, model, options);
}

/** Same as solve() when GLPK is already loaded (used inside loops such as column generation). */
export function solveWith(glpk: Glpk, model: LinearModel, options: SolveOptions): SolveResult {
  const started = performance.now();
  const timeLimitMs = Math.max(1, options.timeLimitMs);
  const crossed = crossedBounds(model);
  if (crossed) return { status: "infeasible", objective: Number.NaN, values: {}, elapsedMs: 0, message: crossed };
  // GLPK aborts the whole wasm instance on a model without rows or columns.
  if (model.constraints.length === 0 && model.objective.length === 0) return { status: "optimal", objective: 0, values: {}, duals: isMip(model) ? undefined : {}, elapsedMs: 0 };
  const lp = toGlpkLp(glpk, model);
  const mip = isMip(model);
  let result: Result;
  try {
    result = glpk.solve(lp, {
      msglev: glpk.GLP_MSG_OFF,
      tmlim: timeLimitMs / 1000,
      mipgap: options.mipGap ?? 0,
      // Presolve is off for LPs so that GLPK always returns row duals of the model as written.
      presol: mip,
      cb:
        !mip && options.onProgress
          ? {
              each: options.progressEvery ?? 200,
              call: (partial: Result["result"]) => {
                const elapsedMs = performance.now() - started;
                options.onProgress!({ elapsedMs, objective: partial.z });
                if (elapsedMs > timeLimitMs) throw new TimeLimitReached();
              },
            }
          : undefined,
    } as never);
  } catch (error) {
    if (error instanceof TimeLimitReached) {
      return { status: "timedout", objective: Number.NaN, values: {}, elapsedMs: performance.now() - started, message: "time limit reached during the simplex" };
    }
    throw error;
  }
  const elapsedMs = performance.now() - started;
  const { status, message } = mapStatus(glpk, result.result.status, elapsedMs, timeLimitMs);
  const hasSolution = status === "optimal" || status === "feasible" || (status === "timedout" && result.result.status === glpk.GLP_FEAS);
  return {
    status,
    objective: hasSolution ? result.result.z : Number.NaN,
    values: hasSolution ? result.result.vars : {},
    duals: !mip && hasSolution ? result.result.dual : undefined,
    elapsedMs,
    message,
  };
}

/** A result as GLPK returns it, passed between threads by solve-in-worker.ts. */
export type RawGlpkResult = Result["result"];

/**
 * JavaScript (not TypeScript: a worker thread gets no transpiler) run by
 * solve-in-worker.ts. It receives { glpkUrl, lp, timeLimitMs, mipGap, mip, progressEvery }
 * and posts { type: "progress", elapsedMs, objective } and then { type: "done", raw } or { type: "error", message }.
 */
export const glpkWorkerSource = `
const { parentPort, workerData } = require("node:worker_threads");
(async () => {
  try {
    const { default: GLPK } = await import(workerData.glpkUrl);
    const glpk = await GLPK();
    const started = performance.now();
    const { lp, timeLimitMs, mipGap, mip, progressEvery } = workerData;
    const stop = new Error("time limit");
    let raw;
    try {
      raw = glpk.solve(lp, {
        msglev: glpk.GLP_MSG_OFF, tmlim: timeLimitMs / 1000, mipgap: mipGap, presol: mip,
        cb: mip ? undefined : { each: progressEvery, call: (r) => {
          const elapsedMs = performance.now() - started;
          parentPort.postMessage({ type: "progress", elapsedMs, objective: r.z });
          if (elapsedMs > timeLimitMs) throw stop;
        } },
      }).result;
    } catch (error) {
      if (error !== stop) throw error;
      raw = undefined;
    }
    parentPort.postMessage({ type: "done", raw, elapsedMs: performance.now() - started });
  } catch (error) {
    parentPort.postMessage({ type: "error", message: String(error && error.stack || error) });
  }
})();
`;

/** File URL of glpk.js's Node build, for the worker to import. */
export function glpkModuleUrl(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve("glpk.js/node")).href;
}

/** Maps a worker's raw answer to a SolveResult (same rules as solveWith). */
export function fromRawResult(glpk: Glpk, model: LinearModel, raw: RawGlpkResult | undefined, elapsedMs: number, timeLimitMs: number): SolveResult {
  if (!raw) return { status: "timedout", objective: Number.NaN, values: {}, elapsedMs, message: "time limit reached during the simplex" };
  const { status, message } = mapStatus(glpk, raw.status, elapsedMs, timeLimitMs);
  const hasSolution = status === "optimal" || status === "feasible" || (status === "timedout" && raw.status === glpk.GLP_FEAS);
  return {
    status,
    objective: hasSolution ? raw.z : Number.NaN,
    values: hasSolution ? raw.vars : {},
    duals: !isMip(model) && hasSolution ? raw.dual : undefined,
    elapsedMs,
    message,
  };
}
