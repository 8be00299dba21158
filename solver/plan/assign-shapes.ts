/**
 * Step 3 of the fleet plan: one shape per workload, chosen together for the
 * whole fleet by a mixed-integer model (glpk.js, in a worker):
 *
 *   x[w][s] ∈ {0,1}, Σ_s x[w][s] = 1                     one shape per workload
 *   n[p][c] ∈ {0..nodes of class c}                       nodes kept per pool and node class (GPUs, price)
 *   Σ_{w,s in p} load[w][s][t] x[w][s] ≤ pinned[p] + Σ_c gpus[c] n[p][c]   every pool p, every hour t
 *   minimize Σ_{p,c} gpus[c] × price[c] × 168 × n[p][c]  (+ a cent per changed workload, so nothing moves for nothing)
 *
 * The fleet's own nodes are the capacity (the plan never adds hardware), and
 * only whole kept nodes cost: GPUs freed are rewarded through n. The 168 hourly
 * rows per pool are added lazily (row generation): solve with a few hours, add
 * the hours the answer overloads, solve again; the answer is feasible in every
 * hour when no hour is overloaded. Batch work keeps today's hours here;
 * schedule-batch.ts moves them afterwards.
 */
import type { LinearModel, LinearTerm, SolveOptions, SolveResult } from "../linear-model.ts";
import type { Pool } from "./fleet-pools.ts";
import type { PlanCandidate } from "./plan-candidates.ts";
import { HOURS_PER_WEEK } from "./types.ts";

export interface NodeClass {
  gpuCount: number;
  costPerGpuHour: number;
  nodes: number;
}

/** Unpinned nodes of a pool grouped by GPUs and price (nodes alike are interchangeable), cheapest first. */
export function nodeClasses(pool: Pool): NodeClass[] {
  const classes = new Map<string, NodeClass>();
  for (const node of pool.nodes) {
    if (node.pinned) continue;
    const key = `${node.gpuCount}|${node.costPerGpuHour}`;
    const found = classes.get(key) ?? { gpuCount: node.gpuCount, costPerGpuHour: node.costPerGpuHour, nodes: 0 };
    found.nodes += 1;
    classes.set(key, found);
  }
  return [...classes.values()].sort((a, b) => a.costPerGpuHour - b.costPerGpuHour || b.gpuCount - a.gpuCount);
}

export function pinnedGpus(pool: Pool): number {
  return pool.nodes.reduce((sum, n) => sum + (n.pinned ? n.gpuCount : 0), 0);
}

/** What the capacity model needs: candidates, pools and each shape's capacity load per hour (loads[w][s][t]). */
export interface CapacityProblem {
  candidates: readonly PlanCandidate[];
  pools: ReadonlyMap<string, Pool>;
  loads: readonly (readonly (readonly number[])[])[];
}

export interface CapacityModelSpec {
  /** Hours with a capacity row, per pool. */
  hoursByPool: ReadonlyMap<string, readonly number[]>;
  /** Candidates whose load enters the hourly rows (the others only the weekly volume row, when on). */
  inHourlyRows: (candidate: PlanCandidate) => boolean;
  /** Add per pool: Σ GPU-hours ≤ 168 × GPUs kept. */
  volumeRows: boolean;
  integral: boolean;
  changePenaltyPerWeek: number;
}

export const shapeVariable = (w: number, s: number) => `x${w}_${s}`;
export const classVariable = (p: number, c: number) => `n${p}_${c}`;

export function capacityModel(problem: CapacityProblem, spec: CapacityModelSpec): LinearModel {
  const poolList = [...problem.pools.values()];
  const poolIndex = new Map(poolList.map((pool, p) => [pool.key, p]));
  const objective: LinearTerm[] = [];
  const constraints: LinearModel["constraints"][number][] = [];
  const bounds: { name: string; lower?: number; upper?: number }[] = [];
  const integers: string[] = [];
  const binaries: string[] = [];
  const hourlyTerms = poolList.map((pool) => new Map<number, LinearTerm[]>((spec.hoursByPool.get(pool.key) ?? []).map((t) => [t, []])));
  const hourlyFixed = poolList.map(() => new Float64Array(HOURS_PER_WEEK));
  const volumeTerms = poolList.map((): LinearTerm[] => []);
  const volumeFixed = new Float64Array(poolList.length);
  problem.candidates.forEach((candidate, w) => {
    const hourly = spec.inHourlyRows(candidate);
    const variable = candidate.shapes.length > 1;
    if (variable) constraints.push({ name: `one${w}`, terms: candidate.shapes.map((_, s) => ({ name: shapeVariable(w, s), coef: 1 })), lower: 1, upper: 1 });
    candidate.shapes.forEach((shape, s) => {
      const p = poolIndex.get(shape.pool)!;
      const load = problem.loads[w][s];
      const name = shapeVariable(w, s);
      if (variable) {
        if (spec.integral) binaries.push(name);
        else bounds.push({ name, lower: 0, upper: 1 });
        if (s > 0 && spec.changePenaltyPerWeek > 0) objective.push({ name, coef: spec.changePenaltyPerWeek });
      }
      if (hourly) {
        for (const [t, terms] of hourlyTerms[p]) {
          if (load[t] <= 0) continue;
          if (variable) terms.push({ name, coef: load[t] });
          else hourlyFixed[p][t] += load[t];
        }
      }
      if (spec.volumeRows) {
        const gpuHours = load.reduce((sum, v) => sum + v, 0);
        if (gpuHours <= 0) return;
        if (variable) volumeTerms[p].push({ name, coef: gpuHours });
        else volumeFixed[p] += gpuHours;
      }
    });
  });
  poolList.forEach((pool, p) => {
    const kept: LinearTerm[] = [];
    nodeClasses(pool).forEach((nodeClass, c) => {
      const name = classVariable(p, c);
      objective.push({ name, coef: nodeClass.gpuCount * nodeClass.costPerGpuHour * HOURS_PER_WEEK });
      bounds.push({ name, lower: 0, upper: nodeClass.nodes });
      if (spec.integral) integers.push(name);
      kept.push({ name, coef: nodeClass.gpuCount });
    });
    const pinned = pinnedGpus(pool);
    for (const [t, terms] of hourlyTerms[p]) {
      constraints.push({ name: `cap${p}_${t}`, terms: [...terms, ...kept.map((k) => ({ name: k.name, coef: -k.coef }))], upper: pinned - hourlyFixed[p][t] });
    }
    if (spec.volumeRows) {
      constraints.push({ name: `vol${p}`, terms: [...volumeTerms[p], ...kept.map((k) => ({ name: k.name, coef: -k.coef * HOURS_PER_WEEK }))], upper: pinned * HOURS_PER_WEEK - volumeFixed[p] });
    }
  });
  return { name: spec.integral ? "fleet-plan" : "fleet-plan-relaxation", direction: "minimize", objective, constraints, bounds, integers, binaries };
}

export interface ShapeAssignment {
  status: "optimal" | "feasible" | "time-limit" | "failed";
  /** Chosen shape index per candidate. */
  chosen: number[];
  /** GPUs the model keeps per pool (pinned nodes included). */
  keptGpusByPool: Map<string, number>;
  hoursByPool: Map<string, number[]>;
  solves: number;
  message?: string;
}

type Solver = (model: LinearModel, options: SolveOptions) => Promise<SolveResult>;

/** Capacity load per pool and hour of a choice of shapes. */
export function poolLoads(problem: CapacityProblem, chosen: readonly number[]): Map<string, Float64Array> {
  const loads = new Map<string, Float64Array>([...problem.pools.keys()].map((key) => [key, new Float64Array(HOURS_PER_WEEK)]));
  problem.candidates.forEach((candidate, w) => {
    const shape = candidate.shapes[chosen[w]];
    const load = problem.loads[w][chosen[w]];
    const target = loads.get(shape.pool)!;
    for (let t = 0; t < HOURS_PER_WEEK; t++) target[t] += load[t];
  });
  return loads;
}

function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let t = 1; t < values.length; t++) if (values[t] > values[best]) best = t;
  return best;
}

/** Starting rows: per pool, today's busiest hour and the hour where every candidate's largest load there peaks. */
function initialHours(problem: CapacityProblem): Map<string, number[]> {
  const today = poolLoads(problem, problem.candidates.map(() => 0));
  const widest = new Map<string, Float64Array>([...problem.pools.keys()].map((key) => [key, new Float64Array(HOURS_PER_WEEK)]));
  problem.candidates.forEach((candidate, w) => {
    const byPool = new Map<string, number[]>();
    candidate.shapes.forEach((shape, s) => {
      const load = problem.loads[w][s];
      const best = byPool.get(shape.pool);
      byPool.set(shape.pool, best ? best.map((v, t) => Math.max(v, load[t])) : [...load]);
    });
    for (const [pool, load] of byPool) {
      const target = widest.get(pool)!;
      for (let t = 0; t < HOURS_PER_WEEK; t++) target[t] += load[t];
    }
  });
  return new Map([...problem.pools.keys()].map((key) => [key, [...new Set([argMax(today.get(key)!), argMax(widest.get(key)!)])]]));
}

function readChoice(problem: CapacityProblem, values: Record<string, number>): number[] {
  return problem.candidates.map((candidate, w) => {
    if (candidate.shapes.length === 1) return 0;
    let best = 0;
    candidate.shapes.forEach((_, s) => {
      if ((values[shapeVariable(w, s)] ?? 0) > (values[shapeVariable(w, best)] ?? 0)) best = s;
    });
    return best;
  });
}

function readKept(problem: CapacityProblem, values: Record<string, number>): Map<string, number> {
  return new Map(
    [...problem.pools.values()].map((pool, p) => [pool.key, pinnedGpus(pool) + nodeClasses(pool).reduce((sum, nodeClass, c) => sum + nodeClass.gpuCount * Math.round(values[classVariable(p, c)] ?? 0), 0)]),
  );
}

/** Adds, per pool, up to `perPool` of the most overloaded hours not yet in the model; false when no hour is overloaded. */
function addOverloadedHours(problem: CapacityProblem, chosen: readonly number[], kept: ReadonlyMap<string, number>, hoursByPool: Map<string, number[]>, perPool: number): boolean {
  let added = false;
  for (const [pool, load] of poolLoads(problem, chosen)) {
    const capacity = kept.get(pool)!;
    const rows = new Set(hoursByPool.get(pool));
    const overloaded = [...load.keys()].filter((t) => load[t] > capacity + 1e-6 && !rows.has(t)).sort((a, b) => load[b] - load[a]);
    if (overloaded.length === 0) continue;
    hoursByPool.set(pool, [...rows, ...overloaded.slice(0, perPool)]);
    added = true;
  }
  return added;
}

export async function assignShapes(problem: CapacityProblem, options: { timeLimitMs: number; solve: Solver; changePenaltyPerWeek?: number; mipGap?: number }): Promise<ShapeAssignment> {
  const started = performance.now();
  const hoursByPool = initialHours(problem);
  const todayChoice = problem.candidates.map(() => 0);
  const allKept = new Map([...problem.pools.values()].map((pool) => [pool.key, pool.gpus]));
  const fallback = (status: ShapeAssignment["status"], solves: number, message: string): ShapeAssignment => ({ status, chosen: todayChoice, keptGpusByPool: allKept, hoursByPool, solves, message });
  for (let solves = 1; ; solves++) {
    const leftMs = options.timeLimitMs - (performance.now() - started);
    if (leftMs <= 0) return fallback("time-limit", solves - 1, "the time limit was reached before the shapes were chosen: today's shapes are kept");
    const model = capacityModel(problem, { hoursByPool, inHourlyRows: () => true, volumeRows: false, integral: true, changePenaltyPerWeek: options.changePenaltyPerWeek ?? 0.01 });
    const result = await options.solve(model, { timeLimitMs: leftMs, mipGap: options.mipGap ?? 1e-4 });
    if (!(result.status === "optimal" || result.status === "feasible" || (result.status === "timedout" && Number.isFinite(result.objective)))) {
      return fallback(result.status === "timedout" ? "time-limit" : "failed", solves, `the shape model found no answer (${result.message ?? result.status}): today's shapes are kept`);
    }
    const chosen = readChoice(problem, result.values);
    const kept = readKept(problem, result.values);
    if (!addOverloadedHours(problem, chosen, kept, hoursByPool, 4)) {
      const status = result.status === "optimal" ? "optimal" : result.status === "timedout" ? "time-limit" : "feasible";
      return { status, chosen, keptGpusByPool: kept, hoursByPool, solves };
    }
    if (result.status === "timedout") return fallback("time-limit", solves, "the time limit was reached while adding hourly capacity rows: today's shapes are kept");
  }
}
