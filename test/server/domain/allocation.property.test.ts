import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocateCosts, type AllocationGpu, type AllocationJob, type JobGpuUsage } from "../../../server/domain/allocation";
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
      return {
        gpuId: index + 1,
        uuid: `GPU-${index + 1}`,
        nodeId: g.nodeId,
        hostname: `n${g.nodeId}`,
        clusterName: g.cluster,
        nodeLabels: {},
        modelName: g.model,
        migParentGpuId: parent,
        fractionOfGpu: parent === null ? 1 : 2 / 7,
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

describe("allocateCosts", () => {
  it("keeps allocated plus idle cost equal to the fleet's cost for any fleet, aggregation and option", () => {
    fc.assert(
      fc.property(fleetArbitrary, ({ spec, windowEndMs, gpus, jobs, usage, prices, periodStartsMs }) => {
        const result = allocateCosts(gpus, jobs, usage, prices, {
          windowStartMs: T0_MS,
          windowEndMs,
          periodStartsMs,
          stepMs: spec.step,
          aggregate: spec.aggregate,
          basis: spec.basis,
          shareIdle: spec.shareIdle,
          idleBy: spec.idleBy,
          filter: new Map(),
        });
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
});
