/**
 * Ingest throughput, end to end (gzip JSON over HTTP from concurrent collectors →
 * auth → validation → one transaction with rollups), next to the raw driver
 * inserting the same window rows in the same run: a prepared better-sqlite3
 * insert in one transaction, and PostgreSQL COPY. The HTTP server is node:http in
 * front of the same handler the Next.js route calls.
 *
 * Two kinds of batches: live (one batch per node per minute, what a collector
 * sends while the server keeps up) and catch-up (a collector's spool after an
 * outage: 60 minute-batches merged into one request, as SpoolSender does).
 *
 * The collectors' HTTP clients run in a worker thread (keep-alive node:http), so
 * the server's event loop is measured alone, as it is in production where the
 * collectors are other machines; both still share this machine's 2 cores.
 */
import { randomUUID } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { Worker } from "node:worker_threads";
import { gunzipSync, gzipSync } from "node:zlib";
import Database from "better-sqlite3";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { mergeBatches } from "../../collectors/merge-batches";
import { FleetSimulator } from "../../collectors/simulator/fleet-simulator";
import { WindowAggregator } from "../../collectors/window";
import { issueNodeToken } from "../../server/services/node-tokens";
import { INGEST_SCHEMA_VERSION, type IngestBatch } from "../../server/wire/ingest-v1";
import { startHttpIngestServer } from "../support/http-ingest-server";
import { createPostgresTestDatabase, createSqliteTestDatabase, postgresUnavailableReason, type TestDatabase } from "../support/test-databases";
import { markdownTable, median, type Benchmark } from "./bench-kit";

const NODES = 16;
const GPUS_PER_NODE = 8;
const CONCURRENT_COLLECTORS = 8;
const REPEATS = 3;
const START_MS = Date.UTC(2026, 10, 2, 0, 0, 0);

interface Workload {
  /** Batches as collectors send them, per node and batch span. */
  bodies: { hostname: string; body: Buffer; windows: number }[];
  gpuWindows: number;
  jobWindows: number;
  /** Hours of history the batches hold, from START_MS. */
  hours: number;
}

/** Batch spans measured: live minute batches, and a spool's hour merged into one request. */
const BATCH_KINDS = [
  { label: "live, 1 batch per node-minute", minutesPerRequest: 1, hours: 6 },
  { label: "catch-up, 60 merged per request", minutesPerRequest: 60, hours: 24 },
] as const;

/** Simulated readings every 10 s, 60 s windows, one batch per node-minute; `minutesPerRequest` of them merged per request. */
function buildWorkload(minutesPerRequest: number, hours: number): Workload {
  const simulator = new FleetSimulator({ seed: 5, nodeCount: NODES, gpusPerNode: GPUS_PER_NODE, clusterName: "bench" });
  const bodies: Workload["bodies"] = [];
  let gpuWindows = 0;
  let jobWindows = 0;
  for (const node of simulator.nodes) {
    const aggregator = new WindowAggregator(60_000);
    let pending: IngestBatch[] = [];
    for (let minuteStartMs = START_MS; minuteStartMs < START_MS + hours * 3_600_000; minuteStartMs += 60_000) {
      for (let atMs = minuteStartMs; atMs < minuteStartMs + 60_000; atMs += 10_000) aggregator.add(simulator.snapshot(node.index, atMs));
      const windows = aggregator.flush(minuteStartMs + 60_000);
      pending.push({ schemaVersion: INGEST_SCHEMA_VERSION, batchId: randomUUID(), node: { hostname: node.hostname }, ...windows });
      if (pending.length < minutesPerRequest) continue;
      const batch = mergeBatches(pending);
      pending = [];
      gpuWindows += batch.gpuWindows.length;
      jobWindows += batch.jobWindows.length;
      bodies.push({ hostname: node.hostname, body: gzipSync(JSON.stringify(batch)), windows: batch.gpuWindows.length + batch.jobWindows.length });
    }
  }
  return { bodies, gpuWindows, jobWindows, hours };
}

/**
 * The collectors: CONCURRENT_COLLECTORS loops posting the bodies over keep-alive
 * connections, in a worker thread. Plain JavaScript (workerData in, elapsed ms out).
 */
const CLIENT_WORKER_SOURCE = `
const http = require("node:http");
const { parentPort, workerData } = require("node:worker_threads");
const { url, requests, concurrency } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
function post(item) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: "POST", agent, headers: { authorization: "Bearer " + item.token, "content-type": "application/json", "content-encoding": "gzip", "content-length": item.body.length } }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => (response.statusCode === 200 ? resolve() : reject(new Error("ingest: HTTP " + response.statusCode + " " + Buffer.concat(chunks)))));
    });
    request.on("error", reject);
    request.end(item.body);
  });
}
(async () => {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < requests.length) await post(requests[next++]);
  }));
  parentPort.postMessage({ elapsedMs: performance.now() - started });
  agent.destroy();
})().catch((error) => parentPort.postMessage({ error: error.message }));
`;

function runClients(url: string, requests: { token: string; body: Buffer }[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(CLIENT_WORKER_SOURCE, { eval: true, workerData: { url, requests, concurrency: CONCURRENT_COLLECTORS } });
    worker.once("message", (message: { elapsedMs?: number; error?: string }) => {
      void worker.terminate();
      if (message.error) reject(new Error(message.error));
      else resolve(message.elapsedMs!);
    });
    worker.once("error", reject);
  });
}

/** Posts every batch with CONCURRENT_COLLECTORS in flight; returns windows per second. */
async function endToEnd(db: TestDatabase, workload: Workload): Promise<number> {
  const tokens = new Map<string, string>();
  for (const hostname of new Set(workload.bodies.map((item) => item.hostname))) {
    tokens.set(hostname, (await issueNodeToken(db.prisma, { clusterName: "bench", hostname, nowMs: START_MS })).token);
  }
  const server = await startHttpIngestServer(db.sql, { nowMs: () => START_MS + workload.hours * 3_600_000 });
  try {
    const elapsedMs = await runClients(
      `${server.url}/api/v1/ingest`,
      workload.bodies.map((item) => ({ token: tokens.get(item.hostname)!, body: item.body })),
    );
    return (workload.gpuWindows + workload.jobWindows) / (elapsedMs / 1000);
  } finally {
    await server.stop();
  }
}

/** The same rows (gpu and job windows, by GPU and job index) as plain tuples. */
function windowRows(workload: Workload): { gpu: unknown[][]; job: unknown[][] } {
  const gpu: unknown[][] = [];
  const job: unknown[][] = [];
  const gpuIds = new Map<string, number>();
  const jobIds = new Map<string, number>();
  for (const item of workload.bodies) {
    const batch = JSON.parse(gunzipSync(item.body).toString()) as IngestBatch;
    const gpuId = (uuid: string) => gpuIds.get(uuid) ?? (gpuIds.set(uuid, gpuIds.size + 1), gpuIds.size);
    const jobId = (id: string) => jobIds.get(id) ?? (jobIds.set(id, jobIds.size + 1), jobIds.size);
    for (const w of batch.gpuWindows) gpu.push([gpuId(w.gpuUuid), w.startMs, w.endMs, w.sampleCount, w.utilizationAvgPct, w.utilizationMaxPct, w.smActiveAvgPct ?? null, w.memoryUsedAvgMiB, w.memoryUsedMaxMiB, w.powerAvgW, w.energyJ]);
    for (const w of batch.jobWindows) job.push([gpuId(w.gpuUuid), jobId(w.jobExternalId), w.startMs, w.endMs, w.sampleCount, w.processCount, w.utilizationAvgPct ?? null, w.memoryUsedAvgMiB, w.memoryUsedMaxMiB]);
  }
  return { gpu, job };
}

const GPU_COLUMNS = "gpu_id, start_ms, end_ms, sample_count, utilization_avg_pct, utilization_max_pct, sm_active_avg_pct, memory_used_avg_mib, memory_used_max_mib, power_avg_w, energy_j";
const JOB_COLUMNS = "gpu_id, job_id, start_ms, end_ms, sample_count, process_count, utilization_avg_pct, memory_used_avg_mib, memory_used_max_mib";

/** Prepared inserts in one transaction, into the migrated schema (foreign keys off: ids are synthetic). */
function rawSqlite(filePath: string, rows: { gpu: unknown[][]; job: unknown[][] }): number {
  const db = new Database(filePath);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = OFF");
  const insertGpu = db.prepare(`INSERT INTO gpu_usage_window (${GPU_COLUMNS}) VALUES (${GPU_COLUMNS.split(",").map(() => "?").join(", ")})`);
  const insertJob = db.prepare(`INSERT INTO job_usage_window (${JOB_COLUMNS}) VALUES (${JOB_COLUMNS.split(",").map(() => "?").join(", ")})`);
  const started = performance.now();
  db.transaction(() => {
    for (const row of rows.gpu) insertGpu.run(...row);
    for (const row of rows.job) insertJob.run(...row);
  })();
  const seconds = (performance.now() - started) / 1000;
  db.exec("DELETE FROM gpu_usage_window; DELETE FROM job_usage_window;");
  db.close();
  return (rows.gpu.length + rows.job.length) / seconds;
}

async function rawPostgres(url: string, rows: { gpu: unknown[][]; job: unknown[][] }): Promise<number> {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get("schema");
  parsed.searchParams.delete("schema");
  const client = new pg.Client({ connectionString: parsed.toString(), options: schema ? `-c search_path=${schema}` : undefined });
  await client.connect();
  const tsv = (table: unknown[][]) => table.map((row) => row.map((value) => (value === null ? "\\N" : String(value))).join("\t")).join("\n") + "\n";
  try {
    // The windows reference gpu and job rows; the raw copy measures the insert alone.
    await client.query("SET session_replication_role = replica");
    const started = performance.now();
    await client.query("BEGIN");
    await pipeline(Readable.from([tsv(rows.gpu)]), client.query(copyFrom(`COPY gpu_usage_window (${GPU_COLUMNS}) FROM STDIN`)));
    await pipeline(Readable.from([tsv(rows.job)]), client.query(copyFrom(`COPY job_usage_window (${JOB_COLUMNS}) FROM STDIN`)));
    await client.query("COMMIT");
    const seconds = (performance.now() - started) / 1000;
    await client.query("TRUNCATE gpu_usage_window, job_usage_window");
    return (rows.gpu.length + rows.job.length) / seconds;
  } finally {
    await client.end();
  }
}

export const ingestBenchmark: Benchmark = {
  name: "ingest",
  async run(log) {
    const table: (string | number)[][] = [];
    const postgresReason = await postgresUnavailableReason();
    const kinds = [{ name: "SQLite", create: createSqliteTestDatabase }, ...(postgresReason ? [] : [{ name: "PostgreSQL", create: createPostgresTestDatabase }])];
    let described = "";
    for (const batchKind of BATCH_KINDS) {
      const workload = buildWorkload(batchKind.minutesPerRequest, batchKind.hours);
      const rows = windowRows(workload);
      described += ` ${batchKind.label}: ${batchKind.hours} h, ${workload.bodies.length} requests, ${(workload.gpuWindows + workload.jobWindows).toLocaleString("en-US")} windows (${workload.gpuWindows.toLocaleString("en-US")} GPU, ${workload.jobWindows.toLocaleString("en-US")} job).`;
      for (const kind of kinds) {
        const e2e: number[] = [];
        const raw: number[] = [];
        for (let repeat = 0; repeat < REPEATS; repeat++) {
          const db = await kind.create();
          try {
            e2e.push(await endToEnd(db, workload));
          } finally {
            await db.dispose();
          }
          const rawDb = await kind.create();
          try {
            raw.push(kind.name === "SQLite" ? rawSqlite(rawDb.target.sqliteFilePath!, rows) : await rawPostgres(rawDb.url, rows));
          } finally {
            await rawDb.dispose();
          }
          log(`  ${kind.name}, ${batchKind.label}, run ${repeat + 1}: end to end ${Math.round(e2e[e2e.length - 1])} windows/s, raw ${Math.round(raw[raw.length - 1])} windows/s`);
        }
        const ratio = median(e2e) / median(raw);
        table.push([
          kind.name,
          `${batchKind.label} (${Math.round((workload.gpuWindows + workload.jobWindows) / workload.bodies.length)} windows)`,
          Math.round(median(e2e)).toLocaleString("en-US"),
          Math.round(Math.min(...e2e)).toLocaleString("en-US"),
          Math.round(median(raw)).toLocaleString("en-US"),
          `${(ratio * 100).toFixed(0)} %`,
        ]);
      }
    }
    return {
      title: "Ingest throughput against the raw driver",
      command: "npm run bench -- ingest",
      data: `simulated fleet of ${NODES} nodes x ${GPUS_PER_NODE} GPUs, 60 s windows (10 s readings), gzip JSON, ${CONCURRENT_COLLECTORS} collectors posting at once.${described}${postgresReason ? ` PostgreSQL not measured: ${postgresReason}.` : ""}`,
      body:
        markdownTable(["database", "batches (windows per request)", "end to end, median (windows/s)", "end to end, slowest", "raw driver, median (windows/s)", "end to end / raw"], table) +
        `\n\n${REPEATS} runs each, each on a fresh database. End to end includes HTTP, gzip, token check, validation (windows by a hand-written fast path, the rest by zod), node/GPU/job upserts, the window inserts and the hourly and daily rollups, in one transaction per request; the collectors' HTTP clients run in a worker thread of the same process and share the 2 cores. Raw: better-sqlite3 prepared insert of the same window rows in one transaction; PostgreSQL COPY of the same rows. Targets: end to end at least 40 % of raw; on SQLite at least 100,000 windows/s.`,
    };
  },
};
