/**
 * Alerts in the browser, against the production build: an admin sets a rule with
 * a signed webhook on /settings, the server's own scheduler fires it once to a
 * real HTTP receiver on loopback, and /alerts shows the episode, its delivery and
 * the acknowledgement. Skipped (with a message) without Chromium, as the rest of
 * the browser suite.
 */
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "../../server/services/channels/signed-webhook-channel";
import { CHROMIUM_ARGS, CHROMIUM_PATH, buildAppIfNeeded, chromiumUnavailableReason, startE2eApp, type E2eApp } from "../support/e2e-app";
import { signInAsAdmin } from "../support/e2e-admin";
import { startWebhookReceiver, type WebhookReceiver } from "../support/loopback-receivers";

const skipReason = chromiumUnavailableReason();
if (skipReason) console.warn(`skipping the alerts browser test: ${skipReason}`);
const log = (line: string) => console.log(`alerts.e2e: ${line}`);
const SECRET = "e2e-webhook-secret-0123456789";
const PAGE_TIMEOUT_MS = 30_000;
const ALERT_INTERVAL_S = 10;

describe.skipIf(skipReason !== null)("alerts in Chromium", () => {
  let app: E2eApp | null = null;
  let browser: Browser | null = null;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    await buildAppIfNeeded(log);
    app = await startE2eApp({
      fleet: { seed: 7, nodeCount: 2, gpusPerNode: 2, clusterName: "sim" },
      backfillDays: 1,
      log,
      env: { GPU_ROI_ALERT_INTERVAL_SECONDS: String(ALERT_INTERVAL_S) },
    });
    receiver = await startWebhookReceiver();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  }, 15 * 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await app?.stop();
    await receiver?.close();
  }, 60_000);

  it(
    "sets a rule on Settings, fires it once to a signed webhook, and acknowledges it on Alerts",
    async () => {
      const context = await browser!.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      const consoleErrors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") consoleErrors.push(message.text());
      });
      try {
        await page.goto(`${app!.baseUrl}/settings`, { waitUntil: "load" });
        await signInAsAdmin(page, app!.adminToken);
        const section = page.locator('section[aria-label="Alert rules"]');
        const form = section.getByRole("form", { name: "New alert rule" });
        await form.getByPlaceholder("Idle GPUs, 4 h").fill("Refused batches");
        await form.locator("select").first().selectOption("ingest-refused");
        await form.getByPlaceholder("https://ops.example.com/gpu-roi").fill(receiver.url);
        await form.locator('input[type="password"]').fill(SECRET);
        await form.getByRole("button", { name: "Add rule" }).click();
        const ruleRow = section.locator("table tbody tr").filter({ hasText: "Refused batches" });
        await expect.poll(() => ruleRow.count(), { timeout: PAGE_TIMEOUT_MS }).toBe(1);
        expect(await ruleRow.innerText()).toContain(`webhook ${new URL(receiver.url).host}`);
        // The secret went to the server once; the page never gets it back.
        await page.reload({ waitUntil: "load" });
        await expect.poll(() => ruleRow.count(), { timeout: PAGE_TIMEOUT_MS }).toBe(1);
        expect(await page.content()).not.toContain(SECRET);

        // A collector with a token no node has: refused, and counted.
        const refused = await fetch(`${app!.baseUrl}/api/v1/ingest`, {
          method: "POST",
          headers: { authorization: "Bearer groi_notatokenofanynode", "content-type": "application/json" },
          body: "{}",
        });
        expect(refused.status).toBe(401);

        // The server's scheduler evaluates every 10 s: one signed notice arrives.
        await expect.poll(() => receiver.requests.length, { timeout: 6 * ALERT_INTERVAL_S * 1000, interval: 500 }).toBe(1);
        const [request] = receiver.requests;
        const signed = { signature: request.headers["x-gpu-roi-signature"] as string, timestamp: request.headers["x-gpu-roi-timestamp"] as string };
        expect(verifyWebhookSignature(SECRET, request.body, signed, Date.now())).toBe(true);
        expect(JSON.parse(request.body)).toMatchObject({ event: "fired", ruleName: "Refused batches", subjectKey: "refused:token:groi_notato" });

        await page.goto(`${app!.baseUrl}/alerts`, { waitUntil: "load" });
        const episode = page.locator('section[aria-label="Open alerts"] tr[data-episode-id]').filter({ hasText: "groi_notato" });
        await expect.poll(() => episode.count(), { timeout: PAGE_TIMEOUT_MS }).toBe(1);
        expect(await episode.innerText()).toContain(`fired: webhook ${new URL(receiver.url).host} sent`);
        await episode.getByRole("button", { name: "Acknowledge" }).click();
        await expect.poll(() => episode.innerText(), { timeout: PAGE_TIMEOUT_MS }).toContain("by admin token");

        // Further evaluations while the refusal is within the hour send nothing more.
        await new Promise((resolve) => setTimeout(resolve, 2 * ALERT_INTERVAL_S * 1000));
        expect(receiver.requests).toHaveLength(1);
        expect(consoleErrors).toEqual([]);
      } finally {
        await context.close();
      }
    },
    4 * 60_000,
  );
});
