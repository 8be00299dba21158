/**
 * The web app's pages as the browser suite and the page-load benchmark visit
 * them: what shows that a page's main content is there, and a visit that records
 * console errors, failed requests and load times.
 */
import type { BrowserContext, Page } from "playwright-core";

export interface AppPage {
  /** Screenshot file name under docs/screenshots/, without .png. */
  name: string;
  path: string;
  /** A CSS selector that matches only once the page's main content has rendered. */
  ready: string;
}

/** The static pages; the experiment and model pages are found from links on /experiments. */
export const STATIC_PAGES: AppPage[] = [
  { name: "overview", path: "/", ready: 'section[aria-label="Spend"]' },
  { name: "costs", path: "/costs", ready: 'section[aria-label="Cost summary"]' },
  { name: "budgets", path: "/budgets", ready: 'section[aria-label="Set a budget"] h2' },
  { name: "experiments", path: "/experiments", ready: 'section[aria-label="Experiment summary"]' },
  { name: "fleet", path: "/fleet", ready: 'section[aria-label="Fleet summary"]' },
  { name: "recommendations", path: "/recommendations", ready: 'section[aria-label="Recommendations summary"]' },
  { name: "estimate", path: "/estimate", ready: 'form[aria-label="Experiment to estimate"] select:has(option)' },
  { name: "alerts", path: "/alerts", ready: 'section[aria-label="Open alerts"] h2' },
  { name: "settings", path: "/settings", ready: 'section[aria-label="Price book"] table tbody tr' },
];

/** Texts of the loading states (`<p class="status">Loading …</p>`). */
const LOADING_PATTERN = /^(Loading|Estimating)/;

export interface PageVisit {
  path: string;
  consoleErrors: string[];
  failedRequests: string[];
  /** Navigation start to the end of the load event, from the browser's Navigation Timing (ms). */
  loadEventMs: number;
  /** Navigation start to the main content rendered with no loading state left (ms, the page's own clock). */
  contentVisibleMs: number;
  /** tRPC procedures the page called from the browser (those its server render did not prefetch, and mutations). */
  trpcCalls: string[];
  page: Page;
}

/** Records console errors, uncaught exceptions, failed requests and HTTP errors of `page` into the lists. */
export function watchPage(page: Page, consoleErrors: string[], failedRequests: string[]): void {
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => consoleErrors.push(`uncaught: ${error.message}`));
  page.on("requestfailed", (request) => {
    const errorText = request.failure()?.errorText ?? "failed";
    // Next's router cancels its own link prefetches (`?_rsc=`) when the router
    // state changes and issues them again: a cancellation, not a failure.
    if (errorText === "net::ERR_ABORTED" && new URL(request.url()).searchParams.has("_rsc")) return;
    failedRequests.push(`${request.method()} ${request.url()}: ${errorText}`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) failedRequests.push(`${response.request().method()} ${response.url()}: HTTP ${response.status()}`);
  });
}

/**
 * Runs in the page before its scripts: records `window.__gpuRoiContentVisibleMs`, the
 * page's time (ms since navigation start) when `ready` first matched a rendered
 * element and no loading state was shown, so the figure does not include the
 * driver's own latency. Checked on every DOM change and every frame (for what
 * changes without one). Plain JavaScript text: a function would be serialized from
 * its compiled form, which under tsx refers to esbuild helpers the page lacks.
 */
function contentWatchScript(ready: string): string {
  return `(() => {
    const ready = ${JSON.stringify(ready)};
    const loading = new RegExp(${JSON.stringify(LOADING_PATTERN.source)});
    const check = function () {
      if (window.__gpuRoiContentVisibleMs !== undefined) return true;
      const element = document.querySelector(ready);
      if (!element || element.getClientRects().length === 0) return false;
      for (const status of document.querySelectorAll(".status")) if (loading.test((status.textContent || "").trim())) return false;
      window.__gpuRoiContentVisibleMs = performance.now();
      return true;
    };
    window.__gpuRoiCheckContent = check;
    const observer = new MutationObserver(function () { if (check()) observer.disconnect(); });
    observer.observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
    const onFrame = function () { if (!check()) requestAnimationFrame(onFrame); };
    requestAnimationFrame(onFrame);
  })();`;
}

/** Waits until no loading state is shown. */
export async function waitForNoLoadingState(page: Page, timeoutMs: number): Promise<void> {
  const pattern = JSON.stringify(LOADING_PATTERN.source);
  await page.waitForFunction(
    `![...document.querySelectorAll(".status")].some((element) => new RegExp(${pattern}).test((element.textContent || "").trim()))`,
    undefined,
    { timeout: timeoutMs },
  );
}

/**
 * Opens `path` in a new page of `context` and waits for its main content. The
 * page is left open (the caller closes it) so it can be inspected further.
 */
export async function visitPage(context: BrowserContext, baseUrl: string, appPage: AppPage, timeoutMs = 30_000): Promise<PageVisit> {
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const failedRequests: string[] = [];
  const trpcCalls: string[] = [];
  watchPage(page, consoleErrors, failedRequests);
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith("/api/trpc/")) trpcCalls.push(decodeURIComponent(url.pathname.slice("/api/trpc/".length)));
  });
  await page.addInitScript({ content: contentWatchScript(appPage.ready) });
  await page.goto(baseUrl + appPage.path, { waitUntil: "load", timeout: timeoutMs });
  await page.locator(appPage.ready).first().waitFor({ state: "visible", timeout: timeoutMs });
  await waitForNoLoadingState(page, timeoutMs);
  const contentVisibleMs = await page.waitForFunction(
    "(window.__gpuRoiCheckContent && window.__gpuRoiCheckContent(), window.__gpuRoiContentVisibleMs || false)",
    undefined,
    { timeout: timeoutMs },
  );
  const loadEventMs = await page.evaluate(() => {
    const [navigation] = performance.getEntriesByType("navigation") as PerformanceNavigationTiming[];
    return navigation ? navigation.loadEventEnd - navigation.startTime : Number.NaN;
  });
  return { path: appPage.path, consoleErrors, failedRequests, trpcCalls, loadEventMs, contentVisibleMs: Number(await contentVisibleMs.jsonValue()), page };
}

/** The first experiment's and model's pages, from the links in the /experiments table. */
export async function detailPages(context: BrowserContext, baseUrl: string): Promise<AppPage[]> {
  const page = await context.newPage();
  try {
    await page.goto(`${baseUrl}/experiments`, { waitUntil: "load" });
    const experimentHref = await page.locator('table a[href^="/experiments/"]').first().getAttribute("href", { timeout: 30_000 });
    const modelHref = await page.locator('table a[href^="/models/"]').first().getAttribute("href", { timeout: 30_000 });
    if (!experimentHref || !modelHref) throw new Error("the experiments table links to no experiment or model");
    return [
      { name: "experiment", path: experimentHref, ready: 'section[aria-label="Experiment summary"]' },
      { name: "model", path: modelHref, ready: 'section[aria-label="Model summary"]' },
    ];
  } finally {
    await page.close();
  }
}
