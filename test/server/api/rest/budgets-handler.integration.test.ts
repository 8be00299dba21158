/**
 * Budgets over November 2026 of one cluster, now = 2026-11-20 12:30 UTC:
 *
 *   node-a  4 x A100 at 2.50 per GPU-hour, labelled pool=a100, from 2026-11-07 00:00 to 11-20 12:00 (324 h)
 *     GPU 0, 1  train-search (team search)
 *     GPU 2     serve-ads    (team ads)
 *     GPU 3     nobody (idle)
 *
 * search spends 2 x 2.50 x 24 = 120 a day, 1,620 so far; ads 60 a day, 810 so far.
 * The days before 11-07 had no spend (the scope did not exist): flat history, so
 * the forecast is exact and its interval has no width.
 */
import { ALL_DATA, BREAK_GLASS_PRINCIPAL, OPEN_PRINCIPAL } from "../../../../server/auth/principal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleAllocationRequest } from "../../../../server/api/rest/allocation-handler";
import { handleChangeBudget, handleListBudgets } from "../../../../server/api/rest/budgets-handler";
import type { TrpcContext } from "../../../../server/api/trpc/init";
import { createCaller } from "../../../../server/api/trpc/root";
import { loadBudgetStatuses } from "../../../../server/services/budget-status-service";
import { listBudgets } from "../../../../server/services/budget-service";
import { addPriceEntry } from "../../../../server/services/price-book-service";
import { ingestSmallFleet } from "../../../support/small-fleet";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;
const FROM_MS = Date.UTC(2026, 10, 7);
const TO_MS = Date.UTC(2026, 10, 20, 12);
const NOW_MS = TO_MS + 30 * 60_000;
const ADMIN_TOKEN = "budget-admin-token";

describe.each(kinds)("budgets on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL budgets suite: ${skipReason}`);
  let db: TestDatabase;
  const context = () => ({ db: db.sql, prisma: db.prisma, adminToken: ADMIN_TOKEN, nowMs: () => NOW_MS });
  const post = (body: unknown, token: string | null = ADMIN_TOKEN) =>
    handleChangeBudget(
      new Request("http://gpu-roi.test/api/v1/budgets", {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      }),
      context(),
    );

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    await addPriceEntry(db.prisma, { gpuModel: "NVIDIA A100-SXM4-80GB", costPerGpuHour: 2.5, effectiveFromMs: Date.UTC(2026, 0, 1) }, FROM_MS);
    await ingestSmallFleet(
      db,
      [
        {
          cluster: "lab",
          hostname: "node-a",
          gpuModel: "NVIDIA A100-SXM4-80GB",
          gpuCount: 4,
          memoryTotalMiB: 81920,
          labels: { pool: "a100" },
          jobs: [
            { externalId: "train-search", kind: "training", gpuIndexes: [0, 1], utilizationPct: 90, memoryUsedMiB: 40_000, team: "search" },
            { externalId: "serve-ads", kind: "inference", gpuIndexes: [2], utilizationPct: 40, memoryUsedMiB: 20_000, team: "ads" },
          ],
        },
      ],
      { fromMs: FROM_MS, toMs: TO_MS, windowMs: HOUR_MS },
    );
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("refuses a change without the admin token and stores nothing", async () => {
    const response = await post({ scopeKind: "team", scopeValue: "search", period: "month", amount: 3000 }, null);
    expect(response.status).toBe(401);
    expect((await response.json()).error.field).toBe("authorization");
    expect(await listBudgets(db.prisma)).toEqual([]);
  });

  it.skipIf(skipReason)("answers 400 naming the field at fault, and stores nothing", async () => {
    const cases: [unknown, string][] = [
      [{ scopeKind: "department", scopeValue: "search", period: "month", amount: 3000 }, "scopeKind"],
      [{ scopeKind: "team", scopeValue: "search", period: "week", amount: 3000 }, "period"],
      [{ scopeKind: "team", scopeValue: "search", period: "month", amount: -5 }, "amount"],
      [{ scopeKind: "team", scopeValue: "search", period: "month", amount: "3000" }, "amount"],
      [{ scopeKind: "team", scopeValue: "", period: "month", amount: 3000 }, "scopeValue"],
      [{ scopeKind: "team", scopeValue: " search", period: "month", amount: 3000 }, "scopeValue"],
      [{ scopeKind: "label", scopeValue: "no-equals-sign", period: "month", amount: 3000 }, "scopeValue"],
      [{ action: "delete", id: "x" }, "id"],
    ];
    for (const [body, field] of cases) {
      const response = await post(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((await response.json()).error.field, JSON.stringify(body)).toBe(field);
    }
    expect(await listBudgets(db.prisma)).toEqual([]);
  });

  it.skipIf(skipReason)("creates a budget in the price book's currency, updates its amount, and deletes it", async () => {
    const created = await post({ scopeKind: "team", scopeValue: "ads", period: "quarter", amount: 1000 });
    expect(created.status).toBe(201);
    const budget = await created.json();
    expect(budget).toMatchObject({ scopeKind: "team", scopeValue: "ads", period: "quarter", amount: 1000, currency: "USD", createdAtMs: NOW_MS });
    const updated = await post({ scopeKind: "team", scopeValue: "ads", period: "quarter", amount: 1500 });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ id: budget.id, amount: 1500 });
    expect((await listBudgets(db.prisma)).map((stored) => [stored.id, stored.amount])).toEqual([[budget.id, 1500]]);
    expect((await post({ action: "delete", id: budget.id })).status).toBe(200);
    expect((await post({ action: "delete", id: budget.id })).status).toBe(404);
    expect(await listBudgets(db.prisma)).toEqual([]);
  });

  it.skipIf(skipReason)("reports actual spend equal to the allocation of the period, and the period-end forecast", async () => {
    expect((await post({ scopeKind: "team", scopeValue: "search", period: "month", amount: 3000 })).status).toBe(201);
    expect((await post({ scopeKind: "team", scopeValue: "search", period: "quarter", amount: 9000 })).status).toBe(201);
    expect((await post({ scopeKind: "team", scopeValue: "ads", period: "month", amount: 1000 })).status).toBe(201);
    expect((await post({ scopeKind: "label", scopeValue: "pool=a100", period: "month", amount: 10 })).status).toBe(201);
    expect((await post({ scopeKind: "label", scopeValue: "pool=h100", period: "month", amount: 10 })).status).toBe(201);

    const statuses = await loadBudgetStatuses(db.sql, db.prisma, NOW_MS);
    const byScope = new Map(statuses.map((status) => [`${status.scopeKind}:${status.scopeValue}:${status.period}`, status]));
    const allocation = await (
      await handleAllocationRequest(new Request(`http://gpu-roi.test/api/v1/allocation?window=2026-11-01T00:00:00Z,2026-11-20T12:30:00Z&aggregate=team`), {
        db: db.sql,
        nowMs: () => NOW_MS,
        scope: ALL_DATA,
      })
    ).json();
    const allocated = (team: string) => allocation.rows.find((row: { name: string }) => row.name === team).gpuCost;
    expect(byScope.get("team:search:month")!.actualCost).toBeCloseTo(allocated("search"), 9);
    expect(byScope.get("team:ads:month")!.actualCost).toBeCloseTo(allocated("ads"), 9);
    expect(allocated("search")).toBeCloseTo(1620, 9);

    // Month: 1,620 + 120 a day for the 10.5 days left.
    expect(byScope.get("team:search:month")).toMatchObject({
      periodStartMs: Date.UTC(2026, 10, 1),
      periodEndMs: Date.UTC(2026, 11, 1),
      budgetAmount: 3000,
      currency: "USD",
      forecastCost: expect.closeTo(2880, 6),
      forecastLowCost: expect.closeTo(2880, 6),
      forecastHighCost: expect.closeTo(2880, 6),
    });
    // Quarter (Oct-Dec): 1,620 + 120 a day for 41.5 days.
    expect(byScope.get("team:search:quarter")).toMatchObject({ periodStartMs: Date.UTC(2026, 9, 1), actualCost: expect.closeTo(1620, 9), forecastCost: expect.closeTo(6600, 6) });
    expect(byScope.get("team:ads:month")!.forecastCost).toBeCloseTo(810 + 60 * 10.5, 6);
    // A node label scopes every job on its nodes (as aggregate=label:pool does); no node is pool=h100.
    const byPool = await (
      await handleAllocationRequest(new Request(`http://gpu-roi.test/api/v1/allocation?window=2026-11-01T00:00:00Z,2026-11-20T12:30:00Z&aggregate=label:pool`), {
        db: db.sql,
        nowMs: () => NOW_MS,
        scope: ALL_DATA,
      })
    ).json();
    expect(byScope.get("label:pool=a100:month")!.actualCost).toBeCloseTo(byPool.rows.find((row: { name: string }) => row.name === "a100").gpuCost, 9);
    expect(byScope.get("label:pool=a100:month")).toMatchObject({ actualCost: expect.closeTo(2430, 9), forecastCost: expect.closeTo(2430 + 180 * 10.5, 6) });
    expect(byScope.get("label:pool=h100:month")).toMatchObject({ actualCost: 0, forecastCost: 0 });

    const listed = await (await handleListBudgets(context(), ALL_DATA)).json();
    expect(listed.budgets.find((status: { scopeValue: string; period: string }) => status.scopeValue === "search" && status.period === "month").usedPct).toBeCloseTo(54, 9);
  });

  it.skipIf(skipReason)("serves the same statuses to the budgets page through tRPC, and refuses changes there without admin", async () => {
    const caller = (isAdmin: boolean) => createCaller({ db: db.sql, prisma: db.prisma, nowMs: () => NOW_MS, isAdmin, principal: isAdmin ? BREAK_GLASS_PRINCIPAL : OPEN_PRINCIPAL } as TrpcContext);
    const listed = await caller(false).budgets.list();
    const search = listed.find((status) => status.scopeValue === "search" && status.period === "month")!;
    expect(search.actualCost).toBeCloseTo(1620, 9);
    // 13 whole days spent in the period before today (11-07 .. 11-19), 11 days forecast (today's half, then 11-21 .. 11-30).
    expect(search.actualDays.filter((day) => day.cost > 0).length).toBe(13);
    expect(search.forecastDays.map((day) => day.fraction)).toEqual([0.5, ...new Array(10).fill(1)]);
    await expect(caller(false).budgets.set({ scopeKind: "team", scopeValue: "nlp", period: "month", amount: 5 })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const set = await caller(true).budgets.set({ scopeKind: "team", scopeValue: "nlp", period: "month", amount: 5 });
    expect((await caller(false).budgets.list()).some((status) => status.budgetId === set.id)).toBe(true);
  });
});
