/**
 * The fleet plan on small fleets whose answer is known by construction, through
 * ingest, profiles, the solver and storage.
 *
 *   cluster c, 2 x A100 nodes (4 GPUs each)            cluster c, 1 x H100 node (4 GPUs)
 *     a-1: 4 training jobs, 1 GPU each, 20 % busy         h-1: 4 training jobs, 1 GPU each, 95 % busy
 *     a-2: 4 training jobs, 1 GPU each, 20 % busy
 *
 * The H100s are full: the per-job right-sizing of old proposed moving every idle
 * A100 job onto an H100 (cheaper per unit of work); the plan may move none that
 * does not fit. The A100 jobs fit on one node: one A100 node drains. Rented
 * (on-demand) prices turn the drained node into cash; owned (on-prem) prices
 * turn it into capacity and no cash.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addPriceEntry } from "../../../server/services/price-book-service";
import { runFleetPlan } from "../../../server/services/recommendation-service";
import { ingestSmallFleet, type SmallFleetNode } from "../../support/small-fleet";
import { databaseKinds, type TestDatabase } from "../../support/test-databases";

const kinds = await databaseKinds();
const START_MS = Date.UTC(2026, 10, 2); // Monday
const HOUR_MS = 3_600_000;
const END_MS = START_MS + 2 * 86_400_000;
const A100 = "NVIDIA A100-SXM4-80GB";
const H100 = "NVIDIA H100 80GB HBM3";

const jobs = (prefix: string, count: number, utilizationPct: number) =>
  Array.from({ length: count }, (_, i) => ({ externalId: `slurm-${prefix}${i}`, kind: "training" as const, gpuIndexes: [i], utilizationPct, memoryUsedMiB: 10_000, team: "vision" }));

const fleet: SmallFleetNode[] = [
  { cluster: "c", hostname: "a-1", gpuModel: A100, gpuCount: 4, memoryTotalMiB: 81_920, jobs: jobs("1", 4, 20) },
  { cluster: "c", hostname: "a-2", gpuModel: A100, gpuCount: 4, memoryTotalMiB: 81_920, jobs: jobs("2", 4, 20) },
  { cluster: "c", hostname: "h-1", gpuModel: H100, gpuCount: 4, memoryTotalMiB: 81_920, jobs: jobs("3", 4, 95) },
];

describe.each(kinds)("fleet plan on a capacity-bound fleet in $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL fleet plan suite: ${skipReason}`);
  let db: TestDatabase;

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    await ingestSmallFleet(db, fleet, { fromMs: END_MS - 24 * HOUR_MS, toMs: END_MS, windowMs: 15 * 60_000 });
  }, 120_000);
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("never gives a GPU model more GPUs than the fleet has, in any hour", async () => {
    await addPriceEntry(db.prisma, { gpuModel: A100, costPerGpuHour: 3, source: "cloud-on-demand", effectiveFromMs: 0 }, START_MS);
    await addPriceEntry(db.prisma, { gpuModel: H100, costPerGpuHour: 4, source: "cloud-on-demand", effectiveFromMs: 0 }, START_MS);
    const { plan, recommendations } = await runFleetPlan(db.sql, db.prisma, { nowMs: END_MS, lookbackDays: 14, planTimeLimitMs: 20_000 });
    expect(plan.workloads).toHaveLength(12);
    for (const model of plan.models) {
      for (const held of model.heldByHourPlan) expect(held).toBeLessThanOrEqual(model.gpusInFleet + 1e-9);
      const gpusAssigned = plan.workloads.filter((w) => w.to?.gpuModel === model.gpuModel).reduce((sum, w) => sum + (w.to!.gpuCount * w.to!.gpuMilli) / 1000, 0);
      expect(gpusAssigned).toBeLessThanOrEqual(model.gpusInFleet + 1e-9);
    }
    // Rented GPUs freed are cash: the findings' shares add up to it.
    expect(plan.saving.cashPerMonth).toBeGreaterThanOrEqual(4 * 3 * 730 - 1e-6);
    expect(recommendations.reduce((sum, r) => sum + r.projectedMonthlySaving, 0)).toBeCloseTo(plan.saving.cashPerMonth, 6);
    expect(plan.saving.capacityFreedGpuHoursPerMonth).toBe(0);
    expect(plan.nodes.filter((n) => n.drained).length).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it.skipIf(skipReason)("frees owned GPUs as capacity, with no cash saving", async () => {
    await addPriceEntry(db.prisma, { gpuModel: A100, tco: { purchasePricePerGpu: 20_000, amortizationMonths: 36, powerDrawW: 500, electricityPricePerKwh: 0.1, pue: 1.3, yearlyOverheadPerGpu: 1_000 }, effectiveFromMs: START_MS }, START_MS);
    await addPriceEntry(db.prisma, { gpuModel: H100, tco: { purchasePricePerGpu: 30_000, amortizationMonths: 36, powerDrawW: 700, electricityPricePerKwh: 0.1, pue: 1.3, yearlyOverheadPerGpu: 1_000 }, effectiveFromMs: START_MS }, START_MS);
    const { plan, recommendations } = await runFleetPlan(db.sql, db.prisma, { nowMs: END_MS, lookbackDays: 14, planTimeLimitMs: 20_000 });
    expect(plan.nodes.every((n) => n.source === "on-prem-tco")).toBe(true);
    expect(plan.saving.cashPerMonth).toBe(0);
    for (const r of recommendations) expect(r.projectedMonthlySaving).toBe(0);
    expect(plan.saving.capacityFreedGpuHoursPerMonth).toBeGreaterThanOrEqual(4 * 730 - 1e-6);
    expect(recommendations.reduce((sum, r) => sum + (r.capacityFreedGpuHoursPerMonth ?? 0), 0)).toBeCloseTo(plan.saving.capacityFreedGpuHoursPerMonth, 6);
  }, 120_000);
});
