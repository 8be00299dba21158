import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ingestBatchSchema, type IngestBatch } from "../../../server/wire/ingest-v1";
import { fastParseIngestBatch, parseIngestBatch } from "../../../server/wire/parse-ingest-batch";
import { makeBatch } from "../../support/batches";
import { withValueAt, type Json, type JsonPath } from "../../support/json-edits";

type Path = JsonPath;

function leafPaths(value: Json, path: Path = [], out: Path[] = []): Path[] {
  if (value !== null && typeof value === "object") {
    for (const [key, child] of Array.isArray(value) ? value.entries() : Object.entries(value)) leafPaths(child as Json, [...path, key], out);
  }
  out.push(path);
  return out;
}

/** Values that sit on or just past the schema's bounds, or have the wrong type. */
const TRICKY_VALUES: (Json | undefined)[] = [
  undefined, null, 0, -0, -1, 0.5, 1, 100, 100.0001, 101, 2 ** 31 - 1, 2 ** 31, 2 ** 53, 1e12, 1e12 + 1, 16 * 1024 * 1024, 16 * 1024 * 1024 + 1, 1e308,
  "", "x", "\u0000", "GPU-\u0000", "x".repeat(128), "x".repeat(129), "x".repeat(256), "x".repeat(257), "😀".repeat(64), "😀".repeat(65), true, [], {}, [1], { a: 1 },
];
const trickyValue: fc.Arbitrary<Json | undefined> = fc.oneof(
  fc.constantFrom(...TRICKY_VALUES),
  fc.double(),
  fc.integer(),
  fc.string({ maxLength: 10 }),
);

/** A batch with one leaf replaced, removed, or an unknown field added. */
function mutantOf(batch: IngestBatch): fc.Arbitrary<Json> {
  const json = batch as unknown as Json;
  const paths = leafPaths(json);
  return fc.oneof(
    fc.tuple(fc.constantFrom(...paths), trickyValue).map(([path, value]) => withValueAt(json, path, value)),
    fc.tuple(fc.constantFrom(...paths.filter((path) => path.length > 1)), fc.string({ minLength: 1, maxLength: 8 }), trickyValue).map(([path, key, value]) =>
      withValueAt(json, [...path.slice(0, -1), key], value ?? null),
    ),
  );
}

const batches: IngestBatch[] = [
  makeBatch(),
  makeBatch({ collector: undefined, gpuWindows: makeBatch().gpuWindows.map(({ smActiveAvgPct: _omitted, ...window }) => window) }),
  makeBatch({ jobWindows: makeBatch().jobWindows.map(({ utilizationAvgPct: _omitted, ...window }) => ({ ...window, processCount: 0 })) }),
  makeBatch({
    workWindows: [
      { jobExternalId: "slurm-1001", unit: "samples", source: "report", startMs: makeBatch().gpuWindows[0].startMs, endMs: makeBatch().gpuWindows[0].endMs, count: 4096 },
      { jobExternalId: "slurm-1001", unit: "prompt_tokens", source: "vllm", startMs: makeBatch().gpuWindows[0].startMs, endMs: makeBatch().gpuWindows[0].endMs, count: 0 },
    ],
  }),
];

/** The fast path's verdict must be zod's: never valid where zod refuses, and the same output. */
function expectSameAsZod(body: Json): boolean {
  const fast = fastParseIngestBatch(body);
  if (fast === null) return false;
  const checked = ingestBatchSchema.safeParse(body);
  expect(checked.success).toBe(true);
  expect(fast).toStrictEqual(checked.data);
  return true;
}

describe("fastParseIngestBatch", () => {
  it("takes the fast path for well-formed batches, with zod's output", () => {
    for (const batch of batches) {
      const fast = fastParseIngestBatch(batch);
      expect(fast).not.toBeNull();
      expect(fast).toStrictEqual(ingestBatchSchema.parse(batch));
    }
  });

  it("agrees with zod for every field set to every boundary value", () => {
    let fastAccepted = 0;
    for (const batch of batches) {
      const json = batch as unknown as Json;
      for (const path of leafPaths(json)) {
        for (const value of TRICKY_VALUES) if (expectSameAsZod(withValueAt(json, path, value))) fastAccepted += 1;
      }
    }
    // Values within bounds must still take the fast path.
    expect(fastAccepted).toBeGreaterThan(300);
  });

  it("agrees with zod on random mutations", () => {
    fc.assert(
      fc.property(fc.constantFrom(...batches).chain(mutantOf), (body) => {
        expectSameAsZod(body);
      }),
      { numRuns: 2000, seed: 20261127 },
    );
  });

  it("leaves refusals to zod: a window the fast path doubts gets zod's message", () => {
    const batch = makeBatch();
    batch.gpuWindows[1].utilizationMaxPct = 101;
    expect(fastParseIngestBatch(batch)).toBeNull();
    const parsed = parseIngestBatch(batch);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0].path).toEqual(["gpuWindows", 1, "utilizationMaxPct"]);
  });
});
