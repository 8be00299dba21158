import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateAlerts } from "../../../server/services/alert-evaluation-service";
import { loadDailySpend } from "../../../server/services/alert-inputs-service";
import { databaseKinds, type TestDatabase } from "../../support/test-databases";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
// Thursday 2026-11-26, 10:30 UTC: the day judged is Wednesday 2026-11-25.
const NOW_MS = Date.UTC(2026, 10, 26, 10, 30);
const JUDGED_DAY_MS = Date.UTC(2026, 10, 25);

/*
 *   one A100 per job at 2.00 USD/h
 *   job 1, team vision, model detr: 12 GPU-hours on each of the 4 previous Wednesdays, 24 on the day judged
 *   job 2, team speech, model whisper: 12 GPU-hours every Wednesday
 *   (Tuesdays: 24 GPU-hours each, which must not count)
 */
describe.each(kinds)("spend anomalies from the allocation on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL alert spend suite: ${skipReason}`);
  let db: TestDatabase;

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    const firstMs = JUDGED_DAY_MS - 40 * DAY_MS;
    await db.sql.query(`INSERT INTO cluster (id, name, created_at_ms) VALUES (1, 'lab', 0)`);
    await db.sql.query(`INSERT INTO node (id, cluster_id, hostname, created_at_ms, last_seen_ms) VALUES (1, 1, 'node-a', ?, ?)`, [firstMs, NOW_MS]);
    for (const id of [1, 2]) {
      await db.sql.query(
        `INSERT INTO gpu (id, node_id, uuid, gpu_index, model_name, memory_total_mib, first_seen_ms, last_seen_ms) VALUES (?, 1, ?, ?, 'NVIDIA A100-SXM4-80GB', 81920, ?, ?)`,
        [id, `GPU-${id}`, id - 1, firstMs, NOW_MS],
      );
    }
    await db.sql.query(
      `INSERT INTO job (id, cluster_id, external_id, kind, requested_gpus, team, model, first_seen_ms, last_seen_ms) VALUES
         (1, 1, 'train-vision', 'training', 1, 'vision', 'detr', ?, ?), (2, 1, 'train-speech', 'training', 1, 'speech', 'whisper', ?, ?)`,
      [firstMs, NOW_MS, firstMs, NOW_MS],
    );
    await db.sql.query(`INSERT INTO price_book_entry (gpu_model, cost_per_gpu_hour, currency, source, effective_from_ms, created_at_ms) VALUES ('NVIDIA A100-SXM4-80GB', 2, 'USD', 'cloud-on-demand', 0, 0)`);
    const day = async (jobId: number, dayStartMs: number, gpuHours: number) =>
      db.sql.query(
        `INSERT INTO job_usage_daily (job_id, gpu_id, day_start_ms, reported_ms, share_ms, active_ms, sole_ms, utilization_split_ms, memory_split_ms, even_split_ms, memory_mib_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0)`,
        [jobId, jobId, dayStartMs, gpuHours * HOUR_MS, gpuHours * HOUR_MS, gpuHours * HOUR_MS * 0.5, gpuHours * HOUR_MS],
      );
    for (let week = 1; week <= 4; week++) {
      await day(1, JUDGED_DAY_MS - week * 7 * DAY_MS, 12);
      await day(2, JUDGED_DAY_MS - week * 7 * DAY_MS, 12);
      await day(1, JUDGED_DAY_MS - week * 7 * DAY_MS - DAY_MS, 24);
    }
    await day(1, JUDGED_DAY_MS, 24);
    await day(2, JUDGED_DAY_MS, 12);
    await db.sql.query(
      `INSERT INTO alert_rule (name, kind, enabled, params_json, channels_json, created_at_ms, updated_at_ms) VALUES ('Team spend', 'spend-anomaly', true, '{"scope":"team"}', '[]', 0, 0)`,
    );
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("prices the day judged and the same weekday of the weeks before, per team and per model", async () => {
    const spend = await loadDailySpend(db.sql, 4, NOW_MS);
    expect(spend.currency).toBe("USD");
    const vision = spend.team.find((series) => series.name === "vision")!;
    expect([...vision.spendByDayMs].sort(([a], [b]) => a - b)).toEqual([
      [JUDGED_DAY_MS - 28 * DAY_MS, 24],
      [JUDGED_DAY_MS - 21 * DAY_MS, 24],
      [JUDGED_DAY_MS - 14 * DAY_MS, 24],
      [JUDGED_DAY_MS - 7 * DAY_MS, 24],
      [JUDGED_DAY_MS, 48],
    ]);
    expect(spend.model.map((series) => series.name).sort()).toEqual(["detr", "whisper"]);
  });

  it.skipIf(skipReason)("fires for the team whose spend doubled, not for the one that spent as usual", async () => {
    const outcome = await evaluateAlerts({ db: db.sql, loadBudgetStatuses: async () => [], sendEmail: null }, NOW_MS);
    expect(outcome).toMatchObject({ opened: 1, conditions: 1, skipped: {} });
    const [episode] = await db.sql.query<{ subject_key: string; title: string }>(`SELECT subject_key, title FROM alert_episode`);
    expect(episode).toEqual({
      subject_key: "team:vision",
      // median 24, MAD 0: the upper bound is 24 + 20 % = 28.80.
      title: "Spend of team vision on 2026-11-25: 48.00 USD, usual for that weekday 24.00 USD (alert above 28.80 USD)",
    });
  });
});
