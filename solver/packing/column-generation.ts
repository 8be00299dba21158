/**
 * Column generation for packing workloads onto identical GPUs (cutting-stock
 * form). Each column is a packing pattern: how many workloads of each item
 * type share one GPU.
 *
 *   master LP:  minimize sum_p x_p  s.t.  sum_p a[t][p] x_p >= demand[t]  (dual y_t >= 0)
 *   pricing:    maximize sum_t y_t a[t]  over feasible patterns a (a knapsack, solved by DP)
 *
 * A pattern whose dual value exceeds 1 has negative reduced cost and enters the
 * master. At convergence the LP value is a lower bound on GPUs; before it,
 * Farley's bound LP / (best pricing value) still is one.
 */
import { loadGlpk, solveWith } from "../glpk.ts";
import type { LinearModel } from "../linear-model.ts";
import { GPU_MILLI } from "./cluster-state.ts";

export interface ItemType {
  /** Compute per item, gpuMilli. */
  gpuMilli: number;
  /** GPU memory per item, MiB (0 = not constrained). */
  memoryNeedMiB: number;
  latencySensitive: boolean;
  demand: number;
}

export interface PatternRules {
  /** Memory of each GPU, MiB; Infinity = not constrained. */
  gpuMemoryMiB: number;
  headroom: number;
  maxItemsPerGpu: number;
  allowLatencySensitiveSharing: boolean;
}

export interface ColumnGenerationResult {
  /** Each pattern: count of each item type (same order as the input types). */
  patterns: number[][];
  /** LP value of each pattern at the last master solve. */
  lpValues: number[];
  lpObjective: number;
  /** Valid lower bound on GPUs (already rounded up). */
  lowerBound: number;
  converged: boolean;
  iterations: number;
}

/** Memory of a GPU split into this many units for the pricing DP (item sizes rounded up: conservative). */
const MEMORY_UNITS = 20;
const EPSILON = 1e-9;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Pricing by dynamic programming (unbounded knapsack over the states
 * compute units x memory units x items x latency-sensitive items).
 * Returns the best pattern and its dual value.
 */
export function pricePattern(types: readonly ItemType[], duals: readonly number[], rules: PatternRules): { pattern: number[]; value: number } {
  // 1. A workload alone may use the whole GPU: singletons are always patterns.
  let best = { pattern: types.map(() => 0), value: 0 };
  types.forEach((t, i) => {
    if (duals[i] > best.value) {
      best = { pattern: types.map((_, j) => (j === i ? 1 : 0)), value: duals[i] };
    }
  });
  // 2. Shared GPUs: compute and memory within capacity x headroom. Sizes in units of their gcd.
  const shareMilli = Math.floor(GPU_MILLI * rules.headroom + EPSILON);
  const candidates = types.map((t, i) => i).filter((i) => duals[i] > EPSILON && types[i].gpuMilli <= shareMilli);
  if (candidates.length === 0 || rules.maxItemsPerGpu < 2) return best;
  let unit = shareMilli;
  for (const i of candidates) unit = gcd(unit, Math.round(types[i].gpuMilli));
  const computeUnits = Math.floor(shareMilli / unit);
  const computeOf = candidates.map((i) => Math.round(types[i].gpuMilli) / unit);
  const memoryTracked = Number.isFinite(rules.gpuMemoryMiB) && candidates.some((i) => types[i].memoryNeedMiB > 0);
  const memoryUnits = memoryTracked ? MEMORY_UNITS : 0;
  const memoryOf = candidates.map((i) => (memoryTracked ? Math.ceil((types[i].memoryNeedMiB / (rules.gpuMemoryMiB * rules.headroom)) * MEMORY_UNITS - EPSILON) : 0));
  const smallest = Math.min(...computeOf);
  const fitAtMost = Math.floor(computeUnits / smallest);
  const countTracked = rules.maxItemsPerGpu < fitAtMost;
  const countUnits = countTracked ? rules.maxItemsPerGpu : 0;
  const lsTracked = !rules.allowLatencySensitiveSharing && candidates.some((i) => types[i].latencySensitive);
  const lsUnits = lsTracked ? 1 : 0;
  // Flattened index: ((c * (M+1) + m) * (K+1) + k) * (L+1) + l.
  const dimM = memoryUnits + 1;
  const dimK = countUnits + 1;
  const dimL = lsUnits + 1;
  const size = (computeUnits + 1) * dimM * dimK * dimL;
  const value = new Float64Array(size).fill(Number.NEGATIVE_INFINITY);
  const choice = new Int32Array(size).fill(-1);
  value[0] = 0;
  candidates.forEach((typeIndex, ci) => {
    const dc = computeOf[ci];
    const dm = memoryOf[ci];
    const dk = countTracked ? 1 : 0;
    const dl = lsTracked && types[typeIndex].latencySensitive ? 1 : 0;
    if (dm > memoryUnits) return;
    const offset = ((dc * dimM + dm) * dimK + dk) * dimL + dl;
    const gain = duals[typeIndex];
    // 3. Increasing order in every dimension lets an item type be taken several times.
    for (let c = dc; c <= computeUnits; c++) {
      for (let m = dm; m <= memoryUnits; m++) {
        for (let k = dk; k <= countUnits; k++) {
          for (let l = dl; l <= lsUnits; l++) {
            const s = ((c * dimM + m) * dimK + k) * dimL + l;
            const from = value[s - offset];
            if (from + gain > value[s] + EPSILON) {
              value[s] = from + gain;
              choice[s] = ci;
            }
          }
        }
      }
    }
  });
  // 4. Best state, then walk the choices back to the empty pattern.
  let bestState = 0;
  for (let s = 1; s < size; s++) if (value[s] > value[bestState]) bestState = s;
  if (value[bestState] <= best.value + EPSILON) return best;
  const pattern = types.map(() => 0);
  let total = 0;
  let s = bestState;
  while (s > 0 && choice[s] >= 0) {
    const ci = choice[s];
    const typeIndex = candidates[ci];
    pattern[typeIndex]++;
    total += duals[typeIndex];
    const dk = countTracked ? 1 : 0;
    const dl = lsTracked && types[typeIndex].latencySensitive ? 1 : 0;
    s -= ((computeOf[ci] * dimM + memoryOf[ci]) * dimK + dk) * dimL + dl;
  }
  return total > best.value ? { pattern, value: total } : best;
}

function masterModel(types: readonly ItemType[], patterns: readonly number[][], integer: boolean): LinearModel {
  return {
    name: integer ? "packing-master-mip" : "packing-master",
    direction: "minimize",
    objective: patterns.map((_, p) => ({ name: `p${p}`, coef: 1 })),
    constraints: types.map((t, i) => ({
      name: `t${i}`,
      terms: patterns.flatMap((pattern, p) => (pattern[i] > 0 ? [{ name: `p${p}`, coef: pattern[i] }] : [])),
      lower: t.demand,
    })),
    integers: integer ? patterns.map((_, p) => `p${p}`) : undefined,
  };
}

/** Runs column generation until no pattern prices out or the time budget (milliseconds) is spent. */
export async function generateColumns(types: readonly ItemType[], rules: PatternRules, timeLimitMs: number, seedPatterns: readonly number[][] = []): Promise<ColumnGenerationResult> {
  if (types.length === 0 || types.every((t) => t.demand === 0)) return { patterns: [], lpValues: [], lpObjective: 0, lowerBound: 0, converged: true, iterations: 0 };
  const glpk = await loadGlpk();
  const started = performance.now();
  const volume = types.reduce((sum, t) => sum + (t.gpuMilli * t.demand) / GPU_MILLI, 0);
  const patterns: number[][] = types.map((_, i) => types.map((__, j) => (i === j ? 1 : 0)));
  const known = new Set(patterns.map((p) => p.join(",")));
  for (const p of seedPatterns) if (!known.has(p.join(","))) (known.add(p.join(",")), patterns.push([...p]));
  let lowerBound = Math.ceil(volume - 1e-6);
  let lpObjective = Number.POSITIVE_INFINITY;
  let lpValues: number[] = [];
  let converged = false;
  let iterations = 0;
  while (performance.now() - started < timeLimitMs) {
    iterations++;
    const remaining = Math.max(50, timeLimitMs - (performance.now() - started));
    const result = solveWith(glpk, masterModel(types, patterns, false), { timeLimitMs: remaining });
    if (result.status !== "optimal" || !result.duals) break;
    lpObjective = result.objective;
    lpValues = patterns.map((_, p) => result.values[`p${p}`] ?? 0);
    const duals = types.map((_, i) => Math.max(0, result.duals![`t${i}`] ?? 0));
    const priced = pricePattern(types, duals, rules);
    // Farley: every GPU holds at most `priced.value` of dual weight, so LP / value GPUs are needed.
    lowerBound = Math.max(lowerBound, Math.ceil(lpObjective / Math.max(1, priced.value) - 1e-6));
    const key = priced.pattern.join(",");
    if (priced.value <= 1 + 1e-7 || known.has(key)) {
      converged = priced.value <= 1 + 1e-7;
      if (converged) lowerBound = Math.max(lowerBound, Math.ceil(lpObjective - 1e-6));
      break;
    }
    known.add(key);
    patterns.push(priced.pattern);
  }
  return { patterns, lpValues, lpObjective, lowerBound, converged, iterations };
}

/** Integer pattern counts from the restricted master as a MIP (GLPK branch and bound, time-limited). */
export async function integerPatternCounts(types: readonly ItemType[], patterns: readonly number[][], timeLimitMs: number): Promise<number[] | undefined> {
  if (types.length === 0 || patterns.length === 0) return [];
  const glpk = await loadGlpk();
  const result = solveWith(glpk, masterModel(types, patterns, true), { timeLimitMs, mipGap: 0 });
  if (result.status !== "optimal" && !(result.status === "timedout" && Number.isFinite(result.objective))) return undefined;
  return patterns.map((_, p) => Math.round(result.values[`p${p}`] ?? 0));
}
