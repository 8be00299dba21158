/**
 * The ROI optimizer's recommendations: measured workload profiles in, solver
 * findings out, stored with their projected saving, bound, baseline and solve
 * time, then walked through open -> accepted -> applied (or dismissed) and, once
 * applied, measured against the cost before.
 */
import type { AppPrismaClient } from "../db/prisma-client";
import type { SqlDatabase } from "../db/sql-database";
import { IDLE_ROW_NAME } from "../domain/allocation";
import { HOURS_PER_MONTH, priceFor, type PriceEntry } from "../domain/pricing";
import { clusterScopedKey, describeWorkload, suffixableId, workloadKey, type WorkloadRef } from "../domain/workload-keys";
import { compareDailyCosts, inferenceDemandByHourOfWeek, type RealizedSaving, type WorkloadProfile } from "../domain/workload-profiles";
import { optimizePacking } from "../../solver/packing/optimize";
import type { GpuNode, Placement, Workload } from "../../solver/packing/types";
import { recommendRightSizing, DEFAULT_RIGHT_SIZING_OPTIONS, type GpuOffer, type JobUsageProfile, type RightSizingRecommendation } from "../../solver/right-sizing";
import { planTidal, type BatchJob, type TidalPlan } from "../../solver/tidal/plan";
import { allocate, loadPriceEntries } from "./allocation-service";
import { ServiceError } from "./service-error";
import { DEFAULT_LOOKBACK_DAYS, loadFixedGpusByHour, loadWorkloadProfiles, type WorkloadProfileSet } from "./workload-profile-service";

export { exportPlan, type ExportedPlan } from "./plan-export";

export const RECOMMENDATION_KINDS = ["packing", "tidal", "right-sizing"] as const;
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
  /** Budget of each packing solve, ms (default 20,000). */
  packingTimeLimitMs?: number;
  /** A workload counts as running now when its last window ended within this of the fleet's latest (default 1 h). */
  activeWithinMs?: number;
  /** Told each step as it starts, in words ("packing NVIDIA A100 …: 40 workloads on 32 GPUs"). */
  onProgress?: (step: string) => void;
}

type RecommendationRow = Awaited<ReturnType<AppPrismaClient["recommendation"]["create"]>>;

function parseJson(text: string | null): unknown {
  return text === null ? null : (JSON.parse(text) as unknown);
}

export function toRecommendation(row: RecommendationRow): Recommendation {
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
    result: parseJson(row.resultJson),
    projectedMonthlySaving: row.projectedMonthlySaving,
    currency: row.currency,
    bound: parseJson(row.boundJson),
    baseline: parseJson(row.baselineJson),
    solveSeconds: row.solveSeconds,
    stateChangedAtMs: Number(row.stateChangedAtMs),
    appliedAtMs: row.appliedAtMs === null ? null : Number(row.appliedAtMs),
    realized: parseJson(row.realizedJson) as RealizedSaving | null,
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

interface PriceBook {
  entries: PriceEntry[];
  /** Price of one GPU-hour of a model at `nowMs` (model-wide price; node overrides where labels are given). */
  price(model: string, labels?: Record<string, string>): PriceEntry | null;
}

function priceBook(entries: PriceEntry[], nowMs: number): PriceBook {
  return { entries, price: (model, labels = {}) => priceFor(entries, model, labels, nowMs) };
}

/** Workloads running now: last window within `activeWithinMs` of the latest window of the fleet. */
function runningNow(profiles: readonly WorkloadProfile[], activeWithinMs: number): WorkloadProfile[] {
  const latest = Math.max(Number.NEGATIVE_INFINITY, ...profiles.map((p) => p.lastSeenMs));
  return profiles.filter((p) => p.lastSeenMs >= latest - activeWithinMs);
}

/**
 * The part of the lookback with data: from the first job window (whole hour) to
 * its end, so a fleet younger than the lookback is not scaled as if idle before.
 */
function observedSpan(set: WorkloadProfileSet): { startMs: number; days: number } {
  const first = Math.min(Number.POSITIVE_INFINITY, ...set.profiles.map((p) => p.firstSeenMs));
  const startMs = Number.isFinite(first) ? Math.max(set.windowStartMs, Math.floor(first / 3_600_000) * 3_600_000) : set.windowStartMs;
  return { startMs, days: Math.max(1 / 24, (set.windowEndMs - startMs) / DAY_MS) };
}

/** A workload of a packing finding as stored: the solver's workload (id unique in its cluster) and the job it is. */
export type PackedWorkload = Workload & WorkloadRef;
/** A node of a packing finding as stored: the solver's node (id = hostname, unique in its cluster) and where it is. */
export type PackedNode = GpuNode & { cluster: string; hostname: string };

/** The (cluster, GPU model) pairs of the fleet's whole GPUs, sorted. */
function clusterModels(set: WorkloadProfileSet): { cluster: string; model: string }[] {
  const pairs = new Map<string, { cluster: string; model: string }>();
  for (const g of set.gpus) if (g.migProfile === null) pairs.set(clusterScopedKey(g.clusterName, g.modelName), { cluster: g.clusterName, model: g.modelName });
  return [...pairs.values()].sort((a, b) => a.cluster.localeCompare(b.cluster) || a.model.localeCompare(b.model));
}

/** The refs of workloads, each job once. */
function uniqueRefs(refs: readonly WorkloadRef[]): WorkloadRef[] {
  return [...new Map(refs.map((ref) => [workloadKey(ref), { cluster: ref.cluster, externalId: ref.externalId }])).values()];
}

/**
 * Packing per cluster and GPU model: the running workloads on the nodes of that
 * model in that cluster. A job never moves to another cluster's node (another
 * scheduler), and within a cluster a job id and a hostname are unique.
 */
async function packingFindings(set: WorkloadProfileSet, prices: PriceBook, options: RunOptions): Promise<Finding[]> {
  const running = runningNow(set.profiles, options.activeWithinMs ?? 3_600_000);
  const findings: Finding[] = [];
  for (const { cluster, model } of clusterModels(set)) {
    const gpus = set.gpus.filter((g) => g.migProfile === null && g.clusterName === cluster && g.modelName === model);
    const byNode = new Map<number, typeof gpus>();
    for (const g of gpus) byNode.set(g.nodeId, [...(byNode.get(g.nodeId) ?? []), g]);
    const hostnameOf = (nodeId: number) => byNode.get(nodeId)![0].hostname;
    const modelPrice = prices.price(model);
    const nodes: PackedNode[] = [...byNode.entries()].map(([nodeId, list]) => ({
      id: hostnameOf(nodeId),
      cluster,
      hostname: hostnameOf(nodeId),
      model,
      gpuCount: Math.max(...list.map((g) => g.gpuIndex)) + 1,
      gpuMemoryMiB: Math.min(...list.map((g) => g.memoryTotalMiB)),
      costPerGpuHour: prices.price(model, set.nodeLabels.get(nodeId) ?? {})?.costPerGpuHour ?? modelPrice?.costPerGpuHour ?? 1,
    }));
    const workloads: PackedWorkload[] = [];
    for (const p of running.filter((x) => x.clusterName === cluster && x.gpuModel === model)) {
      const parts = p.current.filter((c) => byNode.has(c.nodeId));
      parts.forEach((part, i) => {
        workloads.push({
          id: parts.length > 1 ? `${suffixableId(p.externalId)}@${i}` : suffixableId(p.externalId),
          cluster,
          externalId: p.externalId,
          gpuCount: part.gpuIndexes.length,
          gpuMilli: Math.max(1, Math.min(1000, Math.round(p.computeShare * 1000))),
          memoryNeedMiB: Math.round(p.memoryNeedMiB),
          kind: p.kind,
          current: { node: hostnameOf(part.nodeId), gpuIndexes: part.gpuIndexes },
          profile: p.jobKind,
        });
      });
    }
    if (workloads.length === 0) continue;
    options.onProgress?.(`packing ${model} in ${cluster}: ${workloads.length} workloads on ${nodes.length} nodes`);
    const result = await optimizePacking(workloads, nodes, { timeLimitMs: options.packingTimeLimitMs ?? 20_000 });
    const current = result.baselines.current;
    // Never recommend more GPUs than today's placement uses: keep today's placement then.
    const best: Placement = current && result.best.gpusUsed > current.gpusUsed ? current : result.best;
    const freed = current ? Math.max(0, current.gpusUsed - best.gpusUsed) : 0;
    const price = modelPrice?.costPerGpuHour ?? null;
    const affectedWorkloads = uniqueRefs(workloads);
    findings.push({
      kind: "packing",
      subject: `packing:${clusterScopedKey(cluster, model)}`,
      formerSubjects: [`packing:${model}`],
      title: `Pack ${workloads.length} workloads on ${model} in ${cluster}: ${current?.gpusUsed ?? "?"} -> ${best.gpusUsed} GPUs (${freed} freed)`,
      inputs: { affectedJobs: [...new Set(affectedWorkloads.map((w) => w.externalId))], affectedWorkloads, cluster, gpuModel: model, costPerGpuHour: price, workloads, nodes },
      result: { status: result.status, best, gpusFreed: freed, nodesFreed: current ? Math.max(0, current.nodesUsed - best.nodesUsed) : 0, gapPct: result.gapPct, messages: result.messages },
      projectedMonthlySaving: freed * (price ?? 0) * HOURS_PER_MONTH,
      currency: modelPrice?.currency ?? null,
      bound: result.lowerBound,
      baseline: { current: summarizePlacement(current), ffd: summarizePlacement(result.baselines.ffd), bestFit: summarizePlacement(result.baselines.bestFit) },
      solveSeconds: result.seconds,
    });
  }
  return findings;
}

function summarizePlacement(placement: Placement | undefined): unknown {
  if (!placement) return null;
  return { method: placement.method, gpusUsed: placement.gpusUsed, nodesUsed: placement.nodesUsed, costPerHour: placement.costPerHour, unplaced: placement.unplaced.length, placedDemandShare: placement.placedDemandShare };
}

/** Right-sizing: one finding per job (of a cluster) that holds more GPU than it uses. */
function rightSizingFindings(set: WorkloadProfileSet, prices: PriceBook): Finding[] {
  const offers: GpuOffer[] = [];
  for (const model of [...new Set(set.gpus.filter((g) => g.migProfile === null).map((g) => g.modelName))].sort()) {
    const price = prices.price(model);
    if (!price) continue;
    const memoryMiB = Math.max(...set.gpus.filter((g) => g.modelName === model && g.migProfile === null).map((g) => g.memoryTotalMiB));
    offers.push({ gpuModel: model, memoryMiB, costPerGpuHour: price.costPerGpuHour });
  }
  // The solver's job id is the (cluster, id) key; what is stored names the job by its own id and its cluster.
  const refByKey = new Map<string, WorkloadRef>();
  const jobs: JobUsageProfile[] = set.profiles
    .filter((p) => p.rightSizing.gpuHours > 0)
    .map((p) => {
      const ref = { cluster: p.clusterName, externalId: p.externalId };
      refByKey.set(workloadKey(ref), ref);
      return {
        jobId: workloadKey(ref),
        gpuModel: p.gpuModel,
        gpuCount: p.gpuCount,
        heldHours: p.rightSizing.heldHours,
        lowEfficiencyShareOfRuntime: p.rightSizing.lowEfficiencyShareOfRuntime,
        busyGpusP95: p.rightSizing.busyGpusP95,
        memoryPerGpuP99MiB: p.rightSizing.memoryPerGpuP99MiB,
      };
    });
  const started = performance.now();
  const recommendations: RightSizingRecommendation[] = recommendRightSizing(jobs, offers, { ...DEFAULT_RIGHT_SIZING_OPTIONS, lookbackDays: observedSpan(set).days });
  const seconds = (performance.now() - started) / 1000;
  const byKey = new Map(jobs.map((j) => [j.jobId, j]));
  return recommendations.map((r) => {
    const ref = refByKey.get(r.jobId)!;
    const job = { ...byKey.get(r.jobId)!, jobId: ref.externalId, cluster: ref.cluster };
    const change = r.change.kind === "fewer-gpus" ? `${r.change.gpuCount} GPUs` : r.change.kind === "smaller-model" ? `${r.change.gpuCount} x ${r.change.gpuModel}` : `MIG ${r.change.profile} on ${r.change.gpuModel}`;
    return {
      kind: "right-sizing" as const,
      subject: `right-sizing:${r.jobId}`,
      formerSubjects: [`right-sizing:${ref.externalId}`],
      title: `Right-size ${describeWorkload(ref)}: ${job.gpuCount} x ${job.gpuModel} -> ${change}`,
      inputs: { affectedJobs: [ref.externalId], affectedWorkloads: [ref], gpuModel: job.gpuModel, costPerGpuHour: prices.price(job.gpuModel)?.costPerGpuHour ?? null, job },
      result: { ...r, jobId: ref.externalId, cluster: ref.cluster },
      projectedMonthlySaving: Math.max(0, r.monthlySaving),
      currency: prices.price(job.gpuModel)?.currency ?? null,
      // The least it could cost: its p95 busy GPUs at the cheapest offered price.
      bound: { proposedCostPerHour: r.proposedCostPerHour, busyGpusP95: job.busyGpusP95 },
      baseline: { currentCostPerHour: r.currentCostPerHour, gpuCount: job.gpuCount, gpuModel: job.gpuModel },
      solveSeconds: seconds,
    };
  });
}

/** Tidal: batch (training) work moved into the troughs of inference demand. */
async function tidalFinding(db: SqlDatabase, set: WorkloadProfileSet, prices: PriceBook): Promise<Finding | null> {
  const observed = observedSpan(set);
  const hourly = await loadFixedGpusByHour(db, observed.startMs, set.windowEndMs);
  const inference = inferenceDemandByHourOfWeek(hourly, observed.startMs, set.windowEndMs);
  const weekScale = 7 / observed.days;
  const jobs: (BatchJob & WorkloadRef)[] = set.profiles
    .filter((p) => p.jobKind === "training" && p.rightSizing.gpuHours > 0)
    .map((p) => ({
      id: workloadKey({ cluster: p.clusterName, externalId: p.externalId }),
      cluster: p.clusterName,
      externalId: p.externalId,
      queue: p.team ?? p.project ?? "default",
      gpuHours: p.rightSizing.gpuHours * weekScale,
      maxParallelGpus: Math.max(1, p.gpuCount),
      releaseSlot: 0,
      deadlineSlot: 168,
    }));
  if (jobs.length === 0 && inference.every((v) => v === 0)) return null;
  const plan: TidalPlan = planTidal(inference, jobs);
  // Price of a GPU-hour: the mean over the fleet's priced whole GPUs.
  const priced = set.gpus.filter((g) => g.migProfile === null).map((g) => prices.price(g.modelName, set.nodeLabels.get(g.nodeId) ?? {})).filter((p): p is PriceEntry => p !== null);
  const price = priced.length === 0 ? null : priced.reduce((s, p) => s + p.costPerGpuHour, 0) / priced.length;
  // GPUs saved: against today's fleet of whole GPUs, and never more than against reserving the fixed peak.
  const fleetGpus = set.gpus.filter((g) => g.migProfile === null).length;
  const saved = Math.max(0, Math.min(plan.gpusSavedAtPeak.vsReservePeak, fleetGpus - plan.peakGpus));
  const affectedWorkloads = uniqueRefs(jobs);
  return {
    kind: "tidal",
    subject: "tidal:fleet",
    title: `Tidal schedule: ${jobs.length} training jobs in the troughs of inference and interactive demand, peak ${plan.peakGpus} of ${fleetGpus} GPUs (${saved} freed)`,
    inputs: { affectedJobs: [...new Set(jobs.map((j) => j.externalId))], affectedWorkloads, costPerGpuHour: price, fleetGpus, observedDays: observed.days, fixedGpusByHourOfWeek: inference, batchJobs: jobs },
    result: plan,
    projectedMonthlySaving: saved * (price ?? 0) * HOURS_PER_MONTH,
    currency: priced[0]?.currency ?? null,
    bound: { peakGpus: plan.peakGpus, fixedDemandPeak: Math.ceil(Math.max(...inference) - 1e-9) },
    baseline: { fleetGpus, ...plan.baselines },
    solveSeconds: plan.seconds,
  };
}

/**
 * Builds the profiles of the lookback, runs packing, right-sizing and tidal
 * planning, and stores one recommendation per finding. A finding replaces the open
 * recommendation of the same subject; a subject with an accepted one in progress
 * gets no new one. Returns the recommendations stored by this run.
 */
export async function runRecommendations(db: SqlDatabase, prisma: AppPrismaClient, options: RunOptions): Promise<Recommendation[]> {
  const lookbackDays = options.lookbackDays ?? DEFAULT_LOOKBACK_DAYS;
  const progress = options.onProgress ?? (() => {});
  progress(`loading ${lookbackDays} days of usage`);
  const set = await loadWorkloadProfiles(db, { nowMs: options.nowMs, lookbackDays });
  const prices = priceBook(await loadPriceEntries(db), options.nowMs);
  const findings: Finding[] = [...(await packingFindings(set, prices, options))];
  progress("right-sizing");
  findings.push(...rightSizingFindings(set, prices));
  progress("tidal plan");
  const tidal = await tidalFinding(db, set, prices);
  if (tidal) findings.push(tidal);
  progress(`storing ${findings.length} findings`);
  return storeFindings(prisma, findings, { nowMs: options.nowMs, windowStartMs: set.windowStartMs, windowEndMs: set.windowEndMs });
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

/**
 * Moves a recommendation to `state` (open -> accepted | dismissed, accepted ->
 * applied | dismissed); anything else is a 409 naming the current state. Applying
 * records applied_at and a pending realized saving.
 */
export async function setRecommendationState(prisma: AppPrismaClient, id: number, state: RecommendationState, nowMs: number): Promise<Recommendation> {
  const current = await getRecommendation(prisma, id);
  if (!STATE_TRANSITIONS[current.state].includes(state)) {
    const allowed = STATE_TRANSITIONS[current.state];
    throw new ServiceError(
      409,
      `recommendation ${id} is ${current.state}: it cannot become ${state}` + (allowed.length > 0 ? ` (allowed: ${allowed.join(", ")})` : ` (${current.state} is final)`),
      "state",
    );
  }
  // Guard against a concurrent change: only update from the state read.
  const { count } = await prisma.recommendation.updateMany({
    where: { id, state: current.state },
    data: {
      state,
      stateChangedAtMs: BigInt(nowMs),
      ...(state === "applied" ? { appliedAtMs: BigInt(nowMs), realizedJson: JSON.stringify(compareDailyCosts([], [], current.projectedMonthlySaving)) } : {}),
    },
  });
  if (count === 0) throw new ServiceError(409, `recommendation ${id} changed state meanwhile; read it again`, "state");
  return getRecommendation(prisma, id);
}

/** Whether an allocation row (aggregated by cluster and job) counts toward what a recommendation affects. */
function affectsRow(recommendation: Recommendation): (row: { name: string; properties: Record<string, string> }) => boolean {
  if (recommendation.kind === "packing") return (row) => row.name === IDLE_ROW_NAME;
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
  const useIdle = recommendation.kind === "packing";
  const counts = affectsRow(recommendation);
  const response = await allocate(db, {
    window: { startMs, endMs },
    aggregate: ["cluster", "job"],
    basis: "allocation",
    shareIdle: "none",
    idleBy: "cluster",
    filter: useIdle || jobs.length === 0 ? new Map() : new Map([["job", jobs]]),
    stepMs: DAY_MS,
  });
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
