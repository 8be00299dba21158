/**
 * POST /api/v1/work: a training job's cumulative sample counter, reported with the
 * node token. The server stores the counter's increase per report, refuses a
 * counter going backwards without `reset`, and counts a repeated report once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleIngestRequest } from "../../../../server/api/rest/ingest-handler";
import { IngestRateLimiter } from "../../../../server/api/rest/ingest-rate-limiter";
import { handleWorkReportRequest, type WorkReportHandlerContext } from "../../../../server/api/rest/work-report-handler";
import { createServerMetrics } from "../../../../server/services/metrics";
import { issueNodeToken } from "../../../../server/services/node-tokens";
import { makeBatch, MINUTE_MS, T0_MS } from "../../../support/batches";
import { ingestRequest } from "../../../support/in-process-server";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;
const at = (minutes: number) => new Date(T0_MS + minutes * MINUTE_MS).toISOString();

function workRequest(body: unknown, token: string | null, raw?: string): Request {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return new Request("http://gpu-roi.test/api/v1/work", { method: "POST", headers, body: raw ?? JSON.stringify(body) });
}

describe.each(kinds)("handleWorkReportRequest on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL work-report suite: ${skipReason}`);
  let db: TestDatabase;
  let token: string;
  let otherNodeToken: string;
  let context: WorkReportHandlerContext;
  const post = async (body: unknown, as: string | null = token, raw?: string) => {
    const response = await handleWorkReportRequest(workRequest(body, as, raw), context);
    return { status: response.status, body: await response.json() };
  };
  const hourly = async () =>
    (await db.sql.query<{ hour_start_ms: number; count: number }>(`SELECT hour_start_ms, count FROM job_work_hourly WHERE unit = 'samples' ORDER BY hour_start_ms`)).map((row) => [Number(row.hour_start_ms), Number(row.count)]);
  const stored = async () => Number((await db.sql.query<{ n: number }>(`SELECT (SELECT COUNT(*) FROM work_counter_report) + (SELECT COUNT(*) FROM job_work_window) AS n`))[0].n);

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    token = (await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-a", nowMs: T0_MS })).token;
    otherNodeToken = (await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-b", nowMs: T0_MS })).token;
    // slurm-1001 runs on node-a from T0 (one minute of usage registers it).
    const response = await handleIngestRequest(ingestRequest(makeBatch(), token), { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 20, nowMs: () => T0_MS + HOUR_MS });
    expect(response.status).toBe(200);
    context = { db: db.sql, nowMs: () => T0_MS + 3 * HOUR_MS };
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("refuses a report without a node token, or with an unknown one, with 401 and stores nothing", async () => {
    const body = { jobId: "slurm-1001", unit: "samples", count: 10, time: at(30) };
    expect((await post(body, null)).status).toBe(401);
    const unknown = await post(body, "not-a-token");
    expect({ status: unknown.status, field: unknown.body.error.field }).toEqual({ status: 401, field: "authorization" });
    expect(await stored()).toBe(0);
  });

  it.skipIf(skipReason)("refuses malformed reports with 400 naming the field, and stores nothing", async () => {
    const good = { jobId: "slurm-1001", unit: "samples", count: 10, time: at(30) };
    const cases: [unknown, string][] = [
      [{ ...good, count: -5 }, "count"],
      [{ ...good, count: "10" }, "count"],
      [{ ...good, unit: "Samples" }, "unit"],
      [{ ...good, time: "yesterday" }, "time"],
      [{ ...good, jobId: "" }, "jobId"],
      [{ ...good, reportId: "x".repeat(129) }, "reportId"],
      [{ ...good, time: at(4 * 60) }, "time"],
    ];
    for (const [body, field] of cases) {
      const result = await post(body);
      expect({ status: result.status, field: result.body.error.field }).toEqual({ status: 400, field });
    }
    expect((await post(null, token, "{not json")).status).toBe(400);
    expect((await post(null, token, JSON.stringify({ ...good, padding: "x".repeat(70_000) }))).status).toBe(413);
    expect(await stored()).toBe(0);
  });

  it.skipIf(skipReason)("refuses a job that has not run on this node with 404 naming jobId", async () => {
    const unknown = await post({ jobId: "slurm-9999", unit: "samples", count: 10, time: at(30) });
    expect({ status: unknown.status, field: unknown.body.error.field }).toEqual({ status: 404, field: "jobId" });
    // node-b shares the cluster but never ran slurm-1001.
    const foreign = await post({ jobId: "slurm-1001", unit: "samples", count: 10, time: at(30) }, otherNodeToken);
    expect({ status: foreign.status, field: foreign.body.error.field }).toEqual({ status: 404, field: "jobId" });
    expect(await stored()).toBe(0);
  });

  it.skipIf(skipReason)("answers 429 with Retry-After past the rate per node token, before reading the body", async () => {
    const limited = { ...context, rateLimiter: new IngestRateLimiter(1) };
    const body = { jobId: "slurm-9999", unit: "samples", count: 1, time: at(30) };
    expect((await handleWorkReportRequest(workRequest(body, token), limited)).status).toBe(404);
    const refused = await handleWorkReportRequest(workRequest(body, token), limited);
    expect({ status: refused.status, retryAfter: refused.headers.get("retry-after") }).toEqual({ status: 429, retryAfter: "60" });
    expect(await stored()).toBe(0);
  });

  it.skipIf(skipReason)("counts increases between reports, a declared reset from zero, and a repeated report once", async () => {
    // First report: 6,000 samples since the job started at T0, over its first 30 minutes.
    const first = await post({ jobId: "slurm-1001", unit: "samples", count: 6000, time: at(30), reportId: "r-1" });
    expect(first.status).toBe(201);
    expect(first.body.counted).toEqual({ count: 6000, start: at(0), end: at(30) });
    // 60 minutes later: 18,000, so 12,000 more, half in each hour.
    expect((await post({ jobId: "slurm-1001", unit: "samples", count: 18_000, time: at(90), reportId: "r-2" })).body.counted.count).toBe(12_000);
    expect(await hourly()).toEqual([
      [T0_MS, 12_000],
      [T0_MS + HOUR_MS, 6000],
    ]);

    const resent = await post({ jobId: "slurm-1001", unit: "samples", count: 18_000, time: at(90), reportId: "r-2" });
    expect({ status: resent.status, duplicate: resent.body.duplicate }).toEqual({ status: 200, duplicate: true });
    const resentWithoutId = await post({ jobId: "slurm-1001", unit: "samples", count: 18_000, time: at(90) });
    expect(resentWithoutId.body.duplicate).toBe(true);

    const backwards = await post({ jobId: "slurm-1001", unit: "samples", count: 500, time: at(100) });
    expect({ status: backwards.status, field: backwards.body.error.field }).toEqual({ status: 409, field: "count" });
    expect(backwards.body.error.message).toMatch(/reset/);
    const earlier = await post({ jobId: "slurm-1001", unit: "samples", count: 20_000, time: at(60) });
    expect({ status: earlier.status, field: earlier.body.error.field }).toEqual({ status: 409, field: "time" });

    // The job restarted: its counter is 500 again, all of it new work.
    const reset = await post({ jobId: "slurm-1001", unit: "samples", count: 500, time: at(100), reset: true });
    expect(reset.body.counted).toEqual({ count: 500, start: at(90), end: at(100) });
    expect(await hourly()).toEqual([
      [T0_MS, 12_000],
      [T0_MS + HOUR_MS, 6500],
    ]);
  });
});
