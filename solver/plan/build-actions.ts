/**
 * Step 8 of the fleet plan: the changes grouped into actions people apply,
 * each with its share of the saving (attribute-savings.ts):
 *  - move: workloads of one team that change GPU model or GPU count, per
 *    (cluster, from model, to model, team); weight in a pool = GPU-hours per
 *    week its workloads stop holding there (at today's hours);
 *  - schedule: batch workloads of one team whose hours move, per pool; weight =
 *    GPU-hours per week taken out of the hours they leave;
 *  - pack: per pool, co-locate and drain nodes; weight = the GPU-hours per week
 *    of the drained nodes that the moves and schedules there do not account for.
 */
import type { Pool } from "./fleet-pools.ts";
import { poolKey } from "./fleet-pools.ts";
import { attributeSavings, poolSaving, type PoolSaving } from "./attribute-savings.ts";
import { gpusHeldByHour, type PlanCandidate } from "./plan-candidates.ts";
import type { PoolPlan, WorkloadPlan } from "./plan-pools.ts";
import type { ShapeOption } from "./shape-options.ts";
import type { PlanAction } from "./types.ts";
import { HOURS_PER_WEEK } from "./types.ts";
import type { ResolvedPlanOptions } from "./validate-plan-input.ts";

interface Draft {
  action: Omit<PlanAction, "cashSavingPerMonth" | "capacityFreedGpuHoursPerMonth" | "rentEquivalentPerMonth">;
  weights: Map<string, number>;
}

const sum = (values: readonly number[]) => values.reduce((s, v) => s + v, 0);
const peak = (values: readonly number[]) => Math.max(0, ...values);

function addInto(target: number[], values: readonly number[]): void {
  values.forEach((v, t) => (target[t] += v));
}

function gpusByModel(entries: readonly { model: string; gpus: number }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) out[e.model] = (out[e.model] ?? 0) + e.gpus;
  return out;
}

/** Workloads sharing a GPU with each workload under the plan (pool/node/index → workload indexes). */
function gpuNeighbours(candidates: readonly PlanCandidate[], plans: readonly WorkloadPlan[]): Map<number, Set<number>> {
  const byGpu = new Map<string, number[]>();
  plans.forEach((plan, i) => {
    const pool = candidates[i].shapes[plan.shapeIndex].pool;
    for (const place of plan.placement) for (const index of place.gpuIndexes) byGpu.set(`${pool}/${place.node}/${index}`, [...(byGpu.get(`${pool}/${place.node}/${index}`) ?? []), i]);
  });
  const neighbours = new Map<number, Set<number>>();
  for (const sharing of byGpu.values()) for (const i of sharing) for (const j of sharing) if (i !== j) neighbours.set(i, (neighbours.get(i) ?? new Set()).add(j));
  return neighbours;
}

function throughputOf(shapes: readonly ShapeOption[]): PlanAction["risk"]["throughput"] {
  if (shapes.some((s) => s.throughput === "assumed")) return "assumed";
  return shapes.some((s) => s.throughput === "measured") ? "measured" : "unchanged";
}

export function shapeChanged(candidate: PlanCandidate, plan: WorkloadPlan): boolean {
  return plan.shapeIndex !== 0 && JSON.stringify(candidate.shapes[plan.shapeIndex]) !== JSON.stringify(candidate.shapes[0]);
}

export function buildActions(
  candidates: readonly PlanCandidate[],
  plans: readonly WorkloadPlan[],
  poolPlans: ReadonlyMap<string, PoolPlan>,
  options: ResolvedPlanOptions,
): { actions: PlanAction[]; savings: Map<string, PoolSaving> } {
  const neighbours = gpuNeighbours(candidates, plans);
  const common = (members: readonly number[]) => {
    const shapes = members.map((i) => candidates[i].shapes[plans[i].shapeIndex]);
    const lsNeighbours = new Set<string>();
    for (const i of members) for (const j of neighbours.get(i) ?? []) if (candidates[j].workload.kind === "latency-sensitive" && !members.includes(j)) lsNeighbours.add(candidates[j].key);
    const memoryHeadroomMiB = Math.min(
      ...members.map((i) => {
        const shape = candidates[i].shapes[plans[i].shapeIndex];
        const pool = poolPlans.get(shape.pool)!.pool;
        return (shape.gpuMilli < 1000 ? options.headroom : 1) * pool.gpuMemoryMiB - candidates[i].workload.memoryPerGpuP99MiB;
      }),
    );
    return {
      workloads: members.map((i) => candidates[i].key),
      teams: [...new Set(members.map((i) => candidates[i].workload.team).filter((t): t is string => t !== null))].sort(),
      evidence: members.map((i) => ({ busyGpusP95: candidates[i].workload.busyGpusP95, memoryPerGpuP99MiB: candidates[i].workload.memoryPerGpuP99MiB, hoursObserved: candidates[i].workload.evidence.hoursObserved })),
      risk: { memoryHeadroomMiB: Math.round(memoryHeadroomMiB), latencySensitiveNeighbours: [...lsNeighbours].sort(), throughput: throughputOf(shapes) },
    };
  };
  const todayHeld = (i: number) => gpusHeldByHour(candidates[i].shapes[0], candidates[i].activeShare);
  const planHeldTodayHours = (i: number) => gpusHeldByHour(candidates[i].shapes[plans[i].shapeIndex], candidates[i].activeShare);
  const planHeld = (i: number) => gpusHeldByHour(candidates[i].shapes[plans[i].shapeIndex], plans[i].activeShare);
  const changes = [...moveDrafts(), ...scheduleDrafts()];
  const drafts: Draft[] = [...changes, ...packDrafts(changes)];
  const savings = new Map([...poolPlans].map(([key, p]) => [key, poolSaving(p.pool, p.drainedNodes)]));
  const shares = attributeSavings(savings, drafts.map((d) => d.weights));
  return { actions: drafts.map((d, a) => ({ ...d.action, ...shares[a] })), savings };

  function moveDrafts(): Draft[] {
    const groups = new Map<string, number[]>();
    plans.forEach((plan, i) => {
      if (!shapeChanged(candidates[i], plan)) return;
      const w = candidates[i].workload;
      const to = candidates[i].shapes[plan.shapeIndex];
      const key = `move:${w.cluster}/${w.gpuModel}->${to.gpuModel}/${w.team ?? "no-team"}`;
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    return [...groups].map(([id, members]) => {
      const w = candidates[members[0]].workload;
      const to = candidates[members[0]].shapes[plans[members[0]].shapeIndex];
      const weights = new Map<string, number>();
      const before = new Array<number>(HOURS_PER_WEEK).fill(0);
      const after = new Array<number>(HOURS_PER_WEEK).fill(0);
      for (const i of members) {
        const today = todayHeld(i);
        const planned = planHeldTodayHours(i);
        const fromPool = candidates[i].shapes[0].pool;
        const toPool = candidates[i].shapes[plans[i].shapeIndex].pool;
        const off = fromPool === toPool ? sum(today.map((v, t) => Math.max(0, v - planned[t]))) : sum(today);
        weights.set(fromPool, (weights.get(fromPool) ?? 0) + off);
        addInto(before, today);
        addInto(after, planHeld(i));
      }
      const fromGpus = sum(members.map((i) => candidates[i].workload.gpuCount));
      const toGpus = gpusForTitle(sum(members.map((i) => (candidates[i].shapes[plans[i].shapeIndex].gpuCount * candidates[i].shapes[plans[i].shapeIndex].gpuMilli) / 1000)));
      const team = w.team ? ` of team ${w.team}` : "";
      const title =
        to.gpuModel === w.gpuModel
          ? `Right-size ${members.length} workload${members.length > 1 ? "s" : ""}${team} on ${w.gpuModel}: ${fromGpus} → ${toGpus} GPUs`
          : `Move ${members.length} workload${members.length > 1 ? "s" : ""}${team} from ${fromGpus} × ${w.gpuModel} to ${toGpus} × ${to.gpuModel}`;
      return {
        action: {
          id,
          kind: "move" as const,
          title,
          cluster: w.cluster,
          gpuModel: to.gpuModel,
          ...common(members),
          nodes: [...new Set(members.flatMap((i) => plans[i].placement.map((p) => p.node)))].sort(),
          drainedNodes: [],
          before: { gpusByModel: gpusByModel(members.map((i) => ({ model: candidates[i].workload.gpuModel, gpus: candidates[i].workload.gpuCount }))), peakGpus: peak(before) },
          after: { gpusByModel: gpusByModel(members.map((i) => ({ model: candidates[i].shapes[plans[i].shapeIndex].gpuModel, gpus: (candidates[i].shapes[plans[i].shapeIndex].gpuCount * candidates[i].shapes[plans[i].shapeIndex].gpuMilli) / 1000 }))), peakGpus: peak(after) },
        },
        weights,
      };
    });
  }

  function scheduleDrafts(): Draft[] {
    const groups = new Map<string, number[]>();
    plans.forEach((plan, i) => {
      if (!plan.hoursMoved) return;
      const shape = candidates[i].shapes[plan.shapeIndex];
      const key = `schedule:${shape.pool}/${candidates[i].workload.team ?? "no-team"}`;
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    return [...groups].map(([id, members]) => {
      const shape = candidates[members[0]].shapes[plans[members[0]].shapeIndex];
      const pool = poolPlans.get(shape.pool)!.pool;
      const before = new Array<number>(HOURS_PER_WEEK).fill(0);
      const after = new Array<number>(HOURS_PER_WEEK).fill(0);
      for (const i of members) {
        addInto(before, planHeldTodayHours(i));
        addInto(after, planHeld(i));
      }
      const team = candidates[members[0]].workload.team;
      const hoursOfWeek = [...after.keys()].filter((t) => after[t] > 0);
      return {
        action: {
          id,
          kind: "schedule" as const,
          title: `Run ${members.length} batch workload${members.length > 1 ? "s" : ""}${team ? ` of team ${team}` : ""} on ${pool.gpuModel} in the hours the plan gives them`,
          cluster: pool.cluster,
          gpuModel: pool.gpuModel,
          ...common(members),
          nodes: [...new Set(members.flatMap((i) => plans[i].placement.map((p) => p.node)))].sort(),
          drainedNodes: [],
          before: { gpusByModel: { [pool.gpuModel]: peak(before) }, peakGpus: peak(before) },
          after: { gpusByModel: { [pool.gpuModel]: peak(after) }, peakGpus: peak(after) },
          hoursOfWeek,
        },
        weights: new Map([[pool.key, sum(before.map((v, t) => Math.max(0, v - after[t])))]]),
      };
    });
  }

  function packDrafts(changes: readonly Draft[]): Draft[] {
    const out: Draft[] = [];
    for (const [key, poolPlan] of poolPlans) {
      const pool: Pool = poolPlan.pool;
      const members = plans.flatMap((plan, i) => (candidates[i].shapes[plan.shapeIndex].pool === key ? [i] : []));
      const relocated = members.filter((i) => {
        const today = candidates[i].workload.current.map((p) => `${p.node}:${[...p.gpuIndexes].sort().join(",")}`).sort().join(" ");
        const planned = plans[i].placement.map((p) => `${p.node}:${[...p.gpuIndexes].sort().join(",")}`).sort().join(" ");
        return candidates[i].shapes[plans[i].shapeIndex].gpuModel === candidates[i].workload.gpuModel && today !== planned;
      });
      if (poolPlan.drainedNodes.length === 0 && relocated.length === 0) continue;
      const freedGpuHours = sum(poolPlan.drainedNodes.map((n) => n.gpuCount)) * HOURS_PER_WEEK;
      const accounted = sum(changes.map((d) => d.weights.get(key) ?? 0));
      const held = new Array<number>(HOURS_PER_WEEK).fill(0);
      for (const i of members) addInto(held, planHeld(i));
      const involved = relocated.length > 0 ? relocated : members;
      out.push({
        action: {
          id: `pack:${poolKey(pool.cluster, pool.gpuModel)}`,
          kind: "pack",
          title: `Pack ${pool.gpuModel} in ${pool.cluster} onto ${poolPlan.keptNodes.length} of ${pool.nodes.length} nodes${poolPlan.drainedNodes.length > 0 ? ` and drain ${poolPlan.drainedNodes.length}` : ""}`,
          cluster: pool.cluster,
          gpuModel: pool.gpuModel,
          ...(involved.length > 0 ? common(involved) : { workloads: [], teams: [], evidence: [], risk: { memoryHeadroomMiB: 0, latencySensitiveNeighbours: [], throughput: "unchanged" as const } }),
          nodes: [...new Set(relocated.flatMap((i) => plans[i].placement.map((p) => p.node)))].sort(),
          drainedNodes: poolPlan.drainedNodes.map((n) => n.hostname).sort(),
          before: { gpusByModel: { [pool.gpuModel]: pool.gpus }, peakGpus: pool.gpus },
          after: { gpusByModel: { [pool.gpuModel]: sum(poolPlan.keptNodes.map((n) => n.gpuCount)) }, peakGpus: peak(held) },
        },
        weights: new Map([[key, Math.max(0, freedGpuHours - accounted)]]),
      });
    }
    return out;
  }
}

/** GPUs as people read them in a title: whole GPUs plainly, fractions (GPU shares summed) to two decimals. */
export function gpusForTitle(gpus: number): string {
  return String(Math.round(gpus * 100) / 100);
}
