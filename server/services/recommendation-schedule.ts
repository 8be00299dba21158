import { getServerDatabase } from "../db/server-database";
import { measureAppliedRecommendations, runRecommendations } from "./recommendation-service";

export const RECOMMENDATION_INTERVAL_MS = 6 * 60 * 60 * 1000;

export interface RecommendationScheduleOptions {
  intervalMs?: number;
  /** First run this long after start (default 5 minutes, after the first rollups). */
  firstRunAfterMs?: number;
  lookbackDays?: number;
}

/**
 * Runs the recommendations every 6 hours (and re-measures the realized saving of
 * applied ones). A run that is still going when the next is due is not doubled.
 * Returns a function that stops the schedule.
 */
export function startRecommendationSchedule(options: RecommendationScheduleOptions = {}): () => void {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const { sql, prisma } = getServerDatabase();
      // Several launchers on one PostgreSQL (replicas): one run at a time, the
      // others skip, so two runs never replace each other's open recommendations.
      const outcome = await sql.runExclusive("recommendations", async () => {
        const nowMs = Date.now();
        const stored = await runRecommendations(sql, prisma, { nowMs, lookbackDays: options.lookbackDays });
        const measured = await measureAppliedRecommendations(sql, prisma, nowMs);
        return { stored: stored.length, measured };
      });
      if (outcome.ran) console.log(`gpu-roi: recommendations: ${outcome.result.stored} stored, ${outcome.result.measured} applied re-measured`);
      else console.log("gpu-roi: recommendations: another process is running them; skipped");
    } catch (error) {
      console.error(`gpu-roi: recommendations failed, will retry at the next run: ${(error as Error).message}`);
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void run(), options.firstRunAfterMs ?? 5 * 60_000);
  first.unref();
  const every = setInterval(() => void run(), options.intervalMs ?? RECOMMENDATION_INTERVAL_MS);
  every.unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}
