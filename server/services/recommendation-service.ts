/**
 * The ROI optimizer's recommendations: measured workload profiles in, one fleet
 * plan out (solver/plan), each of its actions stored as a recommendation with its
 * share of the plan's saving, then walked through open -> accepted -> applied (or
 * dismissed) and, once applied, measured against the cost before.
 */
import type { Principal } from "../auth/principal";
import type { AppPrismaClient } from "../db/prisma-client";
import type { SqlDatabase } from "../db/sql-database";
import { IDLE_ROW_NAME } from "../domain/allocation";
import { planFindings, planKey, planNodeRows, planWorkloadRows } from "../domain/plan-findings";
import { workloadKey, type WorkloadRef } from "../domain/workload-keys";
import { compareDailyCosts, type RealizedSaving } from "../domain/workload-profiles";
import type { GpuNode, Workload } from "../../solver/packing/types";
import { planFleet } from "../../solver/plan/plan-fleet";
import type { PlanInput } from "../../solver/plan/types";
import { allocate } from "./allocation-service";
import { recordAudit, type AuditAction } from "./audit-log";
import { storeFleetPlan, type StoredFleetPlan } from "./fleet-plan-store";
import { loadPlanInput } from "./plan-input-service";
import { ServiceError } from "./service-error";
import { ALL_DATA } from "../auth/principal";
import { DEFAULT_LOOKBACK_DAYS } from "./workload-profile-service";

export { exportPlan, type ExportedPlan } from "./plan-export";

/** The actions of a fleet plan; the older kinds remain for recommendations stored before it. */
export const PLAN_ACTION_KINDS = ["move", "pack", "schedule"] as const;
export const RECOMMENDATION_KINDS = [...PLAN_ACTION_KINDS, "packing", "tidal", "right-sizing"] as const;
export type RecommendationKind = (typeof RECOMMENDATION_KINDS)[number];
export const RECOMMENDATION_STATES = ["open", "accepted", "dismissed", "applied"] as const;
export type RecommendationState = (typeof RECOMMENDATION_STATES)[number];

/** Allowed transitions; applied and dismissed are final. */
export const STATE_TRANSITIONS: Readonly<Record<RecommendationState, readonly RecommendationState[]>> = {
  open: ["accepted", "dismissed"],
  accepted: ["applied", "dismissed"],
  dismissed: [],
  applied: [],
};

const DAY_MS = 86_400_000;

/** A stored finding and where it stands in the workflow. */
export interface Recommendation extends Finding {
  id: number;
  state: RecommendationState;
  createdAtMs: number;
  windowStartMs: number;
  windowEndMs: number;
  stateChangedAtMs: number;
  appliedAtMs: number | null;
  realized: RealizedSaving | null;
  /** The fleet plan it is an action of (GET /api/v1/recommendations/fleet-plan); null for the older kinds. */
  planId: number | null;
  /** Owned or committed GPUs it frees, GPU-hours per month: capacity, not cash (null for the older kinds). */
  capacityFreedGpuHoursPerMonth: number | null;
  /** What that capacity would cost to rent at a cloud rate of the same model; null when none is priced. */
  rentEquivalentPerMonth: number | null;
}

export interface RecommendationInputs {
  /** External ids of the jobs it touches (an id may stand for jobs of several clusters: see affectedWorkloads). */
  affectedJobs: string[];
  /** The jobs it touches, each with its cluster (for the realized-saving measure); absent in recommendations stored before it existed. */
  affectedWorkloads?: WorkloadRef[];
  gpuModel?: string;
  /** Price per GPU-hour the saving was projected with. */
  costPerGpuHour?: number | null;
  [key: string]: unknown;
}

export interface RunOptions {
  nowMs: number;
  lookbackDays?: number;
  /** Wall-clock budget of the whole plan, ms (the solver's default: 60,000). */
  planTimeLimitMs?: number;
  /** What-if: workloads (cluster/id) and nodes (cluster/hostname) the plan leaves as they are. */
  exclude?: { workloads?: readonly string[]; nodes?: readonly string[] };
  /** Told each step as it starts, in words ("planning 40 workloads on 12 nodes"). */
  onProgress?: (step: string) => void;
  /** Who asked for the run (on-demand runs): recorded in the audit log with the plan. */
  actor?: Principal;
}

type RecommendationRow = Awaited<ReturnType<AppPrismaClient["recommendation"]["create"]>>;

function parseJson(text: string | null): unknown {
  return text === null ? null : (JSON.parse(text) as unknown);
}

/** The capacity share a plan action's result carries; null for the older kinds. */
function planShare(result: unknown, field: "capacityFreedGpuHoursPerMonth" | "rentEquivalentPerMonth"): number | null {
  const value = result && typeof result === "object" ? (result as Record<string, unknown>)[field] : null;
  return typeof value === "number" ? value : null;
}

export function toRecommendation(row: RecommendationRow): Recommendation {
  const result = parseJson(row.resultJson);
  return {
    id: row.id,
    kind: row.kind as RecommendationKind,
    state: row.state as RecommendationState,
    subject: row.subject,
    title: row.title,
    createdAtMs: Number(row.createdAtMs),
    windowStartMs: Number(row.windowStartMs),
    windowEndMs: Number(row.windowEndMs),
    inputs: parseJson(row.inputsJson) as RecommendationInputs,
    result,
    projectedMonthlySaving: row.projectedMonthlySaving,
    currency: row.currency,
    bound: parseJson(row.boundJson),
    baseline: parseJson(row.baselineJson),
    solveSeconds: row.solveSeconds,
    stateChangedAtMs: Number(row.stateChangedAtMs),
    appliedAtMs: row.appliedAtMs === null ? null : Number(row.appliedAtMs),
    realized: parseJson(row.realizedJson) as RealizedSaving | null,
    planId: row.planId,
    capacityFreedGpuHoursPerMonth: planShare(result, "capacityFreedGpuHoursPerMonth"),
    rentEquivalentPerMonth: planShare(result, "rentEquivalentPerMonth"),
  };
}

/** A finding before it is stored. */
export interface Finding {
  kind: RecommendationKind;
  subject: string;
  /** Subjects the same finding had before (open ones are replaced, accepted ones hold it back, as for `subject`). */
  formerSubjects?: readonly string[];
  title: string;
  inputs: RecommendationInputs;
  result: unknown;
  projectedMonthlySaving: number;
  currency: string | null;
  bound: unknown;
  baseline: unknown;
  solveSeconds: number;
}

/** A workload of a packing finding as stored (before the fleet plan): the solver's workload (id unique in its cluster) and the job it is. */
export type PackedWorkload = Workload & WorkloadRef;
/** A node of a packing finding as stored (before the fleet plan): the solver's node (id = hostname, unique in its cluster) and where it is. */
export type PackedNode = GpuNode & { cluster: string; hostname: string };

/**
 * One fleet plan for the lookback: profiles and prices in, one capacity-aware
 * plan out (solver/plan), stored with one recommendation per action
 * (fleet-plan-store.ts). Returns the recommendations stored by this run.
 */
export async function runRecommendations(db: SqlDatabase, prisma: AppPrismaClient, options: RunOptions): Promise<Recommendation[]> {
  return (await runFleetPlan(db, prisma, options)).recommendations;
}

/** An exclusion must name a workload running now (`cluster/id`) or a node of the fleet (`cluster/hostname`). */
function checkExclusions(input: PlanInput): void {
  const workloads = new Set(input.workloads.map((w) => planKey(w.cluster, w.id)));
  const nodes = new Set(input.nodes.map((n) => planKey(n.cluster, n.hostname)));
  input.exclude?.workloads?.forEach((key, i) => {
    if (!workloads.has(key)) throw new ServiceError(400, `exclude.workloads[${i}]: no running workload ${key} (cluster/id)`, "exclude");
  });
  input.exclude?.nodes?.forEach((key, i) => {
    if (!nodes.has(key)) throw new ServiceError(400, `exclude.nodes[${i}]: no node ${key} (cluster/hostname)`, "exclude");
  });
}

/** The same run, returning the stored plan beside its recommendations. */
export async function runFleetPlan(db: SqlDatabase, prisma: AppPrismaClient, options: RunOptions): Promise<{ plan: StoredFleetPlan; recommendations: Recommendation[] }> {
  const lookbackDays = options.lookbackDays ?? DEFAULT_LOOKBACK_DAYS;
  const progress = options.onProgress ?? (() => {});
  progress(`loading ${lookbackDays} days of usage`);
  const loaded = await loadPlanInput(db, {
    nowMs: options.nowMs,
    lookbackDays,
    exclude: options.exclude,
    planOptions: options.planTimeLimitMs === undefined ? undefined : { timeLimitMs: options.planTimeLimitMs },
  });
  const { input } = loaded;
  checkExclusions(input);
  progress(`planning ${input.workloads.length} workloads on ${input.nodes.length} nodes${input.exclude ? ` (${input.exclude.workloads?.length ?? 0} workloads and ${input.exclude.nodes?.length ?? 0} nodes excluded)` : ""}`);
  const plan = await planFleet(input);
  const findings = planFindings(plan, input);
  progress(`storing the plan (${plan.status}) and ${findings.length} findings`);
  const stored = await storeFleetPlan(prisma, {
    plan,
    input,
    workloads: planWorkloadRows(plan, input),
    nodes: planNodeRows(plan, input),
    findings,
    leftOut: loaded.leftOut,
    at: { nowMs: options.nowMs, windowStartMs: loaded.windowStartMs, windowEndMs: loaded.windowEndMs },
    requestedBy: options.actor ? { actor: options.actor, lookbackDays } : undefined,
  });
  return { plan: stored.plan, recommendations: stored.recommendations.map(toRecommendation) };
}

export async function storeFindings(prisma: AppPrismaClient, findings: readonly Finding[], at: { nowMs: number; windowStartMs: number; windowEndMs: number }): Promise<Recommendation[]> {
  const stored: Recommendation[] = [];
  for (const f of findings) {
    const row = await prisma.$transaction(async (tx) => {
      const subjects = [f.subject, ...(f.formerSubjects ?? [])];
      const inProgress = await tx.recommendation.findFirst({ where: { subject: { in: subjects }, state: "accepted" } });
      if (inProgress) return null;
      await tx.recommendation.deleteMany({ where: { subject: { in: subjects }, state: "open" } });
      return tx.recommendation.create({
        data: {
          kind: f.kind,
          state: "open",
          subject: f.subject,
          title: f.title.slice(0, 500),
          createdAtMs: BigInt(at.nowMs),
          windowStartMs: BigInt(at.windowStartMs),
          windowEndMs: BigInt(at.windowEndMs),
          inputsJson: JSON.stringify(f.inputs),
          resultJson: JSON.stringify(f.result),
          projectedMonthlySaving: Number.isFinite(f.projectedMonthlySaving) ? f.projectedMonthlySaving : 0,
          currency: f.currency,
          boundJson: JSON.stringify(f.bound ?? null),
          baselineJson: JSON.stringify(f.baseline ?? null),
          solveSeconds: f.solveSeconds,
          stateChangedAtMs: BigInt(at.nowMs),
        },
      });
    });
    if (row) stored.push(toRecommendation(row));
  }
  return stored;
}

export interface ListQuery {
  state?: RecommendationState;
  kind?: RecommendationKind;
  limit?: number;
}

/** Recommendations, largest projected saving first. */
export async function listRecommendations(prisma: AppPrismaClient, query: ListQuery = {}): Promise<Recommendation[]> {
  const rows = await prisma.recommendation.findMany({
    where: { ...(query.state ? { state: query.state } : {}), ...(query.kind ? { kind: query.kind } : {}) },
    orderBy: [{ projectedMonthlySaving: "desc" }, { id: "asc" }],
    take: query.limit ?? 500,
  });
  return rows.map(toRecommendation);
}

export interface RecommendationSummary {
  /** Recommendations in the state asked for. */
  count: number;
  /** The one with the largest projected monthly saving, or null when there is none. */
  largest: Recommendation | null;
}

/** How many recommendations are in a state, and the largest: what the overview shows, without listing them all. */
export async function summarizeRecommendations(prisma: AppPrismaClient, state: RecommendationState): Promise<RecommendationSummary> {
  const [count, largest] = await Promise.all([
    prisma.recommendation.count({ where: { state } }),
    prisma.recommendation.findFirst({ where: { state }, orderBy: [{ projectedMonthlySaving: "desc" }, { id: "asc" }] }),
  ]);
  return { count, largest: largest ? toRecommendation(largest) : null };
}

export async function getRecommendation(prisma: AppPrismaClient, id: number): Promise<Recommendation> {
  const row = await prisma.recommendation.findUnique({ where: { id } });
  if (!row) throw new ServiceError(404, `recommendation ${id} not found`, "id");
  return toRecommendation(row);
}

/** The audit action of moving a recommendation to a state (open is never a target). */
const STATE_ACTIONS: Readonly<Record<Exclude<RecommendationState, "open">, AuditAction>> = {
  accepted: "recommendation.accept",
  applied: "recommendation.apply",
  dismissed: "recommendation.dismiss",
};

/** What the audit log keeps of a recommendation's state. */
function auditedState(recommendation: Recommendation) {
  return {
    state: recommendation.state,
    title: recommendation.title,
    stateChangedAtMs: recommendation.stateChangedAtMs,
    appliedAtMs: recommendation.appliedAtMs,
    projectedMonthlySaving: recommendation.projectedMonthlySaving,
    currency: recommendation.currency,
  };
}

/**
 * Moves a recommendation to `state` (open -> accepted | dismissed, accepted ->
 * applied | dismissed); anything else is a 409 naming the current state. Applying
 * records applied_at and a pending realized saving. With an `actor` the audit log
 * records the change in the same transaction.
 */
export async function setRecommendationState(prisma: AppPrismaClient, id: number, state: RecommendationState, nowMs: number, actor?: Principal): Promise<Recommendation> {
  const current = await getRecommendation(prisma, id);
  if (!STATE_TRANSITIONS[current.state].includes(state)) {
    const allowed = STATE_TRANSITIONS[current.state];
    throw new ServiceError(
      409,
      `recommendation ${id} is ${current.state}: it cannot become ${state}` + (allowed.length > 0 ? ` (allowed: ${allowed.join(", ")})` : ` (${current.state} is final)`),
      "state",
    );
  }
  return prisma.$transaction(async (tx) => {
    // Guard against a concurrent change: only update from the state read.
    const { count } = await tx.recommendation.updateMany({
      where: { id, state: current.state },
      data: {
        state,
        stateChangedAtMs: BigInt(nowMs),
        ...(state === "applied" ? { appliedAtMs: BigInt(nowMs), realizedJson: JSON.stringify(compareDailyCosts([], [], current.projectedMonthlySaving)) } : {}),
      },
    });
    if (count === 0) throw new ServiceError(409, `recommendation ${id} changed state meanwhile; read it again`, "state");
    const changed = toRecommendation((await tx.recommendation.findUnique({ where: { id } }))!);
    if (actor && state !== "open") {
      await recordAudit(tx, { atMs: nowMs, actor, action: STATE_ACTIONS[state], target: `recommendation:${id}`, before: auditedState(current), after: auditedState(changed) });
    }
    return changed;
  });
}

/**
 * Packing, draining nodes and moving batch work in time save by leaving GPUs
 * idle to release: their realized saving is the fleet's idle cost before and
 * after. The rest (right-sizing, moves to another model) is the affected jobs' cost.
 */
function measuresIdle(recommendation: Recommendation): boolean {
  return recommendation.kind === "packing" || recommendation.kind === "pack" || recommendation.kind === "schedule";
}

/** Whether an allocation row (aggregated by cluster and job) counts toward what a recommendation affects. */
function affectsRow(recommendation: Recommendation): (row: { name: string; properties: Record<string, string> }) => boolean {
  if (measuresIdle(recommendation)) return (row) => row.name === IDLE_ROW_NAME;
  const refs = recommendation.inputs.affectedWorkloads;
  // Stored before jobs were keyed by cluster: the id in any cluster.
  if (!refs) return (row) => row.name !== IDLE_ROW_NAME;
  const keys = new Set(refs.map(workloadKey));
  return (row) => row.name !== IDLE_ROW_NAME && keys.has(workloadKey({ cluster: row.properties.cluster, externalId: row.properties.job }));
}

/** Daily costs over whole UTC days in [fromMs, toMs) of what a recommendation affects. */
async function dailyCosts(db: SqlDatabase, recommendation: Recommendation, fromMs: number, toMs: number): Promise<number[]> {
  const startMs = Math.ceil(fromMs / DAY_MS) * DAY_MS;
  const endMs = Math.floor(toMs / DAY_MS) * DAY_MS;
  if (endMs <= startMs) return [];
  const days = (endMs - startMs) / DAY_MS;
  const byDay = new Map<number, number>();
  const jobs = recommendation.inputs.affectedJobs ?? [];
  const useIdle = measuresIdle(recommendation);
  const counts = affectsRow(recommendation);
  const response = await allocate(db, {
    window: { startMs, endMs },
    aggregate: ["cluster", "job"],
    basis: "allocation",
    shareIdle: "none",
    idleBy: "cluster",
    filter: useIdle || jobs.length === 0 ? new Map() : new Map([["job", jobs]]),
    stepMs: DAY_MS,
  }, ALL_DATA);
  // Days without any row (no usage of the jobs, or no fleet data) are left out, not counted as free.
  for (const row of response.rows) {
    const day = Math.floor(row.startMs / DAY_MS) * DAY_MS;
    byDay.set(day, (byDay.get(day) ?? 0) + (counts(row) ? row.totalCost : 0));
  }
  return Array.from({ length: days }, (_, i) => byDay.get(startMs + i * DAY_MS)).filter((cost): cost is number => cost !== undefined);
}

/**
 * For an applied recommendation: the mean daily cost of the affected jobs (the
 * fleet's idle cost for packing) over up to `days` whole days before applied_at
 * against the whole days after it, stored in realized_json.
 */
export async function measureRealizedSaving(db: SqlDatabase, prisma: AppPrismaClient, id: number, nowMs: number, days = 7): Promise<Recommendation> {
  const recommendation = await getRecommendation(prisma, id);
  if (recommendation.state !== "applied" || recommendation.appliedAtMs === null) {
    throw new ServiceError(409, `recommendation ${id} is ${recommendation.state}: only applied ones have a realized saving`, "state");
  }
  const appliedAtMs = recommendation.appliedAtMs;
  const before = await dailyCosts(db, recommendation, appliedAtMs - days * DAY_MS, Math.floor(appliedAtMs / DAY_MS) * DAY_MS);
  const after = await dailyCosts(db, recommendation, appliedAtMs, Math.min(nowMs, appliedAtMs + (days + 1) * DAY_MS));
  const realized = compareDailyCosts(before, after, recommendation.projectedMonthlySaving);
  await prisma.recommendation.update({ where: { id }, data: { realizedJson: JSON.stringify({ ...realized, measuredAtMs: nowMs }) } });
  return getRecommendation(prisma, id);
}

/** Re-measures every applied recommendation (the schedule calls it). */
export async function measureAppliedRecommendations(db: SqlDatabase, prisma: AppPrismaClient, nowMs: number): Promise<number> {
  const applied = await prisma.recommendation.findMany({ where: { state: "applied" }, select: { id: true } });
  let measured = 0;
  for (const { id } of applied) {
    try {
      await measureRealizedSaving(db, prisma, id, nowMs);
      measured++;
    } catch (error) {
      console.error(`gpu-roi: realized saving of recommendation ${id} not measured: ${(error as Error).message}`);
    }
  }
  return measured;
}
