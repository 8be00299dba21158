/**
 * The simulated fleet that `npm start` runs for the demo: registers its nodes,
 * backfills history on first start (or the gap since the last run), then streams
 * live. Everything goes through the real ingest endpoint.
 */
import fs from "node:fs";
import path from "node:path";
import { DEFAULT_FLEET_CONFIG, FleetSimulator, type FleetConfig } from "../collectors/simulator/fleet-simulator";
import { backfillFleet, streamFleetLive, type FleetTarget } from "../collectors/simulator/run-simulated-fleet";
import type { AppPrismaClient } from "../server/db/prisma-client";
import type { SqlDatabase } from "../server/db/sql-database";
import { authenticateNodeToken, issueNodeToken } from "../server/services/node-tokens";
import { addPriceEntry, listPriceEntries } from "../server/services/price-book-service";

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** History is backfilled in 15-minute windows (1-minute samples) to load a month quickly. */
const HISTORY_WINDOW_MS = 15 * MINUTE_MS;
const HISTORY_SAMPLE_MS = MINUTE_MS;
/** Live windows are 1 minute of 10-second samples, as a real collector's defaults. */
const LIVE_WINDOW_MS = MINUTE_MS;
const LIVE_SAMPLE_MS = 10_000;

export function fleetConfigFromEnv(env: NodeJS.ProcessEnv): FleetConfig {
  const integer = (name: string, fallback: number, min: number, max: number) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`${name}: expected a whole number from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };
  return {
    seed: integer("GPU_ROI_SIM_SEED", DEFAULT_FLEET_CONFIG.seed, 0, 2 ** 31),
    nodeCount: integer("GPU_ROI_SIM_NODES", DEFAULT_FLEET_CONFIG.nodeCount, 1, 2000),
    gpusPerNode: integer("GPU_ROI_SIM_GPUS_PER_NODE", DEFAULT_FLEET_CONFIG.gpusPerNode, 2, 16),
    clusterName: env.GPU_ROI_SIM_CLUSTER || DEFAULT_FLEET_CONFIG.clusterName,
  };
}

/**
 * Node tokens for the simulated nodes, kept (mode 600) in the data folder so a
 * restart reuses them; a token the database no longer knows is issued again.
 */
async function simulatorTokens(
  simulator: FleetSimulator,
  sql: SqlDatabase,
  prisma: AppPrismaClient,
  tokenFile: string,
  nowMs: number,
): Promise<Map<string, string>> {
  let saved: Record<string, string> = {};
  if (fs.existsSync(tokenFile)) saved = JSON.parse(fs.readFileSync(tokenFile, "utf8")) as Record<string, string>;
  const tokens = new Map<string, string>();
  for (const node of simulator.nodes) {
    const known = saved[node.hostname];
    if (known && (await authenticateNodeToken(sql, known))?.hostname === node.hostname) {
      tokens.set(node.hostname, known);
      continue;
    }
    const issued = await issueNodeToken(prisma, { clusterName: simulator.config.clusterName, hostname: node.hostname, nowMs });
    tokens.set(node.hostname, issued.token);
  }
  fs.mkdirSync(path.dirname(tokenFile), { recursive: true });
  fs.writeFileSync(tokenFile, JSON.stringify(Object.fromEntries(tokens), null, 2), { mode: 0o600 });
  return tokens;
}

async function latestStoredEndMs(sql: SqlDatabase, clusterName: string): Promise<number | null> {
  const [row] = await sql.query<{ latest: number | null }>(
    `SELECT MAX(w.end_ms) AS latest
       FROM gpu_usage_window w JOIN gpu g ON g.id = w.gpu_id JOIN node n ON n.id = g.node_id JOIN cluster c ON c.id = n.cluster_id
      WHERE c.name = ?`,
    [clusterName],
  );
  return row?.latest === null || row?.latest === undefined ? null : Number(row.latest);
}

/**
 * Demo prices for the simulated GPU models, added only where the price book has
 * no price for a model: a cloud on-demand rate for the A100s and an on-prem cost
 * of ownership for the H100s, so both kinds show up. Edit them with
 * `npm run admin -- set-price`.
 */
async function ensureDemoPrices(prisma: AppPrismaClient, effectiveFromMs: number, nowMs: number, log: (line: string) => void): Promise<void> {
  const priced = new Set((await listPriceEntries(prisma)).map((entry) => entry.gpuModel));
  if (!priced.has("NVIDIA A100-SXM4-80GB")) {
    await addPriceEntry(prisma, { gpuModel: "NVIDIA A100-SXM4-80GB", costPerGpuHour: 3.0, source: "cloud-on-demand", effectiveFromMs, note: "demo rate" }, nowMs);
    log("price book: demo rate for NVIDIA A100-SXM4-80GB, 3.00 USD/GPU-hour (cloud on-demand)");
  }
  if (!priced.has("NVIDIA H100 80GB HBM3")) {
    const entry = await addPriceEntry(
      prisma,
      {
        gpuModel: "NVIDIA H100 80GB HBM3",
        tco: { purchasePricePerGpu: 35_000, amortizationMonths: 48, powerDrawW: 1_100, electricityPricePerKwh: 0.12, pue: 1.3, yearlyOverheadPerGpu: 2_500 },
        effectiveFromMs,
        note: "demo cost of ownership",
      },
      nowMs,
    );
    log(`price book: demo cost of ownership for NVIDIA H100 80GB HBM3, ${entry.costPerGpuHour.toFixed(2)} USD/GPU-hour (on-prem)`);
  }
}

export interface SimulatedFleetOptions {
  config: FleetConfig;
  serverUrl: string;
  sql: SqlDatabase;
  prisma: AppPrismaClient;
  tokenFile: string;
  backfillDays: number;
  log: (line: string) => void;
}

/** Backfills what is missing, then streams live. Returns a function that stops streaming. */
export async function runSimulatedFleet(options: SimulatedFleetOptions): Promise<() => void> {
  const { config, log } = options;
  const simulator = new FleetSimulator(config);
  const startedAtMs = Date.now();
  const tokens = await simulatorTokens(simulator, options.sql, options.prisma, options.tokenFile, startedAtMs);
  await ensureDemoPrices(options.prisma, startedAtMs - (options.backfillDays + 1) * DAY_MS, startedAtMs, log);
  const target: FleetTarget = { simulator, serverUrl: options.serverUrl, tokens };
  const gpuCount = config.nodeCount * config.gpusPerNode;
  log(`simulated fleet: ${config.nodeCount} nodes x ${config.gpusPerNode} GPUs (seed ${config.seed}, cluster "${config.clusterName}")`);

  // 1. Work out what history is missing.
  const historyEndMs = Math.floor(startedAtMs / HISTORY_WINDOW_MS) * HISTORY_WINDOW_MS;
  const storedEndMs = await latestStoredEndMs(options.sql, config.clusterName);
  let liveFromMs = historyEndMs;
  if (storedEndMs !== null && storedEndMs >= historyEndMs) liveFromMs = storedEndMs;
  let historyStartMs = storedEndMs ?? historyEndMs - options.backfillDays * DAY_MS;
  historyStartMs = Math.max(historyStartMs, historyEndMs - options.backfillDays * DAY_MS);

  // 2. Backfill it: first up to a 15-minute boundary in live-sized windows, then the rest.
  if (historyStartMs < historyEndMs) {
    const alignedStartMs = Math.ceil(historyStartMs / HISTORY_WINDOW_MS) * HISTORY_WINDOW_MS;
    if (alignedStartMs > historyStartMs) {
      await backfillFleet(target, {
        fromMs: Math.floor(historyStartMs / LIVE_WINDOW_MS) * LIVE_WINDOW_MS,
        toMs: alignedStartMs,
        sampleIntervalMs: LIVE_SAMPLE_MS,
        windowMs: LIVE_WINDOW_MS,
      });
    }
    if (alignedStartMs < historyEndMs) {
      const hours = (historyEndMs - alignedStartMs) / (60 * MINUTE_MS);
      const span = hours >= 48 ? `${(hours / 24).toFixed(1)} days` : `${hours.toFixed(hours < 1 ? 2 : 1)} hours`;
      log(`backfill: ${span} of history for ${gpuCount} GPUs, ${HISTORY_WINDOW_MS / MINUTE_MS}-minute windows`);
      const backfillStartedAt = Date.now();
      let lastReport = 0;
      await backfillFleet(target, {
        fromMs: alignedStartMs,
        toMs: historyEndMs,
        sampleIntervalMs: HISTORY_SAMPLE_MS,
        windowMs: HISTORY_WINDOW_MS,
        onProgress: ({ doneMs, totalMs, windowsSent }) => {
          const now = Date.now();
          if (now - lastReport < 2000 && doneMs < totalMs) return;
          lastReport = now;
          const seconds = (now - backfillStartedAt) / 1000;
          log(
            `backfill: ${(doneMs / DAY_MS).toFixed(1)}/${(totalMs / DAY_MS).toFixed(1)} days (${Math.round((100 * doneMs) / totalMs)}%), ` +
              `${windowsSent.toLocaleString("en-US")} windows, ${Math.round(windowsSent / Math.max(seconds, 0.001)).toLocaleString("en-US")} windows/s`,
          );
        },
      });
      log(`backfill: done in ${((Date.now() - backfillStartedAt) / 1000).toFixed(1)} s`);
    }
  }

  // 3. Stream live from where history ends.
  let liveWindows = 0;
  let lastLiveReport = Date.now();
  const stop = streamFleetLive(target, {
    fromMs: liveFromMs,
    sampleIntervalMs: LIVE_SAMPLE_MS,
    windowMs: LIVE_WINDOW_MS,
    now: Date.now,
    onError: (error) => log(`live: ${error.message}`),
    onWindowsSent: (count) => {
      liveWindows += count;
      if (Date.now() - lastLiveReport >= 10 * MINUTE_MS) {
        log(`live: ${liveWindows.toLocaleString("en-US")} windows sent in the last ${Math.round((Date.now() - lastLiveReport) / MINUTE_MS)} min`);
        liveWindows = 0;
        lastLiveReport = Date.now();
      }
    },
  });
  log(`live: streaming ${gpuCount} GPUs every ${LIVE_SAMPLE_MS / 1000} s in ${LIVE_WINDOW_MS / 1000}-second windows`);
  return stop;
}
