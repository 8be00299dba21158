/**
 * GET /api/v1/unit-costs over one hour of a two-GPU node (A100 at 2.50 per GPU-hour):
 *
 *   GPU 0  serve-1 (llama-70b) the whole hour: 1,000 prompt and 500 generated tokens and 10 requests a minute
 *   GPU 1  train-1 (ranker) the first 30 minutes: 2,000 samples a minute; idle the last 30
 *
 * Fleet 5.00 = serve-1 2.50 + train-1 1.25 + idle 1.25.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleAllocationRequest } from "../../../../server/api/rest/allocation-handler";
import { handleIngestRequest } from "../../../../server/api/rest/ingest-handler";
import { handleUnitCostsRequest } from "../../../../server/api/rest/unit-costs-handler";
import { createServerMetrics } from "../../../../server/services/metrics";
import { issueNodeToken } from "../../../../server/services/node-tokens";
import { addPriceEntry } from "../../../../server/services/price-book-service";
import type { WireWorkWindow } from "../../../../server/wire/ingest-v1";
import { makeBatch, MINUTE_MS, T0_MS } from "../../../support/batches";
import { ingestRequest } from "../../../support/in-process-server";
import { parseCsv } from "../../../support/parse-csv";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";
import { ALL_DATA } from "../../../../server/auth/principal";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;
const WINDOW = "2026-11-02T00:00:00Z,2026-11-02T01:00:00Z";

function hourBatch() {
  const base = makeBatch();
  const minutes = Array.from({ length: 60 }, (_, minute) => T0_MS + minute * MINUTE_MS);
  const work = (jobExternalId: string, unit: string, count: number, startMs: number): WireWorkWindow => ({ jobExternalId, unit, source: unit === "samples" ? "report" : "vllm", startMs, endMs: startMs + MINUTE_MS, count });
  return makeBatch({
    jobs: [
      { ...base.jobs[0], externalId: "serve-1", kind: "inference", model: "llama-70b", team: "serving", experiment: null },
      { ...base.jobs[0], externalId: "train-1", kind: "training", model: "ranker", team: "search" },
    ],
    gpuWindows: minutes.flatMap((startMs) => [
      { ...base.gpuWindows[0], startMs, endMs: startMs + MINUTE_MS },
      { ...base.gpuWindows[1], startMs, endMs: startMs + MINUTE_MS },
    ]),
    jobWindows: minutes.flatMap((startMs, minute) => [
      { ...base.jobWindows[0], jobExternalId: "serve-1", startMs, endMs: startMs + MINUTE_MS },
      ...(minute < 30 ? [{ ...base.jobWindows[0], gpuUuid: "GPU-aaaa-1", jobExternalId: "train-1", startMs, endMs: startMs + MINUTE_MS }] : []),
    ]),
    workWindows: minutes.flatMap((startMs, minute) => [
      work("serve-1", "prompt_tokens", 1000, startMs),
      work("serve-1", "generation_tokens", 500, startMs),
      work("serve-1", "requests", 10, startMs),
      ...(minute < 30 ? [work("train-1", "samples", 2000, startMs)] : []),
    ]),
  });
}

describe.each(kinds)("handleUnitCostsRequest on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL unit-costs suite: ${skipReason}`);
  let db: TestDatabase;
  const nowMs = () => T0_MS + 2 * HOUR_MS;
  const get = (query: string, handler = handleUnitCostsRequest) => handler(new Request(`http://gpu-roi.test/api/v1/unit-costs?${query}`), { db: db.sql, nowMs, scope: ALL_DATA });

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    const { token } = await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-a", nowMs: T0_MS });
    await addPriceEntry(db.prisma, { gpuModel: "NVIDIA A100-SXM4-80GB", costPerGpuHour: 2.5, effectiveFromMs: Date.UTC(2026, 10, 1) }, T0_MS);
    const response = await handleIngestRequest(ingestRequest(hourBatch(), token), { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 22, nowMs });
    expect(response.status, await response.clone().text()).toBe(200);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("prices a million tokens, a thousand requests and a million samples per model, with idle shown apart", async () => {
    const response = await get(`window=${WINDOW}&aggregate=model`);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect({ fleetCost: body.fleetCost, allocatedCost: body.allocatedCost, idleCost: body.idleCost, currency: body.currency }).toEqual({ fleetCost: 5, allocatedCost: 3.75, idleCost: 1.25, currency: "USD" });
    const figures = body.rows.map((row: { name: string; unit: string; count: number; cost: number; costPerUnits: number; workPerGpuHour: number }) => [row.name, row.unit, row.count, row.cost, row.costPerUnits, row.workPerGpuHour]);
    expect(figures).toEqual([
      ["llama-70b", "generation_tokens", 30_000, 2.5, 83.333333, 30_000],
      ["llama-70b", "prompt_tokens", 60_000, 2.5, 41.666667, 60_000],
      ["llama-70b", "requests", 600, 2.5, 4.166667, 600],
      ["ranker", "samples", 60_000, 1.25, 20.833333, 120_000],
    ]);
  });

  it.skipIf(skipReason)("gives a team member only their team's rows, the fleet's totals unchanged (JSON and CSV)", async () => {
    const asMember = (query: string) =>
      handleUnitCostsRequest(new Request(`http://gpu-roi.test/api/v1/unit-costs?${query}`), { db: db.sql, nowMs, scope: { kind: "teams", teams: ["search"] } });
    const all = await (await get(`window=${WINDOW}&aggregate=model`)).json();
    const member = await (await asMember(`window=${WINDOW}&aggregate=model`)).json();
    expect(member.rows.map((row: { name: string; unit: string; cost: number }) => [row.name, row.unit, row.cost])).toEqual([["ranker", "samples", 1.25]]);
    expect({ fleetCost: member.fleetCost, allocatedCost: member.allocatedCost, idleCost: member.idleCost }).toEqual({ fleetCost: all.fleetCost, allocatedCost: all.allocatedCost, idleCost: all.idleCost });
    const csv = await (await asMember(`window=${WINDOW}&aggregate=model&format=csv`)).text();
    expect(csv).toContain("ranker");
    expect(csv).not.toContain("llama");
  });

  it.skipIf(skipReason)("agrees with GET /api/v1/allocation to the cent, idle shown or shared", async () => {
    for (const shareIdle of ["none", "weighted", "even"]) {
      const allocation = await (await get(`window=${WINDOW}&aggregate=model&shareIdle=${shareIdle}`, handleAllocationRequest)).json();
      const units = await (await get(`window=${WINDOW}&aggregate=model&shareIdle=${shareIdle}`)).json();
      for (const row of units.rows) {
        const allocated = allocation.rows.find((candidate: { name: string }) => candidate.name === row.name);
        expect(row.cost, `${shareIdle} ${row.name} ${row.unit}`).toBeCloseTo(allocated.totalCost, 2);
        expect((row.costPerUnits * row.count) / row.per).toBeCloseTo(row.cost, 2);
      }
      expect(units.fleetCost).toBeCloseTo(allocation.fleetCost, 6);
    }
    const weighted = await (await get(`window=${WINDOW}&aggregate=model&unit=samples&shareIdle=weighted`)).json();
    // Idle 1.25 shared by cost, 2.50 : 1.25: the ranker takes a third.
    expect(weighted.rows.map((row: { cost: number }) => row.cost)).toEqual([1.666667]);
    expect(weighted.idleCost).toBe(0);
  });

  it.skipIf(skipReason)("groups by GPU model and by job, and filters units", async () => {
    const body = await (await get(`window=${WINDOW}&aggregate=gpuModel,job&unit=samples,requests`)).json();
    expect(body.rows.map((row: { properties: Record<string, string>; unit: string }) => [row.properties, row.unit])).toEqual([
      [{ gpuModel: "NVIDIA A100-SXM4-80GB", job: "serve-1" }, "requests"],
      [{ gpuModel: "NVIDIA A100-SXM4-80GB", job: "train-1" }, "samples"],
    ]);
    expect(body.totals.map((row: { unit: string; cost: number }) => [row.unit, row.cost])).toEqual([
      ["requests", 2.5],
      ["samples", 1.25],
    ]);
  });

  it.skipIf(skipReason)("answers CSV with one line per row and one totals line per unit", async () => {
    const response = await get(`window=${WINDOW}&aggregate=model&unit=samples&format=csv`);
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    const [header, ...lines] = parseCsv(await response.text());
    expect(header).toEqual(["name", "model", "unit", "per", "start", "end", "count", "gpuHours", "cost", "groupCost", "costPerUnits", "workPerGpuHour", "jobs", "currency"]);
    expect(lines).toEqual([
      ["ranker", "ranker", "samples", "1000000", "2026-11-02T00:00:00.000Z", "2026-11-02T01:00:00.000Z", "60000", "0.5", "1.25", "1.25", "20.833333", "120000", "1", "USD"],
      ["__total__", "", "samples", "1000000", "2026-11-02T00:00:00.000Z", "2026-11-02T01:00:00.000Z", "60000", "0.5", "1.25", "3.75", "20.833333", "120000", "1", "USD"],
    ]);
  });

  it.skipIf(skipReason)("gives a daily series with step=1d", async () => {
    const body = await (await get(`window=2026-11-01T00:00:00Z,2026-11-03T00:00:00Z&aggregate=model&unit=samples&step=1d`)).json();
    expect(body.step).toBe("1d");
    expect(body.rows.map((row: { start: string; count: number }) => [row.start, row.count])).toEqual([["2026-11-02T00:00:00.000Z", 60_000]]);
  });

  it.skipIf(skipReason)("refuses bad parameters with 400 naming the parameter", async () => {
    const cases: [string, string][] = [
      ["window=yesterday-ish", "window"],
      ["aggregate=gpu", "aggregate[0]"],
      ["unit=Tokens!", "unit[0]"],
      ["shareIdle=sometimes", "shareIdle"],
      ["format=xml", "format"],
      ["window=400d&step=1h", "step"],
    ];
    for (const [query, field] of cases) {
      const response = await get(query);
      const body = await response.json();
      expect({ query, status: response.status, field: body.error.field }).toEqual({ query, status: 400, field });
    }
  });
});
