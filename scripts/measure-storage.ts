/**
 * npm run measure-storage: PostgreSQL disk use per GPU-day, measured. A simulated
 * fleet (collector defaults: a reading every 10 s, 60 s windows, one batch per
 * node per minute) goes through the real ingest handler into a fresh schema of
 * the PostgreSQL server DATABASE_URL names; then each table's
 * pg_total_relation_size (rows, indexes and TOAST) is read after a VACUUM and
 * after a VACUUM FULL.
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test npm run measure-storage -- [--nodes 16] [--gpus-per-node 8] [--hours 12]
 *
 * The schema is dropped at the end (--keep leaves it).
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import pg from "pg";
import { backfillFleet } from "../collectors/simulator/run-simulated-fleet";
import { FleetSimulator } from "../collectors/simulator/fleet-simulator";
import { handleIngestRequest } from "../server/api/rest/ingest-handler";
import { parseDatabaseUrl } from "../server/db/database-url";
import { applyMigrations } from "../server/db/migrations";
import { createPrismaClient } from "../server/db/prisma-client";
import { openSqlDatabase } from "../server/db/server-database";
import { createServerMetrics } from "../server/services/metrics";
import { issueNodeToken } from "../server/services/node-tokens";

const TABLES = ["gpu_usage_window", "job_usage_window", "gpu_usage_hourly", "job_usage_hourly", "job_usage_daily", "ingest_batch", "gpu", "job", "node"] as const;
const RAW_TABLES = new Set(["gpu_usage_window", "job_usage_window"]);
const ROLLUP_TABLES = new Set(["gpu_usage_hourly", "job_usage_hourly", "job_usage_daily"]);
const START_MS = Date.UTC(2026, 10, 2, 0, 0, 0);

function fail(message: string): never {
  console.error(`measure-storage: ${message}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      nodes: { type: "string", default: "16" },
      "gpus-per-node": { type: "string", default: "8" },
      hours: { type: "string", default: "12" },
      keep: { type: "boolean", default: false },
    },
  });
  const nodeCount = Number(values.nodes);
  const gpusPerNode = Number(values["gpus-per-node"]);
  const hours = Number(values.hours);
  if (!Number.isInteger(nodeCount) || nodeCount < 1) fail(`--nodes: expected a whole number >= 1, got "${values.nodes}"`);
  if (!Number.isInteger(gpusPerNode) || gpusPerNode < 1) fail(`--gpus-per-node: expected a whole number >= 1, got "${values["gpus-per-node"]}"`);
  if (!Number.isInteger(hours) || hours < 1) fail(`--hours: expected a whole number of hours >= 1, got "${values.hours}"`);
  const baseUrl = process.env.DATABASE_URL ?? "";
  if (!/^postgres(ql)?:\/\//.test(baseUrl)) fail("DATABASE_URL: a postgresql:// URL is required (this measures PostgreSQL)");

  const schema = `gpu_roi_storage_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: baseUrl.replace(/[?&]schema=[^&]*/, "") });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(baseUrl);
  url.searchParams.set("schema", schema);
  const target = parseDatabaseUrl(url.toString(), process.cwd());
  const sql = openSqlDatabase(target);
  const prisma = createPrismaClient(target);
  try {
    console.log(`measure-storage: schema ${schema}: migrating ...`);
    await applyMigrations(process.cwd(), url.toString());
    const simulator = new FleetSimulator({ seed: 42, nodeCount, gpusPerNode, clusterName: "storage" });
    const tokens = new Map<string, string>();
    for (const node of simulator.nodes) {
      tokens.set(node.hostname, (await issueNodeToken(prisma, { clusterName: "storage", hostname: node.hostname, nowMs: START_MS })).token);
    }
    const metrics = createServerMetrics();
    const toMs = START_MS + hours * 3_600_000;
    const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) =>
      handleIngestRequest(new Request(input, init), { db: sql, metrics, maxBodyBytes: 16 * 1024 * 1024, nowMs: () => toMs })) as typeof fetch;
    const startedAt = Date.now();
    const windows = await backfillFleet(
      { simulator, serverUrl: "http://gpu-roi.local", tokens, fetchImpl },
      {
        fromMs: START_MS,
        toMs,
        sampleIntervalMs: 10_000,
        windowMs: 60_000,
        batchSpanMs: 60_000,
        concurrency: 4,
        onProgress: ({ doneMs, totalMs }) => {
          if (doneMs % 3_600_000 === 0) console.log(`measure-storage: ${Math.round((100 * doneMs) / totalMs)}% (${doneMs / 3_600_000} of ${hours} simulated hours)`);
        },
      },
    );
    console.log(`measure-storage: ${windows} windows ingested in ${((Date.now() - startedAt) / 1000).toFixed(0)} s; VACUUM ...`);
    const gpuDays = (nodeCount * gpusPerNode * hours) / 24;
    // Two readings: after VACUUM (what a live database holds: rows updated each
    // minute, such as rollups and first/last seen, leave free space that
    // autovacuum reuses), and after VACUUM FULL (the rows alone, compacted: what
    // each GPU-day adds in the long run once its hours are no longer updated).
    const sizes = async () => {
      const found = new Map<string, { rows: number; bytes: number }>();
      for (const table of TABLES) {
        const [row] = (
          await admin.query<{ rows: string; bytes: string }>(`SELECT (SELECT COUNT(*) FROM ${schema}.${table}) AS rows, pg_total_relation_size('${schema}.${table}') AS bytes`)
        ).rows;
        found.set(table, { rows: Number(row.rows), bytes: Number(row.bytes) });
      }
      return found;
    };
    for (const table of TABLES) await admin.query(`VACUUM ANALYZE ${schema}.${table}`);
    const live = await sizes();
    for (const table of TABLES) await admin.query(`VACUUM FULL ${schema}.${table}`);
    const compacted = await sizes();

    const kib = (bytes: number) => (bytes / 1024).toFixed(1);
    const perRow = (size: { rows: number; bytes: number }) => (size.rows > 0 ? String(Math.round(size.bytes / size.rows)) : "-");
    console.log(`\nfleet: ${nodeCount} nodes x ${gpusPerNode} GPUs for ${hours} h = ${Number(gpuDays.toFixed(2))} GPU-days, 60 s windows\n`);
    console.log("| table | rows | KiB after VACUUM | KiB after VACUUM FULL | bytes per row (compacted) | KiB per GPU-day (compacted) |");
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const table of TABLES) {
      const a = live.get(table)!;
      const b = compacted.get(table)!;
      console.log(`| ${table} | ${b.rows} | ${kib(a.bytes)} | ${kib(b.bytes)} | ${perRow(b)} | ${kib(b.bytes / gpuDays)} |`);
    }
    const sum = (sizesByTable: Map<string, { bytes: number }>, filter: (table: string) => boolean) =>
      [...sizesByTable].filter(([table]) => filter(table)).reduce((total, [, size]) => total + size.bytes, 0);
    for (const [label, sizesByTable] of [["after VACUUM", live], ["compacted", compacted]] as const) {
      console.log(
        `${label}: raw windows ${kib(sum(sizesByTable, (table) => RAW_TABLES.has(table)) / gpuDays)} KiB per GPU-day; ` +
          `rollups ${kib(sum(sizesByTable, (table) => ROLLUP_TABLES.has(table)) / gpuDays)}; everything ${kib(sum(sizesByTable, () => true) / gpuDays)}`,
      );
    }
  } finally {
    await prisma.$disconnect();
    await sql.close();
    if (!values.keep) await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    else console.log(`measure-storage: kept schema ${schema}`);
    await admin.end();
  }
}

main().catch((error: Error) => fail(error.stack ?? error.message));
