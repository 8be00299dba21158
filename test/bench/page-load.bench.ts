/**
 * Page load: each page of the production build in Debian's Chromium on the demo
 * data `npm start` loads (the simulated fleet, 16 nodes x 8 GPUs, 30 days; the
 * optimizer run once), timed from navigation start to the load event and to the
 * main content visible with no loading state left, plus the server's time to
 * render the page's HTML (server components prefetch their queries).
 *
 * Alone: npm run bench -- page-load   (GPU_ROI_BENCH_PAGE_RUNS=5, GPU_ROI_BENCH_PAGE_DAYS=30)
 */
import os from "node:os";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_PATH, buildAppIfNeeded, chromiumUnavailableReason, startE2eApp } from "../support/e2e-app";
import { STATIC_PAGES, detailPages, visitPage } from "../support/e2e-pages";
import { formatMs, markdownTable, median, percentile, type Benchmark, type BenchSection } from "./bench-kit";

/**
 * A minute after start the server's upkeep deletes the raw windows past their
 * retention (16 of the 30 days backfilled), once; page loads are timed after it,
 * as on a server that has been up for a while.
 */
async function waitForRetention(baseUrl: string, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    const response = await fetch(`${baseUrl}/api/trpc/retention.get`);
    const body = (await response.json()) as { result: { data: { rawWindowRetentionDays: number; oldestRawWindowMs: number | null } } };
    const { rawWindowRetentionDays, oldestRawWindowMs } = body.result.data;
    if (oldestRawWindowMs === null || oldestRawWindowMs >= Date.now() - (rawWindowRetentionDays * 24 + 2) * 3_600_000) return;
    log(`waiting for the retention upkeep (oldest raw window ${new Date(oldestRawWindowMs).toISOString()})`);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  }
  throw new Error("the retention upkeep did not finish within 10 minutes");
}

async function runPageLoad(log: (line: string) => void): Promise<BenchSection> {
  const unavailable = chromiumUnavailableReason();
  if (unavailable) throw new Error(unavailable);
  const runs = Number(process.env.GPU_ROI_BENCH_PAGE_RUNS ?? 5);
  const days = Number(process.env.GPU_ROI_BENCH_PAGE_DAYS ?? 30);
  await buildAppIfNeeded(log);
  const app = await startE2eApp({ fleet: { seed: 42, nodeCount: 16, gpusPerNode: 8, clusterName: "sim" }, backfillDays: days, log });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  try {
    const run = await fetch(`${app.baseUrl}/api/v1/recommendations/run`, { method: "POST", headers: { authorization: `Bearer ${app.adminToken}` } });
    if (!run.ok) throw new Error(`optimizer run: HTTP ${run.status} ${await run.text()}`);
    await waitForRetention(app.baseUrl, log);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const pages = [...STATIC_PAGES, ...(await detailPages(context, app.baseUrl))];
    const rows: string[][] = [];
    for (const appPage of pages) {
      const server: number[] = [];
      const loadEvent: number[] = [];
      const content: number[] = [];
      let trpcCalls: string[] = [];
      // One untimed visit first: it loads the route's server code.
      for (let i = 0; i <= runs; i++) {
        const startedAt = performance.now();
        const html = await fetch(app.baseUrl + appPage.path);
        await html.text();
        const serverMs = performance.now() - startedAt;
        const visit = await visitPage(context, app.baseUrl, appPage);
        await visit.page.close();
        if (visit.consoleErrors.length > 0 || visit.failedRequests.length > 0) {
          throw new Error(`${appPage.path}: ${[...visit.consoleErrors, ...visit.failedRequests].join("; ")}`);
        }
        if (i === 0) continue;
        trpcCalls = visit.trpcCalls;
        server.push(serverMs);
        loadEvent.push(visit.loadEventMs);
        content.push(visit.contentVisibleMs);
      }
      log(`${appPage.path}: content visible median ${formatMs(median(content))} ms`);
      rows.push([
        `\`${appPage.path}\``,
        formatMs(median(server)),
        formatMs(median(loadEvent)),
        formatMs(median(content)),
        formatMs(percentile(content, 0.95)),
        trpcCalls.length === 0 ? "none" : trpcCalls.map((call) => `\`${call}\``).join(", "),
      ]);
    }
    return {
      title: "Page load",
      command: "npm run bench -- page-load",
      data: `the demo data of \`npm start\`: simulated fleet of 16 nodes x 8 GPUs, ${days} days of history (15-minute windows), the optimizer run once, raw windows past the 14-day retention deleted; production build (\`next start\`), SQLite; Chromium ${browser.version()} headless at 1440 x 900 on the same machine (load average ${os.loadavg()[0].toFixed(1)} at the end)`,
      body: [
        markdownTable(["page", "server HTML, median (ms)", "load event, median (ms)", "content visible, median (ms)", "content visible, p95 (ms)", "tRPC calls from the browser"], rows),
        "",
        `${runs} visits per page after one untimed visit, each in a new tab of one browser context (cached scripts). Server HTML: a plain fetch of the page, the time the server takes to render it with its prefetched queries. Load event: the browser's Navigation Timing, navigation start to the end of the load event. Content visible: from navigation start to the page's main figures rendered with no loading state left, by the page's own clock. tRPC calls from the browser: the queries the server render did not prefetch (batched calls are listed together). Target: under a second on the demo data.`,
      ].join("\n"),
    };
  } finally {
    await browser.close().catch(() => undefined);
    await app.stop();
  }
}

export const pageLoadBenchmark: Benchmark = { name: "page-load", run: runPageLoad };
