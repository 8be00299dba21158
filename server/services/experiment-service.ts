import type { SqlDatabase } from "../db/sql-database";
import type { AllocationRow, ShareIdle } from "../domain/allocation";
import { summarizeExperiments, type ExperimentSummary } from "../domain/experiments";
import type { TimeWindow } from "../domain/time-window";
import { allocate } from "./allocation-service";
import type { DataScope } from "../auth/principal";

const DAY_MS = 86_400_000;

export interface ExperimentCosts {
  window: TimeWindow;
  currency: string | null;
  experiments: ExperimentSummary[];
}

/** Every experiment with GPU time in the window (optionally of one model), most expensive first. */
export async function listExperimentCosts(
  db: SqlDatabase,
  input: { window: TimeWindow; model?: string; shareIdle: ShareIdle },
  scope: DataScope,
): Promise<ExperimentCosts> {
  const result = await allocate(db, {
    window: input.window,
    aggregate: ["model", "experiment", "job"],
    basis: "allocation",
    shareIdle: input.shareIdle,
    idleBy: "cluster",
    filter: input.model ? new Map([["model", [input.model]]]) : new Map(),
    stepMs: null,
  }, scope);
  return { window: result.window, currency: result.currency, experiments: summarizeExperiments(result.rows) };
}

export interface ExperimentDetail {
  window: TimeWindow;
  currency: string | null;
  summary: ExperimentSummary | null;
  /** The runs behind the figures, most expensive first. */
  jobs: AllocationRow[];
  /** Cost and GPU-hours per day. */
  trend: AllocationRow[];
}

/** One experiment: its runs, and its cost by day. */
export async function getExperimentCosts(
  db: SqlDatabase,
  input: { window: TimeWindow; experiment: string; shareIdle: ShareIdle },
  scope: DataScope,
): Promise<ExperimentDetail> {
  const base = { basis: "allocation" as const, shareIdle: input.shareIdle, idleBy: "cluster" as const, filter: new Map([["experiment", [input.experiment]]]) };
  const jobs = await allocate(db, { ...base, window: input.window, aggregate: ["model", "experiment", "job"], stepMs: null }, scope);
  const trend = await allocate(db, { ...base, window: input.window, aggregate: ["experiment"], stepMs: DAY_MS }, scope);
  return {
    window: jobs.window,
    currency: jobs.currency,
    summary: summarizeExperiments(jobs.rows)[0] ?? null,
    jobs: [...jobs.rows].sort((a, b) => b.totalCost - a.totalCost),
    trend: trend.rows,
  };
}
