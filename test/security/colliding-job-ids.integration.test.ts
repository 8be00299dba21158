/**
 * One job id in two clusters (two Slurm clusters each with job 1001, on hosts of
 * the same name): the fleet plan runs, and every workload, finding, stored
 * recommendation and exported plan keeps the two jobs apart.
 *
 *   cluster east (4 x A100 80 GB a host)               cluster west (4 x A100 80 GB a host)
 *     gpu-01 GPU 0:   pod-… inference (30 % busy)        gpu-01 GPU 0:     pod-… inference (30 % busy)
 *     gpu-02 GPU 0,1: slurm-1001 (training, 10 % busy)   gpu-02 GPU 0,1,2: slurm-1001 (training, 10 % busy)
 *
 * Each cluster's slurm-1001 fits beside its inference pod: the plan drains one node in each cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleGetRecommendationPlan, handleRunRecommendations } from "../../server/api/rest/recommendations-handler";
import { addPriceEntry } from "../../server/services/price-book-service";
import { exportPlan } from "../../server/services/plan-export";
import {
  listRecommendations,
  measureRealizedSaving,
  runFleetPlan,
  setRecommendationState,
  storeFindings,
  type Recommendation,
} from "../../server/services/recommendation-service";
import { childProcessRunner, singleFlight } from "../../server/services/recommendation-runner";
import { loadWorkloadProfiles } from "../../server/services/workload-profile-service";
import { ingestSmallFleet, type SmallFleetNode } from "../support/small-fleet";
import { databaseKinds, PROJECT_ROOT, type TestDatabase } from "../support/test-databases";
import { ALL_DATA } from "../../server/auth/principal";

const kinds = await databaseKinds();
const START_MS = Date.UTC(2026, 10, 2); // Monday
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const END_MS = START_MS + 2 * DAY_MS;
const A100 = "NVIDIA A100-SXM4-80GB";
const ADMIN = "admin-secret-for-colliding-ids";

const node = (cluster: string, hostname: string, jobs: SmallFleetNode["jobs"]): SmallFleetNode => ({ cluster, hostname, gpuModel: A100, gpuCount: 4, memoryTotalMiB: 81_920, jobs });

const fleet: SmallFleetNode[] = [
  node("east", "gpu-01", [{ externalId: "pod-5a1c3e9e-0000-4000-8000-00000000e000", kind: "inference", gpuIndexes: [0], utilizationPct: 30, memoryUsedMiB: 10_000 }]),
  node("east", "gpu-02", [{ externalId: "slurm-1001", kind: "training", gpuIndexes: [0, 1], utilizationPct: 10, memoryUsedMiB: 8_000, team: "search" }]),
  node("west", "gpu-01", [{ externalId: "pod-5a1c3e9e-0000-4000-8000-00000000a000", kind: "inference", gpuIndexes: [0], utilizationPct: 30, memoryUsedMiB: 10_000 }]),
  node("west", "gpu-02", [{ externalId: "slurm-1001", kind: "training", gpuIndexes: [0, 1, 2], utilizationPct: 10, memoryUsedMiB: 8_000, team: "vision" }]),
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
    // Open recommendations stored before the fleet plan: the plan's run supersedes them.
    const legacy = (kind: "packing" | "right-sizing", subject: string) => ({ kind, subject, title: subject, inputs: { affectedJobs: ["slurm-1001"] }, result: null, projectedMonthlySaving: 1, currency: "USD", bound: null, baseline: null, solveSeconds: 0 });
    await storeFindings(db.prisma, [legacy("right-sizing", "right-sizing:slurm-1001"), legacy("packing", `packing:${A100}`)], { nowMs: START_MS, windowStartMs: START_MS, windowEndMs: START_MS });
    const { plan, recommendations: stored } = await runFleetPlan(db.sql, db.prisma, { nowMs: END_MS, lookbackDays: 14, planTimeLimitMs: 10_000 });
    expect((await listRecommendations(db.prisma, { state: "open" })).every((r) => r.subject.startsWith("plan:"))).toBe(true);

    // The plan holds each cluster's slurm-1001 as a workload of its own, on its own cluster's node.
    const slurm = plan.workloads.filter((w) => w.id === "slurm-1001").map((w) => [w.key, w.from.gpuCount]);
    expect(slurm).toEqual([
      ["east/slurm-1001", 2],
      ["west/slurm-1001", 3],
    ]);
    expect(plan.nodes.map((n) => n.key).sort()).toEqual(["east/gpu-01", "east/gpu-02", "west/gpu-01", "west/gpu-02"]);
    // Each cluster's two jobs fit on one of its nodes: one node drains in each cluster, never across.
    expect(plan.nodes.filter((n) => n.drained).map((n) => n.cluster).sort()).toEqual(["east", "west"]);

    // A finding never mixes clusters: its jobs, its cluster and its export name the same one.
    expect(new Set(stored.map((r) => r.inputs.cluster))).toEqual(new Set(["east", "west"]));
    for (const r of stored) {
      const cluster = r.inputs.cluster as string;
      expect(new Set(affected(r).map((w) => w.cluster))).toEqual(new Set([cluster]));
      const shell = exportPlan(r).shell.join("\n");
      expect(shell).toContain(`in cluster '${cluster}'`);
      expect(shell).not.toContain(`cluster '${cluster === "east" ? "west" : "east"}'`);
    }
  }, 120_000);

  it.skipIf(skipReason)("measures the realized saving of one cluster's job only", async () => {
    // A finding about one cluster's job (a right-sizing as stored before the plan, or a plan's move) is measured on that job alone.
    const finding = (cluster: string) => ({ kind: "right-sizing" as const, subject: `right-sizing:${cluster}/slurm-1001`, title: cluster, inputs: { affectedJobs: ["slurm-1001"], affectedWorkloads: [{ cluster, externalId: "slurm-1001" }] }, result: null, projectedMonthlySaving: 1, currency: "USD", bound: null, baseline: null, solveSeconds: 0 });
    const [east, west] = await storeFindings(db.prisma, [finding("east"), finding("west")], { nowMs: END_MS, windowStartMs: START_MS, windowEndMs: END_MS });
    for (const r of [east, west]) {
      await setRecommendationState(db.prisma, r.id, "accepted", END_MS);
      await setRecommendationState(db.prisma, r.id, "applied", END_MS);
    }
    // Applied at END_MS: the day before holds 6 hours of each job; east's holds 2 GPUs at 2 USD, west's 3.
    const measuredEast = await measureRealizedSaving(db.sql, db.prisma, east.id, END_MS + DAY_MS);
    const measuredWest = await measureRealizedSaving(db.sql, db.prisma, west.id, END_MS + DAY_MS);
    expect(measuredEast.realized?.dailyCostBefore).toBeCloseTo(6 * 2 * 2, 6);
    expect(measuredWest.realized?.dailyCostBefore).toBeCloseTo(6 * 3 * 2, 6);
  });

  it.skipIf(skipReason)("answers POST /api/v1/recommendations/run with 201 and serves each plan with its cluster", async () => {
    const runner = singleFlight(childProcessRunner({ projectRoot: PROJECT_ROOT, databaseUrl: db.url }));
    const context = { db: db.sql, prisma: db.prisma, adminToken: ADMIN, nowMs: () => END_MS, runRecommendations: runner, scope: ALL_DATA };
    const request = (method: string, path: string) => new Request(`http://gpu-roi.test${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: method === "POST" ? "{}" : undefined });
    const run = await handleRunRecommendations(request("POST", "/api/v1/recommendations/run"), context);
    expect(run.status).toBe(201);
    const { recommendations } = (await run.json()) as { recommendations: Recommendation[] };
    expect(recommendations.length).toBeGreaterThan(0);
    for (const r of recommendations) {
      const response = await handleGetRecommendationPlan(request("GET", `/api/v1/recommendations/${r.id}/plan?format=shell`), String(r.id), context);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain(`in cluster '${r.inputs.cluster as string}'`);
    }
  }, 120_000);
});
