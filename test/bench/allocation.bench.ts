/**
 * Allocation query latency over a simulated fleet of 1,000 GPUs with 30 days of
 * history, on SQLite and PostgreSQL. The history goes through the real ingest
 * handler (so the hourly rollups are the ones ingest writes), in one-hour windows
 * of 5-minute samples to load quickly: the allocation reads hourly rollups, which
 * are the same whatever the window length.
 */
import { FleetSimulator } from "../../collectors/simulator/fleet-simulator";
import { backfillFleet } from "../../collectors/simulator/run-simulated-fleet";
import { handleAllocationRequest } from "../../server/api/rest/allocation-handler";
import { issueNodeToken } from "../../server/services/node-tokens";
import { addPriceEntry } from "../../server/services/price-book-service";
import { fetchIntoIngestHandler } from "../support/in-process-server";
import { createPostgresTestDatabase, createSqliteTestDatabase, postgresUnavailableReason, type TestDatabase } from "../support/test-databases";
import { formatMs, markdownTable, median, percentile, timeRuns, type Benchmark } from "./bench-kit";
import { ALL_DATA } from "../../server/auth/principal";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const NODES = 125;
const GPUS_PER_NODE = 8;
const DAYS = 30;
const REPEATS = 20;
const QUERIES = ["window=30d&aggregate=team", "window=30d&aggregate=job", "window=30d&aggregate=team&shareIdle=weighted&step=1d"];

async function loadFleet(db: TestDatabase, nowMs: number, log: (line: string) => void): Promise<{ windows: number; seconds: number }> {
  const simulator = new FleetSimulator({ seed: 11, nodeCount: NODES, gpusPerNode: GPUS_PER_NODE, clusterName: "bench" });
  const tokens = new Map<string, string>();
  for (const node of simulator.nodes) {
    tokens.set(node.hostname, (await issueNodeToken(db.prisma, { clusterName: "bench", hostname: node.hostname, nowMs })).token);
  }
  for (const model of ["NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3"]) {
    await addPriceEntry(db.prisma, { gpuModel: model, costPerGpuHour: model.includes("H100") ? 4 : 2.5, effectiveFromMs: 0 }, nowMs);
  }
  const endMs = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const started = performance.now();
  const windows = await backfillFleet(
    { simulator, serverUrl: "http://gpu-roi.bench", tokens, fetchImpl: fetchIntoIngestHandler(db.sql, () => nowMs, { futureToleranceMs: 0, maxAgeMs: (DAYS + 1) * DAY_MS }) },
    {
      fromMs: endMs - DAYS * DAY_MS,
      toMs: endMs,
      sampleIntervalMs: 5 * 60_000,
      windowMs: HOUR_MS,
      batchSpanMs: 2 * DAY_MS,
      onProgress: ({ doneMs, totalMs }) => {
        if (doneMs % (6 * DAY_MS) === 0) log(`  ${db.name}: ${Math.round((100 * doneMs) / totalMs)}% loaded`);
      },
    },
  );
  return { windows, seconds: (performance.now() - started) / 1000 };
}

export const allocationBenchmark: Benchmark = {
  name: "allocation",
  async run(log) {
    const nowMs = Date.now();
    const rows: (string | number)[][] = [];
    const loads: string[] = [];
    const postgresReason = await postgresUnavailableReason();
    const kinds = [{ name: "SQLite", create: createSqliteTestDatabase }, ...(postgresReason ? [] : [{ name: "PostgreSQL", create: createPostgresTestDatabase }])];
    for (const kind of kinds) {
      const db = await kind.create();
      try {
        log(`allocation: loading ${NODES * GPUS_PER_NODE} GPUs x ${DAYS} days into ${kind.name} ...`);
        const load = await loadFleet(db, nowMs, log);
        const [rollups] = await db.sql.query<{ n: number }>(`SELECT COUNT(*) AS n FROM job_usage_hourly`);
        loads.push(`${kind.name}: ${load.windows.toLocaleString("en-US")} windows ingested through the handler in ${load.seconds.toFixed(0)} s; ${Number(rollups.n).toLocaleString("en-US")} job-hour rollup rows`);
        for (const query of QUERIES) {
          const samples = await timeRuns(async () => {
            const response = await handleAllocationRequest(new Request(`http://gpu-roi.bench/api/v1/allocation?${query}`), { db: db.sql, nowMs: () => nowMs, scope: ALL_DATA });
            if (response.status !== 200) throw new Error(`allocation ${query}: HTTP ${response.status} ${await response.text()}`);
            await response.text();
          }, REPEATS);
          rows.push([kind.name, `\`${query}\``, formatMs(median(samples)), formatMs(percentile(samples, 0.95))]);
          log(`  ${kind.name} ${query}: median ${formatMs(median(samples))} ms, p95 ${formatMs(percentile(samples, 0.95))} ms`);
        }
      } finally {
        await db.dispose();
      }
    }
    return {
      title: "Allocation query latency",
      command: "npm run bench -- allocation",
      data: `simulated fleet of ${NODES} nodes x ${GPUS_PER_NODE} GPUs (${NODES * GPUS_PER_NODE} GPUs), ${DAYS} days of history. ${loads.join(". ")}.${postgresReason ? ` PostgreSQL not measured: ${postgresReason}.` : ""}`,
      body:
        markdownTable(["database", "query", "median (ms)", "p95 (ms)"], rows) +
        `\n\n${REPEATS} runs each after one warm-up, through the REST handler in process (query, allocation, JSON). Target: p95 under 200 ms for totals. Shared idle (\`shareIdle=weighted\`) is settled hour by hour (docs/api.md, How every figure is computed), so it reads every job-hour row instead of daily sums: about ten times the time of the same query without sharing.`,
    };
  },
};
