/**
 * The fleet plan's actions as findings people act on: one per action (move these
 * workloads to model M, pack them onto node N and drain node K, run these batch
 * jobs in hours H), each carrying its share of the plan's saving, so the findings
 * of one plan add up to the plan's total. Pure: the plan and its input in,
 * findings out.
 */
import type { FleetPlan, PlanAction, PlanActionKind, PlanInput, PlanPriceSource, PlanWorkload, WorkloadAssignment } from "../../solver/plan/types";
import type { WorkloadRef } from "./workload-keys";

/** How the plan names a workload or a node in actions and exclusions: `cluster/id`. */
export function planKey(cluster: string, name: string): string {
  return `${cluster}/${name}`;
}

/** A workload as a finding keeps it: where it is, what it measurably needs (not its hourly series). */
export type FindingWorkload = Omit<PlanWorkload, "heldGpusByHourOfWeek">;

export type PlanFindingInputs = {
  affectedJobs: string[];
  affectedWorkloads: WorkloadRef[];
  cluster: string;
  gpuModel: string;
  /** Model-wide price of the action's GPU model, per GPU-hour; null when unpriced. */
  costPerGpuHour: number | null;
  workloads: FindingWorkload[];
  drainedNodes: string[];
};

export type PlanFindingResult = {
  action: PlanAction;
  /** Where each workload of the action goes (the export's commands come from these). */
  assignments: WorkloadAssignment[];
  cashSavingPerMonth: number;
  capacityFreedGpuHoursPerMonth: number;
  rentEquivalentPerMonth: number | null;
  /** "assumed" when any workload's new shape rests on peak-ratio throughput, not a measurement. */
  throughput: "unchanged" | "measured" | "assumed";
};

export type PlanFinding = {
  kind: PlanActionKind;
  subject: string;
  title: string;
  inputs: PlanFindingInputs;
  result: PlanFindingResult;
  /** The action's cash share of the plan's saving, per month (capacity freed is apart, in the result). */
  projectedMonthlySaving: number;
  currency: string | null;
  bound: FleetPlan["bound"];
  baseline: { before: PlanAction["before"]; after: PlanAction["after"] };
  solveSeconds: number;
};

/** The subject of an action's finding: a later plan with the same action replaces it while it is open. */
export function planSubject(action: Pick<PlanAction, "id">): string {
  return `plan:${action.id}`;
}

function modelPrice(input: PlanInput, gpuModel: string): number | null {
  return input.prices.find((p) => p.gpuModel === gpuModel)?.costPerGpuHour ?? null;
}

function findingWorkload(workload: PlanWorkload): FindingWorkload {
  const { heldGpusByHourOfWeek: _series, ...rest } = workload;
  return rest;
}

/** "assumed" wins over "measured" wins over "unchanged": a finding shows its weakest evidence. */
function weakestThroughput(values: readonly ("unchanged" | "measured" | "assumed")[]): "unchanged" | "measured" | "assumed" {
  if (values.includes("assumed")) return "assumed";
  if (values.includes("measured")) return "measured";
  return "unchanged";
}

/** One finding per action of the plan. */
export function planFindings(plan: FleetPlan, input: PlanInput): PlanFinding[] {
  const workloads = new Map(input.workloads.map((w) => [planKey(w.cluster, w.id), w]));
  const assignments = new Map(plan.assignments.map((a) => [planKey(a.cluster, a.workloadId), a]));
  return plan.actions.map((action) => {
    const touched = action.workloads.map((key) => workloads.get(key)).filter((w): w is PlanWorkload => w !== undefined);
    const touchedAssignments = action.workloads.map((key) => assignments.get(key)).filter((a): a is WorkloadAssignment => a !== undefined);
    const affectedWorkloads = touched.flatMap((w) => w.jobIds.map((externalId) => ({ cluster: w.cluster, externalId })));
    return {
      kind: action.kind,
      subject: planSubject(action),
      title: action.title,
      inputs: {
        affectedJobs: [...new Set(affectedWorkloads.map((w) => w.externalId))],
        affectedWorkloads,
        cluster: action.cluster,
        gpuModel: action.gpuModel,
        costPerGpuHour: modelPrice(input, action.gpuModel),
        workloads: touched.map(findingWorkload),
        drainedNodes: [...action.drainedNodes],
      },
      result: {
        action,
        assignments: touchedAssignments,
        cashSavingPerMonth: action.cashSavingPerMonth,
        capacityFreedGpuHoursPerMonth: action.capacityFreedGpuHoursPerMonth,
        rentEquivalentPerMonth: action.rentEquivalentPerMonth,
        throughput: weakestThroughput([action.risk.throughput, ...touchedAssignments.map((a) => a.throughput)]),
      },
      projectedMonthlySaving: action.cashSavingPerMonth,
      currency: plan.currency,
      bound: plan.bound,
      baseline: { before: action.before, after: action.after },
      solveSeconds: plan.seconds,
    };
  });
}

/** What the plan did with one workload, for the what-if list (exclude it, see where it goes). */
export interface PlanWorkloadRow {
  /** `cluster/id`, as exclusions name it. */
  key: string;
  cluster: string;
  id: string;
  team: string | null;
  kind: PlanWorkload["kind"];
  jobCount: number;
  from: { gpuModel: string; gpuCount: number };
  to: { gpuModel: string; gpuCount: number; gpuMilli: number } | null;
  throughput: WorkloadAssignment["throughput"] | null;
  excluded: boolean;
}

export function planWorkloadRows(plan: FleetPlan, input: PlanInput): PlanWorkloadRow[] {
  const assignments = new Map(plan.assignments.map((a) => [planKey(a.cluster, a.workloadId), a]));
  const excluded = new Set(input.exclude?.workloads ?? []);
  return input.workloads.map((w) => {
    const key = planKey(w.cluster, w.id);
    const to = assignments.get(key);
    return {
      key,
      cluster: w.cluster,
      id: w.id,
      team: w.team,
      kind: w.kind,
      jobCount: w.jobIds.length,
      from: { gpuModel: w.gpuModel, gpuCount: w.gpuCount },
      to: to ? { ...to.to } : null,
      throughput: to?.throughput ?? null,
      excluded: excluded.has(key),
    };
  });
}

/** A node of the plan, for the what-if list. */
export interface PlanNodeRow {
  /** `cluster/hostname`, as exclusions name it. */
  key: string;
  cluster: string;
  hostname: string;
  gpuModel: string;
  gpuCount: number;
  /** Its price per GPU-hour (node override, else the model's) and where the price comes from. */
  costPerGpuHour: number | null;
  source: PlanPriceSource;
  drained: boolean;
  excluded: boolean;
}

export function planNodeRows(plan: FleetPlan, input: PlanInput): PlanNodeRow[] {
  const excluded = new Set(input.exclude?.nodes ?? []);
  const drained = new Set(plan.actions.flatMap((a) => a.drainedNodes.map((hostname) => planKey(a.cluster, hostname))));
  return input.nodes.map((n) => {
    const key = planKey(n.cluster, n.hostname);
    const price = input.prices.find((p) => p.gpuModel === n.gpuModel);
    return {
      key,
      cluster: n.cluster,
      hostname: n.hostname,
      gpuModel: n.gpuModel,
      gpuCount: n.gpuCount,
      costPerGpuHour: n.costPerGpuHour ?? price?.costPerGpuHour ?? null,
      source: n.source ?? price?.source ?? "cloud-on-demand",
      drained: drained.has(key),
      excluded: excluded.has(key),
    };
  });
}
