/**
 * Step 9 of the fleet plan: what people read beside the actions: each
 * workload's before → after, per pool (cluster and GPU model) the GPUs kept and
 * freed, and per hour of the week the GPUs held and their cost, today and
 * under the plan. The hourly cost is the cost of the GPUs held that hour at
 * their pool's price; the weekly cost counts every kept GPU in every hour.
 */
import type { Pool } from "./fleet-pools.ts";
import { poolCostPerGpuHour } from "./fleet-pools.ts";
import { gpusHeldByHour, type PlanCandidate } from "./plan-candidates.ts";
import type { PoolPlan, WorkloadPlan } from "./plan-pools.ts";
import type { FleetPlan, PlanModelSummary, PlanPriceSource, WorkloadAssignment } from "./types.ts";
import { HOURS_PER_WEEK } from "./types.ts";

export function summarizeAssignments(candidates: readonly PlanCandidate[], plans: readonly WorkloadPlan[]): WorkloadAssignment[] {
  return candidates.map((candidate, i) => {
    const w = candidate.workload;
    const to = candidate.shapes[plans[i].shapeIndex];
    return {
      workloadId: w.id,
      cluster: w.cluster,
      jobIds: [...w.jobIds],
      team: w.team,
      from: { gpuModel: w.gpuModel, gpuCount: w.gpuCount, gpuMilli: 1000 },
      to: { gpuModel: to.gpuModel, gpuCount: to.gpuCount, gpuMilli: to.gpuMilli },
      placement: plans[i].placement,
      gpusByHourOfWeek: gpusHeldByHour(to, plans[i].activeShare),
      throughput: to.throughput,
    };
  });
}

function mainSource(pool: Pool): PlanPriceSource {
  const gpus = new Map<PlanPriceSource, number>();
  for (const n of pool.nodes) gpus.set(n.source, (gpus.get(n.source) ?? 0) + n.gpuCount);
  return [...gpus].sort((a, b) => b[1] - a[1])[0][0];
}

export function summarizeModels(candidates: readonly PlanCandidate[], plans: readonly WorkloadPlan[], poolPlans: ReadonlyMap<string, PoolPlan>): PlanModelSummary[] {
  const today = new Map([...poolPlans.keys()].map((key) => [key, new Array<number>(HOURS_PER_WEEK).fill(0)]));
  const planned = new Map([...poolPlans.keys()].map((key) => [key, new Array<number>(HOURS_PER_WEEK).fill(0)]));
  candidates.forEach((candidate, i) => {
    candidate.workload.heldGpusByHourOfWeek.forEach((v, t) => (today.get(candidate.shapes[0].pool)![t] += v));
    const shape = candidate.shapes[plans[i].shapeIndex];
    gpusHeldByHour(shape, plans[i].activeShare).forEach((v, t) => (planned.get(shape.pool)![t] += v));
  });
  return [...poolPlans.values()].map(({ pool, keptNodes }) => {
    const kept = keptNodes.reduce((sum, n) => sum + n.gpuCount, 0);
    return {
      cluster: pool.cluster,
      gpuModel: pool.gpuModel,
      source: mainSource(pool),
      costPerGpuHour: poolCostPerGpuHour(pool),
      gpusInFleet: pool.gpus,
      gpusKept: kept,
      gpusFreed: pool.gpus - kept,
      heldByHourToday: today.get(pool.key)!,
      heldByHourPlan: planned.get(pool.key)!,
    };
  });
}

export function summarizeHourly(models: readonly PlanModelSummary[]): FleetPlan["hourly"] {
  const hourly = { gpusHeldToday: new Array<number>(HOURS_PER_WEEK).fill(0), gpusHeldPlan: new Array<number>(HOURS_PER_WEEK).fill(0), costPerHourToday: new Array<number>(HOURS_PER_WEEK).fill(0), costPerHourPlan: new Array<number>(HOURS_PER_WEEK).fill(0) };
  for (const m of models) {
    for (let t = 0; t < HOURS_PER_WEEK; t++) {
      hourly.gpusHeldToday[t] += m.heldByHourToday[t];
      hourly.gpusHeldPlan[t] += m.heldByHourPlan[t];
      hourly.costPerHourToday[t] += m.heldByHourToday[t] * m.costPerGpuHour;
      hourly.costPerHourPlan[t] += m.heldByHourPlan[t] * m.costPerGpuHour;
    }
  }
  return hourly;
}
