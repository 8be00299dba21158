import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleIssueNodeToken, handleListNodeTokens, handleRevokeNodeToken } from "../../../../server/api/rest/node-tokens-handler";
import { handleAddPrice, handleListPrices } from "../../../../server/api/rest/prices-handler";
import { authenticateNodeToken } from "../../../../server/services/node-tokens";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";

const kinds = await databaseKinds();
const ADMIN_TOKEN = "admin-secret-for-tests";
const NOW_MS = Date.UTC(2026, 10, 27, 12, 0, 0);

function post(path: string, body: unknown, token: string | null = ADMIN_TOKEN): Request {
  return new Request(`http://gpu-roi.test${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

describe.each(kinds)("admin handlers on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL admin suite: ${skipReason}`);
  let db: TestDatabase;
  const context = () => ({ prisma: db.prisma, adminToken: ADMIN_TOKEN, nowMs: () => NOW_MS });
  const priceCount = async () => ((await (await handleListPrices(context())).json()) as { prices: unknown[] }).prices.length;

  beforeAll(async () => {
    if (!skipReason) db = await create();
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("adds a cloud price and an on-prem cost of ownership with its parts", async () => {
    const cloud = await handleAddPrice(post("/api/v1/prices", { gpuModel: "NVIDIA L4", costPerGpuHour: 0.8, effectiveFrom: "2026-11-01T00:00:00Z" }), context());
    expect(cloud.status).toBe(201);
    const tco = await handleAddPrice(
      post("/api/v1/prices", {
        gpuModel: "NVIDIA H100 80GB HBM3",
        tco: { purchasePricePerGpu: 30_000, amortizationMonths: 36, powerDrawW: 1000, electricityPricePerKwh: 0.12, pue: 1.4, yearlyOverheadPerGpu: 2_190 },
        effectiveFrom: "2026-11-01T00:00:00Z",
        nodeLabel: { key: "pool", value: "on-prem" },
      }),
      context(),
    );
    expect(tco.status).toBe(201);
    const entry = await tco.json();
    expect(entry.source).toBe("on-prem-tco");
    expect(entry.costPerGpuHour).toBeCloseTo(30_000 / 26_280 + 0.168 + 0.25, 9);
    expect(entry.tco.powerPerGpuHour).toBeCloseTo(0.168, 9);
    expect(entry.nodeLabelKey).toBe("pool");
    expect(await priceCount()).toBe(2);
  });

  it.skipIf(skipReason)("refuses bad prices with 400 naming the field, and changes nothing", async () => {
    const before = await priceCount();
    const both = await handleAddPrice(post("/api/v1/prices", { gpuModel: "X", effectiveFrom: "2026-11-01T00:00:00Z" }), context());
    expect(both.status).toBe(400);
    expect((await both.json()).error.field).toBe("costPerGpuHour");
    const badDate = await handleAddPrice(post("/api/v1/prices", { gpuModel: "X", costPerGpuHour: 1, effectiveFrom: "yesterday" }), context());
    expect((await badDate.json()).error.field).toBe("effectiveFrom");
    const badPue = await handleAddPrice(
      post("/api/v1/prices", { gpuModel: "X", tco: { purchasePricePerGpu: 1, amortizationMonths: 1, powerDrawW: 1, electricityPricePerKwh: 1, pue: 0.5, yearlyOverheadPerGpu: 0 }, effectiveFrom: "2026-11-01T00:00:00Z" }),
      context(),
    );
    expect((await badPue.json()).error.field).toBe("tco.pue");
    expect(await priceCount()).toBe(before);
  });

  it.skipIf(skipReason)("requires the admin token for writes, and is off without one configured", async () => {
    const before = await priceCount();
    const body = { gpuModel: "X", costPerGpuHour: 1, effectiveFrom: "2026-11-01T00:00:00Z" };
    expect((await handleAddPrice(post("/api/v1/prices", body, null), context())).status).toBe(401);
    expect((await handleAddPrice(post("/api/v1/prices", body, "wrong"), context())).status).toBe(401);
    expect((await handleAddPrice(post("/api/v1/prices", body), { ...context(), adminToken: undefined })).status).toBe(403);
    expect((await handleIssueNodeToken(post("/api/v1/node-tokens", { hostname: "n1" }, "wrong"), context())).status).toBe(401);
    expect(await priceCount()).toBe(before);
  });

  it.skipIf(skipReason)("lists tokens by prefix and revokes one, which then no longer authenticates", async () => {
    const issued = await (await handleIssueNodeToken(post("/api/v1/node-tokens", { cluster: "lab", hostname: "gpu-09" }), context())).json();
    const listed = await (await handleListNodeTokens(new Request("http://gpu-roi.test/api/v1/node-tokens", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }), context())).json();
    const mine = listed.tokens.find((token: { hostname: string }) => token.hostname === "gpu-09");
    expect(mine).toMatchObject({ clusterName: "lab", revokedAtMs: null });
    expect(issued.token.startsWith(mine.tokenPrefix)).toBe(true);
    expect(JSON.stringify(listed)).not.toContain(issued.token);

    const revoked = await handleRevokeNodeToken(post(`/api/v1/node-tokens/${mine.id}/revoke`, {}), String(mine.id), context());
    expect((await revoked.json()).revokedAtMs).toBe(NOW_MS);
    expect(await authenticateNodeToken(db.sql, issued.token)).toBeNull();
    expect((await handleRevokeNodeToken(post("/api/v1/node-tokens/999999/revoke", {}), "999999", context())).status).toBe(404);
    expect((await handleRevokeNodeToken(post(`/api/v1/node-tokens/${mine.id}/revoke`, {}, "wrong"), String(mine.id), context())).status).toBe(401);
  });

  it.skipIf(skipReason)("issues a node token that authenticates its node", async () => {
    const response = await handleIssueNodeToken(post("/api/v1/node-tokens", { cluster: "lab", hostname: "gpu-07" }), context());
    expect(response.status).toBe(201);
    const issued = await response.json();
    expect(await authenticateNodeToken(db.sql, issued.token)).toMatchObject({ hostname: "gpu-07" });
  });
});
