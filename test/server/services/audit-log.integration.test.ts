/**
 * Every admin action writes exactly one audit entry, in the same transaction as
 * its change, naming who did it with the state before and after; refused or
 * failed changes write none; the log cannot be changed afterwards.
 *
 *   cluster c: a-1, a-2 (A100 x 4 each), one training job each on 2 GPUs, 15 % busy
 *   -> the plan packs them and drains a node: recommendations to accept, apply, dismiss
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleChangeBudget } from "../../../server/api/rest/budgets-handler";
import { handleCreateAdminSession } from "../../../server/api/rest/admin-session-handler";
import { handleIssueNodeToken, handleRevokeNodeToken } from "../../../server/api/rest/node-tokens-handler";
import { handleAddPrice } from "../../../server/api/rest/prices-handler";
import { handleRunRecommendations, handleSetRecommendationState } from "../../../server/api/rest/recommendations-handler";
import type { TrpcContext } from "../../../server/api/trpc/init";
import { createCaller } from "../../../server/api/trpc/root";
import { ALL_DATA, BREAK_GLASS_PRINCIPAL, type Principal } from "../../../server/auth/principal";
import * as auditLog from "../../../server/services/audit-log";
import { listAuditEntries, recordAudit, type AuditEntry } from "../../../server/services/audit-log";
import { addPriceEntry, listPriceEntries } from "../../../server/services/price-book-service";
import { inProcessRunner } from "../../../server/services/recommendation-runner";
import { listRecommendations, runRecommendations } from "../../../server/services/recommendation-service";
import { ingestSmallFleet, type SmallFleetNode } from "../../support/small-fleet";
import { databaseKinds, PROJECT_ROOT, type TestDatabase } from "../../support/test-databases";

const kinds = await databaseKinds();
const END_MS = Date.UTC(2026, 10, 4);
const NOW_MS = END_MS + 60_000;
const HOUR_MS = 3_600_000;
const A100 = "NVIDIA A100-SXM4-80GB";
const ADMIN_TOKEN = "admin-secret-for-audit-tests";
const ADA: Principal = { kind: "session", subject: "oidc|ada", displayName: "Ada Admin", role: "admin", teams: [] };

const fleet: SmallFleetNode[] = ["a-1", "a-2"].map((hostname, n) => ({
  cluster: "c",
  hostname,
  gpuModel: A100,
  gpuCount: 4,
  memoryTotalMiB: 81_920,
  jobs: [{ externalId: `slurm-${n}`, kind: "training" as const, gpuIndexes: [0, 1], utilizationPct: 15, memoryUsedMiB: 9_000, team: "vision" }],
}));

function request(method: string, urlPath: string, body?: unknown, token: string | null = ADMIN_TOKEN): Request {
  return new Request(`http://gpu-roi.test${urlPath}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe.each(kinds)("audit log on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL audit log suite: ${skipReason}`);
  let db: TestDatabase;
  const restContext = () => ({ db: db.sql, prisma: db.prisma, adminToken: ADMIN_TOKEN, nowMs: () => NOW_MS, runRecommendations: inProcessRunner(db.sql, db.prisma), scope: ALL_DATA });
  const caller = (principal: Principal) =>
    createCaller({ db: db.sql, prisma: db.prisma, nowMs: () => NOW_MS, isAdmin: true, principal, runRecommendations: inProcessRunner(db.sql, db.prisma) } as TrpcContext);
  const allEntries = async () => (await listAuditEntries(db.prisma, { limit: 1000 })).entries;
  /** Runs `action` and returns the audit entries it wrote, oldest first. */
  async function written(action: () => Promise<unknown>): Promise<AuditEntry[]> {
    const newestBefore = (await allEntries())[0]?.id ?? 0;
    await action();
    return (await allEntries()).filter((entry) => entry.id > newestBefore).reverse();
  }

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    await ingestSmallFleet(db, fleet, { fromMs: END_MS - 6 * HOUR_MS, toMs: END_MS, windowMs: 15 * 60_000 });
  }, 120_000);
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("writes nothing for changes made without an actor (the collectors' registration in setup)", async () => {
    expect(await allEntries()).toEqual([]);
  });

  it.skipIf(skipReason)("records a price added through REST (break-glass) and through tRPC (a signed-in admin) once each, with what was stored", async () => {
    let added: unknown;
    const rest = await written(async () => {
      const response = await handleAddPrice(request("POST", "/api/v1/prices", { gpuModel: A100, costPerGpuHour: 2.5, effectiveFrom: "2026-11-01T00:00:00Z" }), restContext());
      expect(response.status).toBe(201);
      added = await response.json();
    });
    expect(rest).toEqual([
      {
        id: expect.any(Number),
        atMs: NOW_MS,
        actor: { kind: "break-glass", subject: "break-glass", displayName: "admin token", apiTokenId: null },
        action: "price.add",
        target: `price:${(added as { id: number }).id}`,
        before: null,
        after: added,
      },
    ]);
    const viaTrpc = await written(() => caller(ADA).prices.add({ gpuModel: "NVIDIA L4", costPerGpuHour: 0.8, effectiveFrom: "2026-11-01T00:00:00Z" }));
    expect(viaTrpc).toHaveLength(1);
    expect(viaTrpc[0]).toMatchObject({ action: "price.add", actor: { kind: "session", subject: "oidc|ada", displayName: "Ada Admin" }, after: { gpuModel: "NVIDIA L4", costPerGpuHour: 0.8 } });
  });

  it.skipIf(skipReason)("records node tokens issued and revoked (never the token), and a repeated revoke not at all", async () => {
    let token = "";
    const issued = await written(async () => {
      const response = await handleIssueNodeToken(request("POST", "/api/v1/node-tokens", { cluster: "lab", hostname: "gpu-42" }), restContext());
      token = ((await response.json()) as { token: string }).token;
    });
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ action: "node-token.issue", before: null, after: { clusterName: "lab", hostname: "gpu-42", revokedAtMs: null } });
    expect(JSON.stringify(issued)).not.toContain(token);
    const id = (issued[0].after as { id: number }).id;
    expect(issued[0].target).toBe(`node-token:${id}`);

    const revoked = await written(() => caller(ADA).nodeTokens.revoke({ id }));
    expect(revoked).toEqual([expect.objectContaining({ action: "node-token.revoke", target: `node-token:${id}`, before: expect.objectContaining({ revokedAtMs: null }), after: expect.objectContaining({ revokedAtMs: NOW_MS }) })]);
    expect(await written(() => handleRevokeNodeToken(request("POST", `/api/v1/node-tokens/${id}/revoke`, {}), String(id), restContext()))).toEqual([]);
    const viaTrpc = await written(() => caller(ADA).nodeTokens.issue({ cluster: "lab", hostname: "gpu-43" }));
    expect(viaTrpc).toEqual([expect.objectContaining({ action: "node-token.issue", actor: expect.objectContaining({ subject: "oidc|ada" }) })]);
  });

  it.skipIf(skipReason)("records budgets set, changed and deleted with before and after, and a refused change not at all", async () => {
    const body = { scopeKind: "team", scopeValue: "vision", period: "month", amount: 12_000 };
    const created = await written(async () => expect((await handleChangeBudget(request("POST", "/api/v1/budgets", body), restContext())).status).toBe(201));
    expect(created).toEqual([expect.objectContaining({ action: "budget.set", actor: expect.objectContaining({ kind: "break-glass" }), before: null })]);
    const id = (created[0].after as { id: string }).id;
    expect(created[0]).toMatchObject({ target: `budget:${id}`, after: { scopeKind: "team", scopeValue: "vision", amount: 12_000 } });

    const changed = await written(() => caller(ADA).budgets.set({ scopeKind: "team", scopeValue: "vision", period: "month", amount: 15_000 }));
    expect(changed).toEqual([expect.objectContaining({ action: "budget.set", actor: expect.objectContaining({ subject: "oidc|ada" }), before: expect.objectContaining({ amount: 12_000 }), after: expect.objectContaining({ amount: 15_000 }) })]);
    expect(await written(async () => expect((await handleChangeBudget(request("POST", "/api/v1/budgets", { ...body, amount: -1 }), restContext())).status).toBe(400))).toEqual([]);

    const deleted = await written(() => caller(ADA).budgets.delete({ id }));
    expect(deleted).toEqual([expect.objectContaining({ action: "budget.delete", target: `budget:${id}`, before: expect.objectContaining({ amount: 15_000 }), after: null })]);
  });

  it.skipIf(skipReason)("records runs of the optimizer (with exclusions as their own action) and each recommendation state change with before and after", async () => {
    const run = await written(async () => expect((await handleRunRecommendations(request("POST", "/api/v1/recommendations/run", { lookbackDays: 2 }), restContext())).status).toBe(201));
    expect(run).toEqual([expect.objectContaining({ action: "recommendation.run", actor: expect.objectContaining({ kind: "break-glass" }), before: null })]);
    expect(run[0].after).toMatchObject({ lookbackDays: 2, exclude: { workloads: [], nodes: [] }, recommendationCount: expect.any(Number) });
    expect(run[0].target).toBe(`fleet-plan:${(run[0].after as { planId: number }).planId}`);

    const excluded = await written(() => caller(ADA).recommendations.run({ lookbackDays: 2, exclude: { workloads: [], nodes: ["c/a-1"] } }));
    expect(excluded).toEqual([expect.objectContaining({ action: "recommendation.exclusions", actor: expect.objectContaining({ subject: "oidc|ada" }) })]);
    expect(excluded[0].after).toMatchObject({ exclude: { workloads: [], nodes: ["c/a-1"] } });

    // An exclusion naming nothing is refused: no plan, no entry.
    expect(await written(() => caller(ADA).recommendations.run({ lookbackDays: 2, exclude: { workloads: ["c/no-such-job"], nodes: [] } }).catch(() => undefined))).toEqual([]);

    const open = await listRecommendations(db.prisma, { state: "open" });
    expect(open.length).toBeGreaterThan(0);
    const first = open[0];
    const accepted = await written(() => caller(ADA).recommendations.setState({ id: first.id, state: "accepted" }));
    expect(accepted).toEqual([
      expect.objectContaining({ action: "recommendation.accept", target: `recommendation:${first.id}`, before: expect.objectContaining({ state: "open" }), after: expect.objectContaining({ state: "accepted", stateChangedAtMs: NOW_MS }) }),
    ]);
    const applied = await written(() => handleSetRecommendationState(request("POST", `/api/v1/recommendations/${first.id}/state`, { state: "applied" }), String(first.id), restContext()));
    expect(applied).toEqual([
      expect.objectContaining({ action: "recommendation.apply", before: expect.objectContaining({ state: "accepted", appliedAtMs: null }), after: expect.objectContaining({ state: "applied", appliedAtMs: NOW_MS }) }),
    ]);
    // A refused transition (applied is final) changes nothing and writes nothing.
    const refused = await written(async () => expect((await handleSetRecommendationState(request("POST", `/api/v1/recommendations/${first.id}/state`, { state: "dismissed" }), String(first.id), restContext())).status).toBe(409));
    expect(refused).toEqual([]);
    // A scheduled run (no one asked: no actor) is no admin action; it brings fresh open recommendations.
    expect(await written(() => runRecommendations(db.sql, db.prisma, { nowMs: NOW_MS, lookbackDays: 2 }))).toEqual([]);
    const fresh = (await listRecommendations(db.prisma, { state: "open" }))[0];
    const dismissed = await written(() => caller(ADA).recommendations.setState({ id: fresh.id, state: "dismissed" }));
    expect(dismissed).toEqual([expect.objectContaining({ action: "recommendation.dismiss", before: expect.objectContaining({ state: "open" }), after: expect.objectContaining({ state: "dismissed" }) })]);
  }, 120_000);

  it.skipIf(skipReason)("records each sign-in with the admin token (a break-glass use), and none for a wrong token", async () => {
    const context = { adminToken: ADMIN_TOKEN, nowMs: () => NOW_MS, prisma: db.prisma };
    const signIn = await written(async () => expect((await handleCreateAdminSession(request("POST", "/api/v1/admin-session", { token: ADMIN_TOKEN }, null), context)).status).toBe(200));
    expect(signIn).toEqual([expect.objectContaining({ action: "admin-session.sign-in", actor: expect.objectContaining({ kind: "break-glass" }), after: { expiresAtMs: expect.any(Number) } })]);
    expect(await written(async () => expect((await handleCreateAdminSession(request("POST", "/api/v1/admin-session", { token: "wrong" }, null), context)).status).toBe(401))).toEqual([]);
  });

  it.skipIf(skipReason)("writes no entry for refused input or a missing token, and no change when its entry cannot be written", async () => {
    const pricesBefore = (await listPriceEntries(db.prisma)).length;
    const none = await written(async () => {
      expect((await handleAddPrice(request("POST", "/api/v1/prices", { gpuModel: A100, effectiveFrom: "2026-11-01T00:00:00Z" }), restContext())).status).toBe(400);
      expect((await handleAddPrice(request("POST", "/api/v1/prices", { gpuModel: A100, costPerGpuHour: 1, effectiveFrom: "2026-11-01T00:00:00Z" }, null), restContext())).status).toBe(401);
      await expect(addPriceEntry(db.prisma, { gpuModel: A100, costPerGpuHour: -1, effectiveFromMs: 0 }, NOW_MS, ADA)).rejects.toMatchObject({ status: 400 });
    });
    expect(none).toEqual([]);
    // An actor the log cannot store (no display name) fails the audit insert: the price goes with it.
    const unstorable = { ...ADA, displayName: null } as unknown as Principal;
    await expect(addPriceEntry(db.prisma, { gpuModel: A100, costPerGpuHour: 9.99, effectiveFromMs: 0 }, NOW_MS, unstorable)).rejects.toThrow();
    expect((await listPriceEntries(db.prisma)).length).toBe(pricesBefore);
  });

  it.skipIf(skipReason)("refuses to update or delete an entry, by SQL or by Prisma, and offers no code path that would", async () => {
    await recordAudit(db.prisma, { atMs: NOW_MS, actor: BREAK_GLASS_PRINCIPAL, action: "settings.change", target: "settings:retention", before: { days: 14 }, after: { days: 30 } });
    const [entry] = await allEntries();
    await expect(db.sql.query("UPDATE audit_log SET action = ? WHERE id = ?", ["price.add", entry.id])).rejects.toThrow(/append-only/);
    await expect(db.sql.query("DELETE FROM audit_log WHERE id = ?", [entry.id])).rejects.toThrow(/append-only/);
    await expect(db.prisma.auditLogEntry.update({ where: { id: entry.id }, data: { afterJson: "{}" } })).rejects.toThrow(/append-only/);
    await expect(db.prisma.auditLogEntry.deleteMany({})).rejects.toThrow(/append-only/);
    if (db.target.dialect === "postgresql") await expect(db.sql.query("TRUNCATE audit_log")).rejects.toThrow(/append-only/);
    expect((await allEntries())[0]).toEqual(entry);
    expect(Object.keys(auditLog).filter((name) => /update|delete|remove|edit|purge|truncate/i.test(name))).toEqual([]);
  });

  it.skipIf(skipReason)("records the admin CLI's changes as the break-glass actor \"cli\"", () => {
    const tsx = path.join(PROJECT_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
    const result = spawnSync(process.execPath, [tsx, "scripts/admin.ts", "set-price", "--model", "NVIDIA T4", "--cost-per-gpu-hour", "0.35", "--from", "2026-11-01T00:00:00Z"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DATABASE_URL: db.url },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const price = JSON.parse(result.stdout) as { id: number };
    return allEntries().then((entries) => {
      expect(entries.filter((entry) => entry.target === `price:${price.id}`)).toEqual([
        expect.objectContaining({ action: "price.add", actor: { kind: "break-glass", subject: "cli", displayName: "admin CLI", apiTokenId: null }, after: expect.objectContaining({ gpuModel: "NVIDIA T4", costPerGpuHour: 0.35 }) }),
      ]);
    });
  }, 120_000);
});
