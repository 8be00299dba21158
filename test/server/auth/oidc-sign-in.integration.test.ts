/**
 * Sign-in against a real OpenID provider (oidc-provider on a loopback port):
 * gpu-roi's sign-in handlers and a read API behind a real HTTP server, followed
 * with fetch through the provider's login and consent pages.
 *
 *   provider users      groups            gpu-roi role
 *   alice               gpu-admins        admin
 *   bob                 finance           analyst
 *   carol               team-vision       member of "vision"
 *   dave                marketing         (none: refused)
 *
 *   fleet: node-1 (2 x A100, $2/GPU-hour): GPU 0 vision-train-1 (team vision), GPU 1 nlp-serve-1 (team nlp)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleAllocationRequest } from "../../../server/api/rest/allocation-handler";
import { handleEstimateRequest } from "../../../server/api/rest/estimate-handler";
import { responseForError } from "../../../server/api/rest/http-responses";
import { handleCallback, handleLogin, handleLogout, sessionResponse, type SignInContext } from "../../../server/api/rest/sign-in-handler";
import { dataScopeOf } from "../../../server/auth/principal";
import { resolvePrincipal, type PrincipalSources } from "../../../server/auth/resolve-principal";
import { createSession, SESSION_COOKIE } from "../../../server/auth/session-store";
import { authSettingsFrom } from "../../../server/config/server-settings";
import { addPriceEntry } from "../../../server/services/price-book-service";
import { startFetchHandlerServer, type FetchHandlerServer } from "../../support/fetch-handler-server";
import { CookieJar, fetchWithJar, signInThroughProvider, startOidcTestProvider, type OidcTestProvider } from "../../support/oidc-test-provider";
import { ingestSmallFleet } from "../../support/small-fleet";
import { databaseKinds, type TestDatabase } from "../../support/test-databases";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;
const T0_MS = Date.UTC(2026, 10, 2, 0, 0, 0);
const WINDOW = `${new Date(T0_MS).toISOString()},${new Date(T0_MS + 2 * HOUR_MS).toISOString()}`;
const SESSION_SECRET = "test-session-secret-0123456789abcdefghij";

describe.each(kinds)("OIDC sign-in on $name", ({ create, skipReason }) => {
  let db: TestDatabase;
  let provider: OidcTestProvider;
  let app: FetchHandlerServer;
  let signIn: SignInContext;
  let sources: Omit<PrincipalSources, "nowMs">;

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    await ingestSmallFleet(
      db,
      [
        {
          cluster: "lab",
          hostname: "node-1",
          gpuModel: "NVIDIA A100-SXM4-80GB",
          gpuCount: 2,
          memoryTotalMiB: 81_920,
          jobs: [
            { externalId: "vision-train-1", kind: "training", gpuIndexes: [0], utilizationPct: 80, memoryUsedMiB: 40_000, team: "vision", experiment: "vision-exp" },
            { externalId: "nlp-serve-1", kind: "inference", gpuIndexes: [1], utilizationPct: 50, memoryUsedMiB: 30_000, team: "nlp", experiment: "nlp-exp" },
          ],
        },
      ],
      { fromMs: T0_MS, toMs: T0_MS + 2 * HOUR_MS, windowMs: 60_000 },
    );
    await addPriceEntry(db.prisma, { gpuModel: "NVIDIA A100-SXM4-80GB", costPerGpuHour: 2, effectiveFromMs: T0_MS - HOUR_MS }, T0_MS);

    // The app's port is known only once it listens; the provider needs its callback URL first.
    let appUrl = "";
    app = await startFetchHandlerServer(async (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/api/auth/login") return handleLogin(request, signIn);
      if (path === "/api/auth/callback") return handleCallback(request, signIn);
      if (path === "/api/auth/logout") return handleLogout(request, signIn);
      const resolution = await resolvePrincipal(request, { ...sources, nowMs: Date.now() });
      if (path === "/api/auth/session") return sessionResponse(resolution.principal, resolution.principal === null ? resolution.refusal : null, signIn.auth);
      if (resolution.principal === null) return responseForError(resolution.refusal);
      const context = { db: db.sql, nowMs: Date.now, scope: dataScopeOf(resolution.principal) };
      if (path === "/api/v1/allocation") return handleAllocationRequest(request, context);
      if (path === "/api/v1/estimate") return handleEstimateRequest(request, context);
      return new Response("not found", { status: 404 });
    });
    appUrl = app.url;
    provider = await startOidcTestProvider({
      users: {
        alice: { name: "Alice Admin", groups: ["gpu-admins"] },
        bob: { name: "Bob Analyst", groups: ["finance"] },
        carol: { name: "Carol Vision", groups: ["team-vision", "all-staff"] },
        dave: { name: "Dave Marketing", groups: ["marketing"] },
      },
      redirectUris: [`${appUrl}/api/auth/callback`],
      postLogoutRedirectUris: [`${appUrl}/`],
    });
    const auth = authSettingsFrom({
      GPU_ROI_OIDC_ISSUER: provider.issuer,
      GPU_ROI_OIDC_CLIENT_ID: provider.clientId,
      GPU_ROI_OIDC_CLIENT_SECRET: provider.clientSecret,
      GPU_ROI_PUBLIC_URL: appUrl,
      GPU_ROI_SESSION_SECRET: SESSION_SECRET,
      GPU_ROI_ADMIN_GROUPS: "gpu-admins",
      GPU_ROI_ANALYST_GROUPS: "finance",
      GPU_ROI_TEAM_GROUPS: "team-vision:vision,team-nlp:nlp",
    });
    signIn = { auth, db: db.sql, nowMs: Date.now };
    sources = { authMode: auth.mode, adminToken: "break-glass-token", db: db.sql, verifyApiToken: async () => null };
  });

  afterAll(async () => {
    await app?.close();
    await provider?.close();
    await db?.dispose();
  });

  async function signInAs(login: string, returnTo = "/costs"): Promise<{ jar: CookieJar; callback: Response; visited: string[] }> {
    const jar = new CookieJar();
    const { callback, visited } = await signInThroughProvider(jar, `${app.url}/api/auth/login?returnTo=${encodeURIComponent(returnTo)}`, login);
    return { jar, callback, visited };
  }

  const allocationTeams = async (jar: CookieJar, query = "") => {
    const response = await fetchWithJar(jar, `${app.url}/api/v1/allocation?window=${WINDOW}&aggregate=team${query}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { rows: { name: string; totalCost: number }[]; fleetCost: number };
    return { teams: body.rows.map((row) => row.name).sort(), body };
  };

  it.skipIf(skipReason)("signs an admin in with the authorization code and PKCE, and opens an HttpOnly SameSite=Lax session", async () => {
    const { jar, callback, visited } = await signInAs("alice");
    const authorization = new URL(visited[1]);
    expect(authorization.origin).toBe(provider.issuer);
    expect(authorization.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorization.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorization.searchParams.get("redirect_uri")).toBe(`${app.url}/api/auth/callback`);
    expect(callback.status).toBe(302);
    expect(callback.headers.get("location")).toBe("/costs");
    const sessionCookie = callback.headers.getSetCookie().find((line) => line.startsWith(`${SESSION_COOKIE}=`))!;
    expect(sessionCookie).toMatch(/HttpOnly/);
    expect(sessionCookie).toMatch(/SameSite=Lax/);
    expect(sessionCookie).toMatch(/Path=\//);
    // http here, so not Secure; https deployments get Secure (GPU_ROI_PUBLIC_URL).
    expect(sessionCookie).not.toMatch(/Secure/);
    const session = await (await fetchWithJar(jar, `${app.url}/api/auth/session`)).json();
    expect(session).toEqual({ authMode: "oidc", principal: { kind: "session", displayName: "Alice Admin", role: "admin", teams: [] } });
  });

  it.skipIf(skipReason)("maps an analyst's group to read-all and a team group to a member who sees only their team's rows", async () => {
    const analyst = await signInAs("bob");
    expect(((await (await fetchWithJar(analyst.jar, `${app.url}/api/auth/session`)).json()) as { principal: { role: string } }).principal.role).toBe("analyst");
    const all = await allocationTeams(analyst.jar);
    expect(all.teams).toEqual(["nlp", "vision"]);

    const member = await signInAs("carol");
    expect(((await (await fetchWithJar(member.jar, `${app.url}/api/auth/session`)).json()) as { principal: unknown }).principal).toEqual({
      kind: "session",
      displayName: "Carol Vision",
      role: "member",
      teams: ["vision"],
    });
    const own = await allocationTeams(member.jar);
    expect(own.teams).toEqual(["vision"]);
    // Fleet totals stay the fleet's: 2 GPUs x 2 h x $2.
    expect(own.body.fleetCost).toBeCloseTo(8, 6);
    expect((await allocationTeams(member.jar, "&filter=team:nlp")).teams).toEqual([]);
    const csv = await (await fetchWithJar(member.jar, `${app.url}/api/v1/allocation?window=${WINDOW}&aggregate=job&format=csv`)).text();
    expect(csv).toContain("vision-train-1");
    expect(csv).not.toContain("nlp");
  });

  it.skipIf(skipReason)("refuses a user whose groups map to no role, naming the groups, and opens no session", async () => {
    const { callback } = await signInAs("dave");
    expect(callback.status).toBe(403);
    expect(((await callback.json()) as { error: { message: string; field: string } }).error).toMatchObject({ field: "groups", message: expect.stringContaining('"marketing"') });
    expect(callback.headers.getSetCookie().some((line) => line.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
  });

  it.skipIf(skipReason)("signs out: the old cookie is refused from then on, and a sign-out from another site is refused", async () => {
    const { jar } = await signInAs("bob");
    const oldCookie = jar.get(app.url, SESSION_COOKIE)!;
    const crossSite = await fetchWithJar(jar, `${app.url}/api/auth/logout`, { method: "POST", headers: { "sec-fetch-site": "cross-site" } });
    expect(crossSite.status).toBe(403);
    expect((await fetchWithJar(jar, `${app.url}/api/auth/session`)).status).toBe(200);
    const logout = await fetchWithJar(jar, `${app.url}/api/auth/logout`, { method: "POST", headers: { "sec-fetch-site": "same-origin" } });
    expect(logout.status).toBe(303);
    expect(new URL(logout.headers.get("location")!).origin).toBe(provider.issuer);
    const replay = await fetch(`${app.url}/api/v1/allocation?window=${WINDOW}`, { headers: { cookie: `${SESSION_COOKIE}=${oldCookie}` } });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: { message: string } }).error.message).toMatch(/session has ended/);
  });

  it.skipIf(skipReason)("signs out for the page's button with JSON naming where to go next", async () => {
    const { jar } = await signInAs("carol");
    const logout = await fetchWithJar(jar, `${app.url}/api/auth/logout`, { method: "POST", headers: { "sec-fetch-site": "same-origin", accept: "application/json" } });
    expect(logout.status).toBe(200);
    const body = (await logout.json()) as { signedOut: boolean; next: string };
    expect(body.signedOut).toBe(true);
    expect(new URL(body.next).origin).toBe(provider.issuer);
    expect(jar.get(app.url, SESSION_COOKIE)).toBeUndefined();
  });

  it.skipIf(skipReason)("refuses expired and forged session cookies, and requests with no credentials", async () => {
    const expired = await createSession(db.sql, { subject: "bob", displayName: "Bob Analyst", role: "analyst", teams: [] }, { nowMs: Date.now() - 2 * HOUR_MS, expiresAtMs: Date.now() - HOUR_MS });
    for (const cookie of [expired, "A".repeat(43), "not-a-session"]) {
      const response = await fetch(`${app.url}/api/v1/allocation?window=${WINDOW}`, { headers: { cookie: `${SESSION_COOKIE}=${cookie}` } });
      expect(response.status).toBe(401);
    }
    expect((await fetch(`${app.url}/api/v1/allocation?window=${WINDOW}`)).status).toBe(401);
    expect((await fetch(`${app.url}/api/v1/allocation?window=${WINDOW}`, { headers: { authorization: "Bearer groi_unknown" } })).status).toBe(401);
  });

  it.skipIf(skipReason)("answers 503 naming the issuer when the provider cannot be reached", async () => {
    const unreachable = authSettingsFrom({
      GPU_ROI_OIDC_ISSUER: "http://127.0.0.1:9/realms/gone",
      GPU_ROI_OIDC_CLIENT_ID: "gpu-roi",
      GPU_ROI_PUBLIC_URL: app.url,
      GPU_ROI_SESSION_SECRET: SESSION_SECRET,
      GPU_ROI_ADMIN_GROUPS: "gpu-admins",
    });
    const response = await handleLogin(new Request(`${app.url}/api/auth/login`), { auth: unreachable, db: db.sql, nowMs: Date.now });
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain("http://127.0.0.1:9/realms/gone");
  });

  it.skipIf(skipReason)("refuses a callback whose sign-in state cookie was tampered with or is missing", async () => {
    const jar = new CookieJar();
    const login = await fetchWithJar(jar, `${app.url}/api/auth/login`);
    expect(login.status).toBe(302);
    const state = jar.get(app.url, "gpu_roi_login")!;
    const tampered = `${state.slice(0, -2)}${state.endsWith("AA") ? "BB" : "AA"}`;
    const search = new URL(login.headers.get("location")!).searchParams;
    const withTampered = await fetch(`${app.url}/api/auth/callback?code=x&state=${search.get("state")}`, { headers: { cookie: `gpu_roi_login=${tampered}` } });
    expect(withTampered.status).toBe(400);
    expect((await fetch(`${app.url}/api/auth/callback?code=x&state=${search.get("state")}`)).status).toBe(400);
  });

  it.skipIf(skipReason)("refuses a cookie-authenticated write from another site (CSRF) and takes it from gpu-roi's own pages", async () => {
    const { jar } = await signInAs("carol");
    const body = JSON.stringify({ gpuModel: "NVIDIA A100-SXM4-80GB", gpuCount: 1, hours: 1 });
    const headers = { "content-type": "application/json" };
    const crossSite = await fetchWithJar(jar, `${app.url}/api/v1/estimate`, { method: "POST", body, headers: { ...headers, "sec-fetch-site": "cross-site" } });
    expect(crossSite.status).toBe(403);
    const otherOrigin = await fetchWithJar(jar, `${app.url}/api/v1/estimate`, { method: "POST", body, headers: { ...headers, origin: "https://evil.example" } });
    expect(otherOrigin.status).toBe(403);
    const sameOrigin = await fetchWithJar(jar, `${app.url}/api/v1/estimate`, { method: "POST", body, headers: { ...headers, "sec-fetch-site": "same-origin" } });
    expect(sameOrigin.status).toBe(200);
  });
});
