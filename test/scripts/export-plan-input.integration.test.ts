/**
 * A plan computed offline: `npm run admin -- export-plan-input` writes the usage
 * file, GET /api/v1/prices gives the prices, and `solver plan` on those two files
 * finds the plan the server's run stored. SQLite only: the export reads through
 * the services the integration suites check on both databases.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleListPrices } from "../../server/api/rest/prices-handler";
import { addPriceEntry } from "../../server/services/price-book-service";
import { runFleetPlan } from "../../server/services/recommendation-service";
import type { FleetPlan } from "../../solver/plan/types";
import { ingestSmallFleet, type SmallFleetNode } from "../support/small-fleet";
import { createSqliteTestDatabase, PROJECT_ROOT, type TestDatabase } from "../support/test-databases";

const END_MS = Date.UTC(2026, 10, 4);
const HOUR_MS = 3_600_000;
const A100 = "NVIDIA A100-SXM4-80GB";

const fleet: SmallFleetNode[] = ["a-1", "a-2"].map((hostname, n) => ({
  cluster: "c",
  hostname,
  gpuModel: A100,
  gpuCount: 4,
  memoryTotalMiB: 81_920,
  jobs: [{ externalId: `slurm-${n}`, kind: "training" as const, gpuIndexes: [0, 1], utilizationPct: 15, memoryUsedMiB: 9_000, team: "vision" }],
}));

function run(script: string, args: readonly string[], databaseUrl: string) {
  const result = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "node_modules", "tsx", "dist", "cli.mjs"), script, ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("export-plan-input", () => {
  let db: TestDatabase;
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-plan-offline-"));

  beforeAll(async () => {
    db = await createSqliteTestDatabase();
    await ingestSmallFleet(db, fleet, { fromMs: END_MS - 6 * HOUR_MS, toMs: END_MS, windowMs: 15 * 60_000 });
    await addPriceEntry(db.prisma, { gpuModel: A100, costPerGpuHour: 2.5, source: "cloud-on-demand", effectiveFromMs: 0 }, END_MS);
  }, 120_000);
  afterAll(async () => {
    await db?.dispose();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it("writes the usage file the solver's plan command reads, and the offline plan matches the server's", async () => {
    const usageFile = path.join(folder, "usage.json");
    const exported = run("scripts/admin.ts", ["export-plan-input", "--out", usageFile, "--at", new Date(END_MS).toISOString()], db.url);
    expect(exported.stderr).toBe("");
    expect(exported).toMatchObject({ status: 0, stdout: `${usageFile}: 2 workloads on 2 nodes\n` });
    const usage = JSON.parse(fs.readFileSync(usageFile, "utf8")) as Record<string, unknown>;
    expect(Object.keys(usage).sort()).toEqual(["nodes", "relativeThroughput", "workloads"]);

    const pricesFile = path.join(folder, "prices.json");
    fs.writeFileSync(pricesFile, await (await handleListPrices({ prisma: db.prisma, adminToken: undefined, nowMs: () => END_MS })).text());
    const solved = run("solver/cli.ts", ["plan", "--usage", usageFile, "--prices", pricesFile, "--json"], db.url);
    expect(solved.status).toBe(0);
    const offline = JSON.parse(solved.stdout) as FleetPlan;

    const { plan } = await runFleetPlan(db.sql, db.prisma, { nowMs: END_MS, lookbackDays: 14 });
    expect(offline.costPerWeek).toEqual(plan.costPerWeek);
    expect(offline.saving).toEqual(plan.saving);
    // Both jobs fit on one node: one rented node of 4 GPUs drains.
    expect(plan.saving.cashPerMonth).toBeCloseTo(4 * 2.5 * 730, 2);
  }, 240_000);

  it("refuses an exclusion that is not CLUSTER/NAME, naming the flag", () => {
    const refused = run("scripts/admin.ts", ["export-plan-input", "--out", path.join(folder, "x.json"), "--exclude-workload", "slurm-0"], db.url);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('--exclude-workload: "slurm-0" is not CLUSTER/NAME');
    expect(fs.existsSync(path.join(folder, "x.json"))).toBe(false);
  }, 120_000);
});
