/**
 * A solver-neutral linear model: the formulations in solver/ build these and
 * solver/glpk.ts is the only place that turns them into a solver's input.
 * Variables are named; a constraint is lower <= sum(coef * var) <= upper.
 */
export interface LinearTerm {
  name: string;
  coef: number;
}

export interface LinearConstraint {
  name: string;
  terms: readonly LinearTerm[];
  /** Omitted means unbounded on that side. */
  lower?: number;
  upper?: number;
}

export interface VariableBound {
  name: string;
  lower?: number;
  upper?: number;
}

export interface LinearModel {
  name: string;
  direction: "minimize" | "maximize";
  objective: readonly LinearTerm[];
  constraints: readonly LinearConstraint[];
  /** Variables without a bound here are >= 0. */
  bounds?: readonly VariableBound[];
  integers?: readonly string[];
  binaries?: readonly string[];
}

export interface SolveOptions {
  /** Wall-clock limit of the solver, milliseconds. */
  timeLimitMs: number;
  /** Relative MIP gap at which branch and bound stops (0.01 = 1%). */
  mipGap?: number;
  /** LP only: called every `progressEvery` simplex iterations with the current objective. */
  onProgress?: (progress: SolveProgress) => void;
  progressEvery?: number;
}

export interface SolveProgress {
  elapsedMs: number;
  objective: number;
}

export type SolveStatus = "optimal" | "feasible" | "infeasible" | "timedout";

export interface SolveResult {
  status: SolveStatus;
  /** NaN when no solution was found. */
  objective: number;
  values: Record<string, number>;
  /** Row duals (shadow prices) of an LP solved by simplex; absent for MIPs. */
  duals?: Record<string, number>;
  elapsedMs: number;
  /** Why, in words, when the status is not optimal. */
  message?: string;
}

export function isMip(model: LinearModel): boolean {
  return (model.integers?.length ?? 0) > 0 || (model.binaries?.length ?? 0) > 0;
}
