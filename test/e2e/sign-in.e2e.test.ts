/**
 * Sign-in in a real browser: the production build (`next start`) with OIDC on,
 * against a real OpenID provider (oidc-provider on a loopback port), driven in
 * Debian's Chromium. An admin, an analyst and a team member sign in through the
 * provider's own login and consent pages; each sees and may do what their role
 * allows. SQLite only, as the other browser suites.
 *
 *   provider users   groups        role
 *   alice            gpu-admins    admin      accepts a recommendation on /recommendations
 *   bob              finance       analyst    sees every team on /costs, may not accept
 *   carol            team-search   member     sees only team "search" on /costs; signs out
 */
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_ARGS, CHROMIUM_PATH, buildAppIfNeeded, chromiumUnavailableReason, freePort, startE2eApp, type E2eApp } from "../support/e2e-app";
import { startOidcTestProvider, type OidcTestProvider } from "../support/oidc-test-provider";

const skipReason = chromiumUnavailableReason();
if (skipReason) console.warn(`sign-in.e2e: ${skipReason}`);
const log = (line: string) => console.log(`sign-in.e2e: ${line}`);
const PAGE_TIMEOUT_MS = 30_000;
const MEMBER_TEAM = "search";

describe.skipIf(skipReason !== null)("sign-in in Chromium", () => {
  let app: E2eApp | null = null;
  let provider: OidcTestProvider | null = null;
  let browser: Browser | null = null;

  beforeAll(async () => {
    await buildAppIfNeeded(log);
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    provider = await startOidcTestProvider({
      users: {
        alice: { name: "Alice Admin", groups: ["gpu-admins"] },
        bob: { name: "Bob Analyst", groups: ["finance"] },
        carol: { name: "Carol Search", groups: ["team-search"] },
      },
      redirectUris: [`${baseUrl}/api/auth/callback`],
      postLogoutRedirectUris: [`${baseUrl}/`],
    });
    app = await startE2eApp({
      fleet: { seed: 42, nodeCount: 2, gpusPerNode: 4, clusterName: "sim" },
      backfillDays: 3,
      log,
      port,
      env: {
        GPU_ROI_OIDC_ISSUER: provider.issuer,
        GPU_ROI_OIDC_CLIENT_ID: provider.clientId,
        GPU_ROI_OIDC_CLIENT_SECRET: provider.clientSecret,
        GPU_ROI_PUBLIC_URL: baseUrl,
        GPU_ROI_SESSION_SECRET: "e2e-session-secret-0123456789abcdefghij",
        GPU_ROI_ADMIN_GROUPS: "gpu-admins",
        GPU_ROI_ANALYST_GROUPS: "finance",
        GPU_ROI_TEAM_GROUPS: `team-search:${MEMBER_TEAM}`,
      },
    });
    const run = await fetch(`${app.baseUrl}/api/v1/recommendations/run`, {
      method: "POST",
      headers: { authorization: `Bearer ${app.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ lookbackDays: 3 }),
    });
    log(`optimizer: HTTP ${run.status}`);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  }, 15 * 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await app?.stop();
    await provider?.close();
  }, 60_000);

  /** A fresh browser profile signs in as `login` on the provider's pages, starting from `path`. */
  async function signIn(login: string, path: string): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${app!.baseUrl}${path}`);
    // Sent to the provider: its login form, then its consent form.
    await page.waitForURL((url) => url.origin === provider!.issuer, { timeout: PAGE_TIMEOUT_MS });
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill("any");
    await page.locator('button[type="submit"]').click();
    await page.locator('input[name="prompt"][value="consent"]').waitFor({ state: "attached", timeout: PAGE_TIMEOUT_MS });
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.origin === app!.baseUrl && url.pathname === path.split("?")[0], { timeout: PAGE_TIMEOUT_MS });
    return page;
  }

  async function costTableTeams(page: Page): Promise<string[]> {
    const rows = page.locator("table.data-table tbody tr");
    await rows.first().waitFor({ state: "visible", timeout: PAGE_TIMEOUT_MS });
    return [...new Set((await rows.locator("td:first-child").allInnerTexts()).map((text) => text.trim()))].sort();
  }

  it("sends an anonymous visitor to the provider, and back to the page after sign-in", async () => {
    const page = await signIn("bob", "/costs");
    await expect.poll(() => page.getByTestId("viewer").innerText(), { timeout: PAGE_TIMEOUT_MS }).toContain("Bob Analyst · analyst");
    await page.context().close();
  }, 2 * 60_000);

  /** The Accept button of the first open recommendation (not the "accepted (n)" tab). */
  const firstAccept = (page: Page) => page.locator("table.data-table tbody tr").getByRole("button", { name: "Accept", exact: true }).first();

  const acceptedCount = async () => {
    const response = await fetch(`${app!.baseUrl}/api/v1/recommendations?state=accepted`, { headers: { authorization: `Bearer ${app!.adminToken}` } });
    return ((await response.json()) as { recommendations: unknown[] }).recommendations.length;
  };

  it("shows an analyst every team's costs, with the security headers, and no admin actions", async () => {
    const page = await signIn("bob", "/costs");
    const teams = await costTableTeams(page);
    expect(teams.length).toBeGreaterThan(1);
    expect(teams).toContain(MEMBER_TEAM);
    const response = await page.goto(`${app!.baseUrl}/recommendations`);
    const headers = response!.headers();
    expect(headers["content-security-policy"]).toMatch(/frame-ancestors 'none'/);
    expect(headers["content-security-policy"]).toMatch(/script-src 'self' 'nonce-/);
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("same-origin");
    const accept = firstAccept(page);
    await accept.waitFor({ state: "visible", timeout: PAGE_TIMEOUT_MS });
    await accept.click();
    await page.getByText("to change a recommendation").waitFor({ state: "visible", timeout: PAGE_TIMEOUT_MS });
    expect(await acceptedCount()).toBe(0);
    // The server refuses it too, whatever the page does.
    const refused = await page.evaluate(async () => {
      const response = await fetch("/api/trpc/recommendations.setState", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id: 1, state: "dismissed" }) });
      return response.status;
    });
    expect(refused).toBe(403);
    await page.context().close();
  }, 2 * 60_000);

  it("shows a team member only their team's costs, in the page and in its API answers, and signs them out", async () => {
    const page = await signIn("carol", "/costs");
    await expect.poll(() => page.getByTestId("viewer").innerText(), { timeout: PAGE_TIMEOUT_MS }).toContain(`team member (${MEMBER_TEAM})`);
    expect(await costTableTeams(page)).toEqual([MEMBER_TEAM]);
    const apiTeams = await page.evaluate(async () => {
      const response = await fetch("/api/v1/allocation?window=3d&aggregate=team");
      return ((await response.json()) as { rows: { name: string }[] }).rows.map((row) => row.name);
    });
    expect([...new Set(apiTeams)]).toEqual([MEMBER_TEAM]);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.origin === provider!.issuer, { timeout: PAGE_TIMEOUT_MS });
    const session = await page.context().request.get(`${app!.baseUrl}/api/auth/session`);
    expect(session.status()).toBe(401);
    await page.context().close();
  }, 2 * 60_000);

  it("lets an admin accept a recommendation from the page", async () => {
    const page = await signIn("alice", "/recommendations");
    await page.locator('[data-admin-session="signed-in"]').waitFor({ state: "visible", timeout: PAGE_TIMEOUT_MS });
    const accept = firstAccept(page);
    await accept.waitFor({ state: "visible", timeout: PAGE_TIMEOUT_MS });
    await accept.click();
    await expect.poll(() => page.getByRole("button", { name: /^accepted \(/ }).innerText(), { timeout: PAGE_TIMEOUT_MS }).toBe("accepted (1)");
    expect(await acceptedCount()).toBe(1);
    await page.context().close();
  }, 2 * 60_000);
});
