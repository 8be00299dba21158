/**
 * A 10,000-GPU fleet (1,250 simulated nodes x 8 GPUs, 60 s windows of 10 s
 * readings, job churn) streaming live into one production server (`npm start`'s
 * supervisor: next start + the simulated collectors) on PostgreSQL while the
 * web app's queries run. Measures ingest lag, request latency, the server's CPU
 * and memory, the database's bytes per GPU-day; then the UI under concurrent
 * load and the allocation query over 30 days of that fleet's history.
 *
 * The history: a few hours are backfilled through the real ingest path, then their
 * hourly rollups are copied back in time to fill 30 days (month-long queries read
 * rollups; raw windows serve only the partial hours at a window's edges).
 *
 * Length: GPU_ROI_BENCH_FLEET_LIVE_SECONDS (default 240) of live streaming, after
 * a backfill of GPU_ROI_BENCH_FLEET_BACKFILL_HOURS (default 3).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createPostgresTestDatabase, postgresUnavailableReason, PROJECT_ROOT, type TestDatabase } from "../support/test-databases";
import { formatMs, markdownTable, median, percentile, type Benchmark } from "./bench-kit";

const NODES = 1_250;
const GPUS_PER_NODE = 8;
const GPUS = NODES * GPUS_PER_NODE;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const HISTORY_DAYS = 30;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Every process below `rootPid` (the supervisor's children: next start and its server). */
function descendants(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(rootPid);
  return found;
}

/** CPU seconds (user + system) and resident MiB of some processes, read from /proc. */
function usageOf(pids: readonly number[]): { cpuSeconds: number; rssMiB: number } {
  const ticksPerSecond = 100;
  let cpuSeconds = 0;
  let rssMiB = 0;
  for (const pid of pids) {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      cpuSeconds += (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
      const rss = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
      rssMiB += rss ? Number(rss[1]) / 1024 : 0;
    } catch {
      // Ended.
    }
  }
  return { cpuSeconds, rssMiB };
}

function isNextServer(pid: number): boolean {
  try {
    return /next/.test(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8"));
  } catch {
    return false;
  }
}

async function timedGet(url: string): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status };
}

/** `concurrency` loops request the URLs in turn for `seconds`; latencies per URL. */
async function load(urls: readonly string[], concurrency: number, seconds: number): Promise<Map<string, number[]>> {
  const latencies = new Map<string, number[]>(urls.map((url) => [url, []]));
  const until = performance.now() + seconds * 1000;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const url = urls[next++ % urls.length];
        const { ms, status } = await timedGet(url);
        if (status !== 200) throw new Error(`${url}: HTTP ${status}`);
        latencies.get(url)!.push(ms);
      }
    }),
  );
  return latencies;
}

/** Starts `npm start`'s supervisor against `db` with the 10,000-GPU fleet; resolves once it says "ready". */
async function startFleetServer(db: TestDatabase, port: number, backfillHours: number, log: (line: string) => void): Promise<ChildProcess> {
  const tokenFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-fleet-")), "tokens.json");
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/start.ts"], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      PORT: String(port),
      GPU_ROI_SIM_NODES: String(NODES),
      GPU_ROI_SIM_GPUS_PER_NODE: String(GPUS_PER_NODE),
      GPU_ROI_SIM_CLUSTER: "fleet10k",
      GPU_ROI_BACKFILL_DAYS: String(backfillHours / 24),
      GPU_ROI_SIM_TOKEN_FILE: tokenFile,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    let buffered = "";
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        if (/backfill: .*(100%|done)|ready:|simulated fleet:|error|failed/i.test(line)) log(`  server: ${line}`);
        if (line.includes("ready: open")) resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`npm start exited with code ${code} before it was ready`)));
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => {
    for (const pid of descendants(child.pid!)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone.
      }
    }
    child.kill("SIGKILL");
  }, 15_000);
  await exited;
  clearTimeout(timer);
}

/** Copies the backfilled hours' rollups back in time until they cover `days`, and dates GPUs and jobs from then. */
async function extendHistory(db: TestDatabase, fromMs: number, toMs: number, days: number): Promise<number> {
  const spanMs = toMs - fromMs;
  const copies = Math.ceil((days * DAY_MS) / spanMs) - 1;
  const job = "job_id, gpu_id, reported_ms, share_ms, active_ms, sole_ms, utilization_split_ms, memory_split_ms, even_split_ms, memory_mib_ms";
  await db.sql.query(
    `INSERT INTO gpu_usage_hourly (gpu_id, hour_start_ms, reported_ms, utilization_measured_ms, utilization_pct_ms, memory_measured_ms, memory_mib_ms, energy_j)
     SELECT h.gpu_id, h.hour_start_ms - k::bigint * ${spanMs}, h.reported_ms, h.utilization_measured_ms, h.utilization_pct_ms, h.memory_measured_ms, h.memory_mib_ms, h.energy_j
       FROM gpu_usage_hourly h CROSS JOIN generate_series(1, ${copies}) AS k
      WHERE h.hour_start_ms >= ? AND h.hour_start_ms < ?`,
    [fromMs, toMs],
  );
  await db.sql.query(
    `INSERT INTO job_usage_hourly (hour_start_ms, ${job})
     SELECT h.hour_start_ms - k::bigint * ${spanMs}, ${job.split(", ").map((c) => `h.${c}`).join(", ")}
       FROM job_usage_hourly h CROSS JOIN generate_series(1, ${copies}) AS k
      WHERE h.hour_start_ms >= ? AND h.hour_start_ms < ?`,
    [fromMs, toMs],
  );
  const firstMs = fromMs - copies * spanMs;
  // Daily rollups of the whole days before the backfill's last day, from the
  // hourly ones: live ingest keeps writing that day's (and later) daily rows, and
  // rewriting them here would race it. A month-long query reads that partial day
  // from the hourly rollups anyway.
  const lastDayStartMs = Math.floor(toMs / DAY_MS) * DAY_MS;
  await db.sql.query(`DELETE FROM job_usage_daily WHERE day_start_ms < ?`, [lastDayStartMs]);
  await db.sql.query(
    `INSERT INTO job_usage_daily (day_start_ms, ${job})
     SELECT (hour_start_ms / ${DAY_MS}) * ${DAY_MS}, job_id, gpu_id, SUM(reported_ms), SUM(share_ms), SUM(active_ms), SUM(sole_ms),
            SUM(utilization_split_ms), SUM(memory_split_ms), SUM(even_split_ms), SUM(memory_mib_ms)
       FROM job_usage_hourly WHERE hour_start_ms < ?
      GROUP BY job_id, gpu_id, (hour_start_ms / ${DAY_MS}) * ${DAY_MS}`,
    [lastDayStartMs],
  );
  await db.sql.query(`UPDATE gpu SET first_seen_ms = LEAST(first_seen_ms, ?)`, [firstMs]);
  await db.sql.query(`UPDATE job SET first_seen_ms = first_seen_ms - ? WHERE first_seen_ms < ?`, [copies * spanMs, toMs]);
  await db.sql.query("ANALYZE");
  return copies;
}

async function count(db: TestDatabase, sql: string, params: (string | number)[] = []): Promise<number> {
  const [row] = await db.sql.query<{ n: string | number | null }>(sql, params);
  return Number(row?.n ?? 0);
}

export const fleetBenchmark: Benchmark = {
  name: "fleet-10k",
  async run(log) {
    const liveSeconds = Number(process.env.GPU_ROI_BENCH_FLEET_LIVE_SECONDS ?? 240);
    const backfillHours = Number(process.env.GPU_ROI_BENCH_FLEET_BACKFILL_HOURS ?? 3);
    const command = "npm run bench -- fleet-10k";
    const reason = await postgresUnavailableReason();
    if (reason) return { title: "A 10,000-GPU fleet on one server (PostgreSQL)", command, data: "not measured", body: `PostgreSQL unavailable: ${reason}` };

    const db = await createPostgresTestDatabase();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let server: ChildProcess | null = null;
    try {
      // 1. Start: build if needed, migrate, serve, backfill, stream live.
      const startedMs = Date.now();
      server = await startFleetServer(db, port, backfillHours, log);
      log(`fleet-10k: ready after ${((Date.now() - startedMs) / 1000).toFixed(0)} s`);
      const serverPids = descendants(server.pid!).filter(isNextServer);
      const liveFromMs = Date.now();

      // 2. Live, first alone and then while the UI's queries run (one at a time):
      //    batches stored, lag, the server's CPU and memory, every 5 s.
      const uiUrls = [`${base}/?window=24h`, `${base}/costs?window=24h&aggregate=team`, `${base}/api/v1/allocation?window=24h&aggregate=team`, `${base}/fleet`];
      const phase = async (seconds: number, withUi: boolean) => {
        const fromMs = Date.now();
        const batchesBefore = await count(db, "SELECT COUNT(*) AS n FROM ingest_batch");
        const windowsBefore = await count(db, "SELECT COUNT(*) AS n FROM gpu_usage_window WHERE end_ms - start_ms = 60000");
        const cpuBefore = usageOf(serverPids).cpuSeconds;
        const lagsSeconds: number[] = [];
        const rssMiB: number[] = [];
        const sampler = (async () => {
          while (Date.now() - fromMs < seconds * 1000) {
            await new Promise((resolve) => setTimeout(resolve, 5_000));
            lagsSeconds.push((Date.now() - (await count(db, "SELECT MAX(end_ms) AS n FROM gpu_usage_window"))) / 1000);
            rssMiB.push(usageOf(serverPids).rssMiB);
          }
        })();
        const latencies = withUi ? await load(uiUrls, 1, seconds) : new Map<string, number[]>();
        await sampler;
        const elapsedSeconds = (Date.now() - fromMs) / 1000;
        const batches = (await count(db, "SELECT COUNT(*) AS n FROM ingest_batch")) - batchesBefore;
        const windows = (await count(db, "SELECT COUNT(*) AS n FROM gpu_usage_window WHERE end_ms - start_ms = 60000")) - windowsBefore;
        const cpuSeconds = usageOf(serverPids).cpuSeconds - cpuBefore;
        log(`fleet-10k: ${withUi ? "with UI" : "ingest alone"}: ${elapsedSeconds.toFixed(0)} s, ${batches} batches, ${windows} GPU windows, server CPU ${cpuSeconds.toFixed(1)} s, lag ${lagsSeconds.map((l) => l.toFixed(0)).join(" ")}`);
        return { elapsedSeconds, batches, windows, cpuSeconds, lagsSeconds, rssMiB, latencies };
      };
      const alone = await phase(liveSeconds / 2, false);
      const withUi = await phase(liveSeconds / 2, true);

      // 3. Bytes per GPU-day: per stored row of each table, times the rows a GPU-day makes at 60 s windows.
      const sizes = await db.sql.query<{ name: string; bytes: string }>(
        `SELECT c.relname AS name, pg_total_relation_size(c.oid) AS bytes
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = current_schema() AND c.relname IN ('gpu_usage_window', 'job_usage_window')`,
      );
      const bytesPerRow = new Map<string, number>();
      for (const table of ["gpu_usage_window", "job_usage_window"]) {
        const rows = await count(db, `SELECT COUNT(*) AS n FROM ${table}`);
        const bytes = Number(sizes.find((s) => s.name === table)?.bytes ?? 0);
        bytesPerRow.set(table, rows > 0 ? bytes / rows : 0);
      }
      const jobWindowsPerGpuWindow = (await count(db, "SELECT COUNT(*) AS n FROM job_usage_window")) / Math.max(1, await count(db, "SELECT COUNT(*) AS n FROM gpu_usage_window"));
      const rawBytesPerGpuDay = 1440 * (bytesPerRow.get("gpu_usage_window")! + jobWindowsPerGpuWindow * bytesPerRow.get("job_usage_window")!);

      // 4. The UI under concurrent load (16 at a time) on this data.
      const pageUrls = [`${base}/?window=24h`, `${base}/costs?window=24h&aggregate=team`];
      const loaded = new Map<string, number[]>();
      for (const url of pageUrls) {
        const result = await load([url], 16, 30);
        loaded.set(url, result.get(url)!);
      }

      // 5. 30 days of history, then the allocation query's latency over it.
      const backfillEndMs = Math.floor(liveFromMs / HOUR_MS) * HOUR_MS - HOUR_MS;
      const backfillStartMs = backfillEndMs - Math.max(1, Math.floor(backfillHours) - 1) * HOUR_MS;
      const copies = await extendHistory(db, backfillStartMs, backfillEndMs, HISTORY_DAYS);
      const hourlyRows = await count(db, "SELECT COUNT(*) AS n FROM gpu_usage_hourly");
      const allocationUrl = `${base}/api/v1/allocation?window=30d&aggregate=team`;
      await timedGet(allocationUrl);
      const allocation: number[] = [];
      for (let i = 0; i < 20; i++) allocation.push((await timedGet(allocationUrl)).ms);
      log(`fleet-10k: allocation over 30 days: median ${formatMs(median(allocation))} ms, p95 ${formatMs(percentile(allocation, 0.95))} ms`);

      const cpuCoresPerBatch = alone.cpuSeconds / Math.max(1, alone.batches);
      const rows = [
        ...[...withUi.latencies.entries()].map(([url, ms]) => [`during ingest, one at a time: GET ${url.replace(base, "")}`, ms.length, formatMs(median(ms)), formatMs(percentile(ms, 0.99))]),
        ...[...loaded.entries()].map(([url, ms]) => [`16 at a time for 30 s: GET ${url.replace(base, "")}`, ms.length, formatMs(median(ms)), formatMs(percentile(ms, 0.99))]),
        [`GET /api/v1/allocation?window=30d&aggregate=team (30 days of ${GPUS.toLocaleString("en-US")} GPUs, one at a time)`, allocation.length, formatMs(median(allocation)), `${formatMs(percentile(allocation, 0.95))} (p95)`],
      ];
      const liveRow = (name: string, value: (p: typeof alone) => string) => [name, value(alone), value(withUi)];
      return {
        title: "A 10,000-GPU fleet on one server (PostgreSQL)",
        command,
        data: `${NODES.toLocaleString("en-US")} simulated nodes x ${GPUS_PER_NODE} GPUs (${GPUS.toLocaleString("en-US")} GPUs), 60 s windows of 10 s readings, jobs starting and ending; ${backfillHours} h backfilled through ingest, then ${(alone.elapsedSeconds + withUi.elapsedSeconds).toFixed(0)} s streamed live into \`npm start\` (next start) on PostgreSQL 15, collectors and server on the same 2 cores; for the 30-day query the backfilled hours' rollups were copied back ${copies} times (${hourlyRows.toLocaleString("en-US")} GPU-hour rows).`,
        body: [
          markdownTable(
            ["live ingest", "ingest alone", "while the UI's queries run"],
            [
              liveRow("seconds measured", (p) => p.elapsedSeconds.toFixed(0)),
              liveRow("batches stored per second (1,250 nodes, one a minute each = 20.8/s)", (p) => (p.batches / p.elapsedSeconds).toFixed(1)),
              liveRow("GPU windows stored per second (10,000 a minute = 167/s)", (p) => (p.windows / p.elapsedSeconds).toFixed(0)),
              liveRow("ingest lag: now - latest stored window end, median / max (s; windows close every 60 s)", (p) => `${median(p.lagsSeconds).toFixed(0)} / ${Math.max(...p.lagsSeconds).toFixed(0)}`),
              liveRow("server CPU (next-server processes), share of one core", (p) => `${((p.cpuSeconds / p.elapsedSeconds) * 100).toFixed(0)} %`),
              liveRow("server CPU per stored batch (ms)", (p) => ((p.cpuSeconds / Math.max(1, p.batches)) * 1000).toFixed(1)),
              liveRow("server resident memory, median / max (MiB)", (p) => `${median(p.rssMiB).toFixed(0)} / ${Math.max(...p.rssMiB).toFixed(0)}`),
            ],
          ),
          "",
          `Raw windows per GPU-day at 60 s windows (GPU and job rows with their indexes): ${(rawBytesPerGpuDay / 2 ** 20).toFixed(2)} MiB.`,
          "",
          markdownTable(["request", "count", "median ms", "p99 ms"], rows),
          "",
          `**100,000 GPUs, on paper**, from these per-GPU figures: ${Math.round(100_000 / 60).toLocaleString("en-US")} GPU windows and ${Math.round(100_000 / GPUS_PER_NODE / 60)} batches per second (8-GPU nodes, one batch a minute); at ${(cpuCoresPerBatch * 1000).toFixed(1)} ms of server CPU per batch (ingest alone) that is ${((cpuCoresPerBatch * 100_000) / GPUS_PER_NODE / 60).toFixed(1)} cores of ingest, spread over replicas (docs/deployment.md); raw windows grow ${((rawBytesPerGpuDay * 100_000) / 2 ** 30).toFixed(0)} GiB a day (${((rawBytesPerGpuDay * 100_000 * 14) / 2 ** 40).toFixed(2)} TiB for the 14 days kept), which calls for time-partitioned raw tables dropped a partition at a time.`,
        ].join("\n"),
      };
    } finally {
      if (server) await stop(server);
      await db.dispose();
    }
  },
};
