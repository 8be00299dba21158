import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unitRandom } from "../../../collectors/simulator/deterministic-random";
import { allocateCosts, type AllocationGpu, type AllocationJob, type AllocationResult, type JobGpuUsage } from "../../../server/domain/allocation";
import { migFraction, type PriceEntry } from "../../../server/domain/pricing";
import { allocate } from "../../../server/services/allocation-service";
import { databaseKinds, type TestDatabase } from "../../support/test-databases";
import { ALL_DATA } from "../../../server/auth/principal";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const T0_MS = Date.UTC(2026, 10, 2);
const WINDOW = { startMs: T0_MS + 5 * HOUR_MS, endMs: T0_MS + 3 * DAY_MS + 7 * HOUR_MS };
const PRICE_CHANGE_MS = T0_MS + 30 * HOUR_MS;
const USAGE_COLUMNS = ["share_ms", "active_ms", "sole_ms", "utilization_split_ms", "memory_split_ms", "even_split_ms"] as const;

/** Draws of a seeded random source, so every run seeds the same fleets. */
function randomSource(seed: number): () => number {
  let draws = 0;
  return () => unitRandom(seed, draws++);
}

interface Fleet {
  gpus: AllocationGpu[];
  jobs: AllocationJob[];
  prices: PriceEntry[];
  /** One row per job, GPU and hour, as the hourly rollup holds it. */
  hourly: JobGpuUsage[];
}

/**
 * A random fleet over four days: two clusters, nodes with and without the
 * `pool=reserved` label (a cheaper A100 price), whole GPUs and MIG instances of a
 * registered parent, GPUs that appear mid-window, a price change at 06:00 on the
 * second day, and hours where two jobs together hold a GPU longer than an hour.
 */
function randomFleet(seed: number): Fleet {
  const random = randomSource(seed);
  const gpus: AllocationGpu[] = [];
  for (let nodeId = 1; nodeId <= 3; nodeId++) {
    const nodeLabels: Record<string, string> = nodeId === 2 ? { pool: "reserved" } : {};
    for (let index = 0; index < 3; index++) {
      const gpuId = gpus.length + 1;
      const lateMs = random() < 0.3 ? Math.floor(random() * 40) * HOUR_MS + 17 * 60_000 : 0;
      const base = { nodeId, hostname: `node-${nodeId}`, clusterName: nodeId === 3 ? "east" : "west", nodeLabels, firstSeenMs: T0_MS + lateMs, lastSeenMs: T0_MS + 4 * DAY_MS };
      gpus.push({ ...base, gpuId, uuid: `GPU-${gpuId}`, modelName: index === 2 ? "H100" : "A100", migParentGpuId: null, migParentUuid: null, fractionOfGpu: 1 });
    }
    // A 3g.40gb instance of the node's first GPU.
    const parent = gpus[gpus.length - 3];
    gpus.push({ ...parent, gpuId: gpus.length + 1, uuid: `MIG-${parent.uuid}/1/0`, migParentGpuId: parent.gpuId, migParentUuid: parent.uuid, fractionOfGpu: migFraction("3g.40gb")! });
  }
  const jobs: AllocationJob[] = Array.from({ length: 5 }, (_, index) => ({
    jobId: index + 1,
    externalId: `job-${index + 1}`,
    kind: "training",
    team: ["search", "ads", "vision"][index % 3],
    project: null,
    model: null,
    experiment: null,
    user: null,
    labels: {},
  }));
  const hourly: JobGpuUsage[] = [];
  for (const gpu of gpus) {
    for (let hourMs = Math.floor(gpu.firstSeenMs / HOUR_MS) * HOUR_MS; hourMs < T0_MS + 4 * DAY_MS; hourMs += HOUR_MS) {
      if (random() < 0.35) continue;
      const holders = random() < 0.25 ? 2 : 1;
      const first = Math.floor(random() * jobs.length);
      for (let holder = 0; holder < holders; holder++) {
        const shareMs = Math.round(random() * (holders === 2 ? 0.8 : 1) * HOUR_MS);
        const activeMs = Math.round(shareMs * random());
        hourly.push({ jobId: jobs[(first + holder) % jobs.length].jobId, gpuId: gpu.gpuId, periodStartMs: hourMs, shareMs, activeMs, soleMs: holders === 1 ? shareMs : 0, utilizationSplitMs: holders === 2 ? shareMs : 0, memorySplitMs: 0, evenSplitMs: 0 });
      }
    }
  }
  const entry = (id: number, gpuModel: string, costPerGpuHour: number, effectiveFromMs: number, effectiveToMs: number | null, label = false): PriceEntry => ({
    id,
    gpuModel,
    costPerGpuHour,
    currency: "USD",
    effectiveFromMs,
    effectiveToMs,
    nodeLabelKey: label ? "pool" : null,
    nodeLabelValue: label ? "reserved" : null,
  });
  const prices = [entry(1, "A100", 2.2, 0, PRICE_CHANGE_MS), entry(2, "A100", 2.9, PRICE_CHANGE_MS, null), entry(3, "A100", 1.3, 0, null, true), entry(4, "H100", 4.1, 0, null)];
  return { gpus, jobs, prices, hourly };
}

/** Stores the fleet as ingest would: registry rows, the hourly rollup and its daily sums, the price book. */
async function store(db: TestDatabase, fleet: Fleet): Promise<void> {
  await db.sql.query(`INSERT INTO cluster (id, name, created_at_ms) VALUES (1, 'west', 0), (2, 'east', 0)`);
  for (const nodeId of [1, 2, 3]) {
    const labels = fleet.gpus.find((gpu) => gpu.nodeId === nodeId)!.nodeLabels;
    await db.sql.query(`INSERT INTO node (id, cluster_id, hostname, labels_json, created_at_ms, last_seen_ms) VALUES (?, ?, ?, ?, 0, ?)`, [
      nodeId,
      nodeId === 3 ? 2 : 1,
      `node-${nodeId}`,
      JSON.stringify(labels),
      T0_MS + 4 * DAY_MS,
    ]);
  }
  for (const gpu of fleet.gpus) {
    await db.sql.query(
      `INSERT INTO gpu (id, node_id, uuid, gpu_index, model_name, memory_total_mib, mig_parent_uuid, mig_profile, first_seen_ms, last_seen_ms) VALUES (?, ?, ?, 0, ?, 81920, ?, ?, ?, ?)`,
      [gpu.gpuId, gpu.nodeId, gpu.uuid, gpu.modelName, gpu.migParentUuid ?? null, gpu.migParentUuid ? "3g.40gb" : null, gpu.firstSeenMs, gpu.lastSeenMs],
    );
  }
  for (const job of fleet.jobs) {
    await db.sql.query(`INSERT INTO job (id, cluster_id, external_id, kind, team, labels_json, first_seen_ms, last_seen_ms) VALUES (?, 1, ?, 'training', ?, '{}', ?, ?)`, [
      job.jobId,
      job.externalId,
      job.team,
      T0_MS,
      T0_MS + 4 * DAY_MS,
    ]);
  }
  await db.sql.insertMany({
    table: "job_usage_hourly",
    columns: [
      { name: "job_id", type: "integer" },
      { name: "gpu_id", type: "integer" },
      { name: "hour_start_ms", type: "bigint" },
      { name: "reported_ms", type: "bigint" },
      ...USAGE_COLUMNS.map((name) => ({ name, type: "double precision" as const })),
      { name: "memory_mib_ms", type: "double precision" },
    ],
    conflictColumns: ["job_id", "gpu_id", "hour_start_ms"],
    rows: fleet.hourly.map((row) => [row.jobId, row.gpuId, row.periodStartMs, row.shareMs, row.shareMs, row.activeMs, row.soleMs, row.utilizationSplitMs, row.memorySplitMs, row.evenSplitMs, 0]),
  });
  await db.sql.query(
    `INSERT INTO job_usage_daily (job_id, gpu_id, day_start_ms, reported_ms, ${USAGE_COLUMNS.join(", ")}, memory_mib_ms)
     SELECT job_id, gpu_id, (hour_start_ms / ${DAY_MS}) * ${DAY_MS}, SUM(reported_ms), ${USAGE_COLUMNS.map((name) => `SUM(${name})`).join(", ")}, 0
       FROM job_usage_hourly GROUP BY job_id, gpu_id, (hour_start_ms / ${DAY_MS}) * ${DAY_MS}`,
  );
  for (const price of fleet.prices) {
    await db.sql.query(
      `INSERT INTO price_book_entry (id, gpu_model, cost_per_gpu_hour, currency, source, effective_from_ms, effective_to_ms, node_label_key, node_label_value, created_at_ms) VALUES (?, ?, ?, 'USD', 'cloud-on-demand', ?, ?, ?, ?, 0)`,
      [price.id, price.gpuModel, price.costPerGpuHour, price.effectiveFromMs, price.effectiveToMs, price.nodeLabelKey, price.nodeLabelValue],
    );
  }
}

function expectSameFigures(actual: AllocationResult, expected: AllocationResult): void {
  const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
  close(actual.fleetCost, expected.fleetCost);
  close(actual.totals.totalCost, expected.totals.totalCost);
  close(actual.totals.idleCost, expected.totals.idleCost);
  const key = (row: AllocationResult["rows"][number]) => `${row.startMs}/${row.name}`;
  const expectedRows = new Map(expected.rows.map((row) => [key(row), row]));
  expect(actual.rows.map(key).sort()).toEqual([...expectedRows.keys()].sort());
  for (const row of actual.rows) {
    const reference = expectedRows.get(key(row))!;
    close(row.gpuHours, reference.gpuHours);
    close(row.gpuCost, reference.gpuCost);
    close(row.idleCost, reference.idleCost);
    close(row.totalCost, reference.totalCost);
  }
}

describe.each(kinds)("allocate with shared idle, on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL shared-idle equivalence suite: ${skipReason}`);
  const seeds = [1, 2, 3];
  const databases = new Map<number, { db: TestDatabase; fleet: Fleet }>();

  beforeAll(async () => {
    if (skipReason) return;
    for (const seed of seeds) {
      const db = await create();
      const fleet = randomFleet(seed);
      await store(db, fleet);
      databases.set(seed, { db, fleet });
    }
  }, 120_000);
  afterAll(async () => {
    for (const { db } of databases.values()) await db.dispose();
  });

  it.skipIf(skipReason)(
    "gives the figures of settling the hourly rows one by one, for every step, basis and idle scope",
    { timeout: 120_000 },
    async () => {
      for (const seed of seeds) {
        const { db, fleet } = databases.get(seed)!;
        const hourly = fleet.hourly.filter((row) => row.periodStartMs >= WINDOW.startMs && row.periodStartMs < WINDOW.endMs);
        for (const stepMs of [null, HOUR_MS, DAY_MS]) {
          for (const basis of ["allocation", "usage"] as const) {
            for (const shareIdle of ["weighted", "even"] as const) {
              for (const idleBy of ["cluster", "node"] as const) {
                const options = { aggregate: ["job" as const, "gpu" as const], basis, shareIdle, idleBy, filter: new Map<string, string[]>(), stepMs };
                const actual = await allocate(db.sql, { window: WINDOW, ...options }, ALL_DATA);
                const expected = allocateCosts(fleet.gpus, fleet.jobs, hourly, fleet.prices, {
                  ...options,
                  windowStartMs: WINDOW.startMs,
                  windowEndMs: WINDOW.endMs,
                  periodStartsMs: [PRICE_CHANGE_MS],
                });
                expect(expected.totals.idleCost).toBeGreaterThan(0);
                expectSameFigures(actual, expected);
              }
            }
          }
        }
      }
    },
  );
});
