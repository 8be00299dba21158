import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken, listApiTokens, revokeApiToken, verifyApiToken } from "../../../server/auth/api-tokens";
import { BREAK_GLASS_PRINCIPAL, OPEN_PRINCIPAL, type Principal } from "../../../server/auth/principal";
import type { TrpcContext } from "../../../server/api/trpc/init";
import { createCaller } from "../../../server/api/trpc/root";
import { listAuditEntries } from "../../../server/services/audit-log";
import { issueNodeToken } from "../../../server/services/node-tokens";
import { databaseKinds, type TestDatabase } from "../../support/test-databases";

const kinds = await databaseKinds();
const NOW_MS = Date.UTC(2026, 11, 5, 9, 0, 0);
const DAY_MS = 86_400_000;

const ALICE: Principal = { kind: "session", subject: "oidc|alice", displayName: "Alice Analyst", role: "member", teams: ["vision", "nlp", "vision"] };
const BOB: Principal = { kind: "session", subject: "oidc|bob", displayName: "Bob", role: "analyst", teams: [] };
const ADA: Principal = { kind: "session", subject: "oidc|ada", displayName: "Ada Admin", role: "admin", teams: [] };

describe.each(kinds)("API tokens on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL API token suite: ${skipReason}`);
  let db: TestDatabase;
  const caller = (principal: Principal, nowMs = NOW_MS) =>
    createCaller({ db: db.sql, prisma: db.prisma, nowMs: () => nowMs, isAdmin: principal.role === "admin", principal } as TrpcContext);
  const tokenCount = () => db.prisma.apiToken.count();

  beforeAll(async () => {
    if (!skipReason) db = await create();
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("creates a token scoped to its creator's role and teams, stores only the secret's hash, and verifies it", async () => {
    const { token, secret } = await createApiToken(db.prisma, ALICE, { name: " grafana ", expiresInDays: 30 }, NOW_MS);
    expect(secret).toMatch(/^groi_[A-Za-z0-9_-]{43}$/);
    expect(token).toMatchObject({
      name: "grafana",
      ownerSubject: "oidc|alice",
      ownerDisplayName: "Alice Analyst",
      role: "member",
      teams: ["nlp", "vision"],
      createdAtMs: NOW_MS,
      expiresAtMs: NOW_MS + 30 * DAY_MS,
      revokedAtMs: null,
      lastUsedAtMs: null,
    });
    expect(secret.startsWith(token.tokenPrefix)).toBe(true);
    const stored = await db.prisma.apiToken.findUniqueOrThrow({ where: { id: token.id } });
    expect(stored.tokenHash).toBe(createHash("sha256").update(secret).digest("hex"));
    expect(JSON.stringify(stored, (_key, value: unknown) => (typeof value === "bigint" ? Number(value) : value))).not.toContain(secret);

    const usedAtMs = NOW_MS + 5 * 60_000;
    expect(await verifyApiToken(db.sql, secret, usedAtMs)).toEqual({
      kind: "api-token",
      subject: "oidc|alice",
      displayName: "Alice Analyst",
      role: "member",
      teams: ["nlp", "vision"],
      apiTokenId: String(token.id),
    });
    expect((await listApiTokens(db.prisma, { ownerSubject: "oidc|alice" }))[0].lastUsedAtMs).toBe(usedAtMs);
    // Used again within the minute: lastUsedAt is not rewritten on every request.
    await verifyApiToken(db.sql, secret, usedAtMs + 10_000);
    expect((await listApiTokens(db.prisma, { ownerSubject: "oidc|alice" }))[0].lastUsedAtMs).toBe(usedAtMs);
  });

  it.skipIf(skipReason)("refuses a token from its expiry on", async () => {
    const { secret } = await createApiToken(db.prisma, BOB, { name: "nightly report", expiresInDays: 1 }, NOW_MS);
    expect(await verifyApiToken(db.sql, secret, NOW_MS + DAY_MS - 1)).toMatchObject({ kind: "api-token", role: "analyst" });
    expect(await verifyApiToken(db.sql, secret, NOW_MS + DAY_MS)).toBeNull();
    expect(await verifyApiToken(db.sql, secret, NOW_MS + 400 * DAY_MS)).toBeNull();
  });

  it.skipIf(skipReason)("refuses forged, altered and unknown secrets, and node tokens", async () => {
    const { secret } = await createApiToken(db.prisma, BOB, { name: "forgery target", expiresInDays: 7 }, NOW_MS);
    const lastChar = secret.at(-1) === "A" ? "B" : "A";
    expect(await verifyApiToken(db.sql, secret.slice(0, -1) + lastChar, NOW_MS)).toBeNull();
    expect(await verifyApiToken(db.sql, `groi_${"A".repeat(43)}`, NOW_MS)).toBeNull();
    expect(await verifyApiToken(db.sql, secret + "x", NOW_MS)).toBeNull();
    expect(await verifyApiToken(db.sql, secret.replace(/^groi_/, "gpat_"), NOW_MS)).toBeNull();
    expect(await verifyApiToken(db.sql, "", NOW_MS)).toBeNull();
    // A collector's token has the same shape but is no API token.
    const node = await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "gpu-01", nowMs: NOW_MS });
    expect(await verifyApiToken(db.sql, node.token, NOW_MS)).toBeNull();
    // The stored hash itself (read from a backup, say) is no secret that verifies.
    expect(await verifyApiToken(db.sql, createHash("sha256").update(secret).digest("hex"), NOW_MS)).toBeNull();
  });

  it.skipIf(skipReason)("revokes a token for its owner or an admin only, and audits create and revoke once each", async () => {
    const { token, secret } = await createApiToken(db.prisma, ALICE, { name: "to revoke", expiresInDays: 90 }, NOW_MS);
    const revokedAtMs = NOW_MS + 60_000;
    await expect(revokeApiToken(db.prisma, token.id, BOB, revokedAtMs)).rejects.toMatchObject({ status: 403, field: "id" });
    expect(await verifyApiToken(db.sql, secret, revokedAtMs)).not.toBeNull();
    expect(await revokeApiToken(db.prisma, token.id, ALICE, revokedAtMs)).toMatchObject({ id: token.id, revokedAtMs });
    expect(await verifyApiToken(db.sql, secret, revokedAtMs)).toBeNull();
    // Revoking again keeps the first time and is no second change.
    expect(await revokeApiToken(db.prisma, token.id, ADA, revokedAtMs + 1)).toMatchObject({ revokedAtMs });
    await expect(revokeApiToken(db.prisma, 999_999, ADA, revokedAtMs)).rejects.toMatchObject({ status: 404, field: "id" });

    const audit = (await listAuditEntries(db.prisma, { limit: 1000 })).entries.filter((entry) => entry.target === `api-token:${token.id}`);
    expect(audit.map((entry) => [entry.action, entry.actor.subject])).toEqual([
      ["api-token.revoke", "oidc|alice"],
      ["api-token.create", "oidc|alice"],
    ]);
    expect(audit[1]).toMatchObject({ atMs: NOW_MS, before: null, after: { id: token.id, name: "to revoke", role: "member", revokedAtMs: null } });
    expect(audit[0]).toMatchObject({ atMs: revokedAtMs, before: { revokedAtMs: null }, after: { revokedAtMs } });
    expect(JSON.stringify(audit)).not.toContain(secret);

    // An admin revokes someone else's token.
    const other = await createApiToken(db.prisma, BOB, { name: "admin revokes", expiresInDays: 90 }, NOW_MS);
    expect(await revokeApiToken(db.prisma, other.token.id, ADA, revokedAtMs)).toMatchObject({ revokedAtMs });
  });

  it.skipIf(skipReason)("refuses to create a token for the open server's visitors, for a token, or with an expiry out of bounds, and writes nothing", async () => {
    const before = await tokenCount();
    const auditBefore = (await listAuditEntries(db.prisma, { limit: 1000 })).entries.length;
    await expect(createApiToken(db.prisma, OPEN_PRINCIPAL, { name: "x", expiresInDays: 1 }, NOW_MS)).rejects.toMatchObject({ status: 403 });
    const asToken: Principal = { ...ALICE, kind: "api-token", apiTokenId: "1" };
    await expect(createApiToken(db.prisma, asToken, { name: "x", expiresInDays: 1 }, NOW_MS)).rejects.toMatchObject({ status: 403 });
    await expect(createApiToken(db.prisma, ALICE, { name: "x", expiresInDays: 0 }, NOW_MS)).rejects.toMatchObject({ status: 400, field: "expiresInDays" });
    await expect(createApiToken(db.prisma, ALICE, { name: "x", expiresInDays: 366 }, NOW_MS)).rejects.toMatchObject({ status: 400, field: "expiresInDays" });
    await expect(createApiToken(db.prisma, ALICE, { name: "   ", expiresInDays: 5 }, NOW_MS)).rejects.toMatchObject({ status: 400, field: "name" });
    await expect(caller(OPEN_PRINCIPAL).apiTokens.create({ name: "x", expiresInDays: 1 })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller(ALICE).apiTokens.create({ name: "x", expiresInDays: 400 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await tokenCount()).toBe(before);
    expect((await listAuditEntries(db.prisma, { limit: 1000 })).entries.length).toBe(auditBefore);
  });

  it.skipIf(skipReason)("serves apiTokens.create, list and revoke: the break-glass admin may create one and sees everyone's, a person sees their own", async () => {
    const created = await caller(BREAK_GLASS_PRINCIPAL).apiTokens.create({ name: "setup script", expiresInDays: 7 });
    expect(created.token).toMatchObject({ ownerSubject: "break-glass", role: "admin", teams: [], expiresAtMs: NOW_MS + 7 * DAY_MS });
    expect(await verifyApiToken(db.sql, created.secret, NOW_MS)).toMatchObject({ role: "admin", apiTokenId: String(created.token.id) });

    const everyone = await caller(BREAK_GLASS_PRINCIPAL).apiTokens.list();
    expect(everyone.canManage).toBe(true);
    expect(new Set(everyone.tokens.map((token) => token.ownerSubject))).toEqual(new Set(["oidc|alice", "oidc|bob", "break-glass"]));
    expect(JSON.stringify(everyone)).not.toContain(created.secret);
    const alices = await caller(ALICE).apiTokens.list();
    expect(alices.tokens.length).toBeGreaterThan(0);
    expect(alices.tokens.every((token) => token.ownerSubject === "oidc|alice")).toBe(true);
    // The open server's visitors and tokens learn they cannot manage tokens, and see none.
    expect(await caller(OPEN_PRINCIPAL).apiTokens.list()).toEqual({ canManage: false, tokens: [] });
    expect(await caller({ ...ALICE, kind: "api-token", apiTokenId: "1" }).apiTokens.list()).toEqual({ canManage: false, tokens: [] });

    await expect(caller(ALICE).apiTokens.revoke({ id: created.token.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await caller(BREAK_GLASS_PRINCIPAL).apiTokens.revoke({ id: created.token.id })).toMatchObject({ revokedAtMs: NOW_MS });
    expect(await verifyApiToken(db.sql, created.secret, NOW_MS)).toBeNull();
  });
});
