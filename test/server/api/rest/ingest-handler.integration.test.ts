import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleIngestRequest, type IngestHandlerContext } from "../../../../server/api/rest/ingest-handler";
import { createServerMetrics } from "../../../../server/services/metrics";
import { issueNodeToken } from "../../../../server/services/node-tokens";
import { makeBatch, MINUTE_MS, T0_MS } from "../../../support/batches";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";
import { ingestRequest } from "../../../support/in-process-server";

const kinds = await databaseKinds();

async function countRows(db: TestDatabase): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ["ingest_batch", "gpu", "job", "gpu_usage_window", "job_usage_window"]) {
    const [row] = await db.sql.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
    counts[table] = Number(row.n);
  }
  return counts;
}

describe.each(kinds)("handleIngestRequest on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL ingest suite: ${skipReason}`);
  let db: TestDatabase;
  let token: string;
  let otherToken: string;
  let context: IngestHandlerContext;

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    token = (await issueNodeToken(db.prisma, { clusterName: "test", hostname: "node-a", nowMs: T0_MS })).token;
    otherToken = (await issueNodeToken(db.prisma, { clusterName: "test", hostname: "node-b", nowMs: T0_MS })).token;
    context = { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 64 * 1024, nowMs: () => T0_MS + 2 * 60 * MINUTE_MS };
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("stores a gzip batch and reads its windows back", async () => {
    const response = await handleIngestRequest(ingestRequest(makeBatch(), token, { gzip: true }), context);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      batchId: makeBatch().batchId,
      duplicate: false,
      gpuWindowsStored: 2,
      jobWindowsStored: 1,
      windowsAlreadyStored: 0,
      workWindowsStored: 0,
    });
    const rows = await db.sql.query<{ uuid: string; start_ms: number; utilization_avg_pct: number; energy_j: number }>(
      `SELECT g.uuid, w.start_ms, w.utilization_avg_pct, w.energy_j FROM gpu_usage_window w JOIN gpu g ON g.id = w.gpu_id ORDER BY g.uuid`,
    );
    expect(rows).toEqual([
      { uuid: "GPU-aaaa-0", start_ms: T0_MS, utilization_avg_pct: 80, energy_j: 18000 },
      { uuid: "GPU-aaaa-1", start_ms: T0_MS, utilization_avg_pct: 0, energy_j: 3300 },
    ]);
    const [job] = await db.sql.query<{ team: string; first_seen_ms: number; last_seen_ms: number }>(
      `SELECT team, first_seen_ms, last_seen_ms FROM job WHERE external_id = 'slurm-1001'`,
    );
    expect(job).toEqual({ team: "search", first_seen_ms: T0_MS, last_seen_ms: T0_MS + MINUTE_MS });
  });

  it.skipIf(skipReason)("acknowledges a repeated batchId without storing it twice", async () => {
    const before = await countRows(db);
    const response = await handleIngestRequest(ingestRequest(makeBatch(), token), context);
    expect(response.status).toBe(200);
    expect((await response.json()).duplicate).toBe(true);
    expect(await countRows(db)).toEqual(before);
  });

  it.skipIf(skipReason)("skips windows already stored under another batchId", async () => {
    const batch = makeBatch({ batchId: "11111111-2222-4333-8444-555555555555" });
    const response = await handleIngestRequest(ingestRequest(batch, token), context);
    expect(await response.json()).toMatchObject({ duplicate: false, gpuWindowsStored: 0, jobWindowsStored: 0, windowsAlreadyStored: 3 });
  });

  it.skipIf(skipReason)("stores a batch sent twice at once exactly once", async () => {
    const batch = makeBatch({
      batchId: "88888888-2222-4333-8444-555555555555",
      gpuWindows: makeBatch().gpuWindows.map((w) => ({ ...w, startMs: w.startMs + 60 * MINUTE_MS, endMs: w.endMs + 60 * MINUTE_MS })),
      jobWindows: [],
    });
    const answers = await Promise.all([handleIngestRequest(ingestRequest(batch, token), context), handleIngestRequest(ingestRequest(batch, token), context)]);
    const acks = await Promise.all(answers.map((answer) => answer.json()));
    expect(acks.map((ack) => ack.duplicate).sort()).toEqual([false, true]);
    const [row] = await db.sql.query<{ n: number }>(`SELECT COUNT(*) AS n FROM gpu_usage_window WHERE start_ms = ?`, [T0_MS + 60 * MINUTE_MS]);
    expect(Number(row.n)).toBe(2);
  });

  it.skipIf(skipReason)("rejects a bad field with 400 naming it, and stores nothing", async () => {
    const before = await countRows(db);
    const batch = makeBatch({ batchId: "22222222-2222-4333-8444-555555555555" });
    batch.gpuWindows[1] = { ...batch.gpuWindows[1], utilizationAvgPct: 140 };
    const response = await handleIngestRequest(ingestRequest(batch, token), context);
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.error.field).toBe("gpuWindows[1].utilizationAvgPct");
    expect(body.error.message).toContain("gpuWindows[1].utilizationAvgPct");
    expect(await countRows(db)).toEqual(before);
  });

  it.skipIf(skipReason)("rejects a window for a GPU the batch does not list", async () => {
    const batch = makeBatch({ batchId: "33333333-2222-4333-8444-555555555555" });
    batch.jobWindows[0] = { ...batch.jobWindows[0], gpuUuid: "GPU-unknown" };
    const response = await handleIngestRequest(ingestRequest(batch, token), context);
    expect(response.status).toBe(400);
    expect((await response.json()).error.field).toBe("jobWindows[0].gpuUuid");
  });

  it.skipIf(skipReason)("answers 400 for a body that is not JSON", async () => {
    const response = await handleIngestRequest(ingestRequest(null, token, { raw: "{not json" }), context);
    expect(response.status).toBe(400);
    expect((await response.json()).error.message).toMatch(/^body: not valid JSON/);
  });

  it.skipIf(skipReason)("answers 401 without a token or with an unknown one, and stores nothing", async () => {
    const before = await countRows(db);
    const batch = makeBatch({ batchId: "44444444-2222-4333-8444-555555555555" });
    expect((await handleIngestRequest(ingestRequest(batch, null), context)).status).toBe(401);
    expect((await handleIngestRequest(ingestRequest(batch, "groi_not-a-real-token"), context)).status).toBe(401);
    expect(await countRows(db)).toEqual(before);
  });

  it.skipIf(skipReason)("answers 403 when a token's node claims another hostname or another node's GPU", async () => {
    const before = await countRows(db);
    const claimsOtherHost = makeBatch({ batchId: "55555555-2222-4333-8444-555555555555" });
    const response = await handleIngestRequest(ingestRequest(claimsOtherHost, otherToken), context);
    expect(response.status).toBe(403);
    expect((await response.json()).error.field).toBe("node.hostname");

    const stealsGpu = makeBatch({ batchId: "66666666-2222-4333-8444-555555555555", node: { hostname: "node-b" } });
    const second = await handleIngestRequest(ingestRequest(stealsGpu, otherToken), context);
    expect(second.status).toBe(403);
    expect((await second.json()).error.field).toBe("gpus[0].uuid");
    expect(await countRows(db)).toEqual(before);
  });

  it.skipIf(skipReason)("answers 413 for a body over the limit, compressed or not, and stores nothing", async () => {
    const before = await countRows(db);
    const batch = makeBatch({ batchId: "77777777-2222-4333-8444-555555555555" });
    const windows = Array.from({ length: 2000 }, (_, i) => ({ ...batch.gpuWindows[0], startMs: T0_MS + (i + 10) * MINUTE_MS, endMs: T0_MS + (i + 11) * MINUTE_MS }));
    const big = { ...batch, gpuWindows: windows };
    expect((await handleIngestRequest(ingestRequest(big, token), context)).status).toBe(413);
    // Compresses far below the limit but expands past it.
    expect((await handleIngestRequest(ingestRequest(big, token, { gzip: true }), context)).status).toBe(413);
    expect(await countRows(db)).toEqual(before);
  });
});
