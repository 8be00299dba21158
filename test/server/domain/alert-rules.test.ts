import { describe, expect, it } from "vitest";
import {
  ALERT_RULE_PARAMS,
  evaluateAlertRules,
  evaluateBudgetRule,
  evaluateIdleGpuRule,
  evaluateIngestRefusedRule,
  evaluateNodeSilentRule,
  evaluateSpendAnomalyRule,
  HOUR_MS,
  idleJobsOf,
  lastWholeDayStartMs,
  type AlertInputs,
  type AlertNode,
  type AlertRule,
} from "../../../server/domain/alert-rules";
import type { BudgetStatus } from "../../../server/domain/budget-status";
import { DAY_MS, WEEK_MS } from "../../../server/domain/spend-baseline";

// Thursday 2026-11-26, 10:30 UTC.
const NOW_MS = Date.UTC(2026, 10, 26, 10, 30);
const MINUTE_MS = 60_000;

function emptyInputs(overrides: Partial<AlertInputs> = {}): AlertInputs {
  return {
    budgetStatuses: [],
    jobGpuUsageByHours: new Map(),
    jobs: new Map(),
    gpus: new Map(),
    jobCostsSoFar: new Map(),
    dailySpend: { team: [], model: [], currency: "USD" },
    nodes: [],
    refusals: [],
    ...overrides,
  };
}

const budget = (overrides: Partial<BudgetStatus>): BudgetStatus => ({
  budgetId: "b1",
  scopeKind: "team",
  scopeValue: "vision",
  period: "month",
  periodStartMs: Date.UTC(2026, 10, 1),
  periodEndMs: Date.UTC(2026, 11, 1),
  budgetAmount: 10_000,
  currency: "USD",
  actualCost: 5_000,
  forecastCost: 9_000,
  forecastLowCost: 8_000,
  forecastHighCost: 10_500,
  ...overrides,
});

describe("evaluateBudgetRule", () => {
  const rule = { id: 1, name: "budgets", kind: "budget" as const, params: ALERT_RULE_PARAMS.budget.parse({}) };

  it("warns when the forecast exceeds the budget and is critical once the spend does", () => {
    expect(evaluateBudgetRule(rule, [budget({})])).toEqual([]);
    const forecastOver = evaluateBudgetRule(rule, [budget({ forecastCost: 12_000 })]);
    expect(forecastOver.map((c) => [c.subjectKey, c.severity])).toEqual([[`budget:b1:${Date.UTC(2026, 10, 1)}:forecast`, "warning"]]);
    expect(forecastOver[0].title).toContain("12000.00 USD");
    const exceeded = evaluateBudgetRule(rule, [budget({ actualCost: 10_001, forecastCost: 14_000 })]);
    expect(exceeded.map((c) => c.severity)).toEqual(["critical", "warning"]);
  });

  it("leaves out the levels the rule turns off", () => {
    const onlyExceeded = { ...rule, params: { forecast: false, exceeded: true } };
    expect(evaluateBudgetRule(onlyExceeded, [budget({ forecastCost: 12_000 })])).toEqual([]);
  });
});

/*
 * Job 1 holds GPUs 11 and 12 for the whole 4 h look-back at 2 % and GPU 13 at 50 %;
 * job 2 holds GPU 21 at 1 % but only for 3 of the 4 hours; job 3 holds one GPU at 0 %.
 */
const LOOKBACK_H = 4;
const FULL_MS = LOOKBACK_H * HOUR_MS;
const usage = [
  { jobId: 1, gpuId: 11, shareMs: FULL_MS, activeMs: 0.02 * FULL_MS },
  { jobId: 1, gpuId: 12, shareMs: FULL_MS, activeMs: 0.02 * FULL_MS },
  { jobId: 1, gpuId: 13, shareMs: FULL_MS, activeMs: 0.5 * FULL_MS },
  { jobId: 2, gpuId: 21, shareMs: 0.75 * FULL_MS, activeMs: 0.01 * FULL_MS },
  { jobId: 3, gpuId: 31, shareMs: FULL_MS, activeMs: 0 },
];

describe("idleJobsOf", () => {
  it("finds jobs holding at least N GPUs under X % through the look-back, naming those GPUs", () => {
    const findings = idleJobsOf({ minGpus: 2, maxUtilizationPct: 5, minHours: LOOKBACK_H }, usage);
    expect(findings).toEqual([{ jobId: 1, idleGpuIds: [11, 12], utilizationPct: 2, idleGpuHours: 8 }]);
  });

  it("counts a GPU only when held for 90 % of the look-back", () => {
    const findings = idleJobsOf({ minGpus: 1, maxUtilizationPct: 5, minHours: LOOKBACK_H }, usage);
    expect(findings.map((f) => f.jobId)).toEqual([1, 3]);
  });
});

describe("evaluateIdleGpuRule", () => {
  it("names the job, its owner, its GPUs and its cost so far", () => {
    const rule = { id: 2, name: "idle", kind: "idle-gpus" as const, params: { minGpus: 2, maxUtilizationPct: 5, minHours: LOOKBACK_H } };
    const inputs = emptyInputs({
      jobGpuUsageByHours: new Map([[LOOKBACK_H, usage]]),
      jobs: new Map([[1, { jobId: 1, externalId: "slurm-4242", clusterName: "lab", team: "vision", userName: "ada", labels: { project: "detr" }, firstSeenMs: NOW_MS - 30 * HOUR_MS }]]),
      gpus: new Map([
        [11, { gpuId: 11, uuid: "GPU-11", hostname: "node-a", modelName: "NVIDIA H100 80GB HBM3" }],
        [12, { gpuId: 12, uuid: "GPU-12", hostname: "node-a", modelName: "NVIDIA H100 80GB HBM3" }],
      ]),
      jobCostsSoFar: new Map([[1, { cost: 180, currency: "USD", gpuHours: 60 }]]),
    });
    const [condition] = evaluateIdleGpuRule(rule, inputs);
    expect(condition.subjectKey).toBe("job:1");
    expect(condition.title).toBe("Job lab/slurm-4242 (team vision, user ada) holds 2 GPUs at 2.0 % utilization for 4 h; 180.00 USD so far");
    expect(condition.detail).toMatchObject({
      job: "lab/slurm-4242",
      team: "vision",
      user: "ada",
      gpus: [
        { uuid: "GPU-11", hostname: "node-a" },
        { uuid: "GPU-12", hostname: "node-a" },
      ],
      costSoFar: 180,
      currency: "USD",
    });
  });
});

describe("evaluateSpendAnomalyRule", () => {
  it("flags the last whole day of a team whose spend is far above the same weekday's median", () => {
    const dayMs = lastWholeDayStartMs(NOW_MS);
    expect(dayMs).toBe(Date.UTC(2026, 10, 25));
    const days = (history: number[], today: number) =>
      new Map([...history.map((spend, index): [number, number] => [dayMs - (history.length - index) * WEEK_MS, spend]), [dayMs, today]]);
    const rule = { id: 3, name: "spend", kind: "spend-anomaly" as const, params: ALERT_RULE_PARAMS["spend-anomaly"].parse({ scope: "team" }) };
    const inputs = emptyInputs({
      dailySpend: {
        team: [
          { name: "vision", spendByDayMs: days([100, 110, 90, 105], 400) },
          { name: "speech", spendByDayMs: days([100, 110, 90, 105], 110) },
        ],
        model: [{ name: "llama", spendByDayMs: days([100, 100, 100, 100], 900) }],
        currency: "USD",
      },
    });
    const conditions = evaluateSpendAnomalyRule(rule, inputs, NOW_MS);
    expect(conditions.map((c) => c.subjectKey)).toEqual(["team:vision"]);
    expect(conditions[0].title).toContain("2026-11-25: 400.00 USD");
    // The day after, the series has no spend for the judged day: nothing anomalous.
    expect(evaluateSpendAnomalyRule(rule, inputs, NOW_MS + DAY_MS)).toEqual([]);
  });
});

const nodes: AlertNode[] = [
  { nodeId: 1, clusterName: "lab", hostname: "node-a", lastBatchAtMs: NOW_MS - 20 * MINUTE_MS, hasActiveToken: true },
  { nodeId: 2, clusterName: "lab", hostname: "node-b", lastBatchAtMs: NOW_MS - 2 * MINUTE_MS, hasActiveToken: true },
  { nodeId: 3, clusterName: "lab", hostname: "retired", lastBatchAtMs: NOW_MS - 600 * MINUTE_MS, hasActiveToken: false },
  { nodeId: 4, clusterName: "lab", hostname: "never", lastBatchAtMs: null, hasActiveToken: true },
];

describe("evaluateNodeSilentRule", () => {
  it("flags nodes silent past the limit, not retired nodes nor nodes that never sent", () => {
    const rule = { id: 4, name: "silent", kind: "node-silent" as const, params: { silentMinutes: 15 } };
    const conditions = evaluateNodeSilentRule(rule, nodes, NOW_MS);
    expect(conditions.map((c) => c.subjectKey)).toEqual(["node:1"]);
    expect(conditions[0].title).toBe("Node lab/node-a silent for 20 min (limit 15 min)");
  });
});

describe("evaluateIngestRefusedRule", () => {
  const rule = { id: 5, name: "refused", kind: "ingest-refused" as const, params: { windowMinutes: 60, minRefusals: 2 } };
  const hour = Math.floor(NOW_MS / HOUR_MS) * HOUR_MS;

  it("sums refusals per node or token over the window, by reason", () => {
    const refusals = [
      { subjectKey: "node:2", reason: "clock-skew", hourStartMs: hour, nodeId: 2, count: 3, lastRefusedAtMs: NOW_MS - MINUTE_MS, lastMessage: "gpuWindows[0].startMs: 10 min ahead" },
      { subjectKey: "node:2", reason: "revoked-token", hourStartMs: hour - HOUR_MS, nodeId: 2, count: 1, lastRefusedAtMs: NOW_MS - 40 * MINUTE_MS, lastMessage: "revoked" },
      { subjectKey: "token:groi_abcdef", reason: "unknown-token", hourStartMs: hour, nodeId: null, count: 5, lastRefusedAtMs: NOW_MS - 2 * MINUTE_MS, lastMessage: "unknown" },
      // Older than the window: left out.
      { subjectKey: "node:1", reason: "clock-skew", hourStartMs: hour - 3 * HOUR_MS, nodeId: 1, count: 50, lastRefusedAtMs: NOW_MS - 150 * MINUTE_MS, lastMessage: "old" },
    ];
    const conditions = evaluateIngestRefusedRule(rule, refusals, nodes, NOW_MS);
    expect(conditions.map((c) => c.title)).toEqual([
      "Node lab/node-b: 4 batches refused in the last 60 min (3 clock-skew, 1 revoked-token)",
      "A collector with unknown token groi_abcdef…: 5 batches refused in the last 60 min (5 unknown-token)",
    ]);
  });

  it("stays quiet under the minimum count", () => {
    const one = [{ subjectKey: "node:2", reason: "clock-skew", hourStartMs: hour, nodeId: 2, count: 1, lastRefusedAtMs: NOW_MS, lastMessage: "x" }];
    expect(evaluateIngestRefusedRule(rule, one, nodes, NOW_MS)).toEqual([]);
  });
});

describe("evaluateAlertRules", () => {
  it("evaluates every rule over the same inputs", () => {
    const rules: AlertRule[] = [
      { id: 1, name: "budgets", kind: "budget", params: { forecast: true, exceeded: true } },
      { id: 4, name: "silent", kind: "node-silent", params: { silentMinutes: 15 } },
    ];
    const conditions = evaluateAlertRules(rules, emptyInputs({ budgetStatuses: [budget({ forecastCost: 20_000 })], nodes }), NOW_MS);
    expect(conditions.map((c) => [c.ruleId, c.subjectKey])).toEqual([
      [1, `budget:b1:${Date.UTC(2026, 10, 1)}:forecast`],
      [4, "node:1"],
    ]);
  });
});
