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
 * hour when no hour is overloaded (rows come first from the LP relaxation,
 * see assignShapes). Batch work keeps today's hours here;
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

/**
 * Solves, except a model without variables (every node and workload pinned):
 * GLPK aborts on rows without columns, and there is nothing to choose.
 */
export function solveUnlessEmpty(model: LinearModel, options: SolveOptions, solve: Solver): Promise<SolveResult> {
  const hasVariables = model.objective.length > 0 || model.constraints.some((c) => c.terms.length > 0);
  return hasVariables ? solve(model, options) : Promise.resolve({ status: "optimal", objective: 0, values: {}, elapsedMs: 0 });
}

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

/** Capacity load per pool and hour of a fractional answer (Σ_s x[w][s] load[w][s]). */
function fractionalPoolLoads(problem: CapacityProblem, values: Record<string, number>): Map<string, Float64Array> {
  const loads = new Map<string, Float64Array>([...problem.pools.keys()].map((key) => [key, new Float64Array(HOURS_PER_WEEK)]));
  problem.candidates.forEach((candidate, w) => {
    candidate.shapes.forEach((shape, s) => {
      const share = candidate.shapes.length === 1 ? 1 : (values[shapeVariable(w, s)] ?? 0);
      if (share <= 1e-9) return;
      const target = loads.get(shape.pool)!;
      const load = problem.loads[w][s];
      for (let t = 0; t < HOURS_PER_WEEK; t++) target[t] += share * load[t];
    });
  });
  return loads;
}

/** Adds, per pool, up to `perPool` of the most overloaded hours not yet in the model; false when no hour is overloaded. */
function addOverloadedHours(loads: ReadonlyMap<string, Float64Array>, kept: ReadonlyMap<string, number>, hoursByPool: Map<string, number[]>, perPool: number): boolean {
  let added = false;
  for (const [pool, load] of loads) {
    const capacity = kept.get(pool)!;
    const rows = new Set(hoursByPool.get(pool));
    const overloaded = [...load.keys()].filter((t) => load[t] > capacity + 1e-6 && !rows.has(t)).sort((a, b) => load[b] - load[a]);
    if (overloaded.length === 0) continue;
    hoursByPool.set(pool, [...rows, ...overloaded.slice(0, perPool)]);
    added = true;
  }
  return added;
}

/** Kept GPUs of a fractional answer: pinned plus Σ gpus × n, unrounded. */
function fractionalKept(problem: CapacityProblem, values: Record<string, number>): Map<string, number> {
  return new Map([...problem.pools.values()].map((pool, p) => [pool.key, pinnedGpus(pool) + nodeClasses(pool).reduce((sum, nodeClass, c) => sum + nodeClass.gpuCount * (values[classVariable(p, c)] ?? 0), 0)]));
}

/**
 * An integer choice from a fractional one: each workload's largest share; a
 * pool then holding more than all its GPUs in some hour gives workloads that
 * moved into it back to their own model, largest load at its peak first.
 */
export function roundChoice(problem: CapacityProblem, values: Record<string, number>): number[] {
  const chosen = readChoice(problem, values);
  for (;;) {
    const overloaded = [...poolLoads(problem, chosen)].find(([key, load]) => Math.max(...load) > problem.pools.get(key)!.gpus + 1e-6);
    if (!overloaded) return chosen;
    const [key, load] = overloaded;
    const peakHour = argMax(load);
    const movedIn = problem.candidates.flatMap((c, w) => (chosen[w] !== 0 && c.shapes[chosen[w]].pool === key && c.shapes[0].pool !== key ? [w] : []));
    if (movedIn.length === 0) return problem.candidates.map(() => 0);
    const largest = movedIn.reduce((best, w) => (problem.loads[w][chosen[w]][peakHour] > problem.loads[best][chosen[best]][peakHour] ? w : best));
    chosen[largest] = 0;
  }
}

/** Weekly cost of the nodes a choice needs: per pool, the cheapest nodes (pinned ones always) that hold its peak hour. */
export function choiceCostPerWeek(problem: CapacityProblem, chosen: readonly number[]): number {
  let cost = 0;
  for (const [key, load] of poolLoads(problem, chosen)) {
    const pool = problem.pools.get(key)!;
    let gpus = pinnedGpus(pool);
    cost += pool.nodes.reduce((sum, n) => sum + (n.pinned ? n.gpuCount * n.costPerGpuHour * HOURS_PER_WEEK : 0), 0);
    const peak = Math.max(...load);
    for (const nodeClass of nodeClasses(pool)) {
      for (let k = 0; k < nodeClass.nodes && gpus < peak - 1e-9; k++) {
        gpus += nodeClass.gpuCount;
        cost += nodeClass.gpuCount * nodeClass.costPerGpuHour * HOURS_PER_WEEK;
      }
    }
  }
  return cost;
}

const isSolved = (r: SolveResult) => r.status === "optimal" || r.status === "feasible" || (r.status === "timedout" && Number.isFinite(r.objective));

/**
 * Rows first from the LP relaxation (fast; its answer loads the hours the
 * integer one will), then the integer model on those rows, adding rows while
 * its answer overloads an hour. Without an integer answer in time, the LP's
 * answer rounded (roundChoice); without either, today's shapes.
 */
/** Share of the time limit one integer solve may take. */
const MIP_SHARE = 0.2;

export async function assignShapes(problem: CapacityProblem, options: { timeLimitMs: number; solve: Solver; changePenaltyPerWeek?: number; mipGap?: number }): Promise<ShapeAssignment> {
  const started = performance.now();
  const leftMs = () => options.timeLimitMs - (performance.now() - started);
  const hoursByPool = initialHours(problem);
  const spec = (integral: boolean): CapacityModelSpec => ({ hoursByPool, inHourlyRows: () => true, volumeRows: false, integral, changePenaltyPerWeek: options.changePenaltyPerWeek ?? 0.01 });
  const todayChoice = problem.candidates.map(() => 0);
  const allKept = new Map([...problem.pools.values()].map((pool) => [pool.key, pool.gpus]));
  let solves = 0;
  let relaxed: SolveResult | undefined;
  while (leftMs() > 0) {
    const result = await solveUnlessEmpty(capacityModel(problem, spec(false)), { timeLimitMs: leftMs() }, options.solve);
    solves += 1;
    if (result.status !== "optimal") break;
    relaxed = result;
    if (!addOverloadedHours(fractionalPoolLoads(problem, result.values), fractionalKept(problem, result.values), hoursByPool, 8)) break;
  }
  const keptOf = (chosen: readonly number[]) => new Map([...poolLoads(problem, chosen)].map(([key, load]) => [key, Math.ceil(Math.max(...load) - 1e-9)]));
  const rounded = relaxed ? roundChoice(problem, relaxed.values) : undefined;
  const fromRelaxation = (status: ShapeAssignment["status"], message: string): ShapeAssignment => {
    if (!rounded) return { status: status === "feasible" ? "failed" : status, chosen: todayChoice, keptGpusByPool: allKept, hoursByPool, solves, message: `${message}; no relaxation either: today's shapes are kept` };
    return { status, chosen: rounded, keptGpusByPool: keptOf(rounded), hoursByPool, solves, message: `${message}: the LP relaxation's answer is rounded` };
  };
  // GLPK's branch and bound can take long on hourly rows: each integer solve gets a share of the budget.
  const mipBudgetMs = Math.max(1_000, options.timeLimitMs * MIP_SHARE);
  while (leftMs() > 0) {
    const result = await solveUnlessEmpty(capacityModel(problem, spec(true)), { timeLimitMs: Math.min(leftMs(), mipBudgetMs), mipGap: options.mipGap ?? 0.005 }, options.solve);
    solves += 1;
    if (!isSolved(result)) return fromRelaxation("feasible", `the shape model found no integer answer in time (${result.message ?? result.status})`);
    const chosen = readChoice(problem, result.values);
    const kept = readKept(problem, result.values);
    const overloaded = addOverloadedHours(poolLoads(problem, chosen), kept, hoursByPool, 4);
    if (overloaded && result.status !== "timedout") continue;
    if (overloaded) return fromRelaxation("feasible", "the integer model ran out of its time share before every hour was checked");
    if (result.status !== "optimal" && rounded && choiceCostPerWeek(problem, rounded) < choiceCostPerWeek(problem, chosen) - 1e-6) {
      return { status: "feasible", chosen: rounded, keptGpusByPool: keptOf(rounded), hoursByPool, solves, message: "the rounded LP relaxation beat the integer model's answer found in its time share" };
    }
    return { status: result.status === "optimal" ? "optimal" : "feasible", chosen, keptGpusByPool: kept, hoursByPool, solves };
  }
  return fromRelaxation("time-limit", "the time limit was reached before the shapes were chosen");
}
