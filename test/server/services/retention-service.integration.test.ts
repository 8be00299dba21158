import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleIngestRequest } from "../../../server/api/rest/ingest-handler";
import { createServerMetrics } from "../../../server/services/metrics";
import { issueNodeToken } from "../../../server/services/node-tokens";
import { deleteExpiredWindows } from "../../../server/services/retention-service";
import { rebuildHourlyRollups } from "../../../server/services/rollup-service";
import { makeBatch, MINUTE_MS } from "../../support/batches";
import { databaseKinds, type TestDatabase } from "../../support/test-databases";
import { ingestRequest } from "../../support/in-process-server";

const kinds = await databaseKinds();
const DAY_MS = 86_400_000;
const NOW_MS = Date.UTC(2026, 10, 27, 12, 0, 0);
const OLD_MS = NOW_MS - 20 * DAY_MS;
const RECENT_MS = NOW_MS - DAY_MS;

describe.each(kinds)("deleteExpiredWindows on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL retention suite: ${skipReason}`);
  let db: TestDatabase;
  const count = async (table: string) => Number((await db.sql.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    const { token } = await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-a", nowMs: OLD_MS });
    const template = makeBatch();
    const at = (startMs: number) => ({
      gpuWindows: template.gpuWindows.map((w) => ({ ...w, startMs, endMs: startMs + MINUTE_MS })),
      jobWindows: template.jobWindows.map((w) => ({ ...w, startMs, endMs: startMs + MINUTE_MS })),
    });
    const old = at(OLD_MS);
    const recent = at(RECENT_MS);
    const work = (startMs: number) => ({ jobExternalId: "slurm-1001", unit: "samples", source: "report" as const, startMs, endMs: startMs + MINUTE_MS, count: 100 });
    const batch = makeBatch({
      gpuWindows: [...old.gpuWindows, ...recent.gpuWindows],
      jobWindows: [...old.jobWindows, ...recent.jobWindows],
      workWindows: [work(OLD_MS), work(RECENT_MS)],
    });
    const response = await handleIngestRequest(
      ingestRequest(batch, token),
      // History older than the default bound (the retention) is loaded on purpose here.
      { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 20, nowMs: () => NOW_MS, windowTimeBounds: { futureToleranceMs: 0, maxAgeMs: 30 * DAY_MS } },
    );
    expect(response.status).toBe(200);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("deletes raw windows past the retention and keeps their hourly rollups", async () => {
    const rollupsBefore = await db.sql.query(`SELECT * FROM gpu_usage_hourly ORDER BY gpu_id, hour_start_ms`);
    const workRollupsBefore = await db.sql.query(`SELECT * FROM job_work_hourly ORDER BY job_id, unit, hour_start_ms`);
    expect(await deleteExpiredWindows(db.sql, NOW_MS, 14)).toBe(4); // two GPU windows, one job window and one work window of 20 days ago
    expect(await count("gpu_usage_window")).toBe(2);
    expect(await count("job_usage_window")).toBe(1);
    expect(await count("job_work_window")).toBe(1);
    expect(await db.sql.query(`SELECT * FROM gpu_usage_hourly ORDER BY gpu_id, hour_start_ms`)).toEqual(rollupsBefore);
    expect(await db.sql.query(`SELECT * FROM job_work_hourly ORDER BY job_id, unit, hour_start_ms`)).toEqual(workRollupsBefore);
    expect(workRollupsBefore).toHaveLength(2);
    expect(await deleteExpiredWindows(db.sql, NOW_MS, 14)).toBe(0);
  });

  it.skipIf(skipReason)("leaves rollups of hours without raw windows alone when rebuilding", async () => {
    const before = await db.sql.query(`SELECT * FROM job_usage_hourly ORDER BY job_id, gpu_id, hour_start_ms`);
    await rebuildHourlyRollups(db.sql, OLD_MS - DAY_MS, NOW_MS);
    expect(await db.sql.query(`SELECT * FROM job_usage_hourly ORDER BY job_id, gpu_id, hour_start_ms`)).toEqual(before);
    expect(await count("gpu_usage_hourly")).toBe(4);
  });
});
