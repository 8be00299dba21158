import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetSimulator, SIMULATED_GPU_MODELS } from "../../../collectors/simulator/fleet-simulator";
import { backfillFleet } from "../../../collectors/simulator/run-simulated-fleet";
import {
  handleGetRecommendationPlan,
  handleListRecommendations,
  handleRunRecommendations,
  handleSetRecommendationState,
} from "../../../server/api/rest/recommendations-handler";
import { issueNodeToken } from "../../../server/services/node-tokens";
import { addPriceEntry } from "../../../server/services/price-book-service";
import {
  exportPlan,
  getRecommendation,
  listRecommendations,
  summarizeRecommendations,
  measureRealizedSaving,
  runFleetPlan,
  runRecommendations,
  setRecommendationState,
} from "../../../server/services/recommendation-service";
import { listAuditEntries } from "../../../server/services/audit-log";
import { getLatestFleetPlan } from "../../../server/services/fleet-plan-store";
import { childProcessRunner, singleFlight } from "../../../server/services/recommendation-runner";
import { loadWorkloadProfiles } from "../../../server/services/workload-profile-service";
import { ServiceError } from "../../../server/services/service-error";
import { fetchIntoIngestHandler } from "../../support/in-process-server";
import { databaseKinds, PROJECT_ROOT, type TestDatabase } from "../../support/test-databases";
import { ALL_DATA } from "../../../server/auth/principal";

const kinds = await databaseKinds();
const START_MS = Date.UTC(2026, 10, 2); // Monday
const DAY_MS = 86_400_000;
const END_MS = START_MS + 2 * DAY_MS;

describe.each(kinds)("recommendations on a simulated fleet in $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL recommendations suite: ${skipReason}`);
  let db: TestDatabase;
  const simulator = new FleetSimulator({ seed: 11, nodeCount: 4, gpusPerNode: 4, clusterName: "sim" });

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    const tokens = new Map<string, string>();
    for (const node of simulator.nodes) {
      tokens.set(node.hostname, (await issueNodeToken(db.prisma, { clusterName: "sim", hostname: node.hostname, nowMs: START_MS })).token);
    }
    await backfillFleet(
      { simulator, serverUrl: "http://gpu-roi.test", tokens, fetchImpl: fetchIntoIngestHandler(db.sql, () => END_MS) },
      { fromMs: START_MS, toMs: END_MS, sampleIntervalMs: 60_000, windowMs: 15 * 60_000, batchSpanMs: 12 * 3_600_000 },
    );
    for (const [i, model] of SIMULATED_GPU_MODELS.entries()) {
      await addPriceEntry(db.prisma, { gpuModel: model.modelName, costPerGpuHour: 2 + i, currency: "USD", effectiveFromMs: START_MS - DAY_MS }, START_MS);
    }
  }, 120_000);
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("profiles every job that ran", async () => {
    const set = await loadWorkloadProfiles(db.sql, { nowMs: END_MS, lookbackDays: 14 });
    expect(set.profiles.length).toBeGreaterThan(0);
    for (const p of set.profiles) {
      expect(p.gpuCount).toBeGreaterThanOrEqual(1);
      expect(p.computeShare).toBeGreaterThanOrEqual(0);
      expect(p.computeShare).toBeLessThanOrEqual(1);
      expect(p.memoryNeedMiB).toBeLessThanOrEqual(p.gpuMemoryMiB);
      expect(p.kind).toBe(p.jobKind === "inference" ? "latency-sensitive" : "batch");
      expect(p.rightSizing.lowEfficiencyShareOfRuntime).toBeGreaterThanOrEqual(0);
      expect(p.rightSizing.lowEfficiencyShareOfRuntime).toBeLessThanOrEqual(1);
    }
  });

  it.skipIf(skipReason)("stores one fleet plan whose findings' shares add up to its saving, and walks the states", async () => {
    const { plan, recommendations: stored } = await runFleetPlan(db.sql, db.prisma, { nowMs: END_MS, lookbackDays: 14, planTimeLimitMs: 20_000 });
    if (process.env.SHOW_RECOMMENDATIONS) console.log(JSON.stringify({ ...plan, hourly: undefined }, null, 1), stored.map((r) => r.title));
    expect(await getLatestFleetPlan(db.prisma)).toEqual(plan);
    expect(plan.actionCount).toBe(stored.length);
    expect(stored.length).toBeGreaterThan(0);
    expect(plan.costPerWeek.plan).toBeLessThanOrEqual(plan.costPerWeek.today + 1e-6);
    expect(plan.bound.costPerWeek).toBeLessThanOrEqual(plan.costPerWeek.plan + 1e-6);
    for (const series of Object.values(plan.hourly)) expect(series).toHaveLength(168);
    // Every price of this fleet is on-demand: what the plan frees is cash, and the findings' shares sum to it.
    expect(stored.reduce((sum, r) => sum + r.projectedMonthlySaving, 0)).toBeCloseTo(plan.saving.cashPerMonth, 6);
    expect(stored.reduce((sum, r) => sum + (r.capacityFreedGpuHoursPerMonth ?? 0), 0)).toBeCloseTo(plan.saving.capacityFreedGpuHoursPerMonth, 6);
    for (const r of stored) {
      expect(["move", "pack", "schedule"]).toContain(r.kind);
      expect(r).toMatchObject({ state: "open", planId: plan.id, subject: expect.stringMatching(/^plan:/) });
      expect(r.projectedMonthlySaving).toBeGreaterThanOrEqual(0);
      expect(r.inputs.affectedWorkloads?.length).toBeGreaterThan(0);
    }
    const listed = await listRecommendations(db.prisma, { state: "open" });
    expect(listed.map((r) => r.id).sort()).toEqual(stored.map((r) => r.id).sort());
    expect(await summarizeRecommendations(db.prisma, "open")).toEqual({ count: stored.length, largest: listed[0] });
    expect(await summarizeRecommendations(db.prisma, "applied")).toEqual({ count: 0, largest: null });

    // A second run replaces the open ones instead of piling them up.
    const again = await runRecommendations(db.sql, db.prisma, { nowMs: END_MS, lookbackDays: 14, planTimeLimitMs: 20_000 });
    expect((await listRecommendations(db.prisma)).length).toBe(again.length);

    // A pack is measured on the fleet's idle cost, which both days have (a moved notebook may have started on the second).
    const target = again.find((r) => r.kind === "pack") ?? again[0];
    await expect(setRecommendationState(db.prisma, target.id, "applied", END_MS)).rejects.toMatchObject({ status: 409, message: expect.stringContaining("is open") });
    const accepted = await setRecommendationState(db.prisma, target.id, "accepted", END_MS);
    expect(accepted.state).toBe("accepted");
    // An accepted subject gets no new recommendation on the next run.
    const third = await runRecommendations(db.sql, db.prisma, { nowMs: END_MS, lookbackDays: 14, planTimeLimitMs: 20_000 });
    expect(third.some((r) => r.subject === target.subject)).toBe(false);
    expect((await getRecommendation(db.prisma, target.id)).state).toBe("accepted");

    const applied = await setRecommendationState(db.prisma, target.id, "applied", START_MS + DAY_MS);
    expect(applied).toMatchObject({ state: "applied", appliedAtMs: START_MS + DAY_MS, realized: { status: "pending" } });
    const error = await setRecommendationState(db.prisma, target.id, "dismissed", END_MS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ status: 409, message: expect.stringContaining("applied") });

    const measured = await measureRealizedSaving(db.sql, db.prisma, target.id, END_MS + DAY_MS);
    expect(measured.realized).toMatchObject({ status: "measured", daysBefore: 1, daysAfter: 1 });
    expect(measured.realized!.dailyCostBefore).toBeGreaterThan(0);
    expect((await getRecommendation(db.prisma, target.id)).realized?.status).toBe("measured");

    const exported = exportPlan(measured);
    expect(exported.recommendation.id).toBe(target.id);
    expect(exported.shell[0]).toMatch(new RegExp(`^# gpu-roi recommendation #\\d+ \\(${target.kind}, applied\\)`));
    for (const line of exported.shell) expect(line.startsWith("#") || /^(kubectl|scontrol|sbatch) /.test(line)).toBe(true);
    for (const r of third) expect(exportPlan(r).shell.length).toBeGreaterThan(3);
  }, 180_000);

  it.skipIf(skipReason)("re-plans with workloads and nodes excluded and leaves them as they are", async () => {
    const before = (await getLatestFleetPlan(db.prisma))!;
    const workload = before.workloads.find((w) => w.to !== null && (w.to.gpuModel !== w.from.gpuModel || w.to.gpuCount !== w.from.gpuCount || w.to.gpuMilli < 1000)) ?? before.workloads[0];
    const node = before.nodes.find((n) => n.drained) ?? before.nodes[0];
    const { plan, recommendations } = await runFleetPlan(db.sql, db.prisma, { nowMs: END_MS, lookbackDays: 14, planTimeLimitMs: 20_000, exclude: { workloads: [workload.key], nodes: [node.key] } });
    expect(plan.exclude).toEqual({ workloads: [workload.key], nodes: [node.key] });
    const excluded = plan.workloads.find((w) => w.key === workload.key)!;
    expect(excluded.excluded).toBe(true);
    expect(excluded.to).toMatchObject({ gpuModel: excluded.from.gpuModel, gpuCount: excluded.from.gpuCount, gpuMilli: 1000 });
    expect(plan.nodes.find((n) => n.key === node.key)).toMatchObject({ excluded: true, drained: false });
    for (const r of recommendations) {
      const result = r.result as { action: { workloads: string[]; drainedNodes: string[]; cluster: string } };
      expect(result.action.workloads).not.toContain(workload.key);
      expect(result.action.drainedNodes.map((h) => `${result.action.cluster}/${h}`)).not.toContain(node.key);
    }
  }, 120_000);

  it.skipIf(skipReason)("serves the REST endpoints: admin run in a child process (one at a time), list, state with 409, plan as JSON and shell", async () => {
    const ADMIN = "admin-secret";
    const progress: string[] = [];
    const runner = singleFlight(childProcessRunner({ projectRoot: PROJECT_ROOT, databaseUrl: db.url }));
    const context = {
      db: db.sql,
      prisma: db.prisma,
      adminToken: ADMIN,
      nowMs: () => END_MS,
      runRecommendations: (run: Parameters<typeof runner>[0]) => runner({ ...run, onProgress: (step) => progress.push(step) }),
      scope: ALL_DATA,
    };
    const request = (method: string, path: string, body?: unknown, token: string | null = ADMIN) =>
      new Request(`http://gpu-roi.test${path}`, {
        method,
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    expect((await handleRunRecommendations(request("POST", "/api/v1/recommendations/run", {}, null), context)).status).toBe(401);
    const running = handleRunRecommendations(request("POST", "/api/v1/recommendations/run"), context);
    const second = await handleRunRecommendations(request("POST", "/api/v1/recommendations/run"), context);
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: { message: string } }).error.message).toMatch(/a run is already in progress/);
    const run = await running;
    expect(run.status).toBe(201);
    // The child process records who asked (passed to it as --actor-json), in the plan's transaction.
    const [runAudit] = (await listAuditEntries(db.prisma, { action: "recommendation.run", limit: 1 })).entries;
    expect(runAudit).toMatchObject({ atMs: END_MS, actor: { kind: "break-glass", subject: "break-glass" }, target: `fleet-plan:${(await getLatestFleetPlan(db.prisma))!.id}` });
    // The steps arrive from the child process's stderr.
    expect(progress[0]).toBe("loading 14 days of usage");
    expect(progress[1]).toMatch(/^planning \d+ workloads on \d+ nodes$/);
    expect(progress.at(-1)).toMatch(/^storing the plan \(\S+\) and \d+ findings$/);
    if (db.target.dialect === "postgresql") {
      // Another process (a replica, cron) holding the optimizer's lock: this server's run is refused, not doubled.
      const outcome = await db.sql.runExclusive("recommendations", () => handleRunRecommendations(request("POST", "/api/v1/recommendations/run"), context));
      expect(outcome.ran).toBe(true);
      const refused = (outcome as { result: Response }).result;
      expect(refused.status).toBe(409);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/another server or process is running the optimizer/);
    }
    // An exclusion naming no running workload, or no cluster at all, is the caller's error: 400 naming it, and no new plan.
    const planBefore = await getLatestFleetPlan(db.prisma);
    const unknown = await handleRunRecommendations(request("POST", "/api/v1/recommendations/run", { exclude: { workloads: ["sim/no-such-job"] } }), context);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: { field: "exclude", message: expect.stringContaining("exclude.workloads[0]: no running workload sim/no-such-job") } });
    const malformed = await handleRunRecommendations(request("POST", "/api/v1/recommendations/run", { exclude: { nodes: ["gpu-01"] } }), context);
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { message: "exclude.nodes[0]: expected CLUSTER/NAME" } });
    expect((await getLatestFleetPlan(db.prisma))?.id).toBe(planBefore?.id);
    const { recommendations } = (await run.json()) as { recommendations: { id: number; state: string; projectedMonthlySaving: number }[] };
    expect(recommendations.length).toBeGreaterThan(0);

    const list = await handleListRecommendations(request("GET", "/api/v1/recommendations?state=open"), context);
    const listed = ((await list.json()) as { recommendations: { id: number; state: string }[] }).recommendations;
    expect(listed.every((r) => r.state === "open")).toBe(true);
    expect((await handleListRecommendations(request("GET", "/api/v1/recommendations?state=bogus"), context)).status).toBe(400);

    const id = String(recommendations[0].id);
    const bad = await handleSetRecommendationState(request("POST", `/api/v1/recommendations/${id}/state`, { state: "applied" }), id, context);
    expect(bad.status).toBe(409);
    expect(await bad.json()).toMatchObject({ error: { status: 409, field: "state", message: expect.stringContaining("is open") } });
    const ok = await handleSetRecommendationState(request("POST", `/api/v1/recommendations/${id}/state`, { state: "dismissed" }), id, context);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ state: "dismissed" });
    expect((await handleSetRecommendationState(request("POST", "/api/v1/recommendations/999999/state", { state: "accepted" }), "999999", context)).status).toBe(404);

    const plan = await handleGetRecommendationPlan(request("GET", `/api/v1/recommendations/${id}/plan`), id, context);
    expect(await plan.json()).toMatchObject({ recommendation: { id: Number(id) }, shell: expect.any(Array) });
    const shell = await handleGetRecommendationPlan(request("GET", `/api/v1/recommendations/${id}/plan?format=shell`), id, context);
    expect(shell.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await shell.text()).toMatch(/^# gpu-roi recommendation #/);
  }, 120_000);
});
