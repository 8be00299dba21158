import type { SqlDatabase } from "../db/sql-database";
import { estimateExperiment, EstimateError, type Estimate, type EstimateRequest, type HistoricalRun, type MeasuredThroughput } from "../domain/estimate";
import { priceFor } from "../domain/pricing";
import { HOUR_MS } from "../domain/rollup";
import { loadPriceEntries } from "./allocation-service";
import { ServiceError } from "./service-error";
import type { DataScope } from "../auth/principal";
import { teamScopeSql } from "../auth/data-scope";
import { unitCosts } from "./unit-cost-service";

/** How far back similar runs are looked for, and the window of the off-peak profile. */
const HISTORY_DAYS = 90;
const OFF_PEAK_DAYS = 14;
const DAY_MS = 24 * HOUR_MS;

/** Hour of the week, 0 = Monday 00:00 UTC (1970-01-01 was a Thursday: 72 hours in). */
export function hourOfWeek(ms: number): number {
  return (Math.floor(ms / HOUR_MS) + 72) % 168;
}

/** Past runs an estimate compares with: a member's estimate learns from their teams' runs only. */
async function loadRuns(db: SqlDatabase, sinceMs: number, experiment: string | null, scope: DataScope): Promise<HistoricalRun[]> {
  const inScope = teamScopeSql(scope, "j");
  const rows = await db.query<{ external_id: string; model_name: string; gpu_count: number; share_ms: number; active_ms: number; kind: string }>(
    `SELECT j.external_id, g.model_name, j.kind, COUNT(DISTINCT d.gpu_id) AS gpu_count, SUM(d.share_ms) AS share_ms, SUM(d.active_ms) AS active_ms
       FROM job_usage_daily d JOIN job j ON j.id = d.job_id JOIN gpu g ON g.id = d.gpu_id
      WHERE d.day_start_ms >= ? ${experiment === null ? "AND j.kind = 'training'" : "AND j.experiment = ?"}${inScope.sql}
      GROUP BY j.external_id, g.model_name, j.kind`,
    [...(experiment === null ? [sinceMs] : [sinceMs, experiment]), ...inScope.params],
  );
  return rows.map((row) => ({
    jobId: row.external_id,
    gpuModel: row.model_name,
    gpuCount: Number(row.gpu_count),
    heldGpuHours: Number(row.share_ms) / HOUR_MS,
    activeGpuHours: Number(row.active_ms) / HOUR_MS,
  }));
}

/** Average GPUs of a model left free (reporting, not held by a job) in each hour of the week. */
async function freeGpusByHourOfWeek(db: SqlDatabase, gpuModel: string, sinceMs: number): Promise<number[] | undefined> {
  const reported = await db.query<{ hour_start_ms: number; ms: number }>(
    `SELECT u.hour_start_ms, SUM(u.reported_ms) AS ms FROM gpu_usage_hourly u JOIN gpu g ON g.id = u.gpu_id
      WHERE g.model_name = ? AND g.mig_parent_uuid IS NULL AND u.hour_start_ms >= ? GROUP BY u.hour_start_ms`,
    [gpuModel, sinceMs],
  );
  if (reported.length === 0) return undefined;
  const held = await db.query<{ hour_start_ms: number; ms: number }>(
    `SELECT j.hour_start_ms, SUM(j.share_ms) AS ms FROM job_usage_hourly j JOIN gpu g ON g.id = j.gpu_id
      WHERE g.model_name = ? AND g.mig_parent_uuid IS NULL AND j.hour_start_ms >= ? GROUP BY j.hour_start_ms`,
    [gpuModel, sinceMs],
  );
  const heldByHour = new Map(held.map((row) => [Number(row.hour_start_ms), Number(row.ms)]));
  const sums = new Array<number>(168).fill(0);
  const counts = new Array<number>(168).fill(0);
  for (const row of reported) {
    const hourMs = Number(row.hour_start_ms);
    const free = Math.max(0, Number(row.ms) - (heldByHour.get(hourMs) ?? 0)) / HOUR_MS;
    sums[hourOfWeek(hourMs)] += free;
    counts[hourOfWeek(hourMs)] += 1;
  }
  // An hour of the week never seen counts as nothing free: no promise without evidence.
  return sums.map((sum, index) => (counts[index] > 0 ? sum / counts[index] : 0));
}

/** Units whose measured throughput speaks for an experiment's speed, the training ones first. */
const THROUGHPUT_UNITS = ["samples", "tokens", "steps", "images", "generation_tokens", "requests", "prompt_tokens"];

/**
 * The experiment's measured work per GPU-hour on each GPU model it ran on (its
 * jobs' work counters over their allocated GPU-hours), in the first unit of
 * THROUGHPUT_UNITS it counted; undefined when it counted none.
 */
async function measuredThroughputOf(db: SqlDatabase, experiment: string, sinceMs: number, nowMs: number, scope: DataScope): Promise<MeasuredThroughput | undefined> {
  const result = await unitCosts(db, { window: { startMs: sinceMs, endMs: nowMs }, aggregate: ["experiment", "gpuModel"], units: null, shareIdle: "none", idleBy: "cluster", stepMs: null }, scope);
  const rows = result.rows.filter((row) => row.properties.experiment === experiment && row.workPerGpuHour !== null);
  const counted = new Set(rows.map((row) => row.unit));
  const unit = THROUGHPUT_UNITS.find((candidate) => counted.has(candidate)) ?? [...counted].sort()[0];
  if (unit === undefined) return undefined;
  return { unit, workPerGpuHour: Object.fromEntries(rows.filter((row) => row.unit === unit).map((row) => [row.properties.gpuModel!, row.workPerGpuHour!])) };
}

/** Loads the history, prices and free capacity an estimate needs, and estimates. */
export async function estimate(
  db: SqlDatabase,
  request: EstimateRequest,
  options: { nowMs: number; relativeThroughput?: Record<string, number> },
  scope: DataScope,
): Promise<Estimate> {
  const entries = await loadPriceEntries(db);
  const prices = new Map<string, { costPerGpuHour: number; currency: string }>();
  for (const model of new Set(entries.map((entry) => entry.gpuModel))) {
    const entry = priceFor(entries, model, {}, options.nowMs);
    if (entry) prices.set(model, { costPerGpuHour: entry.costPerGpuHour, currency: entry.currency });
  }
  const runs = await loadRuns(db, options.nowMs - HISTORY_DAYS * DAY_MS, request.kind === "like" ? request.experiment : null, scope);
  const similarRuns = request.kind === "like" ? runs : runs.filter((run) => run.gpuModel === request.gpuModel && run.gpuCount === request.gpuCount);
  // The model the estimate prices: the requested one, or the one the experiment used most.
  const heldByModel = new Map<string, number>();
  for (const run of similarRuns) heldByModel.set(run.gpuModel, (heldByModel.get(run.gpuModel) ?? 0) + run.heldGpuHours);
  const gpuModel = request.kind === "shape" ? request.gpuModel : ([...heldByModel.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "");
  try {
    return estimateExperiment({
      request,
      similarRuns,
      prices,
      relativeThroughput: options.relativeThroughput,
      measured: request.kind === "like" ? await measuredThroughputOf(db, request.experiment, options.nowMs - HISTORY_DAYS * DAY_MS, options.nowMs, scope) : undefined,
      freeGpusByHourOfWeek: gpuModel ? await freeGpusByHourOfWeek(db, gpuModel, options.nowMs - OFF_PEAK_DAYS * DAY_MS) : undefined,
      nowHourOfWeek: hourOfWeek(options.nowMs),
    });
  } catch (error) {
    if (error instanceof EstimateError) throw new ServiceError(400, error.message, error.field);
    throw error;
  }
}
