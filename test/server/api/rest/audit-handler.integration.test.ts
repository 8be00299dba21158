/**
 * GET /api/v1/audit over a real HTTP server on loopback: JSON and CSV, window,
 * action and cursor paging, and who may read it (the admin token or an admin's
 * API token; 401 for none, a wrong, revoked or expired one; 403 for other roles).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleListAudit } from "../../../../server/api/rest/audit-handler";
import { createApiToken, revokeApiToken } from "../../../../server/auth/api-tokens";
import { BREAK_GLASS_PRINCIPAL, type Principal } from "../../../../server/auth/principal";
import { recordAudit, type AuditEntry } from "../../../../server/services/audit-log";
import { parseCsv } from "../../../support/parse-csv";
import { startRouteServer, type RouteServer } from "../../../support/route-server";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";

const kinds = await databaseKinds();
const ADMIN_TOKEN = "admin-secret-for-audit-api";
const NOW_MS = Date.UTC(2026, 11, 5, 12, 0, 0);
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const ADA: Principal = { kind: "session", subject: "oidc|ada", displayName: "Ada Admin", role: "admin", teams: [] };
const MIA: Principal = { kind: "session", subject: "oidc|mia", displayName: "Mia", role: "member", teams: ["vision"] };

describe.each(kinds)("GET /api/v1/audit on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL audit API suite: ${skipReason}`);
  let db: TestDatabase;
  let server: RouteServer;
  let adminApiToken = "";
  let memberApiToken = "";
  let revokedApiToken = "";
  let adminTokenConfigured: string | undefined = ADMIN_TOKEN;

  const get = (query: string, token: string | null = ADMIN_TOKEN) =>
    fetch(`${server.url}/api/v1/audit${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    server = await startRouteServer({
      "/api/v1/audit": { GET: (request) => handleListAudit(request, { db: db.sql, prisma: db.prisma, adminToken: adminTokenConfigured, nowMs: () => NOW_MS }) },
    });
    // Written oldest first, as a server does (the log pages by id).
    // An entry from 40 days ago, outside a 30-day window.
    await recordAudit(db.prisma, { atMs: NOW_MS - 40 * DAY_MS, actor: ADA, action: "price.add", target: "price:0", before: null, after: { costPerGpuHour: 1 } });
    adminApiToken = (await createApiToken(db.prisma, ADA, { name: "audit export", expiresInDays: 30 }, NOW_MS - DAY_MS)).secret;
    memberApiToken = (await createApiToken(db.prisma, MIA, { name: "my dashboard", expiresInDays: 30 }, NOW_MS - DAY_MS)).secret;
    const revoked = await createApiToken(db.prisma, ADA, { name: "old", expiresInDays: 30 }, NOW_MS - DAY_MS);
    await revokeApiToken(db.prisma, revoked.token.id, ADA, NOW_MS - DAY_MS);
    revokedApiToken = revoked.secret;
    // Five entries an hour apart, the newest 1 h ago; one with a target a spreadsheet would run.
    for (let i = 0; i < 5; i++) {
      await recordAudit(db.prisma, {
        atMs: NOW_MS - (5 - i) * HOUR_MS,
        actor: i % 2 === 0 ? BREAK_GLASS_PRINCIPAL : ADA,
        action: i === 4 ? "node-token.revoke" : "price.add",
        target: i === 4 ? "=HYPERLINK(\"http://evil\")" : `price:${i + 1}`,
        before: null,
        after: { costPerGpuHour: 2 + i, note: "a, \"quoted\" note" },
      });
    }
  });
  afterAll(async () => {
    await server?.close();
    await db?.dispose();
  });

  it.skipIf(skipReason)("answers the log as JSON, newest first, with each entry's actor, target and before/after", async () => {
    const response = await get("?window=30d");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const page = (await response.json()) as { entries: AuditEntry[]; nextCursor: number | null };
    expect(page.nextCursor).toBeNull();
    // 5 seeded entries plus the 3 API token creations and 1 revocation of the setup (made at NOW - 1 day).
    expect(page.entries.map((entry) => entry.atMs)).toEqual([...page.entries.map((entry) => entry.atMs)].sort((a, b) => b - a));
    const seeded = page.entries.filter((entry) => entry.action !== "api-token.create" && entry.action !== "api-token.revoke");
    expect(seeded.map((entry) => entry.target)).toEqual(["=HYPERLINK(\"http://evil\")", "price:4", "price:3", "price:2", "price:1"]);
    expect(seeded[1]).toMatchObject({ atMs: NOW_MS - 2 * HOUR_MS, action: "price.add", actor: { kind: "session", subject: "oidc|ada", displayName: "Ada Admin", apiTokenId: null }, before: null, after: { costPerGpuHour: 5 } });
    expect(page.entries.filter((entry) => entry.action === "api-token.create")).toHaveLength(3);
    // Without a window: the whole log, the 40-day-old entry included.
    const all = (await (await get("")).json()) as { entries: AuditEntry[] };
    expect(all.entries.at(-1)).toMatchObject({ target: "price:0" });
    const revocations = (await (await get("?action=node-token.revoke")).json()) as { entries: AuditEntry[] };
    expect(revocations.entries.map((entry) => entry.target)).toEqual(["=HYPERLINK(\"http://evil\")"]);
  });

  it.skipIf(skipReason)("pages with limit and cursor through every entry exactly once", async () => {
    const whole = ((await (await get("?limit=1000")).json()) as { entries: AuditEntry[] }).entries.map((entry) => entry.id);
    const paged: number[] = [];
    let cursor: number | null = null;
    let pages = 0;
    do {
      const response = await get(`?limit=3${cursor === null ? "" : `&cursor=${cursor}`}`);
      const page = (await response.json()) as { entries: AuditEntry[]; nextCursor: number | null };
      expect(page.entries.length).toBeLessThanOrEqual(3);
      paged.push(...page.entries.map((entry) => entry.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 20);
    expect(paged).toEqual(whole);
    expect(pages).toBe(Math.ceil(whole.length / 3));
  });

  it.skipIf(skipReason)("answers CSV with one line per entry, formulas defused, and the next page's cursor in a header", async () => {
    const response = await get("?window=30d&format=csv&limit=2");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="audit.csv"');
    const nextCursor = response.headers.get("x-next-cursor");
    expect(nextCursor).toMatch(/^\d+$/);
    const rows = parseCsv(await response.text());
    expect(rows[0]).toEqual(["id", "at", "actorKind", "actorSubject", "actorDisplayName", "apiTokenId", "action", "target", "before", "after"]);
    expect(rows).toHaveLength(3);
    expect(rows[1].slice(1, 8)).toEqual([new Date(NOW_MS - HOUR_MS).toISOString(), "break-glass", "break-glass", "admin token", "", "node-token.revoke", "'=HYPERLINK(\"http://evil\")"]);
    expect(JSON.parse(rows[1][9])).toEqual({ costPerGpuHour: 6, note: "a, \"quoted\" note" });
    expect(rows[1][8]).toBe("");
    const next = parseCsv(await (await get(`?window=30d&format=csv&limit=2&cursor=${nextCursor}`)).text());
    expect(next[1][0]).not.toBe(rows[1][0]);
    expect(Number(next[1][0])).toBeLessThan(Number(rows[2][0]));
  });

  it.skipIf(skipReason)("refuses bad parameters with 400 naming the field", async () => {
    for (const [query, field] of [["?limit=0", "limit"], ["?limit=5000", "limit"], ["?cursor=abc", "cursor"], ["?format=xml", "format"], ["?window=soon", "window"], ["?action=price.delete", "action"]]) {
      const response = await get(query);
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { error: { field: string } }).error.field, query).toBe(field);
    }
  });

  it.skipIf(skipReason)("admits an admin's API token and refuses everyone else: 401 without a valid credential, 403 for another role", async () => {
    expect((await get("", adminApiToken)).status).toBe(200);
    expect((await get("", null)).status).toBe(401);
    expect((await get("", "wrong-admin-token")).status).toBe(401);
    expect((await get("", revokedApiToken)).status).toBe(401);
    expect((await get("", `groi_${"x".repeat(43)}`)).status).toBe(401);
    const member = await get("", memberApiToken);
    expect(member.status).toBe(403);
    expect(await member.json()).toMatchObject({ error: { status: 403, field: "authorization", message: expect.stringContaining("member") } });
    // An admin's API token keeps working when no admin token is configured; without either, the admin API is off.
    adminTokenConfigured = undefined;
    try {
      expect((await get("", adminApiToken)).status).toBe(200);
      expect((await get("", ADMIN_TOKEN)).status).toBe(403);
    } finally {
      adminTokenConfigured = ADMIN_TOKEN;
    }
  });
});
