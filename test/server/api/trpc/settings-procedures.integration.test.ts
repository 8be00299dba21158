import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { handleIngestRequest } from "../../../../server/api/rest/ingest-handler";
import type { TrpcContext } from "../../../../server/api/trpc/init";
import { createCaller } from "../../../../server/api/trpc/root";
import { createServerMetrics } from "../../../../server/services/metrics";
import { issueNodeToken } from "../../../../server/services/node-tokens";
import { makeBatch, MINUTE_MS, T0_MS } from "../../../support/batches";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";
import { ingestRequest } from "../../../support/in-process-server";
import { BREAK_GLASS_PRINCIPAL, OPEN_PRINCIPAL } from "../../../../server/auth/principal";

const kinds = await databaseKinds();
const NOW_MS = T0_MS + 3_600_000;
const TCO = { purchasePricePerGpu: 30_000, amortizationMonths: 36, powerDrawW: 1_000, electricityPricePerKwh: 0.12, pue: 1.4, yearlyOverheadPerGpu: 2_500 };

describe.each(kinds)("prices.add and retention.get on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL settings procedures suite: ${skipReason}`);
  let db: TestDatabase;
  const caller = (isAdmin: boolean) => createCaller({ db: db.sql, prisma: db.prisma, nowMs: () => NOW_MS, isAdmin, principal: isAdmin ? BREAK_GLASS_PRINCIPAL : OPEN_PRINCIPAL } as TrpcContext);
  const savedRetention = process.env.GPU_ROI_RAW_RETENTION_DAYS;

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
  });
  afterAll(async () => {
    await db?.dispose();
  });
  afterEach(() => {
    if (savedRetention === undefined) delete process.env.GPU_ROI_RAW_RETENTION_DAYS;
    else process.env.GPU_ROI_RAW_RETENTION_DAYS = savedRetention;
  });

  it.skipIf(skipReason)("refuses to add a price without the admin token and writes nothing", async () => {
    await expect(caller(false).prices.add({ gpuModel: "NVIDIA L40S", costPerGpuHour: 1.1, effectiveFrom: "2026-11-01T00:00:00Z" })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    expect(await caller(false).prices.list()).toEqual([]);
  });

  it.skipIf(skipReason)("rejects cost-of-ownership inputs out of range, naming the field, and writes nothing", async () => {
    await expect(caller(true).prices.add({ gpuModel: "NVIDIA L40S", tco: { ...TCO, pue: 0.9 }, effectiveFrom: "2026-11-01T00:00:00Z" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("pue"),
    });
    expect(await caller(false).prices.list()).toEqual([]);
  });

  it.skipIf(skipReason)("adds an on-prem price computed from cost of ownership, with its breakdown", async () => {
    const added = await caller(true).prices.add({ gpuModel: "NVIDIA L40S", tco: TCO, effectiveFrom: "2026-11-01T00:00:00Z", note: "rack 4" });
    // 30,000 / (36 x 730) + 1 kW x 0.12 x 1.4 + 2,500 / 8,760 = 1.14155 + 0.168 + 0.28539
    expect(added.costPerGpuHour).toBeCloseTo(1.5949406, 6);
    expect(added.source).toBe("on-prem-tco");
    expect(added.tco).toMatchObject({ ...TCO, powerPerGpuHour: expect.closeTo(0.168, 9) });
    expect(added.effectiveFromMs).toBe(Date.UTC(2026, 10, 1));
    expect((await caller(false).prices.list()).map((price) => price.id)).toEqual([added.id]);
  });

  it.skipIf(skipReason)("reports the raw-window retention the server uses and how far back raw windows and rollups reach", async () => {
    expect(await caller(false).retention.get()).toEqual({
      rawWindowRetentionDays: 14,
      oldestRawWindowMs: null,
      rollups: [
        { rollup: "hourly per GPU", keptForever: true, oldestStartMs: null },
        { rollup: "hourly per job and GPU", keptForever: true, oldestStartMs: null },
        { rollup: "daily per job and GPU", keptForever: true, oldestStartMs: null },
        { rollup: "hourly work per job and unit", keptForever: true, oldestStartMs: null },
      ],
    });
    const { token } = await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-a", nowMs: T0_MS });
    const startMs = T0_MS + 30 * MINUTE_MS;
    const template = makeBatch();
    const batch = makeBatch({
      gpuWindows: template.gpuWindows.map((w) => ({ ...w, startMs, endMs: startMs + MINUTE_MS })),
      jobWindows: template.jobWindows.map((w) => ({ ...w, startMs, endMs: startMs + MINUTE_MS })),
    });
    const response = await handleIngestRequest(
      ingestRequest(batch, token),
      { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 20, nowMs: () => NOW_MS },
    );
    expect(response.status).toBe(200);
    process.env.GPU_ROI_RAW_RETENTION_DAYS = "9";
    expect(await caller(false).retention.get()).toEqual({
      rawWindowRetentionDays: 9,
      oldestRawWindowMs: startMs,
      rollups: [
        { rollup: "hourly per GPU", keptForever: true, oldestStartMs: T0_MS },
        { rollup: "hourly per job and GPU", keptForever: true, oldestStartMs: T0_MS },
        { rollup: "daily per job and GPU", keptForever: true, oldestStartMs: T0_MS },
        { rollup: "hourly work per job and unit", keptForever: true, oldestStartMs: null },
      ],
    });
  });
});
