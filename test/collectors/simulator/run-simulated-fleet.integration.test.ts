import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetSimulator } from "../../../collectors/simulator/fleet-simulator";
import { backfillFleet, type FleetTarget } from "../../../collectors/simulator/run-simulated-fleet";
import { WindowAggregator } from "../../../collectors/window";
import { issueNodeToken } from "../../../server/services/node-tokens";
import { getOverview } from "../../../server/services/overview-service";
import { fetchIntoIngestHandler } from "../../support/in-process-server";
import { databaseKinds, type TestDatabase } from "../../support/test-databases";
import { ALL_DATA } from "../../../server/auth/principal";

const kinds = await databaseKinds();
const DAY_START_MS = Date.UTC(2026, 10, 2); // Monday
const DAY_MS = 86_400_000;
const WINDOW_MS = 15 * 60_000;
const SAMPLE_MS = 60_000;

/** What the simulator produced, windowed by the collector code alone: the truth to compare with. */
function simulatedTruth(simulator: FleetSimulator) {
  let gpuWindows = 0;
  let jobWindows = 0;
  let utilizationPctHours = 0;
  for (const node of simulator.nodes) {
    const aggregator = new WindowAggregator(WINDOW_MS);
    for (let atMs = DAY_START_MS; atMs < DAY_START_MS + DAY_MS; atMs += SAMPLE_MS) aggregator.add(simulator.snapshot(node.index, atMs));
    const closed = aggregator.flush(DAY_START_MS + DAY_MS);
    gpuWindows += closed.gpuWindows.length;
    jobWindows += closed.jobWindows.length;
    for (const window of closed.gpuWindows) utilizationPctHours += (window.utilizationAvgPct ?? 0) * (WINDOW_MS / 3_600_000);
  }
  return { gpuWindows, jobWindows, utilizationPctHours };
}

describe.each(kinds)("backfillFleet into $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL simulator suite: ${skipReason}`);
  let db: TestDatabase;
  let target: FleetTarget;
  const simulator = new FleetSimulator({ seed: 3, nodeCount: 4, gpusPerNode: 2, clusterName: "sim" });

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    const tokens = new Map<string, string>();
    for (const node of simulator.nodes) {
      tokens.set(node.hostname, (await issueNodeToken(db.prisma, { clusterName: "sim", hostname: node.hostname, nowMs: DAY_START_MS })).token);
    }
    target = { simulator, serverUrl: "http://gpu-roi.test", tokens, fetchImpl: fetchIntoIngestHandler(db.sql, () => DAY_START_MS + DAY_MS) };
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("stores every simulated window through the real ingest path, and the overview adds them up", async () => {
    const sent = await backfillFleet(target, { fromMs: DAY_START_MS, toMs: DAY_START_MS + DAY_MS, sampleIntervalMs: SAMPLE_MS, windowMs: WINDOW_MS, batchSpanMs: 6 * 3_600_000 });
    const truth = simulatedTruth(simulator);
    expect(sent).toBe(truth.gpuWindows + truth.jobWindows);
    expect(truth.gpuWindows).toBe(4 * 2 * 96);

    const [stored] = await db.sql.query<{ gpu: number; job: number }>(
      `SELECT (SELECT COUNT(*) FROM gpu_usage_window) AS gpu, (SELECT COUNT(*) FROM job_usage_window) AS job`,
    );
    expect({ gpu: Number(stored.gpu), job: Number(stored.job) }).toEqual({ gpu: truth.gpuWindows, job: truth.jobWindows });

    const overview = await getOverview(db.sql, { startMs: DAY_START_MS, endMs: DAY_START_MS + DAY_MS }, 10, ALL_DATA);
    expect(overview.fleet).toMatchObject({ nodeCount: 4, gpuCount: 8 });
    expect(overview.summary.gpuHours).toBeCloseTo(8 * 24, 9);
    expect(overview.summary.activeGpuHours).toBeCloseTo(truth.utilizationPctHours / 100, 6);
    expect(overview.series.points.reduce((sum, point) => sum + point.gpuHours, 0)).toBeCloseTo(8 * 24, 9);

    // A longer window reads hourly buckets from the rollups, and its partial
    // first hour from the raw windows: the same totals.
    const longer = await getOverview(db.sql, { startMs: DAY_START_MS - 30 * 60_000, endMs: DAY_START_MS + 3 * DAY_MS - 30 * 60_000 }, 10, ALL_DATA);
    expect(longer.series.bucketMs).toBe(3_600_000);
    // Each GPU counts once per bucket, also in the partial first hour read from raw windows.
    expect(longer.series.points.map((point) => point.gpusReporting)).toEqual(longer.series.points.map(() => 8));
    expect(longer.summary.gpuHours).toBeCloseTo(8 * 24, 9);
    expect(longer.summary.activeGpuHours).toBeCloseTo(truth.utilizationPctHours / 100, 6);
    const shifted = await getOverview(db.sql, { startMs: DAY_START_MS + 30 * 60_000, endMs: DAY_START_MS + 3 * DAY_MS + 30 * 60_000 }, 10, ALL_DATA);
    expect(shifted.summary.gpuHours).toBeCloseTo(8 * 23.5, 9);
  });

  it.skipIf(skipReason)("stores nothing twice when the same history is sent again", async () => {
    const before = await db.sql.query(`SELECT COUNT(*) AS n FROM gpu_usage_window`);
    await backfillFleet(target, { fromMs: DAY_START_MS, toMs: DAY_START_MS + DAY_MS / 4, sampleIntervalMs: SAMPLE_MS, windowMs: WINDOW_MS });
    expect(await db.sql.query(`SELECT COUNT(*) AS n FROM gpu_usage_window`)).toEqual(before);
  });

  it.skipIf(skipReason)("clips windows to the query window", async () => {
    const halfHour = await getOverview(db.sql, { startMs: DAY_START_MS + 5 * 60_000, endMs: DAY_START_MS + 35 * 60_000 }, 10, ALL_DATA);
    expect(halfHour.summary.gpuHours).toBeCloseTo(8 * 0.5, 9);
  });
});
