/**
 * The fleet plan's input (solver/plan/types.ts) from what gpu-roi measured: the
 * workload profiles of a lookback, their hourly rows, the fleet's GPUs and the
 * price book. Pure: rows in, a PlanInput out; the instant prices are read at is
 * an argument.
 *
 * Rules (docs/api.md, "Fleet plan input"):
 * - a node is its whole GPUs (MIG instances are left out, as packing does), of the
 *   model most of them are; its price is the model's unless a node-label price
 *   overrides it (priceFor, as every cost figure);
 * - a workload is one job, except inference: its replicas are one workload per
 *   service, cluster and GPU model (serviceName says how a service is recognised);
 * - training is batch (may move in time); everything else (inference, notebooks,
 *   unattributed processes) is fixed in time, as the tidal planner always treated it;
 * - the workloads are those running now (last window within an hour of the
 *   fleet's latest), as packing always took them; a service's hourly series still
 *   counts the replicas a rollout replaced;
 * - GPUs held per hour of the week = the GPU-hours held in the hours of that slot
 *   over the observed span, divided by how many times the slot occurs in it;
 * - measured throughput: the workload's own, completed on GPU models it has not
 *   run on from the other jobs of its ML model label (completeThroughput).
 */
import type { PlanInput, PlanNode, PlanOptions, PlanPrice, PlanPriceSource, PlanWorkload, ThroughputEvidence } from "../../solver/plan/types";
import { HOURS_PER_WEEK } from "../../solver/plan/types";
import { PEAK_TENSOR_THROUGHPUT } from "./estimate";
import { priceFor, type PriceEntry } from "./pricing";
import { planKey } from "./plan-findings";
import { workloadKey } from "./workload-keys";
import { hourOfWeek, type ProfileGpuRow, type ProfileJobHourRow, type WorkloadProfile } from "./workload-profiles";

const HOUR_MS = 3_600_000;

export interface PlanInputSources {
  profiles: readonly WorkloadProfile[];
  gpus: readonly ProfileGpuRow[];
  nodeLabels: ReadonlyMap<number, Readonly<Record<string, string>>>;
  jobHours: readonly ProfileJobHourRow[];
  priceEntries: readonly PriceEntry[];
  /** Prices are the ones in force at this instant. */
  atMs: number;
  /** The span the hour-of-week series average over: [startMs, endMs). */
  span: { startMs: number; endMs: number };
}

export interface PlanInputOptions {
  /**
   * Measured work per GPU-hour, by job (workloadKey: `cluster/externalId`). Empty
   * until work counters are reported; a workload without any (of its own, or of
   * other jobs of its ML model label: completeThroughput) is planned on assumed
   * (peak-ratio, discounted) throughput and its findings say so.
   */
  measuredThroughput?: ReadonlyMap<string, readonly ThroughputEvidence[]>;
  /** Peak throughput relative to the A100 (default: server/domain/estimate.ts's table). */
  relativeThroughput?: Readonly<Record<string, number>>;
  exclude?: { workloads?: readonly string[]; nodes?: readonly string[] };
  planOptions?: PlanOptions;
}

const PRICE_SOURCES: readonly PlanPriceSource[] = ["cloud-on-demand", "cloud-reserved", "on-prem-tco"];

/** The price book's source as the plan reads it; unknown or absent is the book's default, on-demand. */
export function planPriceSource(source: string | undefined): PlanPriceSource {
  return PRICE_SOURCES.find((s) => s === source) ?? "cloud-on-demand";
}

function mostCommon<T>(values: readonly T[]): T | undefined {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: T | undefined;
  let bestCount = 0;
  for (const [v, n] of counts) {
    if (n > bestCount) {
      best = v;
      bestCount = n;
    }
  }
  return best;
}

/** One node per (cluster, hostname) with whole GPUs, priced as every cost figure prices it. */
export function planNodes(gpus: readonly ProfileGpuRow[], nodeLabels: PlanInputSources["nodeLabels"], priceEntries: readonly PriceEntry[], atMs: number): PlanNode[] {
  const byNode = new Map<number, ProfileGpuRow[]>();
  for (const g of gpus) if (g.migProfile === null) byNode.set(g.nodeId, [...(byNode.get(g.nodeId) ?? []), g]);
  const nodes: PlanNode[] = [];
  for (const [nodeId, rows] of byNode) {
    const gpuModel = mostCommon(rows.map((g) => g.modelName))!;
    const ofModel = rows.filter((g) => g.modelName === gpuModel);
    const node: PlanNode = {
      cluster: ofModel[0].clusterName,
      hostname: ofModel[0].hostname,
      gpuModel,
      // As packing counts them: GPU indexes run from 0, so the highest index + 1.
      gpuCount: Math.max(...ofModel.map((g) => g.gpuIndex)) + 1,
      gpuMemoryMiB: Math.min(...ofModel.map((g) => g.memoryTotalMiB)),
    };
    const price = priceFor(priceEntries, gpuModel, nodeLabels.get(nodeId) ?? {}, atMs);
    if (price && price.nodeLabelKey !== null) {
      node.costPerGpuHour = price.costPerGpuHour;
      node.source = planPriceSource(price.source);
    }
    nodes.push(node);
  }
  return nodes.sort((a, b) => a.cluster.localeCompare(b.cluster) || a.hostname.localeCompare(b.hostname));
}

/** The model-wide price of each GPU model of the fleet that has one. */
export function planPrices(models: readonly string[], priceEntries: readonly PriceEntry[], atMs: number): PlanPrice[] {
  const prices: PlanPrice[] = [];
  for (const gpuModel of [...new Set(models)].sort()) {
    const price = priceFor(priceEntries, gpuModel, {}, atMs);
    if (price) prices.push({ gpuModel, costPerGpuHour: price.costPerGpuHour, currency: price.currency, source: planPriceSource(price.source) });
  }
  return prices;
}

/** Pod labels that name the application a pod belongs to, most specific first. */
const SERVICE_LABELS = ["service", "app.kubernetes.io/instance", "app.kubernetes.io/name", "app"] as const;

/**
 * The inference service a replica belongs to, or null when nothing names one (it
 * is then a workload of its own): its `service` label, else the Kubernetes
 * `app.kubernetes.io/instance`, `app.kubernetes.io/name` or `app` label, else the
 * model it serves (GPU_ROI_MODEL) within its team.
 */
export function serviceName(profile: Pick<WorkloadProfile, "jobKind" | "labels" | "model" | "team">): string | null {
  if (profile.jobKind !== "inference") return null;
  for (const label of SERVICE_LABELS) {
    const value = profile.labels[label];
    if (typeof value === "string" && value.trim() !== "") return value;
  }
  if (profile.model) return profile.team ? `${profile.team}/${profile.model}` : profile.model;
  return null;
}

/**
 * GPUs held per hour of the week (168 values, slot 0 = Monday 00:00 UTC): the
 * GPU-hours of the rows in each slot over the span, divided by how many times the
 * slot occurs in the span (a slot that never occurs holds 0).
 */
export function heldGpusByHourOfWeek(rows: readonly Pick<ProfileJobHourRow, "hourStartMs" | "shareMs">[], span: { startMs: number; endMs: number }): number[] {
  const occurrences = new Array<number>(HOURS_PER_WEEK).fill(0);
  const firstHourMs = Math.floor(span.startMs / HOUR_MS) * HOUR_MS;
  for (let t = firstHourMs; t < span.endMs; t += HOUR_MS) occurrences[hourOfWeek(t)]++;
  const gpuHours = new Array<number>(HOURS_PER_WEEK).fill(0);
  for (const row of rows) {
    if (row.hourStartMs < firstHourMs || row.hourStartMs >= span.endMs) continue;
    gpuHours[hourOfWeek(row.hourStartMs)] += row.shareMs / HOUR_MS;
  }
  return gpuHours.map((held, slot) => (occurrences[slot] > 0 ? held / occurrences[slot] : 0));
}

/** Measured throughput of a group of jobs: per GPU model and unit, the mean of their figures. */
export function groupThroughput(evidence: readonly (readonly ThroughputEvidence[])[]): ThroughputEvidence[] {
  const byModelAndUnit = new Map<string, ThroughputEvidence[]>();
  for (const list of evidence) {
    for (const e of list) {
      const key = JSON.stringify([e.gpuModel, e.unit]);
      byModelAndUnit.set(key, [...(byModelAndUnit.get(key) ?? []), e]);
    }
  }
  return [...byModelAndUnit.values()]
    .map((list) => ({ gpuModel: list[0].gpuModel, unit: list[0].unit, workPerGpuHour: list.reduce((s, e) => s + e.workPerGpuHour, 0) / list.length }))
    .sort((a, b) => a.gpuModel.localeCompare(b.gpuModel) || a.unit.localeCompare(b.unit));
}

/**
 * Throughput a workload has not measured, from the other jobs of its ML model
 * (the same `model` label: the same network trains or serves at the same rate
 * per GPU model, whoever runs it). Per unit:
 *  - the workload measured nothing in that unit: the others' figures, as they are;
 *  - it measured the unit on a GPU model the others measured too (its own model
 *    first): the others' figures on the models it lacks, scaled by its rate over
 *    theirs on that model, so a move compares like with like (their ratio
 *    between the two models, applied to its own rate);
 *  - it measured the unit only where the others did not: nothing added (its
 *    rate cannot be related to theirs).
 * Its own figures are never replaced. What is added counts as measured: it is
 * work the fleet reported, not a peak-TFLOPS ratio.
 */
export function completeThroughput(own: readonly ThroughputEvidence[], others: readonly ThroughputEvidence[], ownGpuModel: string): ThroughputEvidence[] {
  const find = (list: readonly ThroughputEvidence[], gpuModel: string, unit: string) => list.find((e) => e.gpuModel === gpuModel && e.unit === unit);
  const completed = [...own];
  for (const unit of [...new Set(others.map((e) => e.unit))]) {
    const ownInUnit = own.filter((e) => e.unit === unit).sort((a, b) => Number(b.gpuModel === ownGpuModel) - Number(a.gpuModel === ownGpuModel));
    let scale = 1;
    if (ownInUnit.length > 0) {
      const anchor = ownInUnit.map((mine) => ({ mine, theirs: find(others, mine.gpuModel, unit) })).find((pair) => pair.theirs !== undefined);
      if (!anchor) continue;
      scale = anchor.mine.workPerGpuHour / anchor.theirs!.workPerGpuHour;
    }
    for (const theirs of others) {
      if (theirs.unit === unit && !find(own, theirs.gpuModel, unit)) completed.push({ ...theirs, workPerGpuHour: theirs.workPerGpuHour * scale });
    }
  }
  return completed.sort((a, b) => a.gpuModel.localeCompare(b.gpuModel) || a.unit.localeCompare(b.unit));
}

/** Measured throughput per ML model label: each job (workloadKey) of the label that measured some, with its figures. */
export function throughputByModelLabel(
  profiles: readonly WorkloadProfile[],
  measured: ReadonlyMap<string, readonly ThroughputEvidence[]> | undefined,
): Map<string, { key: string; evidence: readonly ThroughputEvidence[] }[]> {
  const byLabel = new Map<string, { key: string; evidence: readonly ThroughputEvidence[] }[]>();
  if (!measured) return byLabel;
  const seen = new Set<string>();
  for (const p of profiles) {
    const key = workloadKey({ cluster: p.clusterName, externalId: p.externalId });
    const evidence = measured.get(key);
    if (p.model === null || !evidence || evidence.length === 0 || seen.has(key)) continue;
    seen.add(key);
    byLabel.set(p.model, [...(byLabel.get(p.model) ?? []), { key, evidence }]);
  }
  return byLabel;
}

/** The profiles the plan can move: they held whole GPUs in the lookback. */
function plannable(profiles: readonly WorkloadProfile[], gpus: readonly ProfileGpuRow[]): WorkloadProfile[] {
  const migGpus = new Set(gpus.filter((g) => g.migProfile !== null).map((g) => `${g.nodeId}|${g.gpuIndex}`));
  return profiles.filter(
    (p) => p.rightSizing.gpuHours > 0 && p.current.length > 0 && p.current.every((c) => c.gpuIndexes.every((i) => !migGpus.has(`${c.nodeId}|${i}`))),
  );
}

/** Profiles grouped into workloads: inference replicas by service, cluster and model; every other job alone. */
export function groupWorkloads(profiles: readonly WorkloadProfile[]): { id: string; members: WorkloadProfile[] }[] {
  const groups = new Map<string, { id: string; cluster: string; members: WorkloadProfile[] }>();
  const servicesModels = new Map<string, Set<string>>();
  for (const p of profiles) {
    const service = serviceName(p);
    if (service === null) continue;
    const key = `${p.clusterName}\u0000${service}`;
    servicesModels.set(key, (servicesModels.get(key) ?? new Set()).add(p.gpuModel));
  }
  for (const p of profiles) {
    const service = serviceName(p);
    let id: string;
    if (service === null) id = p.externalId;
    else {
      // A service on two GPU models is a workload per model (a workload has one model today).
      const spansModels = (servicesModels.get(`${p.clusterName}\u0000${service}`)?.size ?? 1) > 1;
      id = spansModels ? `service:${service} on ${p.gpuModel}` : `service:${service}`;
    }
    const key = `${p.clusterName}\u0000${id}`;
    const group = groups.get(key) ?? { id, cluster: p.clusterName, members: [] };
    group.members.push(p);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => a.cluster.localeCompare(b.cluster) || a.id.localeCompare(b.id)).map(({ id, members }) => ({ id, members }));
}

/** A workload counts as running now when its last window ended within this of the fleet's latest (as packing did). */
const RUNNING_NOW_MS = 3_600_000;

/**
 * Where a group runs today: the placements of its members running now (a
 * service's replicas replaced by a rollout are history, not placements), only on
 * nodes of its GPU model. Empty when none runs now: a finished job holds no GPU
 * the plan could give back, and binding every finished job of the lookback to the
 * GPUs it last used would fill them many times over.
 */
function currentPlacement(members: readonly WorkloadProfile[], nodes: ReadonlyMap<string, PlanNode>, latestMs: number, gpuModel: string): PlanWorkload["current"] {
  const placed = members.filter((m) => m.lastSeenMs >= latestMs - RUNNING_NOW_MS).flatMap((m) => m.current.map((c) => ({ node: c.hostname, gpuIndexes: [...c.gpuIndexes] })));
  return placed.filter((c) => {
    const node = nodes.get(planKey(members[0].clusterName, c.node));
    return node !== undefined && node.gpuModel === gpuModel && c.gpuIndexes.every((i) => i < node.gpuCount);
  });
}

function planWorkload(
  id: string,
  members: readonly WorkloadProfile[],
  context: {
    hoursByJob: ReadonlyMap<number, ProfileJobHourRow[]>;
    span: PlanInputSources["span"];
    measured: PlanInputOptions["measuredThroughput"];
    measuredByModelLabel: ReturnType<typeof throughputByModelLabel>;
    nodes: ReadonlyMap<string, PlanNode>;
    latestMs: number;
  },
): PlanWorkload | null {
  const first = members[0];
  const current = currentPlacement(members, context.nodes, context.latestMs, first.gpuModel);
  if (current.length === 0) return null;
  const hours = members.flatMap((m) => context.hoursByJob.get(m.jobId) ?? []);
  const held = heldGpusByHourOfWeek(hours, context.span);
  const observedHours = new Set(hours.filter((h) => h.shareMs > 0).map((h) => h.hourStartMs));
  // What it holds: today's GPUs, or more where some hour of the week held more (replicas scaled down since).
  const gpuCount = Math.max(1, current.reduce((s, c) => s + c.gpuIndexes.length, 0), Math.ceil(Math.max(0, ...held) - 1e-9));
  const memberKeys = new Set(members.map((m) => workloadKey({ cluster: m.clusterName, externalId: m.externalId })));
  const evidence = context.measured ? [...memberKeys].map((key) => context.measured!.get(key) ?? []) : [];
  const modelLabel = mostCommon(members.map((m) => m.model).filter((model): model is string => model !== null));
  const others = modelLabel === undefined ? [] : (context.measuredByModelLabel.get(modelLabel) ?? []).filter((job) => !memberKeys.has(job.key));
  const throughput = completeThroughput(groupThroughput(evidence), groupThroughput(others.map((job) => job.evidence)), first.gpuModel);
  return {
    id,
    cluster: first.clusterName,
    jobIds: members.map((m) => m.externalId).sort(),
    team: mostCommon(members.map((m) => m.team).filter((t): t is string => t !== null)) ?? null,
    project: mostCommon(members.map((m) => m.project).filter((t): t is string => t !== null)) ?? null,
    kind: members.every((m) => m.jobKind === "training") ? "batch" : "latency-sensitive",
    gpuModel: first.gpuModel,
    gpuCount,
    current,
    // Replicas peak together at worst: the sum of their p95s bounds the p95 of their sum.
    busyGpusP95: Math.min(gpuCount, members.reduce((s, m) => s + m.rightSizing.busyGpusP95, 0)),
    memoryPerGpuP99MiB: Math.max(...members.map((m) => m.rightSizing.memoryPerGpuP99MiB)),
    heldGpusByHourOfWeek: held,
    ...(throughput.length > 0 ? { throughput } : {}),
    evidence: {
      hoursObserved: observedHours.size,
      firstSeenMs: Math.min(...members.map((m) => m.firstSeenMs)),
      lastSeenMs: Math.max(...members.map((m) => m.lastSeenMs)),
    },
  };
}

export interface BuiltPlanInput {
  input: PlanInput;
  /** What the plan cannot consider, in words (unpriced GPU models, workloads whose GPUs are no longer in the fleet). */
  leftOut: string[];
}

/** The fleet plan's input: nodes, prices, workloads (services grouped), relative throughput and what-if exclusions. */
export function buildPlanInput(sources: PlanInputSources, options: PlanInputOptions = {}): BuiltPlanInput {
  const allNodes = planNodes(sources.gpus, sources.nodeLabels, sources.priceEntries, sources.atMs);
  const prices = planPrices(allNodes.map((n) => n.gpuModel), sources.priceEntries, sources.atMs);
  const priced = new Set(prices.map((p) => p.gpuModel));
  const nodes = allNodes.filter((n) => n.costPerGpuHour !== undefined || priced.has(n.gpuModel));
  const leftOut: string[] = [];
  const unpriced = [...new Set(allNodes.filter((n) => !nodes.includes(n)).map((n) => n.gpuModel))].sort();
  if (unpriced.length > 0) leftOut.push(`no price for ${unpriced.join(", ")}: their nodes and workloads are left out of the plan`);
  const nodeByKey = new Map(nodes.map((n) => [planKey(n.cluster, n.hostname), n]));
  const hoursByJob = new Map<number, ProfileJobHourRow[]>();
  for (const h of sources.jobHours) {
    const list = hoursByJob.get(h.jobId);
    if (list) list.push(h);
    else hoursByJob.set(h.jobId, [h]);
  }
  const latestMs = Math.max(Number.NEGATIVE_INFINITY, ...sources.profiles.map((p) => p.lastSeenMs));
  const context = {
    hoursByJob,
    span: sources.span,
    measured: options.measuredThroughput,
    measuredByModelLabel: throughputByModelLabel(sources.profiles, options.measuredThroughput),
    nodes: nodeByKey,
    latestMs,
  };
  const workloads: PlanWorkload[] = [];
  let unplaced = 0;
  for (const { id, members } of groupWorkloads(plannable(sources.profiles, sources.gpus))) {
    const workload = planWorkload(id, members, context);
    if (workload) workloads.push(workload);
    else if (members.some((m) => m.lastSeenMs >= latestMs - RUNNING_NOW_MS) && !unpriced.includes(members[0].gpuModel)) unplaced++;
  }
  if (unplaced > 0) leftOut.push(`${unplaced} running workloads whose GPUs are not on priced nodes of their model are left out of the plan`);
  const table = options.relativeThroughput ?? PEAK_TENSOR_THROUGHPUT;
  const models = [...new Set(nodes.map((n) => n.gpuModel))];
  const relativeThroughput = Object.fromEntries(models.filter((m) => table[m] !== undefined).sort().map((m) => [m, table[m]]));
  const input: PlanInput = { nodes, prices, workloads, relativeThroughput };
  const exclude = { workloads: [...(options.exclude?.workloads ?? [])], nodes: [...(options.exclude?.nodes ?? [])] };
  if (exclude.workloads.length > 0 || exclude.nodes.length > 0) input.exclude = exclude;
  if (options.planOptions) input.options = options.planOptions;
  return { input, leftOut };
}
