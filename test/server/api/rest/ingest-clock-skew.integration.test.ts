import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { windowTimeBoundsFromEnv } from "../../../../server/api/rest/ingest-config";
import { handleIngestRequest, type IngestHandlerContext } from "../../../../server/api/rest/ingest-handler";
import { createServerMetrics } from "../../../../server/services/metrics";
import { issueNodeToken } from "../../../../server/services/node-tokens";
import { makeBatch, MINUTE_MS, T0_MS } from "../../../support/batches";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";
import { ingestRequest } from "../../../support/in-process-server";

const kinds = await databaseKinds();
const DAY_MS = 86_400_000;
/** The server's clock in these tests: 2026-11-02T00:10:00Z, ten minutes after the batch's windows start. */
const NOW_MS = T0_MS + 10 * MINUTE_MS;

/** The batch of test/support with every window moved by `shiftMs`. */
function shifted(batchId: string, shiftMs: number) {
  const batch = makeBatch({ batchId });
  return {
    ...batch,
    gpuWindows: batch.gpuWindows.map((w) => ({ ...w, startMs: w.startMs + shiftMs, endMs: w.endMs + shiftMs })),
    jobWindows: batch.jobWindows.map((w) => ({ ...w, startMs: w.startMs + shiftMs, endMs: w.endMs + shiftMs })),
  };
}

describe.each(kinds)("handleIngestRequest clock skew on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL clock-skew suite: ${skipReason}`);
  let db: TestDatabase;
  let token: string;
  let context: IngestHandlerContext;
  const windowCount = async () =>
    Number((await db.sql.query<{ n: number }>(`SELECT (SELECT COUNT(*) FROM gpu_usage_window) + (SELECT COUNT(*) FROM job_usage_window) AS n`))[0].n);
  const rejectedMetric = async () => (await context.metrics.registry.getSingleMetricAsString("gpu_roi_ingest_windows_rejected_total")).split("\n").filter((line) => !line.startsWith("#")).join("\n");

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    token = (await issueNodeToken(db.prisma, { clusterName: "test", hostname: "node-a", nowMs: T0_MS })).token;
    context = {
      db: db.sql,
      metrics: createServerMetrics(),
      maxBodyBytes: 1 << 20,
      nowMs: () => NOW_MS,
      windowTimeBounds: { futureToleranceMs: 5 * MINUTE_MS, maxAgeMs: 14 * DAY_MS },
    };
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("refuses a batch with a window ending more than 5 min after the server's clock, naming it, and stores nothing", async () => {
    // The windows end at 00:01 + 15 min = 00:16, six minutes after the server's 00:10.
    const response = await handleIngestRequest(ingestRequest(shifted("10000000-0000-4000-8000-000000000001", 15 * MINUTE_MS), token), context);
    expect(response.status).toBe(400);
    const { error } = await response.json();
    expect(error.field).toBe("gpuWindows[0].endMs");
    expect(error.message).toMatch(/^gpuWindows\[0\]\.endMs: 2026-11-02T00:16:00\.000Z is 6\.0 min after the server's clock/);
    expect(error.issues.map((issue: { field: string }) => issue.field)).toEqual(["gpuWindows[0].endMs", "gpuWindows[1].endMs", "jobWindows[0].endMs"]);
    expect(await windowCount()).toBe(0);
    expect(await rejectedMetric()).toBe(
      'gpu_roi_ingest_windows_rejected_total{kind="gpu",reason="clock_skew_future"} 2\ngpu_roi_ingest_windows_rejected_total{kind="job",reason="clock_skew_future"} 1',
    );
  });

  it.skipIf(skipReason)("refuses a batch with a window starting more than the maximum age before the server's clock", async () => {
    const batch = shifted("10000000-0000-4000-8000-000000000002", 0);
    batch.jobWindows = [{ ...batch.jobWindows[0], startMs: NOW_MS - 15 * DAY_MS, endMs: NOW_MS - 15 * DAY_MS + MINUTE_MS }];
    batch.gpuWindows = [...batch.gpuWindows, { ...batch.gpuWindows[0], startMs: NOW_MS - 15 * DAY_MS, endMs: NOW_MS - 15 * DAY_MS + MINUTE_MS }];
    const response = await handleIngestRequest(ingestRequest(batch, token), context);
    expect(response.status).toBe(400);
    const { error } = await response.json();
    expect(error.field).toBe("gpuWindows[2].startMs");
    expect(error.message).toContain("is older than the oldest accepted start 2026-10-19T00:10:00.000Z (14.0 days before the server's clock)");
    expect(await windowCount()).toBe(0);
    expect(await rejectedMetric()).toContain('gpu_roi_ingest_windows_rejected_total{kind="job",reason="too_old"} 1');
  });

  it.skipIf(skipReason)("stores windows within the bounds: ending up to 5 min ahead (a slightly fast clock) and 14 days back", async () => {
    const ahead = await handleIngestRequest(ingestRequest(shifted("10000000-0000-4000-8000-000000000003", 14 * MINUTE_MS), token), context);
    expect(ahead.status).toBe(200);
    const old = await handleIngestRequest(ingestRequest(shifted("10000000-0000-4000-8000-000000000004", NOW_MS - T0_MS - 14 * DAY_MS), token), context);
    expect(old.status).toBe(200);
    expect(await windowCount()).toBe(6);
  });
});

describe("windowTimeBoundsFromEnv", () => {
  it("defaults the maximum age to the raw retention and takes GPU_ROI_INGEST_MAX_AGE_DAYS over it", () => {
    expect(windowTimeBoundsFromEnv({})).toEqual({ futureToleranceMs: 5 * MINUTE_MS, maxAgeMs: 14 * DAY_MS });
    expect(windowTimeBoundsFromEnv({ GPU_ROI_RAW_RETENTION_DAYS: "30" }).maxAgeMs).toBe(30 * DAY_MS);
    expect(windowTimeBoundsFromEnv({ GPU_ROI_RAW_RETENTION_DAYS: "30", GPU_ROI_INGEST_MAX_AGE_DAYS: "45" }).maxAgeMs).toBe(45 * DAY_MS);
    expect(() => windowTimeBoundsFromEnv({ GPU_ROI_INGEST_MAX_AGE_DAYS: "-1" })).toThrow(/GPU_ROI_INGEST_MAX_AGE_DAYS/);
  });
});
