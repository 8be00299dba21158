/**
 * Checks a fleet plan against its input the way an operator would apply it:
 * every GPU in every hour within the co-location rules (headroom when shared,
 * at most two at once, never two latency-sensitive at once), every pool within the
 * GPUs it keeps, work only on kept nodes, latency-sensitive hours unchanged,
 * batch inside its window, and the money adding up. Returns the problems found.
 */
import { HOURS_PER_WEEK, type FleetPlan, type PlanInput } from "../../../solver/plan/types.ts";

export function planProblems(input: PlanInput, plan: FleetPlan, rules = { headroom: 0.9, maxWorkloadsPerGpu: 2 }): string[] {
  const problems: string[] = [];
  const nodes = new Map(input.nodes.map((n) => [`${n.cluster}/${n.hostname}`, n]));
  const drained = new Set(plan.actions.flatMap((a) => a.drainedNodes.map((host) => `${a.cluster}/${host}`)));
  const gpus = new Map<string, { milli: number[]; active: number[]; latency: number[] }>();
  const workloads = new Map(input.workloads.map((w) => [`${w.cluster}/${w.id}`, w]));
  for (const a of plan.assignments) {
    const key = `${a.cluster}/${a.workloadId}`;
    const w = workloads.get(key)!;
    const flat = a.placement.flatMap((p) => p.gpuIndexes.map((index) => ({ node: p.node, index })));
    if (flat.length !== a.to.gpuCount) problems.push(`${key}: placed on ${flat.length} GPUs, shape has ${a.to.gpuCount}`);
    for (const { node: host, index } of flat) {
      const n = nodes.get(`${a.cluster}/${host}`);
      if (!n || n.gpuModel !== a.to.gpuModel || index >= n.gpuCount) problems.push(`${key}: no GPU ${host}#${index} of ${a.to.gpuModel}`);
      if (drained.has(`${a.cluster}/${host}`)) problems.push(`${key}: placed on drained node ${host}`);
    }
    a.gpusByHourOfWeek.forEach((held, t) => {
      const occupied = Math.round((held * 1000) / a.to.gpuMilli);
      for (let j = 0; j < occupied; j++) {
        const gpuKey = `${a.cluster}/${flat[j]?.node}#${flat[j]?.index}`;
        const gpu = gpus.get(gpuKey) ?? { milli: new Array(HOURS_PER_WEEK).fill(0), active: new Array(HOURS_PER_WEEK).fill(0), latency: new Array(HOURS_PER_WEEK).fill(0) };
        gpu.milli[t] += a.to.gpuMilli;
        gpu.active[t] += 1;
        if (w.kind === "latency-sensitive") gpu.latency[t] += 1;
        gpus.set(gpuKey, gpu);
      }
    });
    const today = w.heldGpusByHourOfWeek.map((v) => v > 0);
    const planned = a.gpusByHourOfWeek.map((v) => v > 0);
    if (w.kind === "latency-sensitive" && today.some((v, t) => v !== planned[t])) problems.push(`${key}: latency-sensitive work moved in time`);
    if (w.kind === "batch" && today.some((v, t) => v !== planned[t])) {
      const outside = planned.findIndex((v, t) => v && (t < (w.releaseSlot ?? 0) || t >= (w.deadlineSlot ?? HOURS_PER_WEEK)));
      if (outside >= 0) problems.push(`${key}: batch moved to slot ${outside}, outside its window`);
      if (today.filter(Boolean).length !== planned.filter(Boolean).length) problems.push(`${key}: batch hours changed in number`);
    }
  }
  for (const [gpuKey, gpu] of gpus) {
    for (let t = 0; t < HOURS_PER_WEEK; t++) {
      if (gpu.active[t] > rules.maxWorkloadsPerGpu) problems.push(`${gpuKey} slot ${t}: ${gpu.active[t]} workloads`);
      if (gpu.latency[t] > 1) problems.push(`${gpuKey} slot ${t}: ${gpu.latency[t]} latency-sensitive workloads`);
      const limit = gpu.active[t] > 1 ? rules.headroom * 1000 : 1000;
      if (gpu.milli[t] > limit + 1e-6) problems.push(`${gpuKey} slot ${t}: ${gpu.milli[t]} gpuMilli over ${limit}`);
    }
  }
  for (const m of plan.models) {
    m.heldByHourPlan.forEach((held, t) => {
      if (held > m.gpusKept + 1e-6) problems.push(`${m.cluster}/${m.gpuModel} slot ${t}: ${held} GPUs held, ${m.gpusKept} kept`);
    });
  }
  const cents = (v: number) => Math.round(v * 100);
  const sum = (pick: (a: FleetPlan["actions"][number]) => number) => plan.actions.reduce((s, a) => s + cents(pick(a)), 0);
  if (sum((a) => a.cashSavingPerMonth) !== cents(plan.saving.cashPerMonth)) problems.push("action cash shares do not sum to the total");
  if (sum((a) => a.capacityFreedGpuHoursPerMonth) !== cents(plan.saving.capacityFreedGpuHoursPerMonth)) problems.push("action capacity shares do not sum to the total");
  if (sum((a) => a.rentEquivalentPerMonth ?? 0) !== cents(plan.saving.rentEquivalentPerMonth ?? 0)) problems.push("action rent equivalents do not sum to the total");
  if (plan.bound.costPerWeek > plan.costPerWeek.plan + 1e-6) problems.push(`bound ${plan.bound.costPerWeek} above the plan's cost ${plan.costPerWeek.plan}`);
  if (plan.costPerWeek.plan > plan.costPerWeek.today + 1e-6) problems.push("the plan costs more than today");
  return problems;
}
