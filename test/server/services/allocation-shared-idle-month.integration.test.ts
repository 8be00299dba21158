import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allocate } from "../../../server/services/allocation-service";
import { databaseKinds, type TestDatabase } from "../../support/test-databases";
import { ALL_DATA } from "../../../server/auth/principal";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;
const T0_MS = Date.UTC(2026, 10, 1);
const GPUS = 300;
const HOURS = 30 * 24;

/**
 * A month of 300 GPUs at 2.00/h, each held by its own job for the first half of
 * every hour: 216,000 job-hours in the hourly rollup, written straight in SQL, and
 * their daily sums (ingest adds to both).
 */
async function seed(db: TestDatabase): Promise<void> {
  const numbers = (count: number) => `WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ${count - 1})`;
  await db.sql.query(`INSERT INTO cluster (id, name, created_at_ms) VALUES (1, 'lab', 0)`);
  await db.sql.query(`INSERT INTO node (id, cluster_id, hostname, labels_json, created_at_ms, last_seen_ms) VALUES (1, 1, 'node-1', '{}', 0, ?)`, [T0_MS + HOURS * HOUR_MS]);
  await db.sql.query(
    `${numbers(GPUS)} INSERT INTO gpu (id, node_id, uuid, gpu_index, model_name, memory_total_mib, first_seen_ms, last_seen_ms)
       SELECT n + 1, 1, 'GPU-' || n, n, 'A100', 81920, ?, ? FROM seq`,
    [T0_MS, T0_MS + HOURS * HOUR_MS],
  );
  await db.sql.query(
    `${numbers(GPUS)} INSERT INTO job (id, cluster_id, external_id, kind, team, labels_json, first_seen_ms, last_seen_ms)
       SELECT n + 1, 1, 'job-' || n, 'training', 'search', '{}', ?, ? FROM seq`,
    [T0_MS, T0_MS + HOURS * HOUR_MS],
  );
  await db.sql.query(
    `${numbers(HOURS)} INSERT INTO job_usage_hourly (job_id, gpu_id, hour_start_ms, reported_ms, share_ms, active_ms, sole_ms, utilization_split_ms, memory_split_ms, even_split_ms, memory_mib_ms)
       SELECT g.id, g.id, ${T0_MS} + CAST(seq.n AS BIGINT) * ${HOUR_MS}, ${HOUR_MS / 2}, ${HOUR_MS / 2}, ${HOUR_MS / 4}, ${HOUR_MS / 2}, 0, 0, 0, 0 FROM seq CROSS JOIN gpu g`,
  );
  await db.sql.query(
    `INSERT INTO job_usage_daily (job_id, gpu_id, day_start_ms, reported_ms, share_ms, active_ms, sole_ms, utilization_split_ms, memory_split_ms, even_split_ms, memory_mib_ms)
       SELECT job_id, gpu_id, (hour_start_ms / ${24 * HOUR_MS}) * ${24 * HOUR_MS}, SUM(reported_ms), SUM(share_ms), SUM(active_ms), SUM(sole_ms), 0, 0, 0, 0
         FROM job_usage_hourly GROUP BY job_id, gpu_id, (hour_start_ms / ${24 * HOUR_MS}) * ${24 * HOUR_MS}`,
  );
  await db.sql.query(
    `INSERT INTO price_book_entry (gpu_model, cost_per_gpu_hour, currency, source, effective_from_ms, created_at_ms) VALUES ('A100', 2, 'USD', 'cloud-on-demand', 0, 0)`,
  );
}

describe.each(kinds)("allocate with shared idle over a month, on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL shared-idle month suite: ${skipReason}`);
  let db: TestDatabase;

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    await seed(db);
  }, 120_000);
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("reads every job-hour and shares each hour's idle to its jobs", { timeout: 120_000 }, async () => {
    const window = { startMs: T0_MS, endMs: T0_MS + HOURS * HOUR_MS };
    const result = await allocate(db.sql, { window, aggregate: ["team"], basis: "allocation", shareIdle: "weighted", idleBy: "cluster", filter: new Map(), stepMs: null }, ALL_DATA);
    expect(result.fleetCost).toBeCloseTo(GPUS * HOURS * 2, 6);
    expect(result.rows.map((row) => [row.name, row.gpuHours])).toEqual([["search", GPUS * HOURS * 0.5]]);
    expect(result.rows[0].gpuCost).toBeCloseTo(GPUS * HOURS * 1, 4);
    expect(result.rows[0].idleCost).toBeCloseTo(GPUS * HOURS * 1, 4);
  });
});
