/**
 * Hourly work: rebuilt from the raw work windows by rebuild-rollups, counted once
 * when a job reports it two ways, and kept rebuildable by the retention, which
 * also prunes the counter readings of POST /api/v1/work.
 *
 * slurm-1001 trains on node-a (GPU-aaaa-0) from T0 for three hours; its samples
 * arrive two ways:
 *   - its report file, read by the collector (source "report"): 1,000 every 10
 *     minutes, 6,000 an hour;
 *   - POST /api/v1/work (source "api"): 5,000 at T0+30m (counted from T0, when
 *     the job was first seen), 17,000 at T0+150m (12,000 over 120 minutes).
 *     Per hour: 8,000, 6,000 and 3,000.
 * A replica on node-b reports 60 samples in the first hour (report file).
 * Counted once per node and hour, the larger source: 8,000 + 6,000 + 6,000 on
 * node-a, plus 60 on node-b = 20,060 (35,060 if the sources added up).
 */
import { ALL_DATA } from "../../../server/auth/principal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleIngestRequest } from "../../../server/api/rest/ingest-handler";
import { handleWorkReportRequest } from "../../../server/api/rest/work-report-handler";
import type { BulkInsert, SqlDatabase, SqlExecutor } from "../../../server/db/sql-database";
import { createServerMetrics } from "../../../server/services/metrics";
import { issueNodeToken } from "../../../server/services/node-tokens";
import { addPriceEntry } from "../../../server/services/price-book-service";
import { deleteExpiredWindows } from "../../../server/services/retention-service";
import { rebuildHourlyRollups } from "../../../server/services/rollup-service";
import { unitCosts } from "../../../server/services/unit-cost-service";
import type { IngestBatch, WireWorkWindow } from "../../../server/wire/ingest-v1";
import { makeBatch, MINUTE_MS, T0_MS } from "../../support/batches";
import { ingestRequest } from "../../support/in-process-server";
import { databaseKinds, type TestDatabase } from "../../support/test-databases";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const A100 = "NVIDIA A100-SXM4-80GB";

/** `hours` of 10-minute usage of slurm-1001 on one GPU, with the report file's samples. */
function trainingBatch(options: { batchId: string; hostname: string; gpuUuid: string; hours: number; samplesPerWindow: number }): IngestBatch {
  const base = makeBatch();
  const starts = Array.from({ length: options.hours * 6 }, (_, i) => T0_MS + i * 10 * MINUTE_MS);
  const work = (startMs: number): WireWorkWindow => ({ jobExternalId: "slurm-1001", unit: "samples", source: "report", startMs, endMs: startMs + 10 * MINUTE_MS, count: options.samplesPerWindow });
  return makeBatch({
    batchId: options.batchId,
    node: { hostname: options.hostname, labels: {} },
    gpus: [{ ...base.gpus[0], uuid: options.gpuUuid }],
    gpuWindows: starts.map((startMs) => ({ ...base.gpuWindows[0], gpuUuid: options.gpuUuid, startMs, endMs: startMs + 10 * MINUTE_MS })),
    jobWindows: starts.map((startMs) => ({ ...base.jobWindows[0], gpuUuid: options.gpuUuid, startMs, endMs: startMs + 10 * MINUTE_MS })),
    workWindows: starts.map(work),
  });
}

/** The database, except that writing hourly work fails (a disk full half way through a rebuild's day). */
function failingWorkHours(db: SqlDatabase): SqlDatabase {
  const failing = (tx: SqlExecutor): SqlExecutor =>
    new Proxy(tx, {
      get(target, property) {
        if (property === "addMany") {
          return async (insert: BulkInsert) => {
            if (insert.table === "job_work_hourly") throw new Error("disk full");
            return target.addMany(insert);
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return new Proxy(db, {
    get(target, property) {
      if (property === "transaction") return <T>(work: (tx: SqlExecutor) => Promise<T>) => target.transaction((tx) => work(failing(tx)));
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe.each(kinds)("hourly work on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL hourly-work suite: ${skipReason}`);
  let db: TestDatabase;
  let tokenA: string;
  const metrics = createServerMetrics();

  type HourRow = { job_id: number; node_id: number; unit: string; source: string; hour_start_ms: number; count: number };
  const workHours = async () =>
    (await db.sql.query<HourRow>(`SELECT job_id, node_id, unit, source, hour_start_ms, count FROM job_work_hourly ORDER BY node_id, source, hour_start_ms`)).map(
      (row) => `${row.node_id} ${row.source} +${(Number(row.hour_start_ms) - T0_MS) / HOUR_MS}h ${Number(row.count).toFixed(6)}`,
    );
  const usageHours = async () => db.sql.query(`SELECT * FROM job_usage_hourly ORDER BY job_id, gpu_id, hour_start_ms`);
  const samplesCounted = async (stepMs: number | null = null) => {
    const result = await unitCosts(db.sql, {
      window: { startMs: T0_MS, endMs: T0_MS + 3 * HOUR_MS },
      aggregate: [],
      units: ["samples"],
      shareIdle: "none",
      idleBy: "cluster",
      stepMs,
    }, ALL_DATA);
    return (stepMs === null ? result.totals : result.rows).map((row) => row.count);
  };
  const report = async (count: number, timeMs: number, nowMs: number) => {
    const response = await handleWorkReportRequest(
      new Request("http://gpu-roi.test/api/v1/work", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${tokenA}` },
        body: JSON.stringify({ jobId: "slurm-1001", unit: "samples", count, time: new Date(timeMs).toISOString() }),
      }),
      { db: db.sql, nowMs: () => nowMs },
    );
    return { status: response.status, body: await response.json() };
  };

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    tokenA = (await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-a", nowMs: T0_MS })).token;
    const tokenB = (await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-b", nowMs: T0_MS })).token;
    await addPriceEntry(db.prisma, { gpuModel: A100, costPerGpuHour: 2.5, effectiveFromMs: Date.UTC(2026, 10, 1) }, T0_MS);
    const nowMs = () => T0_MS + 3 * HOUR_MS;
    for (const [batch, token] of [
      [trainingBatch({ batchId: "7d9f1c2e-3b4a-4c5d-8e6f-0a1b2c3d4e01", hostname: "node-a", gpuUuid: "GPU-aaaa-0", hours: 3, samplesPerWindow: 1000 }), tokenA],
      [trainingBatch({ batchId: "7d9f1c2e-3b4a-4c5d-8e6f-0a1b2c3d4e02", hostname: "node-b", gpuUuid: "GPU-bbbb-0", hours: 1, samplesPerWindow: 10 }), tokenB],
    ] as const) {
      const response = await handleIngestRequest(ingestRequest(batch, token), { db: db.sql, metrics, maxBodyBytes: 1 << 22, nowMs });
      expect(response.status, await response.clone().text()).toBe(200);
    }
    expect((await report(5000, T0_MS + 30 * MINUTE_MS, nowMs())).status).toBe(201);
    expect((await report(17000, T0_MS + 150 * MINUTE_MS, nowMs())).status).toBe(201);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("counts samples reported both by POST /api/v1/work and through the report file once per node and hour", async () => {
    expect(await samplesCounted()).toEqual([20_060]);
    expect(await samplesCounted(HOUR_MS)).toEqual([8_060, 6_000, 6_000]);
  });

  it.skipIf(skipReason)("rebuilds hourly work from the work windows, including the part of a window that started before the rebuilt hours", async () => {
    const stored = await workHours();
    expect(stored).toContain("1 api +1h 6000.000000");
    await db.sql.query(`UPDATE job_work_hourly SET count = count * 3`);
    await db.sql.query(`INSERT INTO job_work_hourly (job_id, unit, hour_start_ms, node_id, source, count) VALUES (1, 'samples', ?, 0, '', 99)`, [T0_MS + 2 * HOUR_MS]);

    await rebuildHourlyRollups(db.sql, T0_MS + HOUR_MS, T0_MS + 3 * HOUR_MS);
    const partly = await workHours();
    // The hours rebuilt are as ingest wrote them (the API window from T0+30m gave T0+1h its 6,000) ...
    expect(partly.filter((row) => !row.includes(" +0h "))).toEqual(stored.filter((row) => !row.includes(" +0h ")));
    // ... and the hour before them is left alone.
    expect(partly.filter((row) => row.includes(" +0h "))).toEqual(["1 api +0h 24000.000000", "1 report +0h 18000.000000", "2 report +0h 180.000000"]);

    await rebuildHourlyRollups(db.sql, T0_MS, T0_MS + 3 * HOUR_MS);
    expect(await workHours()).toEqual(stored);
    expect(await samplesCounted()).toEqual([20_060]);
  });

  it.skipIf(skipReason)("leaves a day's rollups as they were when rebuilding its work fails half way", async () => {
    const usageBefore = await usageHours();
    await db.sql.query(`UPDATE job_work_hourly SET count = count * 3`);
    const damaged = await workHours();
    await expect(rebuildHourlyRollups(failingWorkHours(db.sql), T0_MS, T0_MS + 3 * HOUR_MS)).rejects.toThrow("disk full");
    expect(await workHours()).toEqual(damaged);
    expect(await usageHours()).toEqual(usageBefore);
    await rebuildHourlyRollups(db.sql, T0_MS, T0_MS + 3 * HOUR_MS);
    expect(await samplesCounted()).toEqual([20_060]);
  });

  it.skipIf(skipReason)("keeps a work window reaching past the retention's cut-off, so its kept hours still rebuild", async () => {
    const stored = await workHours();
    // 14 days after T0+2h: the cut-off is T0+2h; the report file's windows all ended by then, the API window of T0+30m..T0+150m did not.
    const nowMs = T0_MS + 14 * DAY_MS + 2 * HOUR_MS;
    const deleted = await deleteExpiredWindows(db.sql, nowMs, 14);
    const windows = await db.sql.query<{ source: string; start_ms: number }>(`SELECT source, start_ms FROM job_work_window ORDER BY source, start_ms`);
    expect(windows.map((w) => `${w.source} +${(Number(w.start_ms) - T0_MS) / MINUTE_MS}m`)).toEqual([
      "api +30m",
      ...Array.from({ length: 6 }, (_, i) => `report +${120 + 10 * i}m`),
    ]);
    // 12 GPU, 12 job and 12 report-file windows of node-a's first two hours, 6 + 6 + 6 of node-b, the first API window, and the first counter reading.
    expect(deleted).toBe(12 * 3 + 6 * 3 + 1 + 1);
    await rebuildHourlyRollups(db.sql, T0_MS, T0_MS + 3 * HOUR_MS);
    expect(await workHours()).toEqual(stored);
  });

  it.skipIf(skipReason)("prunes counter readings past the retention but each counter's latest, so the next report counts only the increase", async () => {
    const readings = async () => (await db.sql.query<{ value: number }>(`SELECT value FROM work_counter_report ORDER BY time_ms`)).map((row) => Number(row.value));
    expect(await readings()).toEqual([17000]);
    expect(await deleteExpiredWindows(db.sql, T0_MS + 30 * DAY_MS, 14)).toBeGreaterThan(0);
    expect(await readings()).toEqual([17000]);
    const later = await report(18000, T0_MS + 30 * DAY_MS, T0_MS + 30 * DAY_MS);
    expect(later).toMatchObject({ status: 201, body: { counted: { count: 1000 } } });
    expect(await deleteExpiredWindows(db.sql, T0_MS + 45 * DAY_MS, 14)).toBeGreaterThanOrEqual(1);
    expect(await readings()).toEqual([18000]);
  });
});
