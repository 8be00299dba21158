/**
 * Alert rules and what they find, pure: the service loads the inputs (budget
 * statuses, job usage sums, daily spend, nodes, ingest refusals) and hands them
 * here with `nowMs`; each rule returns the conditions that hold now, one per
 * subject. Episodes (alert-episodes.ts) turn conditions into fired and resolved alerts.
 */
import { z } from "zod";
import type { BudgetStatus } from "./budget-status";
import { DAY_MS, judgeDailySpend, type SpendJudgement } from "./spend-baseline";

export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;

export const ALERT_RULE_KINDS = ["budget", "idle-gpus", "spend-anomaly", "node-silent", "ingest-refused"] as const;
export type AlertRuleKind = (typeof ALERT_RULE_KINDS)[number];

/** Each kind's parameters, with their defaults; the settings page and the service read rules through these. */
export const ALERT_RULE_PARAMS = {
  budget: z.object({
    /** Fire when the period's forecast exceeds the budget. */
    forecast: z.boolean().default(true),
    /** Fire when the actual spend exceeds the budget. */
    exceeded: z.boolean().default(true),
  }),
  "idle-gpus": z.object({
    minGpus: z.number().int().min(1).max(10_000).default(1),
    maxUtilizationPct: z.number().min(0).max(100).default(5),
    minHours: z.number().int().min(1).max(168).default(4),
  }),
  "spend-anomaly": z.object({
    scope: z.enum(["team", "model"]).default("team"),
    weeks: z.number().int().min(2).max(12).default(4),
    thresholdMads: z.number().positive().max(100).default(3),
    minIncreasePct: z.number().min(0).max(1_000).default(20),
    minHistoryDays: z.number().int().min(1).max(12).default(3),
    minDailyCost: z.number().min(0).default(0),
  }),
  "node-silent": z.object({
    silentMinutes: z.number().int().min(1).max(7 * 24 * 60).default(15),
  }),
  "ingest-refused": z.object({
    /** Refusals counted over the last this many minutes (whole hours of the refusal log). */
    windowMinutes: z.number().int().min(60).max(7 * 24 * 60).default(60),
    minRefusals: z.number().int().min(1).default(1),
  }),
} as const satisfies Record<AlertRuleKind, z.ZodType>;

export type AlertRuleParams = { [K in AlertRuleKind]: z.output<(typeof ALERT_RULE_PARAMS)[K]> };

/** A rule as the evaluation sees it (channels are the service's business). */
export type AlertRule = { [K in AlertRuleKind]: { id: number; name: string; kind: K; params: AlertRuleParams[K] } }[AlertRuleKind];

export type AlertSeverity = "warning" | "critical";

/** A rule's condition holding for one subject now. */
export interface AlertCondition {
  ruleId: number;
  /** What the condition is about, stable while it holds ("job:12", "node:3", "budget:b1:<period>:exceeded"). */
  subjectKey: string;
  severity: AlertSeverity;
  title: string;
  /** JSON-ready figures for the page and the notices. */
  detail: Record<string, unknown>;
}

// ---------------------------------------------------------------- inputs

/** A job's usage of one GPU summed over the last whole hours (job_usage_hourly). */
export interface JobGpuUsageSum {
  jobId: number;
  gpuId: number;
  shareMs: number;
  activeMs: number;
}

export interface AlertJob {
  jobId: number;
  externalId: string;
  clusterName: string;
  team: string | null;
  userName: string | null;
  labels: Readonly<Record<string, string>>;
  firstSeenMs: number;
}

export interface AlertGpu {
  gpuId: number;
  uuid: string;
  hostname: string;
  modelName: string;
}

export interface JobCostSoFar {
  cost: number;
  currency: string | null;
  gpuHours: number;
}

export interface DailySpendSeries {
  /** The team or model ("__unallocated__" rows are left out by the service). */
  name: string;
  spendByDayMs: ReadonlyMap<number, number>;
}

export interface AlertNode {
  nodeId: number;
  clusterName: string;
  hostname: string;
  /** When its last batch was received; null: it never sent one. */
  lastBatchAtMs: number | null;
  /** Whether some token of it is not revoked: a node whose tokens are all revoked is retired, not silent. */
  hasActiveToken: boolean;
}

export interface IngestRefusalCount {
  subjectKey: string;
  reason: string;
  hourStartMs: number;
  nodeId: number | null;
  count: number;
  lastRefusedAtMs: number;
  lastMessage: string;
}

export interface AlertInputs {
  budgetStatuses: readonly BudgetStatus[];
  /** Usage sums per length (hours) of the idle rules' look-back, over the whole hours before now. */
  jobGpuUsageByHours: ReadonlyMap<number, readonly JobGpuUsageSum[]>;
  jobs: ReadonlyMap<number, AlertJob>;
  gpus: ReadonlyMap<number, AlertGpu>;
  /** Cost of each job from its start to now; the service prices the jobs idleJobsOf found. */
  jobCostsSoFar: ReadonlyMap<number, JobCostSoFar>;
  /** Daily spend (whole UTC days) per team and per model. */
  dailySpend: { team: readonly DailySpendSeries[]; model: readonly DailySpendSeries[]; currency: string | null };
  nodes: readonly AlertNode[];
  refusals: readonly IngestRefusalCount[];
}

// ---------------------------------------------------------------- budget

/** Budgets over (exceeded, critical) or forecast over (warning) their amount, one subject per budget, period and level. */
export function evaluateBudgetRule(rule: Extract<AlertRule, { kind: "budget" }>, statuses: readonly BudgetStatus[]): AlertCondition[] {
  const conditions: AlertCondition[] = [];
  for (const status of statuses) {
    const subject = `budget:${status.budgetId}:${status.periodStartMs}`;
    const scope = `${status.scopeKind} ${status.scopeValue}`;
    const detail = {
      budgetId: status.budgetId,
      scope,
      period: status.period,
      periodStartMs: status.periodStartMs,
      periodEndMs: status.periodEndMs,
      budgetAmount: status.budgetAmount,
      actualCost: status.actualCost,
      forecastCost: status.forecastCost,
      forecastLowCost: status.forecastLowCost,
      forecastHighCost: status.forecastHighCost,
      currency: status.currency,
    };
    if (rule.params.exceeded && status.actualCost > status.budgetAmount) {
      conditions.push({
        ruleId: rule.id,
        subjectKey: `${subject}:exceeded`,
        severity: "critical",
        title: `Budget of ${scope} exceeded: ${money(status.actualCost, status.currency)} spent of ${money(status.budgetAmount, status.currency)} this ${status.period}`,
        detail,
      });
    }
    if (rule.params.forecast && status.forecastCost > status.budgetAmount) {
      conditions.push({
        ruleId: rule.id,
        subjectKey: `${subject}:forecast`,
        severity: "warning",
        title: `Budget of ${scope} forecast to be exceeded: ${money(status.forecastCost, status.currency)} expected by the ${status.period}'s end (budget ${money(status.budgetAmount, status.currency)})`,
        detail,
      });
    }
  }
  return conditions;
}

// ---------------------------------------------------------------- idle GPUs

/** A GPU counts as held through the look-back when the job held it at least this share of the time. */
export const HELD_SHARE_OF_LOOKBACK = 0.9;

export interface IdleJobFinding {
  jobId: number;
  /** The GPUs it held through the look-back under the utilization threshold, by id, ascending. */
  idleGpuIds: number[];
  /** Their utilization over the look-back: active time / held time, %. */
  utilizationPct: number;
  idleGpuHours: number;
}

/**
 * Jobs holding at least minGpus GPUs under maxUtilizationPct for the last
 * minHours whole hours. A GPU counts when the job held it for at least 90 % of
 * those hours (share time, so a GPU shared with another job counts for its share)
 * and kept it busy less than maxUtilizationPct % of that time.
 */
export function idleJobsOf(params: AlertRuleParams["idle-gpus"], usage: readonly JobGpuUsageSum[]): IdleJobFinding[] {
  const lookbackMs = params.minHours * HOUR_MS;
  const byJob = new Map<number, { gpuIds: number[]; shareMs: number; activeMs: number }>();
  for (const row of usage) {
    if (row.shareMs < HELD_SHARE_OF_LOOKBACK * lookbackMs) continue;
    if ((row.activeMs / row.shareMs) * 100 >= params.maxUtilizationPct) continue;
    const entry = byJob.get(row.jobId) ?? { gpuIds: [], shareMs: 0, activeMs: 0 };
    entry.gpuIds.push(row.gpuId);
    entry.shareMs += row.shareMs;
    entry.activeMs += row.activeMs;
    byJob.set(row.jobId, entry);
  }
  const findings: IdleJobFinding[] = [];
  for (const [jobId, entry] of byJob) {
    if (entry.gpuIds.length < params.minGpus) continue;
    findings.push({
      jobId,
      idleGpuIds: [...entry.gpuIds].sort((a, b) => a - b),
      utilizationPct: (entry.activeMs / entry.shareMs) * 100,
      idleGpuHours: entry.shareMs / HOUR_MS,
    });
  }
  return findings.sort((a, b) => a.jobId - b.jobId);
}

export function evaluateIdleGpuRule(rule: Extract<AlertRule, { kind: "idle-gpus" }>, inputs: AlertInputs): AlertCondition[] {
  const usage = inputs.jobGpuUsageByHours.get(rule.params.minHours) ?? [];
  return idleJobsOf(rule.params, usage).map((finding) => {
    const job = inputs.jobs.get(finding.jobId);
    const cost = inputs.jobCostsSoFar.get(finding.jobId) ?? null;
    const gpus = finding.idleGpuIds.map((gpuId) => inputs.gpus.get(gpuId)).filter((gpu): gpu is AlertGpu => gpu !== undefined);
    const jobName = job ? `${job.clusterName}/${job.externalId}` : `job ${finding.jobId}`;
    const owner = ownerOf(job);
    return {
      ruleId: rule.id,
      subjectKey: `job:${finding.jobId}`,
      severity: "warning" as const,
      title:
        `Job ${jobName} (${owner}) holds ${finding.idleGpuIds.length} GPUs at ${finding.utilizationPct.toFixed(1)} % utilization for ${rule.params.minHours} h` +
        (cost ? `; ${money(cost.cost, cost.currency)} so far` : ""),
      detail: {
        jobId: finding.jobId,
        job: jobName,
        team: job?.team ?? null,
        user: job?.userName ?? null,
        labels: job?.labels ?? {},
        startedAtMs: job?.firstSeenMs ?? null,
        gpus: gpus.map((gpu) => ({ uuid: gpu.uuid, hostname: gpu.hostname, modelName: gpu.modelName })),
        utilizationPct: finding.utilizationPct,
        idleHours: rule.params.minHours,
        idleGpuHours: finding.idleGpuHours,
        costSoFar: cost?.cost ?? null,
        gpuHoursSoFar: cost?.gpuHours ?? null,
        currency: cost?.currency ?? null,
      },
    };
  });
}

function ownerOf(job: AlertJob | undefined): string {
  if (!job) return "owner unknown";
  const parts = [job.team ? `team ${job.team}` : null, job.userName ? `user ${job.userName}` : null].filter((part) => part !== null);
  return parts.length > 0 ? parts.join(", ") : "no team or user label";
}

// ---------------------------------------------------------------- spend anomaly

/** The last whole UTC day before `nowMs`: the day the anomaly rule judges. */
export function lastWholeDayStartMs(nowMs: number): number {
  return Math.floor(nowMs / DAY_MS) * DAY_MS - DAY_MS;
}

export function evaluateSpendAnomalyRule(rule: Extract<AlertRule, { kind: "spend-anomaly" }>, inputs: AlertInputs, nowMs: number): AlertCondition[] {
  const dayStartMs = lastWholeDayStartMs(nowMs);
  const conditions: AlertCondition[] = [];
  const currency = inputs.dailySpend.currency;
  for (const series of inputs.dailySpend[rule.params.scope]) {
    const judgement: SpendJudgement | null = judgeDailySpend(series.spendByDayMs, dayStartMs, rule.params);
    if (!judgement?.anomalous) continue;
    conditions.push({
      ruleId: rule.id,
      subjectKey: `${rule.params.scope}:${series.name}`,
      severity: "warning",
      title:
        `Spend of ${rule.params.scope} ${series.name} on ${new Date(dayStartMs).toISOString().slice(0, 10)}: ${money(judgement.spend, currency)}, ` +
        `usual for that weekday ${money(judgement.median, currency)} (alert above ${money(judgement.upper, currency)})`,
      detail: { scope: rule.params.scope, name: series.name, currency, ...judgement },
    });
  }
  return conditions;
}

// ---------------------------------------------------------------- nodes

export function evaluateNodeSilentRule(rule: Extract<AlertRule, { kind: "node-silent" }>, nodes: readonly AlertNode[], nowMs: number): AlertCondition[] {
  const limitMs = rule.params.silentMinutes * MINUTE_MS;
  return nodes
    .filter((node) => node.hasActiveToken && node.lastBatchAtMs !== null && nowMs - node.lastBatchAtMs > limitMs)
    .map((node) => ({
      ruleId: rule.id,
      subjectKey: `node:${node.nodeId}`,
      severity: "critical" as const,
      title: `Node ${node.clusterName}/${node.hostname} silent for ${Math.floor((nowMs - node.lastBatchAtMs!) / MINUTE_MS)} min (limit ${rule.params.silentMinutes} min)`,
      detail: { nodeId: node.nodeId, node: `${node.clusterName}/${node.hostname}`, lastBatchAtMs: node.lastBatchAtMs, silentMinutes: rule.params.silentMinutes },
    }));
}

/** Refusals within the window: hours of the refusal log that overlap (now - windowMinutes, now]. */
export function evaluateIngestRefusedRule(
  rule: Extract<AlertRule, { kind: "ingest-refused" }>,
  refusals: readonly IngestRefusalCount[],
  nodes: readonly AlertNode[],
  nowMs: number,
): AlertCondition[] {
  const fromMs = nowMs - rule.params.windowMinutes * MINUTE_MS;
  const bySubject = new Map<string, { nodeId: number | null; count: number; byReason: Record<string, number>; lastRefusedAtMs: number; lastMessage: string }>();
  for (const refusal of refusals) {
    if (refusal.lastRefusedAtMs <= fromMs || refusal.hourStartMs > nowMs) continue;
    const entry = bySubject.get(refusal.subjectKey) ?? { nodeId: refusal.nodeId, count: 0, byReason: {}, lastRefusedAtMs: 0, lastMessage: "" };
    entry.count += refusal.count;
    entry.byReason[refusal.reason] = (entry.byReason[refusal.reason] ?? 0) + refusal.count;
    if (refusal.lastRefusedAtMs >= entry.lastRefusedAtMs) {
      entry.lastRefusedAtMs = refusal.lastRefusedAtMs;
      entry.lastMessage = refusal.lastMessage;
    }
    bySubject.set(refusal.subjectKey, entry);
  }
  const nodeById = new Map(nodes.map((node) => [node.nodeId, node]));
  const conditions: AlertCondition[] = [];
  for (const [subjectKey, entry] of [...bySubject].sort(([a], [b]) => a.localeCompare(b))) {
    if (entry.count < rule.params.minRefusals) continue;
    const node = entry.nodeId === null ? undefined : nodeById.get(entry.nodeId);
    const who = node ? `Node ${node.clusterName}/${node.hostname}` : subjectKey.startsWith("token:") ? `A collector with unknown token ${subjectKey.slice(6)}…` : subjectKey;
    const reasons = Object.entries(entry.byReason)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([reason, count]) => `${count} ${reason}`)
      .join(", ");
    conditions.push({
      ruleId: rule.id,
      subjectKey: `refused:${subjectKey}`,
      severity: "critical",
      title: `${who}: ${entry.count} batches refused in the last ${rule.params.windowMinutes} min (${reasons})`,
      detail: { subject: subjectKey, nodeId: entry.nodeId, refusals: entry.count, byReason: entry.byReason, lastRefusedAtMs: entry.lastRefusedAtMs, lastMessage: entry.lastMessage },
    });
  }
  return conditions;
}

// ---------------------------------------------------------------- all rules

/** Every rule's conditions over the same inputs. */
export function evaluateAlertRules(rules: readonly AlertRule[], inputs: AlertInputs, nowMs: number): AlertCondition[] {
  return rules.flatMap((rule): AlertCondition[] => {
    switch (rule.kind) {
      case "budget":
        return evaluateBudgetRule(rule, inputs.budgetStatuses);
      case "idle-gpus":
        return evaluateIdleGpuRule(rule, inputs);
      case "spend-anomaly":
        return evaluateSpendAnomalyRule(rule, inputs, nowMs);
      case "node-silent":
        return evaluateNodeSilentRule(rule, inputs.nodes, nowMs);
      case "ingest-refused":
        return evaluateIngestRefusedRule(rule, inputs.refusals, inputs.nodes, nowMs);
    }
  });
}

function money(amount: number, currency: string | null): string {
  return `${amount.toFixed(2)}${currency ? ` ${currency}` : ""}`;
}
