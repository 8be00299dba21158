import { describe, expect, it } from "vitest";
import {
  ADMIN_SESSION_COOKIE,
  ADMIN_SESSION_TTL_MS,
  adminSessionValue,
  authenticateAdmin,
  requestSite,
  verifyAdminSession,
} from "../../../../server/api/rest/admin-session";
import { handleCreateAdminSession, handleDeleteAdminSession, handleGetAdminSession } from "../../../../server/api/rest/admin-session-handler";

const ADMIN_TOKEN = "admin-secret-for-session-tests";
const NOW_MS = Date.UTC(2026, 10, 2, 12, 0, 0);
const context = { adminToken: ADMIN_TOKEN, nowMs: () => NOW_MS };

function request(method: string, headers: Record<string, string> = {}, body?: unknown, url = "http://gpu-roi.test/api/trpc/recommendations.run"): Request {
  return new Request(url, { method, headers: { host: "gpu-roi.test", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
}

function sessionCookie(value = adminSessionValue(ADMIN_TOKEN, NOW_MS + 3_600_000)): string {
  return `other=1; ${ADMIN_SESSION_COOKIE}=${value}`;
}

describe("verifyAdminSession", () => {
  it("accepts a session this admin token signed until it ends", () => {
    const value = adminSessionValue(ADMIN_TOKEN, NOW_MS + 3_600_000);
    expect(verifyAdminSession(value, ADMIN_TOKEN, NOW_MS)).toEqual({ expiresAtMs: NOW_MS + 3_600_000 });
    expect(verifyAdminSession(value, ADMIN_TOKEN, NOW_MS + 3_600_000)).toBeNull();
  });

  it("refuses a session once the admin token changed, a forged or altered one, and one that claims to last too long", () => {
    const value = adminSessionValue(ADMIN_TOKEN, NOW_MS + 3_600_000);
    expect(verifyAdminSession(value, "a-new-admin-token", NOW_MS)).toBeNull();
    expect(verifyAdminSession(value.replace(/^\d+/, String(NOW_MS + 7_200_000)), ADMIN_TOKEN, NOW_MS)).toBeNull();
    expect(verifyAdminSession(`${NOW_MS + 3_600_000}.${"A".repeat(43)}`, ADMIN_TOKEN, NOW_MS)).toBeNull();
    expect(verifyAdminSession(adminSessionValue(ADMIN_TOKEN, NOW_MS + ADMIN_SESSION_TTL_MS + 1), ADMIN_TOKEN, NOW_MS)).toBeNull();
    expect(verifyAdminSession("garbage", ADMIN_TOKEN, NOW_MS)).toBeNull();
    expect(verifyAdminSession(value, undefined, NOW_MS)).toBeNull();
  });

  it("keeps the token out of the cookie value", () => {
    expect(adminSessionValue(ADMIN_TOKEN, NOW_MS + 1000)).not.toContain(ADMIN_TOKEN);
  });
});

describe("requestSite", () => {
  it("believes Sec-Fetch-Site, else compares Origin with the Host, else does not know", () => {
    expect(requestSite(request("POST", { "sec-fetch-site": "same-origin" }))).toBe("same-origin");
    expect(requestSite(request("POST", { "sec-fetch-site": "cross-site", origin: "http://gpu-roi.test" }))).toBe("cross-origin");
    expect(requestSite(request("POST", { "sec-fetch-site": "same-site" }))).toBe("cross-origin");
    expect(requestSite(request("POST", { origin: "http://gpu-roi.test" }))).toBe("same-origin");
    expect(requestSite(request("POST", { origin: "http://evil.test" }))).toBe("cross-origin");
    expect(requestSite(request("POST", { origin: "null" }))).toBe("cross-origin");
    expect(requestSite(request("POST"))).toBe("unknown");
  });
});

describe("authenticateAdmin", () => {
  it("accepts the bearer token from anywhere, as before sessions existed", () => {
    expect(authenticateAdmin(request("POST", { authorization: `Bearer ${ADMIN_TOKEN}`, origin: "http://evil.test" }), ADMIN_TOKEN, NOW_MS)).toEqual({ via: "bearer" });
    const wrong = authenticateAdmin(request("POST", { authorization: "Bearer wrong", cookie: sessionCookie() }), ADMIN_TOKEN, NOW_MS);
    expect(wrong).toMatchObject({ via: null, refusal: { status: 401 } });
  });

  it("accepts a session from the app's own pages, for reads and writes", () => {
    expect(authenticateAdmin(request("POST", { cookie: sessionCookie(), "sec-fetch-site": "same-origin" }), ADMIN_TOKEN, NOW_MS)).toEqual({ via: "session" });
    expect(authenticateAdmin(request("POST", { cookie: sessionCookie(), origin: "http://gpu-roi.test" }), ADMIN_TOKEN, NOW_MS)).toEqual({ via: "session" });
    expect(authenticateAdmin(request("GET", { cookie: sessionCookie() }), ADMIN_TOKEN, NOW_MS)).toEqual({ via: "session" });
  });

  it("refuses a session on a cross-site request, and on a write that does not show where it comes from (CSRF)", () => {
    for (const headers of [{ "sec-fetch-site": "cross-site" }, { origin: "http://evil.test" }, {}] as Record<string, string>[]) {
      const result = authenticateAdmin(request("POST", { cookie: sessionCookie(), ...headers }), ADMIN_TOKEN, NOW_MS);
      expect(result, JSON.stringify(headers)).toMatchObject({ via: null, refusal: { status: 403, field: "origin" } });
    }
    expect(authenticateAdmin(request("GET", { cookie: sessionCookie(), "sec-fetch-site": "cross-site" }), ADMIN_TOKEN, NOW_MS)).toMatchObject({ via: null, refusal: { status: 403 } });
  });

  it("refuses without a token or a valid session, and everything when the admin API is off", () => {
    expect(authenticateAdmin(request("POST", { "sec-fetch-site": "same-origin" }), ADMIN_TOKEN, NOW_MS)).toMatchObject({ via: null, refusal: { status: 401 } });
    expect(authenticateAdmin(request("POST", { cookie: sessionCookie("1.x"), "sec-fetch-site": "same-origin" }), ADMIN_TOKEN, NOW_MS)).toMatchObject({ via: null, refusal: { status: 401 } });
    expect(authenticateAdmin(request("POST", { cookie: sessionCookie(), "sec-fetch-site": "same-origin" }), undefined, NOW_MS)).toMatchObject({ via: null, refusal: { status: 403 } });
  });
});

describe("handleCreateAdminSession", () => {
  const signIn = (body: unknown, headers: Record<string, string> = {}, url?: string) =>
    handleCreateAdminSession(request("POST", { "content-type": "application/json", ...headers }, body, url ?? "http://gpu-roi.test/api/v1/admin-session"), context);

  it("sets an HttpOnly, SameSite=Strict session cookie for the right token, without the token in it", async () => {
    const response = await signIn({ token: ADMIN_TOKEN });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ admin: true, expiresAt: new Date(NOW_MS + ADMIN_SESSION_TTL_MS).toISOString(), adminApiEnabled: true });
    const cookie = response.headers.get("set-cookie")!;
    expect(cookie).toMatch(new RegExp(`^${ADMIN_SESSION_COOKIE}=\\d+\\.[A-Za-z0-9_-]{43}; Path=/api; Max-Age=43200; HttpOnly; SameSite=Strict$`));
    expect(cookie).not.toContain(ADMIN_TOKEN);
    const value = /=([^;]+)/.exec(cookie)![1];
    expect(verifyAdminSession(value, ADMIN_TOKEN, NOW_MS)).not.toBeNull();
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("takes the token as a bearer header too, and marks the cookie Secure over HTTPS", async () => {
    const response = await signIn(undefined, { authorization: `Bearer ${ADMIN_TOKEN}`, "x-forwarded-proto": "https" });
    expect(response.status).toBe(200);
    expect(response.headers.get("set-cookie")).toMatch(/; Secure$/);
    const direct = await signIn({ token: ADMIN_TOKEN }, {}, "https://gpu-roi.test/api/v1/admin-session");
    expect(direct.headers.get("set-cookie")).toMatch(/; Secure$/);
  });

  it("answers 401 to a wrong token, 400 naming the field to a missing one, and sets no cookie", async () => {
    const wrong = await signIn({ token: "wrong" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const missing = await signIn({});
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.field).toBe("token");
  });
});

describe("handleGetAdminSession", () => {
  it("says only whether this browser is signed in", async () => {
    const signedIn = handleGetAdminSession(request("GET", { cookie: sessionCookie() }), context);
    expect(await signedIn.json()).toEqual({ admin: true, expiresAt: new Date(NOW_MS + 3_600_000).toISOString(), adminApiEnabled: true });
    const signedOut = handleGetAdminSession(request("GET"), context);
    expect(await signedOut.json()).toEqual({ admin: false, expiresAt: null, adminApiEnabled: true });
    const changedToken = handleGetAdminSession(request("GET", { cookie: sessionCookie() }), { ...context, adminToken: "rotated" });
    expect((await changedToken.json()).admin).toBe(false);
  });
});

describe("handleDeleteAdminSession", () => {
  it("clears the cookie", async () => {
    const response = handleDeleteAdminSession(request("DELETE", { cookie: sessionCookie() }), context);
    expect(response.headers.get("set-cookie")).toBe(`${ADMIN_SESSION_COOKIE}=; Path=/api; Max-Age=0; HttpOnly; SameSite=Strict`);
    expect((await response.json()).admin).toBe(false);
  });
});
