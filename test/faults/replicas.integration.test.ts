/**
 * Several server replicas on one PostgreSQL schema, ingesting at once: two
 * ingest server processes (the real handler in node:http, test/support/ingest-server-main.ts)
 * on different ports. Proves that the same batch sent to both replicas at once
 * is stored once, that rollups are computed once (their totals equal the raw
 * windows'), that concurrent transactions touching the same jobs neither fail
 * nor deadlock, and that the totals equal what the collectors sent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IngestDeferredError, sendBatch } from "../../collectors/send";
import { issueNodeToken } from "../../server/services/node-tokens";
import type { IngestAck, IngestBatch } from "../../server/wire/ingest-v1";
import { MINUTE_MS, T0_MS } from "../support/batches";
import { expectedRollupTotals, expectSameTotals, storedRollupTotals, storedTotals, truthOf } from "../support/ingest-truth";
import { freePort, killIngestServers, spawnIngestServer, type IngestServerProcess } from "../support/ingest-server-process";
import { startSimulatedCollectors, type SimulatedCollectors } from "../support/simulated-collectors";
import { createPostgresTestDatabase, postgresUnavailableReason, type TestDatabase } from "../support/test-databases";

const skipReason = await postgresUnavailableReason();
if (skipReason && process.env.CI === "true") throw new Error(`CI requires PostgreSQL: ${skipReason}`);
if (skipReason) console.warn(`skipping the replicas suite: ${skipReason}`);

const NODES = 4;
const GPUS_PER_NODE = 2;
const ROUNDS = 12;

/**
 * One minute of a node that runs two ranks of the same distributed jobs as the
 * other nodes (cluster "sim"): jobs `dist-a` and `dist-b` on every node, plus a
 * job new in each round. Odd nodes list the jobs in the other order, and each
 * node reports its own rank label, so concurrent batches update the same job
 * rows in opposite orders: the pattern that deadlocks without a lock order.
 */
function distributedJobBatch(nodeIndex: number, round: number): IngestBatch {
  const hostname = `mn-node-${nodeIndex}`;
  const startMs = T0_MS + round * MINUTE_MS;
  const gpus = Array.from({ length: GPUS_PER_NODE }, (_, index) => ({
    uuid: `GPU-mn-${nodeIndex}-${index}`,
    index,
    modelName: "NVIDIA H100 80GB HBM3",
    memoryTotalMiB: 81559,
    migParentUuid: null,
    migProfile: null,
  }));
  const jobIds = ["dist-a", "dist-b", `dist-new-${round}`];
  const ordered = nodeIndex % 2 === 0 ? jobIds : [...jobIds].reverse();
  const jobs = ordered.map((externalId) => ({
    externalId,
    kind: "training" as const,
    requestedGpus: NODES * GPUS_PER_NODE,
    team: "llm",
    project: "pretrain",
    model: "llm-70b",
    experiment: externalId,
    user: "ops",
    labels: { rank: String(nodeIndex) },
  }));
  return {
    schemaVersion: 1,
    batchId: `00000000-0000-4000-8000-${String(round).padStart(6, "0")}${String(nodeIndex).padStart(6, "0")}`,
    node: { hostname, labels: { pool: "h100" } },
    collector: { version: "test", source: "simulator", failedPolls: 0 },
    gpus,
    jobs,
    gpuWindows: gpus.map((gpu, index) => ({
      gpuUuid: gpu.uuid,
      startMs,
      endMs: startMs + MINUTE_MS,
      sampleCount: 6,
      utilizationAvgPct: 60 + index,
      utilizationMaxPct: 90,
      smActiveAvgPct: null,
      memoryUsedAvgMiB: 40_000,
      memoryUsedMaxMiB: 41_000,
      powerAvgW: 400 + nodeIndex,
      energyJ: (400 + nodeIndex) * 60,
    })),
    // Each GPU runs a rank of dist-a or dist-b and a rank of the round's new job.
    jobWindows: gpus.flatMap((gpu, index) =>
      [index === 0 ? "dist-a" : "dist-b", `dist-new-${round}`].map((jobExternalId) => ({
        gpuUuid: gpu.uuid,
        jobExternalId,
        startMs,
        endMs: startMs + MINUTE_MS,
        sampleCount: 6,
        processCount: 1,
        utilizationAvgPct: 30,
        memoryUsedAvgMiB: 20_000,
        memoryUsedMaxMiB: 20_500,
      })),
    ),
  };
}

/** One attempt, no retry: a 5xx from a race must show, not be retried away. */
async function sendOnce(batch: IngestBatch, serverUrl: string, token: string): Promise<IngestAck | string> {
  try {
    return await sendBatch(batch, { serverUrl, token, maxAttempts: 1 });
  } catch (error) {
    if (error instanceof IngestDeferredError) return error.message;
    throw error;
  }
}

describe.skipIf(skipReason !== null)("several server replicas on one PostgreSQL", () => {
  let db: TestDatabase;
  let replicas: IngestServerProcess[] = [];
  let collectors: SimulatedCollectors | undefined;

  beforeAll(async () => {
    db = await createPostgresTestDatabase();
    // The windows are stamped at fixed dates (T0_MS) while the replicas run on the real clock: accept any age.
    replicas = await Promise.all([0, 1].map(async () => spawnIngestServer({ databaseUrl: db.url, port: await freePort(), maxAgeDays: 36_500 })));
  });
  afterAll(async () => {
    await collectors?.dispose();
    await killIngestServers();
    await db?.dispose();
  });

  it("stores a batch sent to two replicas at once exactly once, with its rollups added once", async () => {
    const tokens = await Promise.all(
      Array.from({ length: NODES }, async (_, nodeIndex) => (await issueNodeToken(db.prisma, { clusterName: "sim", hostname: `mn-node-${nodeIndex}`, nowMs: Date.now() })).token),
    );
    const sent: IngestBatch[] = [];
    const acks: IngestAck[] = [];
    // Every node's batch for a round goes to both replicas at the same moment.
    for (let round = 0; round < 4; round++) {
      const answers = await Promise.all(
        Array.from({ length: NODES }, (_, nodeIndex) => {
          const batch = distributedJobBatch(nodeIndex, round);
          sent.push(batch);
          return Promise.all(replicas.map((replica) => sendOnce(batch, replica.url, tokens[nodeIndex])));
        }),
      );
      for (const pair of answers) {
        expect(pair.every((answer) => typeof answer !== "string"), String(pair)).toBe(true);
        const [first, second] = pair as IngestAck[];
        // One replica stored it, the other acknowledged a duplicate.
        expect([first.duplicate, second.duplicate].sort()).toEqual([false, true]);
        acks.push(first.duplicate ? second : first);
      }
    }
    expect(acks.every((ack) => ack.gpuWindowsStored === GPUS_PER_NODE && ack.jobWindowsStored === GPUS_PER_NODE * 2)).toBe(true);
    const truth = truthOf(sent);
    expectSameTotals(await storedTotals(db.sql), truth);
    expectSameTotals(await storedRollupTotals(db.sql), expectedRollupTotals(truth));
  });

  it("registers and updates jobs shared by several nodes from concurrent batches on both replicas without an error or deadlock", async () => {
    const tokens = new Map<number, string>();
    for (let nodeIndex = 0; nodeIndex < NODES; nodeIndex++) {
      // Tokens were issued by the previous test for the same hostnames; issue fresh ones (several per node are allowed).
      tokens.set(nodeIndex, (await issueNodeToken(db.prisma, { clusterName: "sim", hostname: `mn-node-${nodeIndex}`, nowMs: Date.now() })).token);
    }
    const before = await storedTotals(db.sql);
    const sent: IngestBatch[] = [];
    const failures: string[] = [];
    for (let round = 4; round < ROUNDS; round++) {
      // Node i's batch goes to replica i % 2: the nodes' transactions overlap on the shared jobs.
      const answers = await Promise.all(
        Array.from({ length: NODES }, (_, nodeIndex) => {
          const batch = distributedJobBatch(nodeIndex, round);
          sent.push(batch);
          return sendOnce(batch, replicas[nodeIndex % 2].url, tokens.get(nodeIndex)!);
        }),
      );
      for (const answer of answers) if (typeof answer === "string") failures.push(answer);
    }
    if (failures.length > 0) console.error(replicas.map((replica) => replica.stderr()).join("\n").slice(0, 6000));
    expect(failures).toEqual([]);
    const truth = truthOf(sent);
    const stored = await storedTotals(db.sql);
    expect(stored.gpuWindows - before.gpuWindows).toBe(truth.gpuWindows);
    expect(stored.jobWindows - before.jobWindows).toBe(truth.jobWindows);
    // One row per job, whichever node registered it first.
    const jobRows = await db.sql.query<{ external_id: string; n: number }>(`SELECT external_id, COUNT(*) AS n FROM job WHERE external_id LIKE 'dist-%' GROUP BY external_id`);
    const jobCounts = new Map(jobRows.map((row) => [row.external_id, Number(row.n)]));
    for (const externalId of ["dist-a", "dist-b", ...Array.from({ length: ROUNDS - 4 }, (_, index) => `dist-new-${index + 4}`)]) {
      expect(jobCounts.get(externalId), externalId).toBe(1);
    }
    // The shared jobs' spans reach the last round.
    const spans = await db.sql.query<{ external_id: string; first_seen_ms: number; last_seen_ms: number }>(
      `SELECT external_id, first_seen_ms, last_seen_ms FROM job WHERE external_id IN ('dist-a', 'dist-b') ORDER BY external_id`,
    );
    expect(spans.map((row) => row.external_id)).toEqual(["dist-a", "dist-b"]);
    for (const row of spans) {
      expect(Number(row.first_seen_ms)).toBeLessThanOrEqual(T0_MS + 4 * MINUTE_MS);
      expect(Number(row.last_seen_ms)).toBe(T0_MS + ROUNDS * MINUTE_MS);
    }
  });

  it("stores exactly what several collectors sent through a load balancer that hedges every request to both replicas", async () => {
    const before = await storedTotals(db.sql);
    const beforeRollups = await storedRollupTotals(db.sql);
    let hedged = 0;
    // A load balancer that sends each request to both replicas at once (a hedged
    // or retried request) and answers with the first success.
    const hedgingFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      hedged += 1;
      const path = new URL(String(input)).pathname;
      const answers = await Promise.allSettled(replicas.map((replica) => fetch(new URL(path, replica.url), init)));
      const fulfilled = answers.flatMap((answer) => (answer.status === "fulfilled" ? [answer.value] : []));
      const ok = fulfilled.find((response) => response.ok);
      if (ok) return ok;
      if (fulfilled[0]) return fulfilled[0];
      throw (answers[0] as PromiseRejectedResult).reason;
    }) as typeof fetch;
    collectors = await startSimulatedCollectors(db.prisma, { nodeCount: 4, serverUrl: replicas[0].url, fetchImpl: hedgingFetch, seed: 11 });
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(await collectors.finish(60_000)).toBe(true);

    const truth = truthOf(collectors.batches);
    expect(new Set(collectors.batches.map((batch) => batch.batchId)).size).toBeGreaterThanOrEqual(4 * 3);
    expect(hedged).toBeGreaterThanOrEqual(4);
    const stored = await storedTotals(db.sql);
    const storedRollups = await storedRollupTotals(db.sql);
    const delta = <T extends object>(after: T, earlier: T) =>
      Object.fromEntries(Object.entries(after).map(([key, value]) => [key, (value as number) - (earlier as Record<string, number>)[key]])) as T;
    expectSameTotals(delta(stored, before), truth);
    expectSameTotals(delta(storedRollups, beforeRollups), expectedRollupTotals(truth));
    // Both replicas stored some of the batches and acknowledged the rest as duplicates.
    for (const replica of replicas) expect(replica.statuses.filter((status) => status === 200).length).toBeGreaterThan(0);
  });
});
