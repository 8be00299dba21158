import { describe, expect, it } from "vitest";
import { ADMIN_SESSION_COOKIE, adminSessionValue } from "../../../server/api/rest/admin-session";
import { BREAK_GLASS_PRINCIPAL, OPEN_PRINCIPAL, type Principal } from "../../../server/auth/principal";
import { resolvePrincipal, type PrincipalSources } from "../../../server/auth/resolve-principal";
import type { SqlDatabase } from "../../../server/db/sql-database";

const NOW_MS = Date.UTC(2026, 11, 4, 12, 0, 0);
const ADMIN_TOKEN = "break-glass-secret";
const unusedDatabase = new Proxy({}, { get: () => () => Promise.reject(new Error("the database must not be reached")) }) as unknown as SqlDatabase;
const TOKEN_OWNER: Principal = { kind: "api-token", subject: "carol", displayName: "Carol", role: "member", teams: ["vision"], apiTokenId: "7" };

function sources(overrides: Partial<PrincipalSources> = {}): PrincipalSources {
  return { authMode: "open", adminToken: ADMIN_TOKEN, db: unusedDatabase, nowMs: NOW_MS, verifyApiToken: async () => null, ...overrides };
}

const request = (headers: Record<string, string> = {}, method = "GET") => new Request("http://gpu-roi.test/api/v1/allocation", { method, headers });

describe("resolvePrincipal", () => {
  it("hands a groi_ bearer to the API token lookup, with the secret and the time, and takes its principal", async () => {
    const asked: [string, number][] = [];
    const resolution = await resolvePrincipal(
      request({ authorization: "Bearer groi_abc123" }),
      sources({ authMode: "oidc", verifyApiToken: async (secret, nowMs) => (asked.push([secret, nowMs]), TOKEN_OWNER) }),
    );
    expect(asked).toEqual([["groi_abc123", NOW_MS]]);
    expect(resolution).toEqual({ principal: TOKEN_OWNER, via: "api-token" });
  });

  it("refuses an unknown, expired or revoked API token with 401, also on an open server", async () => {
    const resolution = await resolvePrincipal(request({ authorization: "Bearer groi_gone" }), sources());
    expect(resolution.principal).toBeNull();
    expect(resolution.principal === null && resolution.refusal).toMatchObject({ status: 401, field: "authorization" });
  });

  it("takes any other bearer as the break-glass admin token, and refuses a wrong one", async () => {
    expect(await resolvePrincipal(request({ authorization: `Bearer ${ADMIN_TOKEN}` }), sources({ authMode: "oidc" }))).toEqual({ principal: BREAK_GLASS_PRINCIPAL, via: "bearer" });
    const wrong = await resolvePrincipal(request({ authorization: "Bearer nope" }), sources());
    expect(wrong.principal === null && wrong.refusal.status).toBe(401);
  });

  it("takes the admin session cookie from gpu-roi's pages only", async () => {
    const cookie = `${ADMIN_SESSION_COOKIE}=${adminSessionValue(ADMIN_TOKEN, NOW_MS + 60_000)}`;
    expect((await resolvePrincipal(request({ cookie, "sec-fetch-site": "same-origin" }, "POST"), sources())).principal).toEqual(BREAK_GLASS_PRINCIPAL);
    const crossSite = await resolvePrincipal(request({ cookie, "sec-fetch-site": "cross-site" }, "POST"), sources());
    expect(crossSite.principal === null && crossSite.refusal).toMatchObject({ status: 403, field: "origin" });
  });

  it("answers the open principal without credentials when sign-in is off, and 401 when it is on", async () => {
    expect(await resolvePrincipal(request(), sources({ authMode: "open" }))).toEqual({ principal: OPEN_PRINCIPAL, via: "none" });
    expect(await resolvePrincipal(request(), sources({ authMode: "none" }))).toEqual({ principal: OPEN_PRINCIPAL, via: "none" });
    const signInRequired = await resolvePrincipal(request(), sources({ authMode: "oidc", db: { query: async () => [] } as unknown as SqlDatabase }));
    expect(signInRequired.principal === null && signInRequired.refusal).toMatchObject({ status: 401, field: "authorization" });
  });
});
