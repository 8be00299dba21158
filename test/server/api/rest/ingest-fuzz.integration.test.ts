/**
 * Fuzz tests of POST /api/v1/ingest and GET /api/v1/allocation (fast-check):
 * random junk, and mutations of valid batches so that most requests get past
 * authentication, JSON and gzip into deep validation. Every refused request must
 * get a 4xx with a JSON message and leave the database exactly as it was; no
 * request may get a 5xx or make the handler throw.
 *
 * Runs per property: FUZZ_RUNS (default 600; the junk property runs half as many):
 * about 1,500 requests per database. FUZZ_RUNS=20000 for a long run; FUZZ_SEED
 * picks another seed (the default is fixed so a failure reproduces).
 */
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { handleAllocationRequest } from "../../../../server/api/rest/allocation-handler";
import { handleIngestRequest, type IngestHandlerContext } from "../../../../server/api/rest/ingest-handler";
import { createServerMetrics } from "../../../../server/services/metrics";
import { issueNodeToken } from "../../../../server/services/node-tokens";
import { addPriceEntry } from "../../../../server/services/price-book-service";
import type { IngestBatch } from "../../../../server/wire/ingest-v1";
import { makeBatch, MINUTE_MS } from "../../../support/batches";
import { withValueAt, type Json, type JsonPath } from "../../../support/json-edits";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";
import { ingestRequest } from "../../../support/in-process-server";
import { ALL_DATA } from "../../../../server/auth/principal";

const kinds = await databaseKinds();
const RUNS = Number(process.env.FUZZ_RUNS ?? 600);
const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
/** The server's clock: 2026-11-27T12:00Z. Valid windows lie in the hour before it. */
const NOW_MS = Date.UTC(2026, 10, 27, 12, 0, 0);
const HOSTNAME = "fuzz-node";
const MAX_BODY_BYTES = 16 * 1024 * 1024;

type Path = JsonPath;

// ---------------------------------------------------------------------------
// Valid batches to start from.

const gpuUuids = ["GPU-fuzz-0", "GPU-fuzz-1", "GPU-fuzz-2"];
const percent = fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: null });
const amount = fc.option(fc.double({ min: 0, max: 1e6, noNaN: true }), { nil: null });

const validBatch: fc.Arbitrary<IngestBatch> = fc
  .record({
    batchId: fc.uuid({ version: 4 }),
    gpuCount: fc.integer({ min: 1, max: 3 }),
    jobCount: fc.integer({ min: 0, max: 2 }),
    minutes: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 3 }),
    team: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: null }),
    label: fc.string({ maxLength: 20 }),
    values: fc.array(fc.tuple(percent, percent, amount, amount, amount), { minLength: 9, maxLength: 9 }),
  })
  .map(({ batchId, gpuCount, jobCount, minutes, team, label, values }) => {
    const template = makeBatch();
    const gpus = gpuUuids.slice(0, gpuCount).map((uuid, index) => ({ ...template.gpus[0], uuid, index }));
    const jobs = Array.from({ length: jobCount }, (_, index) => ({ ...template.jobs[0], externalId: `fuzz-job-${index}`, team }));
    const gpuWindows = gpus.flatMap((gpu, g) =>
      minutes.map((minute, m) => {
        const [utilizationAvgPct, utilizationMaxPct, memoryUsedAvgMiB, powerAvgW, energyJ] = values[(g * 3 + m) % values.length];
        const startMs = NOW_MS - minute * MINUTE_MS;
        return { ...template.gpuWindows[0], gpuUuid: gpu.uuid, startMs, endMs: startMs + MINUTE_MS, utilizationAvgPct, utilizationMaxPct, memoryUsedAvgMiB, memoryUsedMaxMiB: memoryUsedAvgMiB, powerAvgW, energyJ };
      }),
    );
    const jobWindows = jobs.flatMap((job, j) =>
      minutes.map((minute) => ({ ...template.jobWindows[0], gpuUuid: gpus[j % gpus.length].uuid, jobExternalId: job.externalId, startMs: NOW_MS - minute * MINUTE_MS, endMs: NOW_MS - (minute - 1) * MINUTE_MS })),
    );
    return { ...template, batchId, node: { hostname: HOSTNAME, labels: { pool: label } }, gpus, jobs, gpuWindows, jobWindows };
  });

// ---------------------------------------------------------------------------
// Mutations.

function leaves(value: Json, path: Path = [], out: { path: Path; value: Json }[] = []): { path: Path; value: Json }[] {
  if (value !== null && typeof value === "object") {
    for (const [key, child] of Array.isArray(value) ? value.entries() : Object.entries(value)) leaves(child as Json, [...path, key], out);
  } else out.push({ path, value });
  return out;
}

/** Nested arrays or objects as JSON text: deeper than JSON.stringify (recursive) could write. */
function nestedText(depth: number, array: boolean): string {
  return array ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}

interface Mutant {
  /** What was done, for the failure message. */
  what: string;
  body: Uint8Array | string;
  headers?: Record<string, string>;
  /** true: must be refused (4xx); false: may also be accepted, if valid. */
  invalid: boolean;
}

const NUMERIC_TEXTS = ["NaN", "Infinity", "-Infinity", "1e400", "-0", "0x10", "12", "", " 1"];
const HUGE_NUMBERS = [2 ** 31, 2 ** 31 - 1, 2 ** 32, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e21, 1e308, -1e308, Number.MIN_VALUE, -1, 0.5, 1e-300];
const PERCENT_FIELDS = new Set(["utilizationAvgPct", "utilizationMaxPct", "smActiveAvgPct"]);
const NON_NEGATIVE_FIELDS = new Set(["memoryUsedAvgMiB", "memoryUsedMaxMiB", "powerAvgW", "energyJ", "index", "memoryTotalMiB", "sampleCount", "processCount", "startMs", "endMs"]);
const REQUIRED_TOP = ["schemaVersion", "batchId", "node", "gpus", "jobs", "gpuWindows", "jobWindows"];

/** One mutation of a valid batch, picked by fast-check, that a correct server must refuse (or, flagged, may accept). */
function mutantOf(batch: IngestBatch): fc.Arbitrary<Mutant> {
  const json = batch as unknown as Json;
  const all = leaves(json);
  const numbers = all.filter((leaf) => typeof leaf.value === "number");
  const strings = all.filter((leaf) => typeof leaf.value === "string");
  const text = JSON.stringify(batch);
  const pathText = (path: Path) => path.join(".");
  const mutated = (what: string, value: Json, invalid = true): Mutant => ({ what, body: JSON.stringify(value), invalid });
  const anyLeaf = fc.constantFrom(...all);
  const percents = numbers.filter((leaf) => PERCENT_FIELDS.has(String(leaf.path.at(-1))));

  const options: fc.Arbitrary<Mutant>[] = [
    // Wrong types: no field takes an object, an array or a boolean where a primitive goes.
    fc.tuple(anyLeaf, fc.constantFrom<Json>({}, [], true, false, { $: 1 }, [1, 2])).map(([leaf, value]) => mutated(`${pathText(leaf.path)} = ${JSON.stringify(value)}`, withValueAt(json, leaf.path, value))),
    // A number as text, NaN and Infinity as strings included.
    fc.tuple(fc.constantFrom(...numbers), fc.constantFrom(...NUMERIC_TEXTS)).map(([leaf, value]) => mutated(`${pathText(leaf.path)} = "${value}"`, withValueAt(json, leaf.path, value))),
    // A string as a number.
    fc.tuple(fc.constantFrom(...strings), fc.double()).map(([leaf, value]) => mutated(`${pathText(leaf.path)} = ${value}`, withValueAt(json, leaf.path, Number.isFinite(value) ? value : 0))),
    // Out of range: must be refused. (Percentages are leaves only where not null.)
    ...(percents.length === 0 ? [] : [fc.tuple(fc.constantFrom(...percents), fc.oneof(fc.double({ min: 100.000001, max: 1e308, noNaN: true }), fc.double({ min: -1e308, max: -1e-9, noNaN: true }))).map(([leaf, value]) => mutated(`${pathText(leaf.path)} = ${value}`, withValueAt(json, leaf.path, value)))]),
    fc.tuple(fc.constantFrom(...numbers.filter((leaf) => NON_NEGATIVE_FIELDS.has(String(leaf.path.at(-1))))), fc.double({ min: -1e308, max: -1e-9, noNaN: true })).map(([leaf, value]) => mutated(`${pathText(leaf.path)} = ${value}`, withValueAt(json, leaf.path, value))),
    // Huge, tiny and fractional numbers anywhere: refused or stored, never a 5xx.
    fc.tuple(fc.constantFrom(...numbers), fc.constantFrom(...HUGE_NUMBERS)).map(([leaf, value]) => mutated(`${pathText(leaf.path)} = ${value}`, withValueAt(json, leaf.path, value), false)),
    // Any JSON value anywhere: refused or stored, never a 5xx.
    fc.tuple(anyLeaf, fc.jsonValue({ maxDepth: 3 })).map(([leaf, value]) => mutated(`${pathText(leaf.path)} = ${JSON.stringify(value).slice(0, 80)}`, withValueAt(json, leaf.path, value as Json), false)),
    // A missing required field.
    fc.constantFrom(...REQUIRED_TOP).map((key) => mutated(`delete ${key}`, withValueAt(json, [key], undefined))),
    // Negative or empty durations.
    fc.tuple(fc.constantFrom("gpuWindows", ...(batch.jobWindows.length > 0 ? ["jobWindows"] : [])), fc.nat({ max: 10 * MINUTE_MS })).map(([list, backMs]) => {
      const windows = batch[list as "gpuWindows" | "jobWindows"];
      return mutated(`${list}[0].endMs = startMs - ${backMs}`, withValueAt(json, [list, 0, "endMs"], windows[0].startMs - backMs));
    }),
    // Unknown GPUs and jobs; a GPU listed twice; clock skew.
    fc.string({ minLength: 1, maxLength: 40 }).filter((uuid) => !gpuUuids.includes(uuid)).map((uuid) => mutated(`gpuWindows[0].gpuUuid = ${uuid}`, withValueAt(json, ["gpuWindows", 0, "gpuUuid"], uuid))),
    fc.constant(mutated("gpus[1] = gpus[0]", withValueAt(json, ["gpus", 1], batch.gpus[0] as unknown as Json))),
    fc.integer({ min: 6 * MINUTE_MS, max: 400 * 86_400_000 }).map((aheadMs) => mutated(`gpuWindows[0] ${aheadMs} ms ahead`, withValueAt(withValueAt(json, ["gpuWindows", 0, "startMs"], NOW_MS + aheadMs - MINUTE_MS), ["gpuWindows", 0, "endMs"], NOW_MS + aheadMs))),
    fc.constant(mutated("schemaVersion = 2", withValueAt(json, ["schemaVersion"], 2))),
    fc.string({ maxLength: 40 }).map((id) => mutated(`batchId = ${id}`, withValueAt(json, ["batchId"], id))),
    // Deep nesting in a known field.
    fc.tuple(fc.integer({ min: 2, max: 100_000 }), fc.boolean(), fc.constantFrom<Path>(["node", "labels"], ["gpus", 0], ["jobs"], ["node", "labels", "pool"])).map(([depth, array, path]) => ({
      what: `${pathText(path)} nested ${depth} deep`,
      body: JSON.stringify(withValueAt(json, path, "\u0001NEST\u0001")).replace(JSON.stringify("\u0001NEST\u0001"), nestedText(depth, array)),
      invalid: true,
    })),
    // Text-level damage: truncated JSON; NaN and Infinity as JSON tokens.
    fc.integer({ min: 0, max: text.length - 1 }).map((length) => ({ what: `truncated at ${length}`, body: text.slice(0, length), invalid: true })),
    fc.constantFrom("NaN", "Infinity", "-Infinity").map((token) => ({ what: `sampleCount: ${token}`, body: text.replace(/"sampleCount":\d+/, `"sampleCount":${token}`), invalid: true })),
    // Invalid UTF-8 inside a string value.
    fc.tuple(fc.constantFrom(...strings), fc.constantFrom([0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80])).map(([leaf, bytes]) => {
      const marker = "\u0001MARK\u0001";
      const body = Buffer.from(JSON.stringify(withValueAt(json, leaf.path, `${leaf.value}${marker}`)));
      const at = body.indexOf(Buffer.from(JSON.stringify(marker).slice(1, -1)));
      return { what: `${pathText(leaf.path)} with bytes ${bytes.join(",")}`, body: Buffer.concat([body.subarray(0, at), Buffer.from(bytes), body.subarray(at + JSON.stringify(marker).length - 2)]), invalid: true };
    }),
    // Control characters and lone surrogates in strings: refused or stored, never a 5xx.
    fc.tuple(fc.constantFrom(...strings), fc.constantFrom("\u0000", "a\u0000b", "\ud800", "\udfff", "\u001f", "\ufffe")).map(([leaf, value]) => mutated(`${pathText(leaf.path)} = ${JSON.stringify(value)}`, withValueAt(json, leaf.path, value), false)),
    // Encodings: truncated gzip, gzip not declared, declared but not gzip, unknown encodings.
    fc.integer({ min: 0, max: 30 }).map((cut) => ({ what: `gzip truncated by ${cut + 1} bytes`, body: gzipSync(text).subarray(0, -(cut + 1)), headers: { "content-encoding": "gzip" }, invalid: true })),
    fc.constant<Mutant>({ what: "gzip body without content-encoding", body: gzipSync(text), invalid: true }),
    fc.constant<Mutant>({ what: "content-encoding gzip on plain JSON", body: text, headers: { "content-encoding": "gzip" }, invalid: true }),
    fc.constantFrom("br", "deflate", "compress", "gzip, gzip", "x-gzip").map((encoding) => ({ what: `content-encoding ${encoding}`, body: gzipSync(text), headers: { "content-encoding": encoding }, invalid: true })),
    // A valid body with a content type that is not JSON.
    fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "text/json-ish").map((type) => ({ what: `content-type ${type}`, body: text, headers: { "content-type": type }, invalid: true })),
  ];
  return fc.oneof(...options);
}

/** Bodies that are not batches at all. */
const junk: fc.Arbitrary<Mutant> = fc.oneof(
  fc.jsonValue().map((value) => ({ what: `json ${JSON.stringify(value).slice(0, 80)}`, body: JSON.stringify(value), invalid: true })),
  fc.string({ unit: "binary", maxLength: 200 }).map((value) => ({ what: `text ${JSON.stringify(value).slice(0, 80)}`, body: value, invalid: true })),
  fc.uint8Array({ maxLength: 500 }).map((bytes) => ({ what: `${bytes.length} random bytes`, body: bytes, invalid: true })),
  fc.uint8Array({ maxLength: 500 }).map((bytes) => ({ what: `${bytes.length} random bytes as gzip`, body: bytes, headers: { "content-encoding": "gzip" }, invalid: true })),
);

// ---------------------------------------------------------------------------

/** Everything ingest can write, as one comparable value. */
async function databaseChecksum(db: TestDatabase): Promise<string> {
  const [row] = await db.sql.query<Record<string, unknown>>(
    `SELECT (SELECT COUNT(*) FROM ingest_batch) AS batches,
            (SELECT COUNT(*) || ':' || COALESCE(SUM(last_seen_ms), 0) || ':' || COALESCE(MAX(labels_json), '') FROM node) AS nodes,
            (SELECT COUNT(*) || ':' || COALESCE(SUM(memory_total_mib), 0) || ':' || COALESCE(SUM(last_seen_ms), 0) FROM gpu) AS gpus,
            (SELECT COUNT(*) || ':' || COALESCE(MAX(team), '') || ':' || COALESCE(SUM(last_seen_ms), 0) FROM job) AS jobs,
            (SELECT COUNT(*) || ':' || COALESCE(SUM(end_ms - start_ms), 0) FROM gpu_usage_window) AS gpu_windows,
            (SELECT COUNT(*) FROM job_usage_window) AS job_windows,
            (SELECT COUNT(*) || ':' || COALESCE(SUM(reported_ms), 0) FROM gpu_usage_hourly) AS gpu_hourly,
            (SELECT COUNT(*) || ':' || COALESCE(SUM(reported_ms), 0) FROM job_usage_hourly) AS job_hourly,
            (SELECT COUNT(*) FROM job_usage_daily) AS job_daily`,
  );
  return JSON.stringify(row);
}

describe.each(kinds)("ingest and allocation fuzzing on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL fuzz suite: ${skipReason}`);
  let db: TestDatabase;
  let token: string;
  let context: IngestHandlerContext;
  const stats = { requests: 0, accepted: 0, byStatus: new Map<number, number>() };
  let unexpected: ReturnType<typeof vi.spyOn>;

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    token = (await issueNodeToken(db.prisma, { clusterName: "fuzz", hostname: HOSTNAME, nowMs: NOW_MS })).token;
    await addPriceEntry(db.prisma, { gpuModel: makeBatch().gpus[0].modelName, costPerGpuHour: 2.5, effectiveFromMs: Date.UTC(2026, 10, 1) }, NOW_MS);
    context = { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: MAX_BODY_BYTES, nowMs: () => NOW_MS };
    // Some valid history, so the allocation API has rows to compute over.
    const seeded = await send({ what: "seed", body: JSON.stringify({ ...makeBatch(), node: { hostname: HOSTNAME }, gpus: makeBatch().gpus.map((gpu) => ({ ...gpu, uuid: `${gpu.uuid}-fuzz` })), gpuWindows: makeBatch().gpuWindows.map((w) => ({ ...w, gpuUuid: `${w.gpuUuid}-fuzz`, startMs: NOW_MS - 2 * 60 * MINUTE_MS, endMs: NOW_MS - 119 * MINUTE_MS })), jobWindows: [] }), invalid: false });
    expect(seeded.status).toBe(200);
  });
  afterAll(async () => {
    if (!skipReason) console.log(`ingest fuzz on ${db.name}: ${stats.requests} requests, ${stats.accepted} accepted; statuses ${JSON.stringify(Object.fromEntries(stats.byStatus))}`);
    await db?.dispose();
  });
  beforeEach(() => {
    // The 500 path logs "unexpected error": none may happen.
    unexpected = vi.spyOn(console, "error");
  });
  afterEach(() => {
    expect(unexpected).not.toHaveBeenCalled();
    unexpected.mockRestore();
  });

  async function send(mutant: Mutant): Promise<{ status: number; body: unknown }> {
    const request = ingestRequest(null, token, { raw: mutant.body, headers: mutant.headers });
    const response = await handleIngestRequest(request, context);
    const text = await response.text();
    stats.requests += 1;
    stats.byStatus.set(response.status, (stats.byStatus.get(response.status) ?? 0) + 1);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`${mutant.what}: answer ${response.status} is not JSON: ${text.slice(0, 200)}`);
    }
    return { status: response.status, body };
  }

  /** Sends one request and checks the answer and the database. */
  async function check(mutant: Mutant): Promise<void> {
    const before = await databaseChecksum(db);
    const { status, body } = await send(mutant);
    if (status === 200 && !mutant.invalid) {
      stats.accepted += 1;
      expect((body as { batchId?: unknown }).batchId, mutant.what).toBeTypeOf("string");
      return;
    }
    expect(status, `${mutant.what}: ${JSON.stringify(body).slice(0, 300)}`).toBeGreaterThanOrEqual(400);
    expect(status, `${mutant.what}: ${JSON.stringify(body).slice(0, 300)}`).toBeLessThan(500);
    const error = (body as { error?: { status?: unknown; message?: unknown } }).error;
    expect(error?.status, mutant.what).toBe(status);
    expect(error?.message, mutant.what).toBeTypeOf("string");
    expect((error?.message as string).length, mutant.what).toBeGreaterThan(0);
    expect(await databaseChecksum(db), `${mutant.what}: the database changed`).toBe(before);
  }

  it.skipIf(skipReason)("answers every mutation of a valid batch with a 4xx and its message, and changes nothing", { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(validBatch.chain(mutantOf), async (mutant) => check(mutant)),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it.skipIf(skipReason)("answers bodies that are not batches at all with a 4xx", { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(junk, async (mutant) => check(mutant)),
      { numRuns: Math.ceil(RUNS / 2), seed: SEED },
    );
  });

  it.skipIf(skipReason)("refuses 10 MB strings, gzip bombs and bodies past the limit with a 4xx", { timeout: 120_000 }, async () => {
    const text = JSON.stringify({ ...makeBatch(), node: { hostname: HOSTNAME, labels: { pool: "a100" } } });
    const tenMiB = "x".repeat(10 * 1024 * 1024);
    for (const path of [["node", "hostname"], ["node", "labels", "pool"], ["gpus", 0, "uuid"], ["jobs", 0, "team"], ["batchId"], ["newField"]] as Path[]) {
      await check({ what: `10 MiB string at ${path.join(".")}`, body: JSON.stringify(withValueAt(JSON.parse(text) as Json, path, tenMiB)), invalid: path[0] !== "newField" });
    }
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 });
    expect(bomb.length).toBeLessThan(100 * 1024);
    await check({ what: "gzip bomb: 64 MiB of spaces in 64 KiB", body: bomb, headers: { "content-encoding": "gzip" }, invalid: true });
    const nestedBomb = gzipSync("[".repeat(20 * 1024 * 1024));
    await check({ what: "gzip bomb: 20 MiB of [", body: nestedBomb, headers: { "content-encoding": "gzip" }, invalid: true });
    await check({ what: "17 MiB body", body: " ".repeat(17 * 1024 * 1024), invalid: true });
  });

  // -------------------------------------------------------------------------
  // GET /api/v1/allocation: every parameter, valid values and junk.

  const paramValues: Record<string, fc.Arbitrary<string>> = {
    window: fc.oneof(
      fc.constantFrom("7d", "30d", "1h", "24h", "today", "yesterday", "week", "month", "lastweek", "0d", "-5d", "99999999999d", "1e9d", "NaNd", "Infinityh", "2026-11-27T00:00:00Z,2026-11-27T12:00:00Z", "2026-11-27T12:00:00Z,2026-11-27T00:00:00Z", "0,1", "-8640000000000001,8640000000000001", "2026-13-45T99:99:99Z,2026-11-27T00:00:00Z", "1764201600,1764244800", "275760-09-13T00:00:00Z,275760-09-14T00:00:00Z"),
      fc.string({ maxLength: 120 }),
      fc.tuple(fc.integer(), fc.integer()).map(([a, b]) => `${a},${b}`),
      fc.tuple(fc.date({ noInvalidDate: true }), fc.date({ noInvalidDate: true })).map(([a, b]) => `${a.toISOString()},${b.toISOString()}`),
      fc.nat().map((n) => `${n}${["m", "h", "d", "w", ""][n % 5]}`),
    ),
    aggregate: fc.oneof(fc.constantFrom("", "team", "job,team", "label:pool", "label:", "model,experiment,user,project,node,cluster", "team,team,team,team,team,team", "label:" + "k".repeat(200), ",,,", "gpu"), fc.string({ maxLength: 600 })),
    basis: fc.oneof(fc.constantFrom("allocation", "usage"), fc.string({ maxLength: 20 })),
    shareIdle: fc.oneof(fc.constantFrom("none", "weighted", "even", "true", "false", "TRUE"), fc.string({ maxLength: 20 })),
    idleBy: fc.oneof(fc.constantFrom("cluster", "node"), fc.string({ maxLength: 20 })),
    accumulate: fc.oneof(fc.constantFrom("true", "false", "1", ""), fc.string({ maxLength: 20 })),
    step: fc.oneof(fc.constantFrom("1h", "1d", "1w", "0h"), fc.string({ maxLength: 20 })),
    filter: fc.oneof(fc.constantFrom("team:search", "team:", ":x", "label:pool:a100", "label:pool", "team:a,team:b,model:c", "node:fuzz-node", "nope:1"), fc.string({ maxLength: 300 })),
    format: fc.oneof(fc.constantFrom("json", "csv", "xml"), fc.string({ maxLength: 20 })),
    unknownParam: fc.string({ maxLength: 50 }),
  };
  const allocationQuery = fc
    .record(Object.fromEntries(Object.entries(paramValues).map(([key, value]) => [key, fc.option(value, { nil: undefined })])) as Record<string, fc.Arbitrary<string | undefined>>)
    .map((params) => {
      const search = new URLSearchParams();
      for (const [key, value] of Object.entries(params)) if (value !== undefined) search.append(key, value);
      return search.toString();
    });
  // Repeated parameters, raw percent-encoding and bytes that are not UTF-8.
  const rawQuery = fc.oneof(
    fc.constantFrom("window=7d&window=30d", "aggregate=%FF%FE", "window=%", "window=%E0%A4%A", "shareIdle=%00", "filter=team%3A%00", "&&&==&", "window"),
    fc.string({ maxLength: 200 }).map((text) => encodeURI(text).replace(/#/g, "%23")),
  );

  it.skipIf(skipReason)("answers every allocation query with 2xx or a 4xx naming the parameter, never a 5xx", { timeout: 600_000 }, async () => {
    const byStatus = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: allocationQuery }, { weight: 1, arbitrary: rawQuery }), async (query) => {
        const response = await handleAllocationRequest(new Request(`http://gpu-roi.test/api/v1/allocation?${query}`), { db: db.sql, nowMs: () => NOW_MS, scope: ALL_DATA });
        const text = await response.text();
        byStatus.set(response.status, (byStatus.get(response.status) ?? 0) + 1);
        expect(response.status, `${query}: ${text.slice(0, 300)}`).toBeLessThan(500);
        if (response.status >= 400) {
          const { error } = JSON.parse(text) as { error: { status: number; message: string } };
          expect(error.status, query).toBe(response.status);
          expect(error.message.length, query).toBeGreaterThan(0);
        } else if (response.headers.get("content-type")?.includes("json")) {
          const body = JSON.parse(text) as { fleetCost: number };
          expect(Number.isFinite(body.fleetCost), query).toBe(true);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    console.log(`allocation fuzz on ${db.name}: ${RUNS} queries; statuses ${JSON.stringify(Object.fromEntries(byStatus))}`);
  });
});
