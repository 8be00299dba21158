import { DEFAULT_FUTURE_TOLERANCE_MS } from "../../../server/domain/window-time-bounds";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleIngestRequest } from "../../../server/api/rest/ingest-handler";
import { openSqlDatabase } from "../../../server/db/server-database";
import type { SqlDatabase } from "../../../server/db/sql-database";
import { createServerMetrics } from "../../../server/services/metrics";
import { issueNodeToken } from "../../../server/services/node-tokens";
import { runRetentionUpkeep } from "../../../server/services/upkeep";
import { makeBatch, MINUTE_MS } from "../../support/batches";
import { databaseKinds, type TestDatabase } from "../../support/test-databases";
import { ingestRequest } from "../../support/in-process-server";

const kinds = await databaseKinds();
const DAY_MS = 86_400_000;
const NOW_MS = Date.UTC(2026, 10, 27, 12, 0, 0);
const OLD_MS = NOW_MS - 20 * DAY_MS;

describe.each(kinds)("runRetentionUpkeep on $name, from two server processes' pools", ({ name, create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL upkeep suite: ${skipReason}`);
  let db: TestDatabase;
  // A second pool on the same database: what a second replica holds.
  let replica: SqlDatabase;

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    replica = openSqlDatabase(db.target);
    const { token } = await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-a", nowMs: OLD_MS });
    const template = makeBatch();
    // 30 minutes of 20 days ago: 60 GPU windows and 30 job windows past a 14-day retention.
    const minutes = Array.from({ length: 30 }, (_, index) => OLD_MS + index * MINUTE_MS);
    const batch = makeBatch({
      gpuWindows: minutes.flatMap((startMs) => template.gpuWindows.map((w) => ({ ...w, startMs, endMs: startMs + MINUTE_MS }))),
      jobWindows: minutes.flatMap((startMs) => template.jobWindows.map((w) => ({ ...w, startMs, endMs: startMs + MINUTE_MS }))),
    });
    const response = await handleIngestRequest(
      ingestRequest(batch, token),
      // Windows older than ingest accepts by default: this test needs them stored to expire them.
      { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 20, nowMs: () => NOW_MS, windowTimeBounds: { futureToleranceMs: DEFAULT_FUTURE_TOLERANCE_MS, maxAgeMs: 30 * 86_400_000 } },
    );
    expect(response.status).toBe(200);
  });
  afterAll(async () => {
    await replica?.close();
    await db?.dispose();
  });

  it.skipIf(skipReason)("lets one process hold a named job while the other skips it, and hands it over once done", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = db.sql.runExclusive("upkeep-test", async () => {
      await gate;
      return "first";
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await replica.runExclusive("upkeep-test", async () => "second");
    release();
    expect(await first).toEqual({ ran: true, result: "first" });
    // PostgreSQL: an advisory lock held by the other pool; SQLite is one process's database and always runs.
    expect(second).toEqual(name === "postgresql" ? { ran: false } : { ran: true, result: "second" });
    expect(await replica.runExclusive("upkeep-test", async () => "after")).toEqual({ ran: true, result: "after" });
    // A different name is not blocked.
    expect(await replica.runExclusive("other", async () => 1)).toEqual({ ran: true, result: 1 });
  });

  // PostgreSQL only: two SQLite connections in one process would wait on each other
  // synchronously (better-sqlite3 blocks the event loop in busy_timeout), and
  // SQLite is deployed as one server process anyway.
  it.skipIf(skipReason || name === "sqlite")("deletes each expired window once when both replicas run retention at the same time", async () => {
    const outcomes = await Promise.all([runRetentionUpkeep(db.sql, NOW_MS, 14), runRetentionUpkeep(replica, NOW_MS, 14)]);
    expect(outcomes.reduce((sum, outcome) => sum + outcome.deleted, 0)).toBe(90);
    expect(outcomes.some((outcome) => outcome.ran)).toBe(true);
    const [left] = await db.sql.query<{ n: number }>(`SELECT (SELECT COUNT(*) FROM gpu_usage_window) + (SELECT COUNT(*) FROM job_usage_window) AS n`);
    expect(Number(left.n)).toBe(0);
  });
});
