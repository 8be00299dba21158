/**
 * Work windows (tokens, requests, samples) on the ingest path: stored with the
 * batch's usage in one transaction, summed per hour, never doubled by a resend,
 * and refused with the batch (usage included) when one is malformed.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleIngestRequest, type IngestHandlerContext } from "../../../../server/api/rest/ingest-handler";
import { createServerMetrics } from "../../../../server/services/metrics";
import { issueNodeToken } from "../../../../server/services/node-tokens";
import type { IngestBatch, WireWorkWindow } from "../../../../server/wire/ingest-v1";
import { makeBatch, MINUTE_MS, T0_MS } from "../../../support/batches";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";
import { ingestRequest } from "../../../support/in-process-server";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;

function workWindow(overrides: Partial<WireWorkWindow> = {}): WireWorkWindow {
  return { jobExternalId: "slurm-1001", unit: "samples", source: "report", startMs: T0_MS, endMs: T0_MS + MINUTE_MS, count: 12_000, ...overrides };
}

function batchWithWork(workWindows: WireWorkWindow[], overrides: Partial<IngestBatch> = {}): IngestBatch {
  return makeBatch({ batchId: randomUUID(), workWindows, ...overrides });
}

describe.each(kinds)("handleIngestRequest with work windows on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL work-window suite: ${skipReason}`);
  let db: TestDatabase;
  let token: string;
  let context: IngestHandlerContext;
  const count = async (table: string) => Number((await db.sql.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  const hourly = async () =>
    (await db.sql.query<{ unit: string; hour_start_ms: number; count: number }>(`SELECT unit, hour_start_ms, count FROM job_work_hourly ORDER BY unit, hour_start_ms`)).map((row) => ({
      unit: row.unit,
      hourStartMs: Number(row.hour_start_ms),
      count: Number(row.count),
    }));
  const send = async (batch: unknown) => {
    const response = await handleIngestRequest(ingestRequest(batch, token), context);
    return { status: response.status, body: await response.json() };
  };

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    token = (await issueNodeToken(db.prisma, { clusterName: "test", hostname: "node-a", nowMs: T0_MS })).token;
    context = { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 20, nowMs: () => T0_MS + 10 * HOUR_MS };
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("refuses a work window of a job the batch does not list, naming the field, and stores nothing of the batch", async () => {
    const result = await send(batchWithWork([workWindow(), workWindow({ jobExternalId: "slurm-9999" })]));
    expect(result.status).toBe(400);
    expect(result.body.error.field).toBe("workWindows[1].jobExternalId");
    expect([await count("ingest_batch"), await count("gpu_usage_window"), await count("job_work_window"), await count("job_work_hourly")]).toEqual([0, 0, 0, 0]);
  });

  it.skipIf(skipReason)("refuses empty or reversed windows, bad units and sources, negative counts and overlaps with 400 naming the field", async () => {
    const cases: [WireWorkWindow[], string][] = [
      [[workWindow({ endMs: T0_MS })], "workWindows[0].endMs"],
      [[workWindow({ unit: "Tokens!" })], "workWindows[0].unit"],
      [[workWindow({ source: "prometheus" as WireWorkWindow["source"] })], "workWindows[0].source"],
      [[workWindow({ count: -1 })], "workWindows[0].count"],
      [[workWindow({ endMs: T0_MS + 25 * HOUR_MS })], "workWindows[0].endMs"],
      [[workWindow({ endMs: T0_MS + 2 * MINUTE_MS }), workWindow({ startMs: T0_MS + MINUTE_MS, endMs: T0_MS + 3 * MINUTE_MS })], "workWindows[1].startMs"],
      [[workWindow({ startMs: T0_MS + 11 * HOUR_MS, endMs: T0_MS + 11 * HOUR_MS + MINUTE_MS })], "workWindows[0].endMs"],
    ];
    for (const [windows, field] of cases) {
      const result = await send(batchWithWork(windows));
      expect({ status: result.status, field: result.body.error.field }).toEqual({ status: 400, field });
    }
    expect([await count("ingest_batch"), await count("gpu_usage_window"), await count("job_work_window")]).toEqual([0, 0, 0]);
  });

  it.skipIf(skipReason)("stores work windows with the batch, spreads a window across the hours it spans, and doubles nothing on resend", async () => {
    const batch = batchWithWork([
      workWindow(),
      workWindow({ unit: "tokens", startMs: T0_MS + 30 * MINUTE_MS, endMs: T0_MS + 90 * MINUTE_MS, count: 1_000_000 }),
    ]);
    const first = await send(batch);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ duplicate: false, workWindowsStored: 2, gpuWindowsStored: 2 });
    const expected = [
      { unit: "samples", hourStartMs: T0_MS, count: 12_000 },
      { unit: "tokens", hourStartMs: T0_MS, count: 500_000 },
      { unit: "tokens", hourStartMs: T0_MS + HOUR_MS, count: 500_000 },
    ];
    expect(await hourly()).toEqual(expected);

    const sameBatch = await send(batch);
    expect(sameBatch.body).toMatchObject({ duplicate: true, workWindowsStored: 0 });
    const newBatchId = await send({ ...batch, batchId: randomUUID() });
    expect(newBatchId.body).toMatchObject({ duplicate: false, workWindowsStored: 0 });
    expect(await count("job_work_window")).toBe(2);
    expect(await hourly()).toEqual(expected);
  });

  it.skipIf(skipReason)("counts the same job's work from two nodes separately (replicas of one service)", async () => {
    const other = (await issueNodeToken(db.prisma, { clusterName: "test", hostname: "node-b", nowMs: T0_MS })).token;
    const batch = batchWithWork([workWindow({ startMs: T0_MS + 2 * HOUR_MS, endMs: T0_MS + 2 * HOUR_MS + MINUTE_MS, count: 700 })], {
      node: { hostname: "node-b" },
      gpus: [{ uuid: "GPU-bbbb-0", index: 0, modelName: "NVIDIA H100 80GB HBM3", memoryTotalMiB: 81559, migParentUuid: null, migProfile: null }],
      gpuWindows: [],
      jobWindows: [],
    });
    const response = await handleIngestRequest(ingestRequest(batch, other), context);
    expect(response.status).toBe(200);
    const mine = batchWithWork([workWindow({ startMs: T0_MS + 2 * HOUR_MS, endMs: T0_MS + 2 * HOUR_MS + MINUTE_MS, count: 300 })]);
    expect((await send(mine)).status).toBe(200);
    // One hourly row per node: replicas' work adds up when read (never one source's over the other's).
    const counts = (await hourly()).filter((row) => row.unit === "samples" && row.hourStartMs === T0_MS + 2 * HOUR_MS).map((row) => row.count);
    expect(counts.sort((a, b) => a - b)).toEqual([300, 700]);
  });
});
