/**
 * The REST admin writes take whoever sign-in says is an admin (a signed-in admin
 * from gpu-roi's own pages, an admin's API token) as well as the break-glass
 * admin token; an analyst's token or session is refused (403), and a cookie
 * from another site does not count. Called through the route files, as Next.js calls them.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../../server/auth/principal";
import { createApiToken } from "../../server/auth/api-tokens";
import { createSession, SESSION_COOKIE } from "../../server/auth/session-store";
import { listAuditEntries } from "../../server/services/audit-log";
import { serveRouteFilesFrom } from "../support/route-files-with-sign-in";
import { databaseKinds, PROJECT_ROOT, type TestDatabase } from "../support/test-databases";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;
const ADA: Principal = { kind: "session", subject: "ada", displayName: "Ada Admin", role: "admin", teams: [] };
const BOB: Principal = { kind: "session", subject: "bob", displayName: "Bob Analyst", role: "analyst", teams: [] };

type PricesRoute = { POST: (request: Request) => Promise<Response> };
const pricesRoute = () => import(path.join(PROJECT_ROOT, "app", "api", "v1", "prices", "route.ts")) as Promise<PricesRoute>;

const price = (gpuModel: string) => ({ gpuModel, costPerGpuHour: 2.5, effectiveFrom: "2026-11-01T00:00:00Z" });

function post(body: unknown, headers: Record<string, string>): Request {
  return new Request("http://127.0.0.1:3000/api/v1/prices", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

describe.each(kinds)("POST /api/v1/prices by a signed-in admin on $name", ({ create, skipReason }) => {
  let db: TestDatabase;
  let undoServe: (() => void) | undefined;
  const secrets: Record<string, string> = {};
  const cookies: Record<string, string> = {};

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    const nowMs = Date.now();
    secrets.ada = (await createApiToken(db.prisma, ADA, { name: "ada's script", expiresInDays: 7 }, nowMs)).secret;
    secrets.bob = (await createApiToken(db.prisma, BOB, { name: "bob's dashboard", expiresInDays: 7 }, nowMs)).secret;
    cookies.ada = await createSession(db.sql, ADA, { nowMs, expiresAtMs: nowMs + HOUR_MS });
    cookies.bob = await createSession(db.sql, BOB, { nowMs, expiresAtMs: nowMs + HOUR_MS });
    undoServe = serveRouteFilesFrom(db, { GPU_ROI_ADMIN_GROUPS: "gpu-admins", GPU_ROI_ADMIN_TOKEN: "break-glass-token" });
  });

  afterAll(async () => {
    undoServe?.();
    await db?.dispose();
  });

  it.skipIf(skipReason)("adds a price for an admin's API token and an admin's session from gpu-roi's pages, naming them in the audit log", async () => {
    const { POST } = await pricesRoute();
    expect((await POST(post(price("NVIDIA L4"), { authorization: `Bearer ${secrets.ada}` }))).status).toBe(201);
    expect((await POST(post(price("NVIDIA L40S"), { cookie: `${SESSION_COOKIE}=${cookies.ada}`, "sec-fetch-site": "same-origin" }))).status).toBe(201);
    expect((await POST(post(price("NVIDIA T4"), { authorization: "Bearer break-glass-token" }))).status).toBe(201);
    const actors = (await listAuditEntries(db.prisma, { limit: 10 })).entries.filter((entry) => entry.action === "price.add").map((entry) => entry.actor.kind);
    expect(actors.sort()).toEqual(["api-token", "break-glass", "session"]);
  });

  it.skipIf(skipReason)("refuses an analyst's token or session (403), a cookie from another site and no credentials, and stores nothing", async () => {
    const { POST } = await pricesRoute();
    const before = await db.prisma.priceBookEntry.count();
    const analystToken = await POST(post(price("AMD Instinct MI300X"), { authorization: `Bearer ${secrets.bob}` }));
    expect(analystToken.status).toBe(403);
    expect(await analystToken.text()).toMatch(/an analyst; this needs an admin/);
    expect((await POST(post(price("AMD Instinct MI300X"), { cookie: `${SESSION_COOKIE}=${cookies.bob}`, "sec-fetch-site": "same-origin" }))).status).toBe(403);
    expect((await POST(post(price("AMD Instinct MI300X"), { cookie: `${SESSION_COOKIE}=${cookies.ada}`, "sec-fetch-site": "cross-site" }))).status).toBe(401);
    expect((await POST(post(price("AMD Instinct MI300X"), {}))).status).toBe(401);
    expect(await db.prisma.priceBookEntry.count()).toBe(before);
  });
});
