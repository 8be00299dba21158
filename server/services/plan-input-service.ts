/**
 * Loads what the fleet plan needs from the database (profiles of the lookback,
 * their hourly rows, the fleet's GPUs, the price book) and builds its input
 * (server/domain/plan-input.ts). Used by the optimizer run and by
 * `npm run admin -- export-plan-input` (a plan computed offline).
 */
import type { SqlDatabase } from "../db/sql-database";
import { buildPlanInput, type BuiltPlanInput, type PlanInputOptions } from "../domain/plan-input";
import { workloadKey } from "../domain/workload-keys";
import type { ThroughputEvidence } from "../../solver/plan/types";
import { loadPriceEntries } from "./allocation-service";
import { measuredThroughput } from "./unit-cost-service";
import { DEFAULT_LOOKBACK_DAYS, loadWorkloadProfiles, type WorkloadProfileSet } from "./workload-profile-service";

const HOUR_MS = 3_600_000;

/**
 * The part of the lookback with data: from the first job window (whole hour) to
 * its end, so a fleet younger than the lookback is not averaged as if idle before.
 */
export function observedSpan(set: Pick<WorkloadProfileSet, "profiles" | "windowStartMs" | "windowEndMs">): { startMs: number; endMs: number } {
  const first = Math.min(Number.POSITIVE_INFINITY, ...set.profiles.map((p) => p.firstSeenMs));
  const startMs = Number.isFinite(first) ? Math.max(set.windowStartMs, Math.floor(first / HOUR_MS) * HOUR_MS) : set.windowStartMs;
  return { startMs, endMs: set.windowEndMs };
}

export interface PlanInputQuery extends Pick<PlanInputOptions, "exclude" | "measuredThroughput" | "planOptions"> {
  nowMs: number;
  lookbackDays?: number;
}

export async function loadPlanInput(db: SqlDatabase, query: PlanInputQuery): Promise<BuiltPlanInput & { windowStartMs: number; windowEndMs: number }> {
  const set = await loadWorkloadProfiles(db, { nowMs: query.nowMs, lookbackDays: query.lookbackDays ?? DEFAULT_LOOKBACK_DAYS });
  const priceEntries = await loadPriceEntries(db);
  const measured = query.measuredThroughput ?? (await measuredThroughputByWorkload(db, { startMs: set.windowStartMs, endMs: set.windowEndMs }));
  const built = buildPlanInput(
    { profiles: set.profiles, gpus: set.gpus, nodeLabels: set.nodeLabels, jobHours: set.jobHours, priceEntries, atMs: query.nowMs, span: observedSpan(set) },
    { exclude: query.exclude, measuredThroughput: measured, planOptions: query.planOptions },
  );
  return { ...built, windowStartMs: set.windowStartMs, windowEndMs: set.windowEndMs };
}

/** Work per GPU-hour the jobs reported over the plan's window, keyed as the plan input builder looks jobs up. */
async function measuredThroughputByWorkload(db: SqlDatabase, window: { startMs: number; endMs: number }): Promise<Map<string, ThroughputEvidence[]>> {
  const byJob = await measuredThroughput(db, window);
  return new Map([...byJob.values()].map((entry) => [workloadKey({ cluster: entry.cluster, externalId: entry.job }), entry.throughput]));
}
