/**
 * Loads what the enabled alert rules need, and only that: budget statuses (from
 * an injected loader), the hourly job usage of the idle rules' look-backs, the
 * cost so far of the jobs found idle and the daily spend per team or model (both
 * through the allocation service, so prices come from the price book exactly as
 * the cost pages compute them), nodes and ingest refusals.
 */
import { ALL_DATA } from "../auth/principal";
import type { SqlDatabase } from "../db/sql-database";
import { IDLE_ROW_NAME, UNALLOCATED_VALUE } from "../domain/allocation";
import {
  HOUR_MS,
  idleJobsOf,
  lastWholeDayStartMs,
  MINUTE_MS,
  type AlertGpu,
  type AlertInputs,
  type AlertJob,
  type AlertNode,
  type AlertRule,
  type DailySpendSeries,
  type JobCostSoFar,
  type JobGpuUsageSum,
} from "../domain/alert-rules";
import type { BudgetStatus } from "../domain/budget-status";
import { DAY_MS, WEEK_MS } from "../domain/spend-baseline";
import { allocate } from "./allocation-service";
import { loadIngestRefusals } from "./ingest-refusals";

/** C1's loadBudgetStatuses(db, prisma, nowMs), bound to its database by the caller. */
export type BudgetStatusLoader = (nowMs: number) => Promise<BudgetStatus[]>;

/** Inputs, and the kinds whose inputs failed to load (their rules are skipped this time). */
export interface LoadedAlertInputs {
  inputs: AlertInputs;
  failedKinds: Map<AlertRule["kind"], string>;
}

type RuleOf<K extends AlertRule["kind"]> = Extract<AlertRule, { kind: K }>;

function rulesOf<K extends AlertRule["kind"]>(rules: readonly AlertRule[], kind: K): RuleOf<K>[] {
  return rules.filter((rule): rule is RuleOf<K> => rule.kind === kind);
}

function parseLabels(json: string | null): Record<string, string> {
  try {
    const value = JSON.parse(json ?? "{}") as unknown;
    return value && typeof value === "object" ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** Each job's usage per GPU over the `hours` whole hours before now. */
export async function loadJobGpuUsageSums(db: SqlDatabase, hours: number, nowMs: number): Promise<JobGpuUsageSum[]> {
  const endMs = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const rows = await db.queryArrays(
    `SELECT job_id, gpu_id, SUM(share_ms), SUM(active_ms) FROM job_usage_hourly WHERE hour_start_ms >= ? AND hour_start_ms < ? GROUP BY job_id, gpu_id`,
    [endMs - hours * HOUR_MS, endMs],
  );
  return rows.map(([jobId, gpuId, shareMs, activeMs]) => ({ jobId: Number(jobId), gpuId: Number(gpuId), shareMs: Number(shareMs), activeMs: Number(activeMs) }));
}

async function loadJobs(db: SqlDatabase, jobIds: readonly number[]): Promise<Map<number, AlertJob>> {
  const jobs = new Map<number, AlertJob>();
  for (let index = 0; index < jobIds.length; index += 500) {
    const chunk = jobIds.slice(index, index + 500);
    const rows = await db.query<{ id: number; external_id: string; cluster_name: string; team: string | null; user_name: string | null; labels_json: string; first_seen_ms: number }>(
      `SELECT j.id, j.external_id, c.name AS cluster_name, j.team, j.user_name, j.labels_json, j.first_seen_ms
         FROM job j JOIN cluster c ON c.id = j.cluster_id WHERE j.id IN (${chunk.map(() => "?").join(", ")})`,
      chunk,
    );
    for (const row of rows) {
      jobs.set(Number(row.id), {
        jobId: Number(row.id),
        externalId: row.external_id,
        clusterName: row.cluster_name,
        team: row.team,
        userName: row.user_name,
        labels: parseLabels(row.labels_json),
        firstSeenMs: Number(row.first_seen_ms),
      });
    }
  }
  return jobs;
}

async function loadGpus(db: SqlDatabase, gpuIds: readonly number[]): Promise<Map<number, AlertGpu>> {
  const gpus = new Map<number, AlertGpu>();
  for (let index = 0; index < gpuIds.length; index += 500) {
    const chunk = gpuIds.slice(index, index + 500);
    const rows = await db.query<{ id: number; uuid: string; hostname: string; model_name: string }>(
      `SELECT g.id, g.uuid, n.hostname, g.model_name FROM gpu g JOIN node n ON n.id = g.node_id WHERE g.id IN (${chunk.map(() => "?").join(", ")})`,
      chunk,
    );
    for (const row of rows) gpus.set(Number(row.id), { gpuId: Number(row.id), uuid: row.uuid, hostname: row.hostname, modelName: row.model_name });
  }
  return gpus;
}

/**
 * What each job has cost from its start to the last whole hour: one allocation
 * over the jobs' lifetimes (per cluster and job, filtered to their ids), as
 * GET /api/v1/allocation?aggregate=cluster,job would price them.
 */
export async function loadJobCostsSoFar(db: SqlDatabase, jobs: readonly AlertJob[], nowMs: number): Promise<Map<number, JobCostSoFar>> {
  const costs = new Map<number, JobCostSoFar>();
  if (jobs.length === 0) return costs;
  const startMs = Math.min(...jobs.map((job) => job.firstSeenMs));
  const result = await allocate(db, {
    window: { startMs, endMs: nowMs },
    aggregate: ["cluster", "job"],
    basis: "allocation",
    shareIdle: "none",
    idleBy: "cluster",
    filter: new Map([["job", [...new Set(jobs.map((job) => job.externalId))]]]),
    stepMs: null,
  }, ALL_DATA);
  const byName = new Map(result.rows.map((row) => [`${row.properties.cluster}\u0000${row.properties.job}`, row]));
  for (const job of jobs) {
    const row = byName.get(`${job.clusterName}\u0000${job.externalId}`);
    if (row) costs.set(job.jobId, { cost: row.totalCost, currency: result.currency, gpuHours: row.gpuHours });
  }
  return costs;
}

/** One day's spend per team and per model. */
interface DaySpend {
  fetchedAtMs: number;
  team: Map<string, number>;
  model: Map<string, number>;
  currency: string | null;
}

/**
 * Past days' spend, kept for an hour per database: the days the anomaly rules
 * judge are whole days gone by, the same all day, so evaluations a minute apart
 * need not price them again. Late windows or a price changed for those days show
 * within the hour.
 */
const DAY_SPEND_CACHE_MS = 60 * 60 * 1000;
const daySpendCache = new WeakMap<SqlDatabase, Map<number, DaySpend>>();

async function daySpendOf(db: SqlDatabase, dayStartMs: number, nowMs: number): Promise<DaySpend> {
  let cache = daySpendCache.get(db);
  if (!cache) {
    cache = new Map();
    daySpendCache.set(db, cache);
  }
  const cached = cache.get(dayStartMs);
  if (cached && nowMs >= cached.fetchedAtMs && nowMs - cached.fetchedAtMs < DAY_SPEND_CACHE_MS) return cached;
  const result = await allocate(db, {
    window: { startMs: dayStartMs, endMs: dayStartMs + DAY_MS },
    aggregate: ["team", "model"],
    basis: "allocation",
    shareIdle: "none",
    idleBy: "cluster",
    filter: new Map(),
    stepMs: null,
  }, ALL_DATA);
  const spend: DaySpend = { fetchedAtMs: nowMs, team: new Map(), model: new Map(), currency: result.currency };
  for (const row of result.rows) {
    if (row.name === IDLE_ROW_NAME) continue;
    for (const scope of ["team", "model"] as const) {
      const name = row.properties[scope];
      if (name === undefined || name === UNALLOCATED_VALUE) continue;
      spend[scope].set(name, (spend[scope].get(name) ?? 0) + row.totalCost);
    }
  }
  for (const [day, entry] of cache) if (nowMs - entry.fetchedAtMs >= DAY_SPEND_CACHE_MS) cache.delete(day);
  cache.set(dayStartMs, spend);
  return spend;
}

/**
 * Spend per team and per model on the days the anomaly rules judge: the last whole
 * UTC day and the same weekday of the `weeks` weeks before it, one allocation per
 * day (GPU time held, priced; idle not shared, so a team's spend is what it held).
 * Only those days are read (a month of daily steps costs six times as much), one
 * at a time (side by side measured slower: each allocation holds the whole fleet).
 */
export async function loadDailySpend(
  db: SqlDatabase,
  weeks: number,
  nowMs: number,
): Promise<{ team: DailySpendSeries[]; model: DailySpendSeries[]; currency: string | null }> {
  const judgedDayMs = lastWholeDayStartMs(nowMs);
  const byScope = { team: new Map<string, Map<number, number>>(), model: new Map<string, Map<number, number>>() };
  let currency: string | null = null;
  for (let week = 0; week <= weeks; week++) {
    const dayStartMs = judgedDayMs - week * WEEK_MS;
    const spend = await daySpendOf(db, dayStartMs, nowMs);
    currency ??= spend.currency;
    for (const scope of ["team", "model"] as const) {
      for (const [name, cost] of spend[scope]) {
        const spendByDayMs = byScope[scope].get(name) ?? new Map<number, number>();
        spendByDayMs.set(dayStartMs, cost);
        byScope[scope].set(name, spendByDayMs);
      }
    }
  }
  const seriesOf = (scope: "team" | "model") => [...byScope[scope]].map(([name, spendByDayMs]) => ({ name, spendByDayMs }));
  return { team: seriesOf("team"), model: seriesOf("model"), currency };
}

export async function loadAlertNodes(db: SqlDatabase): Promise<AlertNode[]> {
  const rows = await db.query<{ id: number; cluster_name: string; hostname: string; last_seen_ms: number | null; active_tokens: number }>(
    `SELECT n.id, c.name AS cluster_name, n.hostname, n.last_seen_ms,
            (SELECT COUNT(*) FROM node_token t WHERE t.node_id = n.id AND t.revoked_at_ms IS NULL) AS active_tokens
       FROM node n JOIN cluster c ON c.id = n.cluster_id`,
  );
  return rows.map((row) => ({
    nodeId: Number(row.id),
    clusterName: row.cluster_name,
    hostname: row.hostname,
    lastBatchAtMs: row.last_seen_ms === null ? null : Number(row.last_seen_ms),
    hasActiveToken: Number(row.active_tokens) > 0,
  }));
}

/** Runs one loader; a failure marks its kinds as not evaluated instead of failing every rule. */
async function attempt<T>(failed: Map<AlertRule["kind"], string>, kinds: readonly AlertRule["kind"][], fallback: T, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    for (const kind of kinds) failed.set(kind, (error as Error).message);
    return fallback;
  }
}

/**
 * The inputs of `rules`. Four independent loads, run at once so that the
 * database's work on one overlaps this process's on another:
 *  1. budget statuses, when a budget rule is enabled;
 *  2. per idle rule look-back, the usage sums; the jobs they find idle, with their
 *     GPUs and cost so far;
 *  3. the daily spend the anomaly rules judge;
 *  4. nodes and recent refusals, when a node rule is enabled.
 */
export async function loadAlertInputs(db: SqlDatabase, rules: readonly AlertRule[], loadBudgetStatuses: BudgetStatusLoader, nowMs: number): Promise<LoadedAlertInputs> {
  const failedKinds = new Map<AlertRule["kind"], string>();

  // 1. Budgets.
  const loadBudgets = async () => (rulesOf(rules, "budget").length > 0 ? attempt(failedKinds, ["budget"], [], () => loadBudgetStatuses(nowMs)) : []);

  // 2. Idle GPUs.
  const idleRules = rulesOf(rules, "idle-gpus");
  const noIdle = { usage: new Map<number, JobGpuUsageSum[]>(), jobs: new Map<number, AlertJob>(), gpus: new Map<number, AlertGpu>(), costs: new Map<number, JobCostSoFar>() };
  const loadIdle = async () =>
    idleRules.length === 0
      ? noIdle
      : attempt(failedKinds, ["idle-gpus"], noIdle, async () => {
          const usage = new Map<number, JobGpuUsageSum[]>();
          for (const hours of new Set(idleRules.map((rule) => rule.params.minHours))) usage.set(hours, await loadJobGpuUsageSums(db, hours, nowMs));
          const findings = idleRules.flatMap((rule) => idleJobsOf(rule.params, usage.get(rule.params.minHours) ?? []));
          const jobs = await loadJobs(db, [...new Set(findings.map((finding) => finding.jobId))]);
          const gpus = await loadGpus(db, [...new Set(findings.flatMap((finding) => finding.idleGpuIds))]);
          const costs = await loadJobCostsSoFar(db, [...jobs.values()], nowMs);
          return { usage, jobs, gpus, costs };
        });

  // 3. Daily spend.
  const weeks = Math.max(0, ...rulesOf(rules, "spend-anomaly").map((rule) => rule.params.weeks));
  const noSpend: AlertInputs["dailySpend"] = { team: [], model: [], currency: null };
  const loadSpend = async () => (weeks > 0 ? attempt(failedKinds, ["spend-anomaly"], noSpend, () => loadDailySpend(db, weeks, nowMs)) : noSpend);

  // 4. Nodes and refusals.
  const silentRules = rulesOf(rules, "node-silent");
  const refusedRules = rulesOf(rules, "ingest-refused");
  const refusalWindowMs = Math.max(0, ...refusedRules.map((rule) => rule.params.windowMinutes)) * MINUTE_MS;
  const loadNodes = async () => {
    const nodes = silentRules.length + refusedRules.length > 0 ? await attempt(failedKinds, ["node-silent", "ingest-refused"], [], () => loadAlertNodes(db)) : [];
    const refusals = refusedRules.length > 0 ? await attempt(failedKinds, ["ingest-refused"], [], () => loadIngestRefusals(db, nowMs - refusalWindowMs)) : [];
    return { nodes, refusals };
  };

  const [budgetStatuses, idle, dailySpend, { nodes, refusals }] = await Promise.all([loadBudgets(), loadIdle(), loadSpend(), loadNodes()]);
  return {
    inputs: { budgetStatuses, jobGpuUsageByHours: idle.usage, jobs: idle.jobs, gpus: idle.gpus, jobCostsSoFar: idle.costs, dailySpend, nodes, refusals },
    failedKinds,
  };
}
