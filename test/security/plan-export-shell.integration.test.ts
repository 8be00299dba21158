/**
 * Hostile ids from the wire to the shell: a cluster, hostnames and job ids that
 * try to break out of a comment or a quoted word go through ingest, the optimizer
 * and GET /api/v1/recommendations/{id}/plan?format=shell; the scripts then run
 * with sh against stub kubectl/scontrol and no injected command runs.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleGetRecommendationPlan } from "../../server/api/rest/recommendations-handler";
import { addPriceEntry } from "../../server/services/price-book-service";
import { runRecommendations } from "../../server/services/recommendation-service";
import { ingestSmallFleet, type SmallFleetNode } from "../support/small-fleet";
import { createStubCommands, SHELLS } from "../support/stub-commands";
import { databaseKinds, type TestDatabase } from "../support/test-databases";
import { ALL_DATA } from "../../server/auth/principal";

const kinds = await databaseKinds();
const END_MS = Date.UTC(2026, 10, 4);
const HOUR_MS = 3_600_000;
const A100 = "NVIDIA A100-SXM4-80GB";

const stubs = createStubCommands();
afterAll(() => stubs.dispose());
const touch = `touch ${stubs.markerPath}`;
const CLUSTER = `prod$(${touch})`;
const HOSTS = [`gpu-a'; ${touch}; echo '`, `gpu-b\`${touch}\``];
const JOB_IDS = [`pod-x'; ${touch}; echo '`, `k8s-ml'$(${touch})/trainer;${touch}`, `job\n${touch}`, `slurm-7 && ${touch}`];

const fleet: SmallFleetNode[] = HOSTS.map((hostname, n) => ({
  cluster: CLUSTER,
  hostname,
  gpuModel: A100,
  gpuCount: 4,
  memoryTotalMiB: 81_920,
  jobs: JOB_IDS.slice(n * 2, n * 2 + 2).map((externalId, i) => ({ externalId, kind: "training" as const, gpuIndexes: i === 0 ? [0, 1] : [2], utilizationPct: 10, memoryUsedMiB: 4_000 })),
}));

describe.each(kinds)("exported plans of hostile ids in $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL hostile-plan suite: ${skipReason}`);
  let db: TestDatabase;

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    await ingestSmallFleet(db, fleet, { fromMs: END_MS - 6 * HOUR_MS, toMs: END_MS, windowMs: 15 * 60_000 });
    await addPriceEntry(db.prisma, { gpuModel: A100, costPerGpuHour: 2, currency: "USD", effectiveFromMs: END_MS - 9 * 24 * HOUR_MS }, END_MS - 9 * 24 * HOUR_MS);
  }, 120_000);
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("runs every plan with sh: no injected command, hostnames reach kubectl and scontrol whole", async () => {
    const stored = await runRecommendations(db.sql, db.prisma, { nowMs: END_MS, lookbackDays: 14, planTimeLimitMs: 10_000 });
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.every((r) => ["move", "pack", "schedule"].includes(r.kind))).toBe(true);
    const context = { db: db.sql, prisma: db.prisma, adminToken: undefined, nowMs: () => END_MS, runRecommendations: async () => [], scope: ALL_DATA };
    const allCalls: string[][] = [];
    for (const recommendation of stored) {
      const response = await handleGetRecommendationPlan(new Request(`http://gpu-roi.test/api/v1/recommendations/${recommendation.id}/plan?format=shell`), String(recommendation.id), context);
      expect(response.status).toBe(200);
      const script = await response.text();
      for (const line of script.split("\n").filter((l) => l !== "")) expect(line).toMatch(/^(# |kubectl |scontrol )/);
      for (const shell of SHELLS) {
        const { calls, status, stderr } = stubs.run(script, shell);
        expect(existsSync(stubs.markerPath)).toBe(false);
        expect({ status, stderr }).toEqual({ status: 0, stderr: "" });
        allCalls.push(...calls);
      }
    }
    // Every argument that carries the injection is exactly a hostile value, or a key=value word around one
    // (a k8s-<namespace>/<pod> id splits at its first slash: the marker's path holds slashes).
    const [, namespace, pod] = /^k8s-([^/]+)\/(.+)$/s.exec(JOB_IDS[1])!;
    for (const arg of allCalls.flat().filter((a) => a.includes("touch"))) {
      const value = arg.replace(/^(NodeName|NodeList)=/, "");
      expect([...HOSTS, "ml'$(" + touch + ")", `trainer;${touch}`, namespace, pod]).toContain(value);
    }
    // The plan empties a node or moves a job onto one: a hostile hostname reached a command whole.
    expect(allCalls.some((call) => call.some((arg) => HOSTS.includes(arg.replace(/^(NodeName|NodeList)=/, ""))))).toBe(true);
  }, 120_000);
});
