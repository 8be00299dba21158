import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocateCosts, type AllocationGpu, type AllocationJob, type AllocationOptions, type JobGpuUsage } from "../../../server/domain/allocation";
import type { PriceEntry } from "../../../server/domain/pricing";

const HOUR_MS = 3_600_000;
const T0_MS = Date.UTC(2026, 10, 2);
const MODELS = ["A100", "H100", "L4"];

/** A random fleet: GPUs with lifetimes, jobs, hourly usage within each GPU's lifetime, and prices (some changing). */
const fleetArbitrary = fc
  .record({
    hours: fc.integer({ min: 1, max: 12 }),
    gpus: fc.array(
      fc.record({
        nodeId: fc.integer({ min: 1, max: 3 }),
        cluster: fc.constantFrom("c1", "c2"),
        model: fc.constantFrom(...MODELS),
        firstHour: fc.integer({ min: -3, max: 6 }),
        lastHour: fc.integer({ min: 1, max: 15 }),
        migOfPrevious: fc.boolean(),
        // A MIG instance whose parent never reported (dcgm-exporter lists instances only).
        parentUnreported: fc.boolean(),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    jobs: fc.array(fc.record({ team: fc.constantFrom("search", "ads", "vision"), project: fc.option(fc.constantFrom("p1", "p2")) }), { minLength: 1, maxLength: 5 }),
    usage: fc.array(
      fc.record({ job: fc.nat(), gpu: fc.nat(), hour: fc.nat(), share: fc.double({ min: 0, max: 1, noNaN: true }), busy: fc.double({ min: 0, max: 1, noNaN: true }) }),
      { maxLength: 40 },
    ),
    priceChangeHour: fc.option(fc.integer({ min: 1, max: 11 })),
    pricedModels: fc.subarray(MODELS, { minLength: 0 }),
    aggregate: fc.subarray(["cluster", "node", "gpu", "team", "project", "job"] as const, { maxLength: 2 }),
    basis: fc.constantFrom("allocation" as const, "usage" as const),
    shareIdle: fc.constantFrom("none" as const, "weighted" as const, "even" as const),
    idleBy: fc.constantFrom("cluster" as const, "node" as const),
    step: fc.constantFrom(null, HOUR_MS, 3 * HOUR_MS),
  })
  .map((spec) => {
    const windowEndMs = T0_MS + spec.hours * HOUR_MS;
    const gpus: AllocationGpu[] = spec.gpus.map((g, index) => {
      const firstSeenMs = T0_MS + g.firstHour * HOUR_MS + 60_000;
      const parent = index > 0 && g.migOfPrevious ? index : null; // id of the previous GPU (ids are index + 1)
      const isMig = parent !== null || g.parentUnreported;
      return {
        gpuId: index + 1,
        uuid: `GPU-${index + 1}`,
        nodeId: g.nodeId,
        hostname: `n${g.nodeId}`,
        clusterName: g.cluster,
        nodeLabels: {},
        modelName: g.model,
        migParentGpuId: parent,
        migParentUuid: parent !== null ? `GPU-${parent}` : g.parentUnreported ? `GPU-unreported-n${g.nodeId}` : null,
        fractionOfGpu: isMig ? 2 / 7 : 1,
        firstSeenMs,
        lastSeenMs: Math.max(firstSeenMs + 60_000, T0_MS + g.lastHour * HOUR_MS),
      };
    });
    const jobs: AllocationJob[] = spec.jobs.map((j, index) => ({
      jobId: index + 1,
      externalId: `job-${index + 1}`,
      kind: "training",
      team: j.team,
      project: j.project,
      model: null,
      experiment: null,
      user: null,
      labels: {},
    }));
    const periodStartsMs = spec.priceChangeHour !== null && spec.priceChangeHour < spec.hours ? [T0_MS + spec.priceChangeHour * HOUR_MS] : [];
    const usage: JobGpuUsage[] = spec.usage.map((u) => {
      const hour = u.hour % spec.hours;
      const shareMs = u.share * HOUR_MS;
      return {
        jobId: (u.job % jobs.length) + 1,
        gpuId: (u.gpu % gpus.length) + 1,
        // Usage rows come summed per period: their start is the start of the period holding the hour.
        periodStartMs: T0_MS + hour * HOUR_MS,
        shareMs,
        activeMs: shareMs * u.busy,
        soleMs: shareMs,
        utilizationSplitMs: 0,
        memorySplitMs: 0,
        evenSplitMs: 0,
      };
    });
    const prices: PriceEntry[] = spec.pricedModels.flatMap((model, index) => [
      { id: index * 2 + 1, gpuModel: model, costPerGpuHour: 1 + index, currency: "USD", effectiveFromMs: 0, effectiveToMs: null, nodeLabelKey: null, nodeLabelValue: null },
      ...(periodStartsMs.length > 0
        ? [{ id: index * 2 + 2, gpuModel: model, costPerGpuHour: 2.5 + index, currency: "USD", effectiveFromMs: periodStartsMs[0], effectiveToMs: null, nodeLabelKey: null, nodeLabelValue: null }]
        : []),
    ]);
    return { spec, windowEndMs, gpus, jobs, usage, prices, periodStartsMs };
  });

/** The usage rows that lie inside their GPU's lifetime, scaled so no GPU is held more than an hour per hour. */
function heldWithinLifetimes(usage: readonly JobGpuUsage[], gpus: readonly AllocationGpu[]): JobGpuUsage[] {
  const gpuById = new Map(gpus.map((gpu) => [gpu.gpuId, gpu]));
  const inside = usage.filter((row) => {
    const gpu = gpuById.get(row.gpuId)!;
    return row.periodStartMs >= Math.floor(gpu.firstSeenMs / HOUR_MS) * HOUR_MS && row.periodStartMs < Math.ceil(gpu.lastSeenMs / HOUR_MS) * HOUR_MS;
  });
  const heldMs = new Map<string, number>();
  for (const row of inside) heldMs.set(`${row.gpuId}:${row.periodStartMs}`, (heldMs.get(`${row.gpuId}:${row.periodStartMs}`) ?? 0) + row.shareMs);
  return inside.map((row) => {
    const scale = Math.min(1, HOUR_MS / heldMs.get(`${row.gpuId}:${row.periodStartMs}`)!);
    return { ...row, shareMs: row.shareMs * scale, activeMs: row.activeMs * scale, soleMs: row.soleMs * scale };
  });
}

type Fleet = typeof fleetArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** Allocates a random fleet with its own options, or others. */
function allocateFleet(fleet: Fleet, overrides: Partial<AllocationOptions> = {}, usage: readonly JobGpuUsage[] = fleet.usage) {
  const { spec } = fleet;
  return allocateCosts(fleet.gpus, fleet.jobs, usage, fleet.prices, {
    windowStartMs: T0_MS,
    windowEndMs: fleet.windowEndMs,
    periodStartsMs: fleet.periodStartsMs,
    stepMs: spec.step,
    aggregate: spec.aggregate,
    basis: spec.basis,
    shareIdle: spec.shareIdle,
    idleBy: spec.idleBy,
    filter: new Map(),
    ...overrides,
  });
}

describe("allocateCosts", () => {
  it("keeps allocated plus idle cost equal to the fleet's cost for any fleet, aggregation and option", () => {
    fc.assert(
      fc.property(fleetArbitrary, (fleet) => {
        const result = allocateFleet(fleet);
        const rowsTotal = result.rows.reduce((sum, row) => sum + row.totalCost, 0);
        const tolerance = 1e-9 * Math.max(1, result.fleetCost);
        expect(Math.abs(rowsTotal - result.fleetCost)).toBeLessThanOrEqual(tolerance);
        expect(Math.abs(result.totals.totalCost - result.fleetCost)).toBeLessThanOrEqual(tolerance);
        // To the cent, also after rounding the fleet's cost.
        expect(Math.round(rowsTotal * 100) + 0).toBe(Math.round(result.fleetCost * 100) + 0); // + 0 folds -0 into 0
        for (const row of result.rows) {
          expect(row.gpuCost).toBeGreaterThanOrEqual(-1e-9);
          if (row.efficiency !== null) expect(row.efficiency).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 500, seed: 20261127 },
    );
  });

  it("gives the same rows in steps as over the whole window: allocated, idle and total cost, for every idle option", () => {
    fc.assert(
      fc.property(fleetArbitrary, (fleet) => {
        // Usage as ingest stores it: inside its GPU's lifetime, at most the whole GPU
        // per hour (the scaling down of impossible usage is per period, not per hour).
        const usage = heldWithinLifetimes(fleet.usage, fleet.gpus);
        const run = (stepMs: number | null) => allocateFleet(fleet, { stepMs }, usage);
        const whole = run(null);
        for (const stepMs of [HOUR_MS, 3 * HOUR_MS]) {
          const steps = run(stepMs);
          const sums = new Map<string, { gpuCost: number; idleCost: number; totalCost: number }>();
          for (const row of steps.rows) {
            const sum = sums.get(row.name) ?? { gpuCost: 0, idleCost: 0, totalCost: 0 };
            sum.gpuCost += row.gpuCost;
            sum.idleCost += row.idleCost;
            sum.totalCost += row.totalCost;
            sums.set(row.name, sum);
          }
          const tolerance = 1e-9 * Math.max(1, whole.fleetCost);
          for (const row of whole.rows) {
            const sum = sums.get(row.name) ?? { gpuCost: 0, idleCost: 0, totalCost: 0 };
            expect(Math.abs(sum.gpuCost - row.gpuCost)).toBeLessThanOrEqual(tolerance);
            expect(Math.abs(sum.idleCost - row.idleCost)).toBeLessThanOrEqual(tolerance);
            expect(Math.abs(sum.totalCost - row.totalCost)).toBeLessThanOrEqual(tolerance);
          }
          // No step row names something the whole window does not (beyond rounding dust).
          const names = new Set(whole.rows.map((row) => row.name));
          for (const [name, sum] of sums) if (!names.has(name)) expect(Math.abs(sum.totalCost)).toBeLessThanOrEqual(tolerance);
          // Each step's rows add up to that step's fleet cost.
          const byStep = new Map<number, number>();
          for (const row of steps.rows) byStep.set(row.startMs, (byStep.get(row.startMs) ?? 0) + row.totalCost);
          const stepsTotal = [...byStep.values()].reduce((a, b) => a + b, 0);
          expect(Math.abs(stepsTotal - whole.fleetCost)).toBeLessThanOrEqual(tolerance);
        }
      }),
      { numRuns: 300, seed: 20261203 },
    );
  });

  it("charges a MIG parent that never reported as one whole GPU over its instances' span", () => {
    fc.assert(
      fc.property(fleetArbitrary, (fleet) => {
        const { windowEndMs, gpus } = fleet;
        const result = allocateFleet(fleet, { stepMs: null });
        // Fleet GPU-hours counted by hand: whole GPUs, registered parents, and one
        // whole GPU per unreported parent over the span of its instances.
        const lifetimeHours = (firstMs: number, lastMs: number) =>
          Math.max(0, Math.min(Math.ceil(lastMs / HOUR_MS) * HOUR_MS, windowEndMs) - Math.max(Math.floor(firstMs / HOUR_MS) * HOUR_MS, T0_MS)) / HOUR_MS;
        let expected = 0;
        const spans = new Map<string, { firstMs: number; lastMs: number }>();
        for (const gpu of gpus) {
          if (gpu.migParentGpuId !== null) continue;
          if (gpu.migParentUuid) {
            const span = spans.get(gpu.migParentUuid);
            spans.set(gpu.migParentUuid, span ? { firstMs: Math.min(span.firstMs, gpu.firstSeenMs), lastMs: Math.max(span.lastMs, gpu.lastSeenMs) } : { firstMs: gpu.firstSeenMs, lastMs: gpu.lastSeenMs });
          } else expected += lifetimeHours(gpu.firstSeenMs, gpu.lastSeenMs);
        }
        for (const span of spans.values()) expected += lifetimeHours(span.firstMs, span.lastMs);
        expect(result.fleetGpuHours).toBeCloseTo(expected, 9);
      }),
      { numRuns: 300, seed: 20261204 },
    );
  });
});
