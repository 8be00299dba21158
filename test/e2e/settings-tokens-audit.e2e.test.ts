/**
 * /settings in Chromium against the production build: an admin signs in, creates
 * an API token (its secret shown once, with a copy button), reads the audit log
 * over HTTP with that token, sees the log on the page, and revokes the token,
 * which from then on is refused. Signed out, the page offers neither.
 */
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_ARGS, CHROMIUM_PATH, buildAppIfNeeded, chromiumUnavailableReason, startE2eApp, type E2eApp } from "../support/e2e-app";
import { signInAsAdmin } from "../support/e2e-admin";
import { watchPage } from "../support/e2e-pages";

const skipReason = chromiumUnavailableReason();
if (skipReason) console.warn(`settings-tokens-audit.e2e: ${skipReason}`);

const log = (line: string) => console.log(`settings-tokens-audit.e2e: ${line}`);
const TIMEOUT_MS = 30_000;

interface AuditJson {
  entries: { action: string; actor: { kind: string; subject: string; apiTokenId: string | null }; target: string }[];
}

describe.skipIf(skipReason !== null)("API tokens and the audit log on /settings in Chromium", () => {
  let app: E2eApp | null = null;
  let browser: Browser | null = null;
  let context: BrowserContext;
  const audit = (bearer: string) => fetch(`${app!.baseUrl}/api/v1/audit?limit=1000`, { headers: { authorization: `Bearer ${bearer}` } });

  beforeAll(async () => {
    await buildAppIfNeeded(log);
    // The smallest fleet: these pages do not need usage data.
    app = await startE2eApp({ fleet: { seed: 7, nodeCount: 1, gpusPerNode: 1, clusterName: "sim" }, backfillDays: 1, log });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.baseUrl });
  }, 15 * 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await app?.stop();
  }, 60_000);

  it(
    "creates a token shown once, reads the audit log with it, shows the log to the admin, and revokes the token",
    async () => {
      const consoleErrors: string[] = [];
      const failedRequests: string[] = [];
      const page = await context.newPage();
      watchPage(page, consoleErrors, failedRequests);
      try {
        await page.goto(`${app!.baseUrl}/settings`, { waitUntil: "load" });
        const panel = page.locator('section[aria-label="API tokens"]');
        // Signed out on an open server: no token can be made, and there is no audit table.
        await expect.poll(() => panel.innerText(), { timeout: TIMEOUT_MS }).toContain("Sign in to create one.");
        expect(await panel.getByRole("button", { name: "Create token" }).count()).toBe(0);
        expect(await page.locator('section[aria-label="Audit log"]').count()).toBe(0);

        await signInAsAdmin(page, app!.adminToken);
        await panel.getByLabel("Name").fill("e2e export script");
        await panel.getByLabel("Expires in").selectOption("30");
        await panel.getByRole("button", { name: "Create token" }).click();
        const secretCell = panel.getByTestId("api-token-secret");
        await secretCell.waitFor({ state: "visible", timeout: TIMEOUT_MS });
        const secret = await secretCell.innerText();
        expect(secret).toMatch(/^groi_[A-Za-z0-9_-]{43}$/);
        await panel.getByRole("button", { name: "Copy" }).click();
        await expect.poll(() => panel.getByRole("button", { name: "Copied" }).count()).toBe(1);
        expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
        const row = panel.locator("tbody tr", { hasText: "e2e export script" });
        await expect.poll(() => row.innerText(), { timeout: TIMEOUT_MS }).toMatch(/admin token\s+admin\s+groi_/);
        expect(await row.innerText()).toContain("active");

        // The token reads the audit log (its creator is admin): the sign-in and the creation are there.
        const answer = await audit(secret);
        expect(answer.status).toBe(200);
        const entries = ((await answer.json()) as AuditJson).entries;
        expect(entries.map((entry) => entry.action)).toEqual(expect.arrayContaining(["api-token.create", "admin-session.sign-in"]));
        expect(entries.find((entry) => entry.action === "api-token.create")?.actor).toMatchObject({ kind: "break-glass", subject: "break-glass" });

        // The admin sees the same log on the page.
        const auditPanel = page.locator('section[aria-label="Audit log"]');
        await expect.poll(() => auditPanel.locator("tbody").innerText(), { timeout: TIMEOUT_MS }).toContain("api-token.create");
        expect(await auditPanel.locator("tbody").innerText()).toContain("admin-session.sign-in");

        await row.getByRole("button", { name: "Revoke" }).click();
        await expect.poll(() => row.innerText(), { timeout: TIMEOUT_MS }).toContain("revoked");
        expect((await audit(secret)).status).toBe(401);
        await page.reload({ waitUntil: "load" });
        await expect.poll(() => page.locator('section[aria-label="Audit log"] tbody').innerText(), { timeout: TIMEOUT_MS }).toContain("api-token.revoke");
        // Shown once: after a reload the secret is nowhere on the page.
        expect(await page.content()).not.toContain(secret);

        expect(consoleErrors).toEqual([]);
        expect(failedRequests).toEqual([]);
      } finally {
        await page.close();
      }
    },
    3 * 60_000,
  );
});
