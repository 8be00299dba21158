/**
 * October 2026 of one cluster, now = 2026-11-01 06:00 UTC (the scheduled send is due):
 *
 *   node-a  4 x A100 at 2.50 per GPU-hour, from 2026-10-25 00:00 to 11-01 00:00 (168 h)
 *     GPU 0, 1  train-search (team search, 90 %)
 *     GPU 2     serve-ads    (team ads, 40 %)
 *     GPU 3     nobody: its 420.00 of idle is shared to search and ads by cost (2 : 1)
 *
 * Fleet 1,680 = search 840 + 280 idle share, ads 420 + 140 idle share.
 */
import { ALL_DATA } from "../../../server/auth/principal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleAllocationRequest } from "../../../server/api/rest/allocation-handler";
import { handleChargebackEmail, handleChargebackRequest } from "../../../server/api/rest/chargeback-handler";
import { openSqlDatabase } from "../../../server/db/server-database";
import type { SqlDatabase } from "../../../server/db/sql-database";
import { setBudget } from "../../../server/services/budget-service";
import type { EmailMessage } from "../../../server/services/channels/email-message";
import { runChargebackSchedule } from "../../../server/services/chargeback-schedule";
import { loadChargeback } from "../../../server/services/chargeback-service";
import { addPriceEntry } from "../../../server/services/price-book-service";
import { parseCsv } from "../../support/parse-csv";
import { ingestSmallFleet } from "../../support/small-fleet";
import { databaseKinds, type TestDatabase } from "../../support/test-databases";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;
const FROM_MS = Date.UTC(2026, 9, 25);
const TO_MS = Date.UTC(2026, 10, 1);
const NOW_MS = TO_MS + 6 * HOUR_MS;
const ADMIN_TOKEN = "chargeback-admin-token";

describe.each(kinds)("chargeback on $name", ({ name, create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL chargeback suite: ${skipReason}`);
  let db: TestDatabase;
  let replica: SqlDatabase;
  const sent: EmailMessage[] = [];
  const recordingSender = async (message: EmailMessage) => {
    sent.push(message);
  };

  /**
   * One scheduled turn. On PostgreSQL the lock is released when the previous turn's
   * connection has closed on the server, a moment after it returns: a turn that
   * finds it still held is tried again, as the next hourly turn would be.
   */
  async function turn(atMs: number, recipients: readonly string[], sendEmail: (message: EmailMessage) => Promise<void>) {
    for (let attempt = 0; ; attempt++) {
      const outcome = await runChargebackSchedule(db.sql, db.prisma, atMs, { recipients, sendEmail });
      if (!(outcome.outcome === "skipped" && outcome.reason === "another-process") || attempt === 50) return outcome;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function lockReleased() {
    for (let attempt = 0; attempt < 50 && !(await db.sql.runExclusive("chargeback", async () => true)).ran; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    replica = openSqlDatabase(db.target);
    await addPriceEntry(db.prisma, { gpuModel: "NVIDIA A100-SXM4-80GB", costPerGpuHour: 2.5, effectiveFromMs: Date.UTC(2026, 0, 1) }, FROM_MS);
    await ingestSmallFleet(
      db,
      [
        {
          cluster: "lab",
          hostname: "node-a",
          gpuModel: "NVIDIA A100-SXM4-80GB",
          gpuCount: 4,
          memoryTotalMiB: 81920,
          jobs: [
            { externalId: "train-search", kind: "training", gpuIndexes: [0, 1], utilizationPct: 90, memoryUsedMiB: 40_000, team: "search" },
            { externalId: "serve-ads", kind: "inference", gpuIndexes: [2], utilizationPct: 40, memoryUsedMiB: 20_000, team: "ads" },
          ],
        },
      ],
      { fromMs: FROM_MS, toMs: TO_MS, windowMs: HOUR_MS },
    );
    await setBudget(db.sql, db.prisma, { scopeKind: "team", scopeValue: "search", period: "month", amount: 1000 }, FROM_MS);
  });
  afterAll(async () => {
    await replica?.close();
    await db?.dispose();
  });

  it.skipIf(skipReason)("charges each team its use and idle share, adding up to the allocation engine's fleet cost", async () => {
    const report = await loadChargeback(db.sql, db.prisma, "2026-10", NOW_MS);
    expect(report.rows.map((row) => [row.team, Number(row.allocatedCost.toFixed(6)), Number(row.idleShareCost.toFixed(6)), Number(row.totalCost.toFixed(6))])).toEqual([
      ["search", 840, 280, 1120],
      ["ads", 420, 140, 560],
    ]);
    const allocation = await (
      await handleAllocationRequest(new Request("http://gpu-roi.test/api/v1/allocation?window=2026-10-01T00:00:00Z,2026-11-01T00:00:00Z&aggregate=team&shareIdle=none"), {
        db: db.sql,
        nowMs: () => NOW_MS,
        scope: ALL_DATA,
      })
    ).json();
    expect(report.fleetCost).toBeCloseTo(allocation.fleetCost, 6);
    expect(report.totals.totalCost + report.unsharedIdleCost).toBeCloseTo(allocation.fleetCost, 6);
    expect(report.totals.allocatedCost).toBeCloseTo(allocation.totals.gpuCost, 6);
    expect(report.rows[0]).toMatchObject({ budgetAmount: 1000, budgetUsedPct: expect.closeTo(84, 6), efficiency: expect.closeTo(0.9, 6) });
  });

  it.skipIf(skipReason)("downloads as CSV and HTML, and answers 400 naming the month when it is malformed or to come", async () => {
    const get = (query: string) => handleChargebackRequest(new Request(`http://gpu-roi.test/api/v1/chargeback?${query}`), { db: db.sql, prisma: db.prisma, adminToken: ADMIN_TOKEN, nowMs: () => NOW_MS });
    const csv = await get("month=2026-10&format=csv");
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(csv.headers.get("content-disposition")).toContain("gpu-chargeback-2026-10.csv");
    expect(parseCsv(await csv.text()).map((line) => line[0])).toEqual(["team", "search", "ads", "__total__", "__idle__", "__fleet__"]);
    const html = await get("month=2026-10&format=html");
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await html.text()).toContain("GPU chargeback for 2026-10");
    for (const query of ["month=2026-13", "month=october", "month=2026-12"]) {
      const response = await get(query);
      expect(response.status, query).toBe(400);
      expect((await response.json()).error.field).toBe("month");
    }
  });

  it.skipIf(skipReason)("e-mails a report on demand for an admin, and refuses without the token or a sender", async () => {
    const post = (body: unknown, token: string | null, sendEmail?: (message: EmailMessage) => Promise<void>) =>
      handleChargebackEmail(
        new Request("http://gpu-roi.test/api/v1/chargeback/email", {
          method: "POST",
          headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(body),
        }),
        { db: db.sql, prisma: db.prisma, adminToken: ADMIN_TOKEN, nowMs: () => NOW_MS, sendEmail },
      );
    const onDemand: EmailMessage[] = [];
    const capture = async (message: EmailMessage) => {
      onDemand.push(message);
    };
    expect((await post({ month: "2026-10", to: ["finance@example.com"] }, null, capture)).status).toBe(401);
    const bad = await post({ month: "2026-10", to: ["not-an-address"] }, ADMIN_TOKEN, capture);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.field).toBe("to[0]");
    expect((await post({ month: "2026-10", to: ["finance@example.com"] }, ADMIN_TOKEN)).status).toBe(503);
    expect(onDemand).toEqual([]);
    expect((await post({ month: "2026-10", to: ["finance@example.com"] }, ADMIN_TOKEN, capture)).status).toBe(200);
    expect(onDemand.map((message) => [message.to, message.subject, message.attachments?.[0].filename])).toEqual([[["finance@example.com"], "GPU chargeback for 2026-10", "gpu-chargeback-2026-10.csv"]]);
  });

  it.skipIf(skipReason)("sends last month's report once from the 1st: a retry after a refused send, never twice, one replica at a time", async () => {
    const recipients = ["finance@example.com", "lead@example.com"];
    // Nobody to send to: nothing happens, nothing is recorded.
    expect(await runChargebackSchedule(db.sql, db.prisma, NOW_MS, { recipients: [], sendEmail: recordingSender })).toEqual({ outcome: "skipped", reason: "no-recipients" });
    // The mail server refuses: recorded as failed, and the next turn retries.
    const refusing = async () => {
      throw new Error("550 mailbox unavailable");
    };
    expect(await turn(NOW_MS, recipients, refusing)).toEqual({ outcome: "failed", month: "2026-10", error: "550 mailbox unavailable" });
    expect(await db.prisma.chargebackSend.findUnique({ where: { month: "2026-10" } })).toMatchObject({ status: "failed", error: "550 mailbox unavailable" });
    // Two replicas' turns at once: one sends, the other stands down.
    await lockReleased();
    const outcomes = await Promise.all([
      runChargebackSchedule(db.sql, db.prisma, NOW_MS, { recipients, sendEmail: recordingSender }),
      runChargebackSchedule(replica, db.prisma, NOW_MS, { recipients, sendEmail: recordingSender }),
    ]);
    expect(outcomes.filter((outcome) => outcome.outcome === "sent")).toEqual([{ outcome: "sent", month: "2026-10" }]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: recipients, subject: "GPU chargeback for 2026-10" });
    expect(sent[0].html).toContain("search");
    // A restart later the same day or month: already sent.
    expect(await turn(NOW_MS + 5 * HOUR_MS, recipients, recordingSender)).toEqual({ outcome: "skipped", reason: "already-sent" });
    expect(sent).toHaveLength(1);
    expect(await db.prisma.chargebackSend.findUnique({ where: { month: "2026-10" } })).toMatchObject({ status: "sent", sentAtMs: BigInt(NOW_MS), recipients: recipients.join(",") });
    expect(name).toMatch(/sqlite|postgresql/);
  });
});
