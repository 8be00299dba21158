import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleIngestRequest } from "../../../server/api/rest/ingest-handler";
import type { TrpcContext } from "../../../server/api/trpc/init";
import { createCaller } from "../../../server/api/trpc/root";
import { BREAK_GLASS_PRINCIPAL, OPEN_PRINCIPAL } from "../../../server/auth/principal";
import { openSqlDatabase } from "../../../server/db/server-database";
import type { SqlDatabase } from "../../../server/db/sql-database";
import type { BudgetStatus } from "../../../server/domain/budget-status";
import { evaluateAlerts, runAlertEvaluation, type AlertEvaluationDependencies } from "../../../server/services/alert-evaluation-service";
import { listAuditEntries } from "../../../server/services/audit-log";
import { verifyWebhookSignature } from "../../../server/services/channels/signed-webhook-channel";
import { createServerMetrics } from "../../../server/services/metrics";
import { issueNodeToken } from "../../../server/services/node-tokens";
import type { IngestBatch } from "../../../server/wire/ingest-v1";
import { makeBatch, MINUTE_MS, T0_MS } from "../../support/batches";
import { ingestRequest } from "../../support/in-process-server";
import { startWebhookReceiver, type WebhookReceiver } from "../../support/loopback-receivers";
import { databaseKinds, type TestDatabase } from "../../support/test-databases";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;
// Monday 2026-11-02: the idle job runs 00:00-05:00 UTC; the evaluation is at 05:30.
const NOW_MS = T0_MS + 5 * HOUR_MS + 30 * MINUTE_MS;
const SECRET = "alert-webhook-secret-0123456789";
const A100 = "NVIDIA A100-SXM4-80GB";

/*
 *   node-a (2 x A100 at 2.00 USD/h)          node-b (1 x A100)
 *   job slurm-idle, team vision, user ada    last batch 30 min before now
 *   holds both GPUs 00:00-05:00 at 1 %
 *   last batch 1 min before now
 *   + one batch refused for clock skew; + one request with a token no node has
 */
function idleJobBatch(): IngestBatch {
  const template = makeBatch();
  const starts = Array.from({ length: 30 }, (_, index) => T0_MS + index * 10 * MINUTE_MS);
  const gpus = ["GPU-aaaa-0", "GPU-aaaa-1"];
  return makeBatch({
    batchId: "11111111-1111-4111-8111-111111111111",
    jobs: [{ externalId: "slurm-idle", kind: "training", requestedGpus: 2, team: "vision", project: "detr", model: "detr-r50", experiment: "detr-1", user: "ada" }],
    gpuWindows: starts.flatMap((startMs) =>
      gpus.map((gpuUuid) => ({ ...template.gpuWindows[0], gpuUuid, startMs, endMs: startMs + 10 * MINUTE_MS, sampleCount: 60, utilizationAvgPct: 1, utilizationMaxPct: 3 })),
    ),
    jobWindows: starts.flatMap((startMs) =>
      gpus.map((gpuUuid) => ({ ...template.jobWindows[0], gpuUuid, jobExternalId: "slurm-idle", startMs, endMs: startMs + 10 * MINUTE_MS, sampleCount: 60, utilizationAvgPct: 1 })),
    ),
  });
}

describe.each(kinds)("alert evaluation on $name", ({ name, create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL alert evaluation suite: ${skipReason}`);
  let db: TestDatabase;
  let replica: SqlDatabase;
  let webhook: WebhookReceiver;
  let slack: WebhookReceiver;
  let budgetStatuses: BudgetStatus[] = [];
  const nodeIds: Record<string, number> = {};
  const caller = (isAdmin: boolean) =>
    createCaller({ db: db.sql, prisma: db.prisma, nowMs: () => NOW_MS, isAdmin, principal: isAdmin ? BREAK_GLASS_PRINCIPAL : OPEN_PRINCIPAL } as TrpcContext);
  const dependencies = (sql: SqlDatabase): AlertEvaluationDependencies => ({
    db: sql,
    loadBudgetStatuses: async () => budgetStatuses,
    sendEmail: null,
    deliveryPolicy: { maxAttempts: 2, initialMs: 5, maxMs: 5, jitterRatio: 0 },
    clockMs: () => NOW_MS,
  });
  /**
   * One evaluation once the lock is free: on PostgreSQL the previous holder's lock
   * ends with its closed connection, which the server notices a moment later.
   */
  const evaluateInTurn = async (sql: SqlDatabase, nowMs: number) => {
    for (let tries = 0; tries < 40; tries++) {
      const result = await runAlertEvaluation(dependencies(sql), nowMs);
      if (result.ran) return result;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("the alerts lock stayed taken");
  };
  const ingest = (body: unknown, token: string, atMs: number) =>
    handleIngestRequest(ingestRequest(body, token), { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 24, nowMs: () => atMs });
  const budget = (overrides: Partial<BudgetStatus>): BudgetStatus => ({
    budgetId: "vision-monthly",
    scopeKind: "team",
    scopeValue: "vision",
    period: "month",
    periodStartMs: Date.UTC(2026, 10, 1),
    periodEndMs: Date.UTC(2026, 11, 1),
    budgetAmount: 1_000,
    currency: "USD",
    actualCost: 400,
    forecastCost: 1_500,
    forecastLowCost: 1_200,
    forecastHighCost: 1_800,
    ...overrides,
  });

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    replica = openSqlDatabase(db.target);
    webhook = await startWebhookReceiver();
    slack = await startWebhookReceiver();
    await db.sql.query(
      `INSERT INTO price_book_entry (gpu_model, cost_per_gpu_hour, currency, source, effective_from_ms, created_at_ms) VALUES (?, 2, 'USD', 'cloud-on-demand', ?, 0)`,
      [A100, T0_MS - 30 * 24 * HOUR_MS],
    );
    const a = await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-a", nowMs: T0_MS });
    const b = await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-b", nowMs: T0_MS });
    nodeIds.a = a.nodeId;
    nodeIds.b = b.nodeId;
    const first = await ingest(idleJobBatch(), a.token, NOW_MS - MINUTE_MS);
    if (first.status !== 200) throw new Error(await first.text());
    const bStart = NOW_MS - 31 * MINUTE_MS;
    const bBatch = makeBatch({
      batchId: "22222222-2222-4222-8222-222222222222",
      node: { hostname: "node-b", labels: {} },
      gpus: [{ ...makeBatch().gpus[0], uuid: "GPU-bbbb-0" }],
      jobs: [],
      gpuWindows: [{ ...makeBatch().gpuWindows[0], gpuUuid: "GPU-bbbb-0", startMs: bStart, endMs: bStart + MINUTE_MS }],
      jobWindows: [],
    });
    expect((await ingest(bBatch, b.token, NOW_MS - 30 * MINUTE_MS)).status).toBe(200);
    // Refused: a window an hour in the future (clock skew), and a token no node has.
    const skewed = makeBatch({ batchId: "33333333-3333-4333-8333-333333333333", gpuWindows: [{ ...makeBatch().gpuWindows[0], startMs: NOW_MS + HOUR_MS, endMs: NOW_MS + HOUR_MS + MINUTE_MS }], jobWindows: [] });
    expect((await ingest(skewed, a.token, NOW_MS - 2 * MINUTE_MS)).status).toBe(400);
    expect((await ingest(makeBatch(), "groi_unknown-token-of-nobody", NOW_MS - 3 * MINUTE_MS)).status).toBe(401);
    expect((await ingest(makeBatch(), "groi_unknown-token-of-nobody", NOW_MS - 3 * MINUTE_MS)).status).toBe(401);

    const admin = caller(true);
    const signed = { kind: "webhook" as const, url: webhook.url, secret: SECRET };
    await admin.alerts.createRule({ name: "Idle GPUs", kind: "idle-gpus", params: { minGpus: 2, maxUtilizationPct: 5, minHours: 4 }, channels: [signed] });
    await admin.alerts.createRule({ name: "Silent nodes", kind: "node-silent", params: { silentMinutes: 15 }, channels: [signed, { kind: "slack", url: slack.url }] });
    await admin.alerts.createRule({ name: "Refused batches", kind: "ingest-refused", params: { windowMinutes: 60, minRefusals: 1 }, channels: [signed] });
    await admin.alerts.createRule({ name: "Budgets", kind: "budget", params: {}, channels: [signed] });
    await admin.alerts.createRule({ name: "Team spend", kind: "spend-anomaly", params: { scope: "team" }, channels: [signed] });
  });
  afterAll(async () => {
    await replica?.close();
    await db?.dispose();
    await webhook?.close();
    await slack?.close();
  });

  it.skipIf(skipReason)("records refused ingest requests per node or token, reason and hour", async () => {
    const rows = await db.sql.query<{ subject_key: string; reason: string; count: number; node_id: number | null }>(
      `SELECT subject_key, reason, count, node_id FROM ingest_refusal ORDER BY subject_key`,
    );
    expect(rows.map((row) => [row.subject_key, row.reason, Number(row.count), row.node_id === null ? null : Number(row.node_id)])).toEqual([
      [`node:${nodeIds.a}`, "clock-skew", 1, nodeIds.a],
      ["token:groi_unknow", "unknown-token", 2, null],
    ]);
  });

  it.skipIf(skipReason)("fires each condition once when two evaluators run at the same time, and signs what it sends", async () => {
    budgetStatuses = [budget({})];
    const outcomes = await Promise.all([runAlertEvaluation(dependencies(db.sql), NOW_MS), runAlertEvaluation(dependencies(name === "postgresql" ? replica : db.sql), NOW_MS)]);
    // PostgreSQL: the other replica held the lock and skipped; SQLite (one process): both ran, one after the other.
    if (name === "postgresql") expect(outcomes.filter((outcome) => outcome.ran)).toHaveLength(1);
    const opened = outcomes.reduce((sum, outcome) => sum + (outcome.ran ? outcome.outcome.opened : 0), 0);
    // Idle job, silent node-b, two refused subjects, the budget's forecast.
    expect(opened).toBe(5);
    expect(webhook.requests).toHaveLength(5);
    expect(slack.requests).toHaveLength(1);
    for (const request of webhook.requests) {
      expect(verifyWebhookSignature(SECRET, request.body, { signature: request.headers["x-gpu-roi-signature"] as string, timestamp: request.headers["x-gpu-roi-timestamp"] as string }, NOW_MS)).toBe(true);
    }
    const titles = webhook.requests.map((request) => (JSON.parse(request.body) as { title: string }).title).sort();
    expect(titles).toEqual([
      "A collector with unknown token groi_unknow…: 2 batches refused in the last 60 min (2 unknown-token)",
      "Budget of team vision forecast to be exceeded: 1500.00 USD expected by the month's end (budget 1000.00 USD)",
      // 2 GPUs x 5 h at 2.00 USD/h, priced by the allocation service.
      "Job lab/slurm-idle (team vision, user ada) holds 2 GPUs at 1.0 % utilization for 4 h; 20.00 USD so far",
      "Node lab/node-a: 1 batches refused in the last 60 min (1 clock-skew)",
      "Node lab/node-b silent for 30 min (limit 15 min)",
    ]);
  });

  it.skipIf(skipReason)("opens a new condition once even when two evaluations interleave without the lock", async () => {
    budgetStatuses = [budget({ actualCost: 1_100 })];
    const before = webhook.requests.length;
    const [first, second] = await Promise.all([evaluateAlerts(dependencies(db.sql), NOW_MS), evaluateAlerts(dependencies(name === "postgresql" ? replica : db.sql), NOW_MS)]);
    expect(first.opened + second.opened).toBe(1);
    expect(webhook.requests.length - before).toBe(1);
    const [open] = await db.sql.query<{ n: number }>(`SELECT COUNT(*) AS n FROM alert_episode WHERE state = 'firing'`);
    expect(Number(open.n)).toBe(6);
  });

  it.skipIf(skipReason)("fires nothing again after a restart while the conditions hold", async () => {
    const restarted = openSqlDatabase(db.target);
    try {
      const before = webhook.requests.length;
      const result = await evaluateInTurn(restarted, NOW_MS + MINUTE_MS);
      expect(result).toMatchObject({ ran: true, outcome: { opened: 0, resolved: 0, conditions: 6 } });
      expect(webhook.requests.length).toBe(before);
    } finally {
      await restarted.close();
    }
  });

  it.skipIf(skipReason)("resolves an episode once its condition clears, notifying once", async () => {
    budgetStatuses = [];
    const before = webhook.requests.length;
    const result = await evaluateInTurn(db.sql, NOW_MS + 2 * MINUTE_MS);
    expect(result).toMatchObject({ ran: true, outcome: { opened: 0, resolved: 2 } });
    const resolvedNotices = webhook.requests.slice(before).map((request) => JSON.parse(request.body) as { event: string; subjectKey: string });
    expect(resolvedNotices.map((notice) => notice.event)).toEqual(["resolved", "resolved"]);
    expect(resolvedNotices.map((notice) => notice.subjectKey).sort()).toEqual([
      `budget:vision-monthly:${Date.UTC(2026, 10, 1)}:exceeded`,
      `budget:vision-monthly:${Date.UTC(2026, 10, 1)}:forecast`,
    ]);
    // Again: nothing more.
    expect(await evaluateInTurn(db.sql, NOW_MS + 3 * MINUTE_MS)).toMatchObject({ ran: true, outcome: { opened: 0, resolved: 0 } });
  });

  it.skipIf(skipReason)("lists open and past episodes with their deliveries, and lets only an admin acknowledge", async () => {
    const { open, past } = await caller(false).alerts.listEpisodes();
    expect(open).toHaveLength(4);
    expect(past).toHaveLength(2);
    const silent = open.find((episode) => episode.ruleName === "Silent nodes")!;
    expect(silent.deliveries.map((d) => [d.event, d.channelKind, d.status])).toEqual([
      ["fired", "webhook", "sent"],
      ["fired", "slack", "sent"],
    ]);
    expect(past[0].deliveries.map((d) => d.event)).toEqual(["fired", "resolved"]);
    await expect(caller(false).alerts.acknowledge({ id: silent.id })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const acknowledged = await caller(true).alerts.acknowledge({ id: silent.id });
    expect(acknowledged).toMatchObject({ acknowledgedAtMs: NOW_MS, acknowledgedBy: BREAK_GLASS_PRINCIPAL.displayName, state: "firing" });
    // Once in the audit log; acknowledging again changes nothing and writes nothing.
    await caller(true).alerts.acknowledge({ id: silent.id });
    const acknowledgements = (await listAuditEntries(db.prisma, { limit: 100 })).entries.filter((entry) => entry.action === "alert.acknowledge");
    expect(acknowledgements).toEqual([expect.objectContaining({ target: `alert-episode:${silent.id}`, actor: expect.objectContaining({ kind: "break-glass" }) })]);
    await expect(caller(true).alerts.acknowledge({ id: 999_999 })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it.skipIf(skipReason)("keeps channel secrets from pages and refuses bad rule input naming the field", async () => {
    const rules = await caller(true).alerts.listRules();
    expect(JSON.stringify(rules)).not.toContain(SECRET);
    expect(JSON.stringify(rules)).not.toContain(slack.url);
    expect(rules.find((rule) => rule.name === "Silent nodes")!.channels.map((channel) => channel.kind)).toEqual(["webhook", "slack"]);
    await expect(caller(true).alerts.createRule({ name: "bad", kind: "idle-gpus", params: { maxUtilizationPct: 300 } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^params\.maxUtilizationPct: /),
    });
    await expect(caller(false).alerts.listRules()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    // Keeping a stored channel by position keeps its secret without the page sending it.
    const silent = rules.find((rule) => rule.name === "Silent nodes")!;
    const updated = await caller(true).alerts.updateRule({ id: silent.id, channels: [{ kind: "keep", index: 0 }] });
    expect(updated.channels).toEqual([{ kind: "webhook", label: new URL(webhook.url).host, hasSecret: true }]);
    // The audit log records rule changes as pages see them: never a secret or a Slack URL.
    const ruleChanges = (await listAuditEntries(db.prisma, { limit: 100 })).entries.filter((entry) => entry.action.startsWith("alert-rule."));
    expect(ruleChanges.map((entry) => entry.action)).toContain("alert-rule.update");
    expect(ruleChanges.filter((entry) => entry.action === "alert-rule.create").length).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(ruleChanges)).not.toContain(SECRET);
    expect(JSON.stringify(ruleChanges)).not.toContain(slack.url);
    await expect(caller(true).alerts.updateRule({ id: silent.id, channels: [{ kind: "keep", index: 5 }] })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect((await caller(true).alerts.listRules()).length).toBe(rules.length);
  });

  it.skipIf(skipReason)("resolves the episodes of a deleted rule without notifying", async () => {
    const rules = await caller(true).alerts.listRules();
    const silentId = rules.find((rule) => rule.name === "Silent nodes")!.id;
    await caller(true).alerts.deleteRule({ id: silentId });
    const deletions = (await listAuditEntries(db.prisma, { limit: 100 })).entries.filter((entry) => entry.action === "alert-rule.delete");
    expect(deletions).toEqual([expect.objectContaining({ target: `alert-rule:${silentId}`, before: expect.objectContaining({ name: "Silent nodes" }), after: null })]);
    const before = webhook.requests.length;
    expect(await evaluateInTurn(db.sql, NOW_MS + 4 * MINUTE_MS)).toMatchObject({ ran: true, outcome: { resolved: 0 } });
    expect(webhook.requests.length).toBe(before);
    const { open } = await caller(false).alerts.listEpisodes();
    expect(open.map((episode) => episode.ruleName)).not.toContain("Silent nodes");
  });
});
