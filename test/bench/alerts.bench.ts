/**
 * One evaluation of every alert rule on a 10,000-GPU fleet, the size and shape of
 * fleet-10k's (1,250 nodes x 8 GPUs, 30 days of hourly and daily job rollups, as
 * fleet-10k holds once its history is extended), on PostgreSQL. The rollups are
 * written here with SQL rather than streamed through ingest, so the case takes
 * about a minute rather than fleet-10k's eight: the rules read the rollups, nodes,
 * tokens and refusals, never the raw windows.
 *
 *   4 jobs per node, each holding 2 GPUs for the whole 30 days; 1 in 20 of them
 *   idle (1 % utilization) over the last 6 hours, the rest busy; one team's spend
 *   doubled on the day judged; 10 nodes silent for an hour; refusals for 20 nodes.
 *   Rules: one of each kind (budgets over 200 injected budget statuses, idle GPUs,
 *   spend anomalies per team and per model, silent nodes, refused batches).
 */
import { evaluateAlerts } from "../../server/services/alert-evaluation-service";
import type { SqlDatabase } from "../../server/db/sql-database";
import type { BudgetStatus } from "../../server/domain/budget-status";
import { openSqlDatabase } from "../../server/db/server-database";
import { createPostgresTestDatabase, postgresUnavailableReason } from "../support/test-databases";
import { formatMs, markdownTable, median, type Benchmark } from "./bench-kit";

const NODES = 1_250;
const GPUS_PER_NODE = 8;
const GPUS = NODES * GPUS_PER_NODE;
const JOBS = GPUS / 2;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const HISTORY_DAYS = 30;
// Thursday 2026-11-26, 10:30 UTC.
export const NOW_MS = Date.UTC(2026, 10, 26, 10, 30);

/** Writes the fleet, its 30 days of job rollups, refusals and one rule of each kind. */
export async function buildAlertFleet(sql: SqlDatabase): Promise<void> {
  const nowHourMs = Math.floor(NOW_MS / HOUR_MS) * HOUR_MS;
  const firstHourMs = nowHourMs - HISTORY_DAYS * DAY_MS;
  const judgedDayMs = Math.floor(NOW_MS / DAY_MS) * DAY_MS - DAY_MS;
  // 1. The fleet: nodes (10 silent), a token each, GPUs, jobs, prices.
  await sql.query(`INSERT INTO cluster (id, name, created_at_ms) VALUES (1, 'fleet10k', 0)`);
  await sql.query(
    `INSERT INTO node (id, cluster_id, hostname, labels_json, created_at_ms, last_seen_ms)
     SELECT n, 1, 'node-' || n, '{}', ?, CASE WHEN n <= 10 THEN ?::bigint ELSE ?::bigint END FROM generate_series(1, ${NODES}) AS n`,
    [firstHourMs, NOW_MS - HOUR_MS, NOW_MS - 60_000],
  );
  await sql.query(`INSERT INTO node_token (node_id, token_hash, token_prefix, created_at_ms) SELECT n, 'hash-' || n, 'groi_' || n, ? FROM generate_series(1, ${NODES}) AS n`, [firstHourMs]);
  await sql.query(
    `INSERT INTO gpu (id, node_id, uuid, gpu_index, model_name, memory_total_mib, first_seen_ms, last_seen_ms)
     SELECT g, (g - 1) / ${GPUS_PER_NODE} + 1, 'GPU-' || g, (g - 1) % ${GPUS_PER_NODE},
            CASE WHEN ((g - 1) / ${GPUS_PER_NODE}) % 2 = 0 THEN 'NVIDIA H100 80GB HBM3' ELSE 'NVIDIA A100-SXM4-80GB' END, 81920, ?, ?
       FROM generate_series(1, ${GPUS}) AS g`,
    [firstHourMs, NOW_MS - 60_000],
  );
  await sql.query(
    `INSERT INTO job (id, cluster_id, external_id, kind, requested_gpus, team, project, model, experiment, user_name, labels_json, first_seen_ms, last_seen_ms)
     SELECT j, 1, 'job-' || j, 'training', 2, 'team-' || (j % 25), 'project-' || (j % 40), 'model-' || (j % 12), 'exp-' || j, 'user-' || (j % 300), '{}', ?, ?
       FROM generate_series(1, ${JOBS}) AS j`,
    [firstHourMs, NOW_MS - 60_000],
  );
  await sql.query(
    `INSERT INTO price_book_entry (gpu_model, cost_per_gpu_hour, currency, source, effective_from_ms, created_at_ms)
     VALUES ('NVIDIA H100 80GB HBM3', 4.5, 'USD', 'cloud-on-demand', 0, 0), ('NVIDIA A100-SXM4-80GB', 2.2, 'USD', 'cloud-on-demand', 0, 0)`,
  );

  // 2. 30 days of hourly job usage: job j on GPUs 2j-1 and 2j. Jobs j % 20 = 0
  //    idle for the last 6 hours; team-3 held half its GPU time before the day judged.
  await sql.query(
    `INSERT INTO job_usage_hourly (job_id, gpu_id, hour_start_ms, reported_ms, share_ms, active_ms, sole_ms, utilization_split_ms, memory_split_ms, even_split_ms, memory_mib_ms)
     SELECT j, 2 * j - k, h, 3600000, s, s * CASE WHEN j % 20 = 0 AND h >= ?::bigint THEN 0.01 ELSE 0.7 END, s, 0, 0, 0, s * 40000
       FROM generate_series(1, ${JOBS}) AS j
       CROSS JOIN (VALUES (0), (1)) AS gpus(k)
       CROSS JOIN generate_series(?::bigint, ?::bigint, ${HOUR_MS}::bigint) AS h
       CROSS JOIN LATERAL (SELECT CASE WHEN j % 25 = 3 AND h < ?::bigint THEN 1800000.0 ELSE 3600000.0 END AS s) AS share`,
    [nowHourMs - 6 * HOUR_MS, firstHourMs, nowHourMs - HOUR_MS, judgedDayMs],
  );
  await sql.query(
    `INSERT INTO job_usage_daily (job_id, gpu_id, day_start_ms, reported_ms, share_ms, active_ms, sole_ms, utilization_split_ms, memory_split_ms, even_split_ms, memory_mib_ms)
     SELECT job_id, gpu_id, (hour_start_ms / ${DAY_MS}) * ${DAY_MS}, SUM(reported_ms), SUM(share_ms), SUM(active_ms), SUM(sole_ms),
            SUM(utilization_split_ms), SUM(memory_split_ms), SUM(even_split_ms), SUM(memory_mib_ms)
       FROM job_usage_hourly GROUP BY job_id, gpu_id, (hour_start_ms / ${DAY_MS}) * ${DAY_MS}`,
  );

  // 3. Refusals of 20 nodes over the last hours; the rules.
  await sql.query(
    `INSERT INTO ingest_refusal (subject_key, reason, hour_start_ms, node_id, count, last_refused_at_ms, last_message)
     SELECT 'node:' || n, 'clock-skew', ?::bigint - h * ${HOUR_MS}, n, 3, ?::bigint - h * ${HOUR_MS}, 'window ahead of the server clock'
       FROM generate_series(100, 119) AS n CROSS JOIN generate_series(0, 5) AS h`,
    [nowHourMs, NOW_MS],
  );
  const rule = (name: string, kind: string, params: object) =>
    sql.query(`INSERT INTO alert_rule (name, kind, enabled, params_json, channels_json, created_at_ms, updated_at_ms) VALUES (?, ?, true, ?, '[]', 0, 0)`, [name, kind, JSON.stringify(params)]);
  await rule("budgets", "budget", {});
  await rule("idle", "idle-gpus", { minGpus: 2, maxUtilizationPct: 5, minHours: 4 });
  await rule("team spend", "spend-anomaly", { scope: "team" });
  await rule("model spend", "spend-anomaly", { scope: "model" });
  await rule("silent", "node-silent", { silentMinutes: 15 });
  await rule("refused", "ingest-refused", { windowMinutes: 60, minRefusals: 1 });
  await sql.query("ANALYZE");
}

export const alertsBenchmark: Benchmark = {
  name: "alerts-10k",
  async run(log) {
    const command = "npm run bench -- alerts-10k";
    const title = "Alert evaluation on a 10,000-GPU fleet (PostgreSQL)";
    const reason = await postgresUnavailableReason();
    if (reason) return { title, command, data: "not measured", body: `PostgreSQL unavailable: ${reason}` };

    const db = await createPostgresTestDatabase();
    try {
      const sql = db.sql;
      const started = performance.now();

      await buildAlertFleet(sql);
      const [hourlyRows] = await sql.query<{ n: string }>(`SELECT COUNT(*) AS n FROM job_usage_hourly`);
      log(`alerts-10k: data written in ${((performance.now() - started) / 1000).toFixed(0)} s (${Number(hourlyRows.n).toLocaleString("en-US")} job-hour rows)`);

      const budgets: BudgetStatus[] = Array.from({ length: 200 }, (_, index) => ({
        budgetId: `b${index}`,
        scopeKind: "team",
        scopeValue: `team-${index % 25}`,
        period: "month",
        periodStartMs: Date.UTC(2026, 10, 1),
        periodEndMs: Date.UTC(2026, 11, 1),
        budgetAmount: 100_000,
        currency: "USD",
        actualCost: 50_000,
        forecastCost: index % 10 === 0 ? 120_000 : 90_000,
        forecastLowCost: 80_000,
        forecastHighCost: 130_000,
      }));
      const dependencies = { db: sql, loadBudgetStatuses: async () => budgets, sendEmail: null };

      // 4. Cold evaluations, each by a fresh connection pool (nothing kept from an
      //    earlier one) with no episode stored, so each opens every episode; then
      //    evaluations a minute apart, which find them open. The data were just
      //    written: vacuumed first, so the database's own catch-up is not timed.
      await sql.query("VACUUM ANALYZE");
      const cold: number[] = [];
      let first = null as Awaited<ReturnType<typeof evaluateAlerts>> | null;
      for (let run = 0; run < 3; run++) {
        await sql.query(`DELETE FROM alert_episode`);
        const fresh = openSqlDatabase(db.target);
        try {
          const runStarted = performance.now();
          first = await evaluateAlerts({ ...dependencies, db: fresh }, NOW_MS);
          cold.push(performance.now() - runStarted);
        } finally {
          await fresh.close();
        }
        log(`alerts-10k: cold evaluation ${formatMs(cold[cold.length - 1])} ms: ${JSON.stringify(first)}`);
      }
      await evaluateAlerts(dependencies, NOW_MS);
      const steady: number[] = [];
      for (let run = 0; run < 5; run++) {
        const runStarted = performance.now();
        await evaluateAlerts(dependencies, NOW_MS + (run + 1) * 60_000);
        steady.push(performance.now() - runStarted);
      }
      log(`alerts-10k: later evaluations: median ${formatMs(median(steady))} ms`);
      return {
        title,
        command,
        data: `${NODES.toLocaleString("en-US")} nodes x ${GPUS_PER_NODE} GPUs (${GPUS.toLocaleString("en-US")} GPUs), ${JOBS.toLocaleString("en-US")} jobs of 2 GPUs each, ${HISTORY_DAYS} days of hourly and daily job rollups (${Number(hourlyRows.n).toLocaleString("en-US")} job-hour rows, as fleet-10k holds after its history is extended) written with SQL; PostgreSQL 15, the evaluation in this process on the same 2 cores. Rules: one of each kind (200 budget statuses given to the budget rule), no channels (delivery is measured by the channel tests, not here).`,
        body: [
          markdownTable(
            ["evaluation of every rule", "ms", "episodes opened", "conditions"],
            [
              [`cold, 3 runs (opens every episode; prices the 5 days the spend rules judge), median / max`, `${formatMs(median(cold))} / ${formatMs(Math.max(...cold))}`, first!.opened, first!.conditions],
              [`next 5, a minute apart (conditions still hold; those days' spend kept for the hour), median / max`, `${formatMs(median(steady))} / ${formatMs(Math.max(...steady))}`, 0, first!.conditions],
            ],
          ),
          "",
          `Target: under 5 s on 2 cores. The time goes to the spend rules' five one-day allocations (the day judged and the same weekday of the 4 weeks before, per team and model at once) and to the cost so far of the jobs found idle (one allocation over their 30 days); the idle rule's own query sums ${GPUS.toLocaleString("en-US")} GPUs' last 4 hours. The four loads (budgets, idle jobs, spend, nodes and refusals) run side by side.`,
        ].join("\n"),
      };
    } finally {
      await db.dispose();
    }
  },
};
