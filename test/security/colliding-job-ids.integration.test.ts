/**
 * One job id in two clusters (two Slurm clusters each with job 1001, on hosts of
 * the same name): the optimizer runs, and every finding, stored recommendation and
 * exported plan keeps the two jobs apart.
 *
 *   cluster east, host gpu-01 (4 x A100 80 GB)       cluster west, host gpu-01 (4 x A100 80 GB)
 *     GPU 0,1: slurm-1001 (training, 10 % busy)        GPU 0,1,2: slurm-1001 (training, 10 % busy)
 *     GPU 2:   pod-… inference (30 % busy)             GPU 3:     pod-… inference (30 % busy)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleGetRecommendationPlan, handleRunRecommendations } from "../../server/api/rest/recommendations-handler";
import type { WorkloadRef } from "../../server/domain/workload-keys";
import type { BatchJob } from "../../solver/tidal/plan";
import { addPriceEntry } from "../../server/services/price-book-service";
import { exportPlan } from "../../server/services/plan-export";
import {
  listRecommendations,
  measureRealizedSaving,
  runRecommendations,
  setRecommendationState,
  storeFindings,
  type PackedNode,
  type PackedWorkload,
  type Recommendation,
} from "../../server/services/recommendation-service";
import { childProcessRunner, singleFlight } from "../../server/services/recommendation-runner";
import { loadWorkloadProfiles } from "../../server/services/workload-profile-service";
import { ingestSmallFleet, type SmallFleetNode } from "../support/small-fleet";
import { databaseKinds, PROJECT_ROOT, type TestDatabase } from "../support/test-databases";

const kinds = await databaseKinds();
const START_MS = Date.UTC(2026, 10, 2); // Monday
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const END_MS = START_MS + 2 * DAY_MS;
const A100 = "NVIDIA A100-SXM4-80GB";
const ADMIN = "admin-secret-for-colliding-ids";

const fleet: SmallFleetNode[] = [
  {
    cluster: "east",
    hostname: "gpu-01",
    gpuModel: A100,
    gpuCount: 4,
    memoryTotalMiB: 81_920,
    jobs: [
      { externalId: "slurm-1001", kind: "training", gpuIndexes: [0, 1], utilizationPct: 10, memoryUsedMiB: 8_000, team: "search" },
      { externalId: "pod-5a1c3e9e-0000-4000-8000-00000000e000", kind: "inference", gpuIndexes: [2], utilizationPct: 30, memoryUsedMiB: 10_000 },
    ],
  },
  {
    cluster: "west",
    hostname: "gpu-01",
    gpuModel: A100,
    gpuCount: 4,
    memoryTotalMiB: 81_920,
    jobs: [
      { externalId: "slurm-1001", kind: "training", gpuIndexes: [0, 1, 2], utilizationPct: 10, memoryUsedMiB: 8_000, team: "vision" },
      { externalId: "pod-5a1c3e9e-0000-4000-8000-00000000a000", kind: "inference", gpuIndexes: [3], utilizationPct: 30, memoryUsedMiB: 10_000 },
    ],
  },
];

const affected = (r: Recommendation) => r.inputs.affectedWorkloads ?? [];

describe.each(kinds)("job slurm-1001 in two clusters in $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL colliding-ids suite: ${skipReason}`);
  let db: TestDatabase;

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    await ingestSmallFleet(db, fleet, { fromMs: END_MS - 6 * HOUR_MS, toMs: END_MS, windowMs: 15 * 60_000 });
    await addPriceEntry(db.prisma, { gpuModel: A100, costPerGpuHour: 2, currency: "USD", effectiveFromMs: START_MS - DAY_MS }, START_MS);
  }, 120_000);
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("profiles each cluster's slurm-1001 apart", async () => {
    const set = await loadWorkloadProfiles(db.sql, { nowMs: END_MS, lookbackDays: 14 });
    const slurm = set.profiles.filter((p) => p.externalId === "slurm-1001");
    expect(slurm.map((p) => [p.clusterName, p.gpuCount])).toEqual([
      ["east", 2],
      ["west", 3],
    ]);
  });

  it.skipIf(skipReason)("runs the optimizer and stores findings that name the right cluster's job", async () => {
    // Open recommendations stored before subjects named the cluster: the run replaces them.
    const legacy = (kind: "packing" | "right-sizing", subject: string) => ({ kind, subject, title: subject, inputs: { affectedJobs: ["slurm-1001"] }, result: null, projectedMonthlySaving: 1, currency: "USD", bound: null, baseline: null, solveSeconds: 0 });
    await storeFindings(db.prisma, [legacy("right-sizing", "right-sizing:slurm-1001"), legacy("packing", `packing:${A100}`)], { nowMs: START_MS, windowStartMs: START_MS, windowEndMs: START_MS });
    const stored = await runRecommendations(db.sql, db.prisma, { nowMs: END_MS, lookbackDays: 14, packingTimeLimitMs: 3_000 });
    expect((await listRecommendations(db.prisma, { state: "open" })).map((r) => r.subject).filter((subject) => !subject.includes("/") && subject !== "tidal:fleet")).toEqual([]);

    const rightSizing = stored.filter((r) => r.kind === "right-sizing").sort((a, b) => a.subject.localeCompare(b.subject));
    expect(rightSizing.map((r) => [r.subject, affected(r), (r.baseline as { gpuCount: number }).gpuCount])).toEqual([
      ["right-sizing:east/slurm-1001", [{ cluster: "east", externalId: "slurm-1001" }], 2],
      ["right-sizing:west/slurm-1001", [{ cluster: "west", externalId: "slurm-1001" }], 3],
    ]);
    for (const r of rightSizing) {
      const cluster = affected(r)[0].cluster;
      expect(r.title).toContain(`slurm-1001 (${cluster})`);
      expect(r.result).toMatchObject({ jobId: "slurm-1001", cluster });
      expect(r.inputs.affectedJobs).toEqual(["slurm-1001"]);
    }

    // Packing never moves a job to another cluster's node: one finding per cluster and model.
    const packing = stored.filter((r) => r.kind === "packing").sort((a, b) => a.subject.localeCompare(b.subject));
    expect(packing.map((r) => r.subject)).toEqual([`packing:east/${A100}`, `packing:west/${A100}`]);
    for (const r of packing) {
      const cluster = r.subject.slice("packing:".length).split("/")[0];
      const workloads = r.inputs.workloads as PackedWorkload[];
      expect(new Set(workloads.map((w) => w.cluster))).toEqual(new Set([cluster]));
      expect(workloads.map((w) => w.externalId)).toContain("slurm-1001");
      expect(affected(r)).toContainEqual({ cluster, externalId: "slurm-1001" });
      expect(r.inputs.nodes as PackedNode[]).toEqual([expect.objectContaining({ cluster, hostname: "gpu-01" })]);
    }

    const tidal = stored.find((r) => r.kind === "tidal")!;
    const batchJobs = tidal.inputs.batchJobs as (BatchJob & WorkloadRef)[];
    expect(batchJobs.map((j) => [j.id, j.cluster, j.externalId])).toEqual([
      ["east/slurm-1001", "east", "slurm-1001"],
      ["west/slurm-1001", "west", "slurm-1001"],
    ]);
    expect((tidal.result as { perJob: { id: string }[] }).perJob.map((j) => j.id).sort()).toEqual(["east/slurm-1001", "west/slurm-1001"]);

    // The exported plans say which cluster each job belongs to.
    for (const r of rightSizing) {
      const cluster = affected(r)[0].cluster;
      expect(exportPlan(r).shell.join("\n")).toContain(`# cluster '${cluster}', slurm job 1001`);
    }
    expect(exportPlan(tidal).shell.filter((line) => line.includes("slurm job 1001"))).toEqual([
      expect.stringContaining("# cluster 'east', slurm job 1001"),
      expect.stringContaining("# cluster 'west', slurm job 1001"),
    ]);

    // A second run replaces each cluster's recommendation instead of one cluster's replacing the other's.
    await runRecommendations(db.sql, db.prisma, { nowMs: END_MS, lookbackDays: 14, packingTimeLimitMs: 3_000 });
    const open = await listRecommendations(db.prisma, { kind: "right-sizing", state: "open" });
    expect(open.map((r) => r.subject).sort()).toEqual(["right-sizing:east/slurm-1001", "right-sizing:west/slurm-1001"]);
  }, 120_000);

  it.skipIf(skipReason)("measures the realized saving of one cluster's job only", async () => {
    const [east, west] = (await listRecommendations(db.prisma, { kind: "right-sizing", state: "open" })).sort((a, b) => a.subject.localeCompare(b.subject));
    for (const r of [east, west]) {
      await setRecommendationState(db.prisma, r.id, "accepted", END_MS);
      await setRecommendationState(db.prisma, r.id, "applied", END_MS);
    }
    // Applied at END_MS: the day before it holds 6 hours of each job; east's holds 2 GPUs at 2 USD, west's 3.
    const measuredEast = await measureRealizedSaving(db.sql, db.prisma, east.id, END_MS + DAY_MS);
    const measuredWest = await measureRealizedSaving(db.sql, db.prisma, west.id, END_MS + DAY_MS);
    expect(measuredEast.realized?.dailyCostBefore).toBeCloseTo(6 * 2 * 2, 6);
    expect(measuredWest.realized?.dailyCostBefore).toBeCloseTo(6 * 3 * 2, 6);
  });

  it.skipIf(skipReason)("answers POST /api/v1/recommendations/run with 201 and serves each plan with its cluster", async () => {
    const runner = singleFlight(childProcessRunner({ projectRoot: PROJECT_ROOT, databaseUrl: db.url }));
    const context = { db: db.sql, prisma: db.prisma, adminToken: ADMIN, nowMs: () => END_MS, runRecommendations: runner };
    const request = (method: string, path: string) => new Request(`http://gpu-roi.test${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: method === "POST" ? "{}" : undefined });
    const run = await handleRunRecommendations(request("POST", "/api/v1/recommendations/run"), context);
    expect(run.status).toBe(201);
    const { recommendations } = (await run.json()) as { recommendations: Recommendation[] };
    const packing = recommendations.filter((r) => r.kind === "packing");
    expect(packing.map((r) => r.subject).sort()).toEqual([`packing:east/${A100}`, `packing:west/${A100}`]);
    for (const r of packing) {
      const response = await handleGetRecommendationPlan(request("GET", `/api/v1/recommendations/${r.id}/plan?format=shell`), String(r.id), context);
      expect(response.status).toBe(200);
      const cluster = r.subject.slice("packing:".length).split("/")[0];
      expect(await response.text()).toContain(`in cluster '${cluster}'`);
    }
  }, 120_000);
});
