/**
 * What the collectors sent ("the simulated truth") and what the database holds,
 * in the same shape, so a fault test can assert that nothing was lost and nothing
 * counted twice: raw windows, their energy and duration, and the hourly and daily
 * rollups built from them.
 */
import { expect } from "vitest";
import type { SqlExecutor } from "../../server/db/sql-database";
import type { IngestBatch } from "../../server/wire/ingest-v1";

/**
 * Window totals. Batches are not compared: a collector catching up merges
 * spooled batches into one request (collectors/merge-batches.ts), so the server
 * stores fewer batch ids than the collectors produced, and the same windows.
 */
export interface IngestTotals {
  gpuWindows: number;
  jobWindows: number;
  /** Sum of GPU windows' lengths, ms. */
  gpuWindowMs: number;
  /** Sum of job windows' lengths, ms. */
  jobWindowMs: number;
  /** Sum of GPU windows' energy, J (floating sums differ in the last bits: compare with expectSameTotals). */
  energyJ: number;
}

export interface RollupTotals {
  /** gpu_usage_hourly.reported_ms summed, ms: equals the GPU windows' total length. */
  gpuHourlyReportedMs: number;
  gpuHourlyEnergyJ: number;
  /** job_usage_hourly.reported_ms summed, ms: equals the job windows' total length. */
  jobHourlyReportedMs: number;
  /** job_usage_daily.reported_ms summed, ms: equals the hourly total. */
  jobDailyReportedMs: number;
}


/** Totals of the batches a set of collectors produced; a batch listed twice counts once. */
export function truthOf(batches: readonly IngestBatch[]): IngestTotals {
  const unique = new Map(batches.map((batch) => [batch.batchId, batch]));
  const totals: IngestTotals = { gpuWindows: 0, jobWindows: 0, gpuWindowMs: 0, jobWindowMs: 0, energyJ: 0 };
  for (const batch of unique.values()) {
    totals.gpuWindows += batch.gpuWindows.length;
    totals.jobWindows += batch.jobWindows.length;
    for (const window of batch.gpuWindows) {
      totals.gpuWindowMs += window.endMs - window.startMs;
      totals.energyJ += window.energyJ ?? 0;
    }
    for (const window of batch.jobWindows) totals.jobWindowMs += window.endMs - window.startMs;
  }
  return totals;
}

/** The same totals read back from the database. */
export async function storedTotals(db: SqlExecutor): Promise<IngestTotals> {
  const [row] = await db.query<Record<string, number | null>>(
    `SELECT (SELECT COUNT(*) FROM gpu_usage_window) AS gpu_windows,
            (SELECT COUNT(*) FROM job_usage_window) AS job_windows,
            (SELECT SUM(end_ms - start_ms) FROM gpu_usage_window) AS gpu_window_ms,
            (SELECT SUM(end_ms - start_ms) FROM job_usage_window) AS job_window_ms,
            (SELECT SUM(energy_j) FROM gpu_usage_window) AS energy_j`,
  );
  return {
    gpuWindows: Number(row.gpu_windows),
    jobWindows: Number(row.job_windows),
    gpuWindowMs: Number(row.gpu_window_ms ?? 0),
    jobWindowMs: Number(row.job_window_ms ?? 0),
    energyJ: Number(row.energy_j ?? 0),
  };
}

/** The rollup sums, to compare with the raw windows' totals. */
export async function storedRollupTotals(db: SqlExecutor): Promise<RollupTotals> {
  const [row] = await db.query<Record<string, number | null>>(
    `SELECT (SELECT SUM(reported_ms) FROM gpu_usage_hourly) AS gpu_hourly_reported_ms,
            (SELECT SUM(energy_j) FROM gpu_usage_hourly) AS gpu_hourly_energy_j,
            (SELECT SUM(reported_ms) FROM job_usage_hourly) AS job_hourly_reported_ms,
            (SELECT SUM(reported_ms) FROM job_usage_daily) AS job_daily_reported_ms`,
  );
  return {
    gpuHourlyReportedMs: Number(row.gpu_hourly_reported_ms ?? 0),
    gpuHourlyEnergyJ: Number(row.gpu_hourly_energy_j ?? 0),
    jobHourlyReportedMs: Number(row.job_hourly_reported_ms ?? 0),
    jobDailyReportedMs: Number(row.job_daily_reported_ms ?? 0),
  };
}

/** The rollup totals that the given raw totals imply. */
export function expectedRollupTotals(raw: IngestTotals): RollupTotals {
  return { gpuHourlyReportedMs: raw.gpuWindowMs, gpuHourlyEnergyJ: raw.energyJ, jobHourlyReportedMs: raw.jobWindowMs, jobDailyReportedMs: raw.jobWindowMs };
}

/** Asserts two totals are equal: counts and lengths exactly, energy to 0.01 J. */
export function expectSameTotals<T extends object>(actual: T, expected: T): void {
  const energyKeys = Object.keys(expected).filter((key) => /EnergyJ$|^energyJ$/.test(key));
  const withoutEnergy = (totals: T) => Object.fromEntries(Object.entries(totals).filter(([key]) => !energyKeys.includes(key)));
  expect(withoutEnergy(actual)).toEqual(withoutEnergy(expected));
  for (const key of energyKeys) {
    expect((actual as Record<string, number>)[key], key).toBeCloseTo((expected as Record<string, number>)[key], 2);
  }
}
