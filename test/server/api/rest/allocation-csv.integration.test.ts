/**
 * `GET /api/v1/allocation?format=csv` with names a workload chose to be
 * spreadsheet formulas: every such cell arrives defused, figures stay numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleAllocationRequest } from "../../../../server/api/rest/allocation-handler";
import { handleIngestRequest } from "../../../../server/api/rest/ingest-handler";
import { createServerMetrics } from "../../../../server/services/metrics";
import { issueNodeToken } from "../../../../server/services/node-tokens";
import { addPriceEntry } from "../../../../server/services/price-book-service";
import { makeBatch, MINUTE_MS, T0_MS } from "../../../support/batches";
import { ingestRequest } from "../../../support/in-process-server";
import { parseCsv } from "../../../support/parse-csv";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";
import { ALL_DATA } from "../../../../server/auth/principal";

const kinds = await databaseKinds();
const FORMULA_TEAMS = ['=HYPERLINK("http://evil.test","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1"];

describe.each(kinds)("allocation CSV on $name", ({ create, skipReason }) => {
  let db: TestDatabase;
  const nowMs = () => T0_MS + 2 * 3_600_000;

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    const { token } = await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-a", nowMs: T0_MS });
    await addPriceEntry(db.prisma, { gpuModel: "NVIDIA A100-SXM4-80GB", costPerGpuHour: 60, effectiveFromMs: Date.UTC(2026, 10, 1) }, T0_MS);
    // One job a minute on GPU 0, each of another team.
    const base = makeBatch();
    const minutes = FORMULA_TEAMS.map((_, minute) => T0_MS + minute * MINUTE_MS);
    const batch = makeBatch({
      jobs: FORMULA_TEAMS.map((team, index) => ({ ...base.jobs[0], externalId: `job-${index}`, team })),
      gpuWindows: minutes.map((startMs) => ({ ...base.gpuWindows[0], startMs, endMs: startMs + MINUTE_MS })),
      jobWindows: minutes.map((startMs, index) => ({ ...base.jobWindows[0], jobExternalId: `job-${index}`, startMs, endMs: startMs + MINUTE_MS })),
    });
    const response = await handleIngestRequest(ingestRequest(batch, token), { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 20, nowMs });
    expect(response.status, await response.clone().text()).toBe(200);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("defuses team names that start with = + - @ TAB or CR and keeps the figures numeric", async () => {
    const response = await handleAllocationRequest(
      new Request("http://gpu-roi.test/api/v1/allocation?window=2026-11-02T00:00:00Z,2026-11-02T01:00:00Z&aggregate=team&shareIdle=none&format=csv"),
      { db: db.sql, nowMs, scope: ALL_DATA },
    );
    expect(response.status).toBe(200);
    const [header, ...lines] = parseCsv(await response.text());
    expect(header.slice(0, 2)).toEqual(["name", "team"]);
    const byTeam = new Map(lines.map((line) => [line[1], line]));
    for (const team of FORMULA_TEAMS) {
      const line = byTeam.get(`'${team}`);
      expect(line, `line of team ${JSON.stringify(team)}`).toBeDefined();
      expect(line![0]).toBe(`'${team}`);
      // One GPU-minute at 60 an hour: 1.00.
      expect(Number(line![header.indexOf("totalCost")])).toBeCloseTo(1, 6);
    }
    for (const line of lines) for (const field of line) expect(field, `field ${JSON.stringify(field)}`).not.toMatch(/^[=+\-@\t\r]/);
  });
});
