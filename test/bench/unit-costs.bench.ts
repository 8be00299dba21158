/**
 * Unit costs over a 10,000-GPU fleet (the size of fleet-10k), side by side with
 * the allocation query over the same window, on PostgreSQL.
 *
 * The data is written straight into the rollup tables with generate_series (the
 * figures read only rollups for whole hours, and ingest's own cost is measured by
 * the ingest and fleet-10k benchmarks): 1,250 nodes x 8 GPUs (half A100, half
 * H100), 5,000 jobs of two GPUs each, 7 days of hourly rows. Half the jobs serve
 * (prompt tokens, generated tokens and requests scraped from vLLM), half train
 * (samples from their report file; one in ten also posts them to
 * POST /api/v1/work, so the rule counting one source per hour has work to do).
 *
 * Length: GPU_ROI_BENCH_UNIT_COST_DAYS (default 7) days of history.
 */
import { ALL_DATA } from "../../server/auth/principal";
import type { AggregateKey } from "../../server/domain/allocation";
import { allocate } from "../../server/services/allocation-service";
import { addPriceEntry } from "../../server/services/price-book-service";
import { unitCosts, type UnitCostQuery } from "../../server/services/unit-cost-service";
import { createPostgresTestDatabase, postgresUnavailableReason, type TestDatabase } from "../support/test-databases";
import { formatMs, markdownTable, median, percentile, timeRuns, type Benchmark } from "./bench-kit";

const NODES = 1_250;
const GPUS_PER_NODE = 8;
const GPUS = NODES * GPUS_PER_NODE;
const JOBS = GPUS / 2;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const REPEATS = 5;
const A100 = "NVIDIA A100-SXM4-80GB";
/** The allocation unit costs start from: one row per job and GPU (every job property and the GPU as keys). */
const JOB_COSTS = "allocation per job and GPU (the job costs unit costs divide)";
const H100 = "NVIDIA H100 80GB HBM3";

/** Fills the fleet, its jobs and `days` of hourly usage and work ending at `endMs`. */
async function loadFleet(db: TestDatabase, endMs: number, days: number): Promise<Record<string, number>> {
  const startMs = endMs - days * DAY_MS;
  const hours = days * 24;
  await addPriceEntry(db.prisma, { gpuModel: A100, costPerGpuHour: 2.2, effectiveFromMs: 0 }, startMs);
  await addPriceEntry(db.prisma, { gpuModel: H100, costPerGpuHour: 4.5, effectiveFromMs: 0 }, startMs);
  const sql = (text: string, params: (string | number)[] = []) => db.sql.query(text, params);
  await sql(`INSERT INTO cluster (id, name, created_at_ms) VALUES (1, 'fleet10k', ?)`, [startMs]);
  await sql(
    `INSERT INTO node (id, cluster_id, hostname, labels_json, created_at_ms, last_seen_ms)
     SELECT n, 1, 'node-' || n, '{}', ?, ? FROM generate_series(1, ${NODES}) AS n`,
    [startMs, endMs],
  );
  // GPU g on node (g - 1) / 8 + 1; the first half of the nodes are A100s.
  await sql(
    `INSERT INTO gpu (id, node_id, uuid, gpu_index, model_name, memory_total_mib, first_seen_ms, last_seen_ms)
     SELECT g, (g - 1) / ${GPUS_PER_NODE} + 1, 'GPU-' || g, (g - 1) % ${GPUS_PER_NODE},
            CASE WHEN g <= ${GPUS / 2} THEN '${A100}' ELSE '${H100}' END, 81920, ?, ?
       FROM generate_series(1, ${GPUS}) AS g`,
    [startMs, endMs],
  );
  // Job j holds GPUs 2j - 1 and 2j; odd jobs serve, even jobs train; 20 models, 8 teams.
  await sql(
    `INSERT INTO job (id, cluster_id, external_id, kind, requested_gpus, team, project, model, experiment, user_name, labels_json, first_seen_ms, last_seen_ms)
     SELECT j, 1, 'job-' || j, CASE WHEN j % 2 = 1 THEN 'inference' ELSE 'training' END, 2,
            'team-' || (j % 8), 'project-' || (j % 16), 'model-' || (j % 20), 'model-' || (j % 20) || '-exp-' || (j % 100), 'user-' || (j % 50), '{}', ?, ?
       FROM generate_series(1, ${JOBS}) AS j`,
    [startMs, endMs],
  );
  await sql(
    `INSERT INTO gpu_usage_hourly (gpu_id, hour_start_ms, reported_ms, utilization_measured_ms, utilization_pct_ms, memory_measured_ms, memory_mib_ms, energy_j)
     SELECT g, ?::bigint + h::bigint * ${HOUR_MS}, ${HOUR_MS}, ${HOUR_MS}, (40 + (g + h) % 50) * ${HOUR_MS}::double precision, ${HOUR_MS}, 40000.0 * ${HOUR_MS}, 1.2e6
       FROM generate_series(1, ${GPUS}) AS g CROSS JOIN generate_series(0, ${hours - 1}) AS h`,
    [startMs],
  );
  await sql(
    `INSERT INTO job_usage_hourly (job_id, gpu_id, hour_start_ms, reported_ms, share_ms, active_ms, sole_ms, utilization_split_ms, memory_split_ms, even_split_ms, memory_mib_ms)
     SELECT (g + 1) / 2, g, ?::bigint + h::bigint * ${HOUR_MS}, ${HOUR_MS}, ${HOUR_MS}, (40 + (g + h) % 50) * ${HOUR_MS / 100}, ${HOUR_MS}, 0, 0, 0, 40000.0 * ${HOUR_MS}
       FROM generate_series(1, ${GPUS}) AS g CROSS JOIN generate_series(0, ${hours - 1}) AS h`,
    [startMs],
  );
  await sql(
    `INSERT INTO job_usage_daily (job_id, gpu_id, day_start_ms, reported_ms, share_ms, active_ms, sole_ms, utilization_split_ms, memory_split_ms, even_split_ms, memory_mib_ms)
     SELECT job_id, gpu_id, (hour_start_ms / ${DAY_MS}) * ${DAY_MS}, SUM(reported_ms), SUM(share_ms), SUM(active_ms), SUM(sole_ms),
            SUM(utilization_split_ms), SUM(memory_split_ms), SUM(even_split_ms), SUM(memory_mib_ms)
       FROM job_usage_hourly GROUP BY job_id, gpu_id, (hour_start_ms / ${DAY_MS}) * ${DAY_MS}`,
  );
  // Work per hour and GPU pair: H100 jobs do about three times an A100 job's work.
  const speed = `CASE WHEN j > ${JOBS / 2} THEN 3 ELSE 1 END`;
  await sql(
    `INSERT INTO job_work_hourly (job_id, unit, hour_start_ms, node_id, source, count)
     SELECT j, u.unit, ?::bigint + h::bigint * ${HOUR_MS}, (2 * j - 1) / ${GPUS_PER_NODE} + 1, 'vllm', u.rate * ${speed} * (0.8 + ((j + h) % 5) / 10.0)
       FROM generate_series(1, ${JOBS}, 2) AS j CROSS JOIN generate_series(0, ${hours - 1}) AS h
            CROSS JOIN (VALUES ('prompt_tokens', 4.0e6), ('generation_tokens', 1.5e6), ('requests', 9000.0)) AS u(unit, rate)`,
    [startMs],
  );
  await sql(
    `INSERT INTO job_work_hourly (job_id, unit, hour_start_ms, node_id, source, count)
     SELECT j, 'samples', ?::bigint + h::bigint * ${HOUR_MS}, (2 * j - 1) / ${GPUS_PER_NODE} + 1, s.source, s.share * 360000 * ${speed}
       FROM generate_series(2, ${JOBS}, 2) AS j CROSS JOIN generate_series(0, ${hours - 1}) AS h
            CROSS JOIN (VALUES ('report', 1.0), ('api', 0.97)) AS s(source, share)
      WHERE s.source = 'report' OR j % 10 = 0`,
    [startMs],
  );
  await sql("ANALYZE");
  const counts: Record<string, number> = {};
  for (const table of ["gpu_usage_hourly", "job_usage_hourly", "job_usage_daily", "job_work_hourly"]) {
    const [row] = await db.sql.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${table}`);
    counts[table] = Number(row.n);
  }
  return counts;
}

export const unitCostBenchmark: Benchmark = {
  name: "unit-costs",
  async run(log) {
    const days = Number(process.env.GPU_ROI_BENCH_UNIT_COST_DAYS ?? 7);
    const command = "npm run bench -- unit-costs";
    const title = "Unit costs on a 10,000-GPU fleet, beside allocation (PostgreSQL)";
    const reason = await postgresUnavailableReason();
    if (reason) return { title, command, data: "not measured", body: `PostgreSQL unavailable: ${reason}` };
    const db = await createPostgresTestDatabase();
    try {
      const endMs = Math.floor(Date.UTC(2026, 11, 1) / DAY_MS) * DAY_MS;
      const window = { startMs: endMs - days * DAY_MS, endMs };
      const loadStarted = performance.now();
      log(`unit-costs: loading ${GPUS.toLocaleString("en-US")} GPUs x ${days} days of rollups ...`);
      const counts = await loadFleet(db, endMs, days);
      const loadSeconds = (performance.now() - loadStarted) / 1000;
      log(`unit-costs: loaded in ${loadSeconds.toFixed(0)} s: ${JSON.stringify(counts)}`);

      const allocation = (aggregate: AggregateKey[], stepMs: number | null) => () =>
        allocate(db.sql, { window, aggregate, basis: "allocation", shareIdle: "none", idleBy: "cluster", filter: new Map(), stepMs }, ALL_DATA);
      const unitCost = (aggregate: UnitCostQuery["aggregate"], stepMs: number | null) => () =>
        unitCosts(db.sql, { window, aggregate, units: null, shareIdle: "none", idleBy: "cluster", stepMs }, ALL_DATA);
      const cases: [string, () => Promise<unknown>][] = [
        ["allocation, `aggregate=model`", allocation(["model"], null)],
        [JOB_COSTS, allocation(["cluster", "job", "gpu", "team", "project", "model", "experiment", "user"], null)],
        ["unit costs, `aggregate=model`", unitCost(["model"], null)],
        ["unit costs, `aggregate=model,gpuModel`", unitCost(["model", "gpuModel"], null)],
        ["allocation, `aggregate=model&step=1d`", allocation(["model"], DAY_MS)],
        ["unit costs, `aggregate=model&step=1d`", unitCost(["model"], DAY_MS)],
      ];
      const rows: (string | number)[][] = [];
      const medians = new Map<string, number>();
      for (const [name, run] of cases) {
        const samples = await timeRuns(run, REPEATS);
        medians.set(name, median(samples));
        rows.push([name, formatMs(median(samples)), formatMs(percentile(samples, 0.95))]);
        log(`  ${name}: median ${formatMs(median(samples))} ms`);
      }
      const check = await unitCost([], null)();
      const totals = check.totals.map((row) => `${row.unit} ${row.costPerUnits?.toFixed(3)} per ${row.per.toLocaleString("en-US")}`).join(", ");
      const ratio = medians.get("unit costs, `aggregate=model`")! / medians.get(JOB_COSTS)!;
      return {
        title,
        command,
        data: `${NODES.toLocaleString("en-US")} nodes x ${GPUS_PER_NODE} GPUs (${GPUS.toLocaleString("en-US")} GPUs, half A100 at 2.2, half H100 at 4.5 USD/GPU-hour), ${JOBS.toLocaleString("en-US")} jobs of 2 GPUs (half serving: prompt and generated tokens and requests; half training: samples, one in ten reported two ways), ${days} days written straight into the rollups (${Object.entries(counts)
          .map(([table, n]) => `${n.toLocaleString("en-US")} ${table}`)
          .join(", ")}; loaded in ${loadSeconds.toFixed(0)} s). Window: the ${days} days.`,
        body: [
          markdownTable(["query (in process, service call)", "median (ms)", "p95 (ms)"], rows),
          "",
          `${REPEATS} runs each after one warm-up. Unit costs run the allocation per job and GPU (every job property and the GPU as keys), then read the work: one query summing job_work_hourly per job, node, unit, source and step (every hourly row of the window: there is no daily work rollup, where allocation reads daily rows for whole days), and the hourly rows of the counters two sources counted, settled hour by hour (countedStepWork); then divide. In all ${ratio.toFixed(2)}x the allocation per job and GPU alone; most of the difference is the database reading the hourly work (a CPU profile of the process shows it mostly waiting), so a daily work rollup per job, node, unit and source is the next step if this matters. Fleet totals: ${totals}.`,
        ].join("\n"),
      };
    } finally {
      await db.dispose();
    }
  },
};
