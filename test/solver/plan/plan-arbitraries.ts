/** Random small fleets for the fleet plan's property tests (fast-check). */
import fc from "fast-check";
import type { PlanInput, PlanNode, PlanWorkload } from "../../../solver/plan/types.ts";
import { hoursBetween, node, planInput, price, workload } from "./plan-fixtures.ts";

/** A small fleet of two models whose today's placement is valid: each node's GPUs split into whole-GPU workloads, some left idle. */
export const fleetArbitrary = fc
  .record({
    nodes: fc.array(fc.record({ model: fc.constantFrom("A100", "H100"), gpus: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 4 }),
    pieces: fc.array(
      fc.record({
        gpus: fc.integer({ min: 1, max: 2 }),
        latency: fc.boolean(),
        busyShare: fc.double({ min: 0, max: 1, noNaN: true }),
        memoryMiB: fc.integer({ min: 5_000, max: 70_000 }),
        from: fc.integer({ min: 0, max: 150 }),
        length: fc.integer({ min: 1, max: 168 }),
        window: fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 168 })),
        idle: fc.boolean(),
      }),
      { minLength: 1, maxLength: 10 },
    ),
    owned: fc.boolean(),
  })
  .map(({ nodes: specs, pieces, owned }): PlanInput => {
    const nodes: PlanNode[] = specs.map((s, i) => node(`n${i}`, s.model, s.gpus, owned && s.model === "H100" ? { source: "on-prem-tco" } : {}));
    const workloads: PlanWorkload[] = [];
    let piece = 0;
    for (const n of nodes) {
      let next = 0;
      while (next < n.gpuCount && piece < pieces.length) {
        const p = pieces[piece++];
        const gpus = Math.min(p.gpus, n.gpuCount - next);
        if (p.idle) {
          next += gpus;
          continue;
        }
        const to = Math.min(168, p.from + p.length);
        const [release, deadlineEnd] = p.window;
        const releaseSlot = Math.min(release, p.from);
        const deadlineSlot = Math.max(deadlineEnd, to, releaseSlot + 1);
        workloads.push(
          workload(`w${workloads.length}`, n.gpuModel, gpus, [{ node: n.hostname, gpuIndexes: Array.from({ length: gpus }, (_, k) => next + k) }], {
            kind: p.latency ? "latency-sensitive" : "batch",
            busyGpusP95: gpus * p.busyShare,
            memoryPerGpuP99MiB: p.memoryMiB,
            heldGpusByHourOfWeek: p.latency ? hoursBetween(gpus, 0, 168) : hoursBetween(gpus, p.from, to),
            ...(p.latency ? {} : { releaseSlot, deadlineSlot }),
          }),
        );
        next += gpus;
      }
    }
    return planInput(nodes, workloads, [price("A100", 2), price("H100", 3, owned ? "on-prem-tco" : "cloud-on-demand"), price("H100", 5)], { relativeThroughput: { A100: 1, H100: 2 } });
  });

