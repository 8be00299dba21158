/**
 * Regression tests for what the ingest fuzzer (ingest-fuzz.integration.test.ts)
 * found: each of these got a 500 on PostgreSQL or was stored when it should have
 * been refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleIngestRequest, type IngestHandlerContext } from "../../../../server/api/rest/ingest-handler";
import { createServerMetrics } from "../../../../server/services/metrics";
import { issueNodeToken } from "../../../../server/services/node-tokens";
import { makeBatch, MINUTE_MS, T0_MS } from "../../../support/batches";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";
import { ingestRequest } from "../../../support/in-process-server";

const kinds = await databaseKinds();

/** The body exactly as given (malformed text, bytes), with the node token. */
function post(body: string | Uint8Array, token: string, contentType?: string): Request {
  return ingestRequest(null, token, { raw: body, contentType });
}

describe.each(kinds)("handleIngestRequest with input the fuzzer found on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL bad-input suite: ${skipReason}`);
  let db: TestDatabase;
  let token: string;
  let context: IngestHandlerContext;
  const storedRows = async () =>
    Number((await db.sql.query<{ n: number }>(`SELECT (SELECT COUNT(*) FROM ingest_batch) + (SELECT COUNT(*) FROM gpu) + (SELECT COUNT(*) FROM job) AS n`))[0].n);

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    token = (await issueNodeToken(db.prisma, { clusterName: "test", hostname: "node-a", nowMs: T0_MS })).token;
    context = { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 20, nowMs: () => T0_MS + 10 * MINUTE_MS };
  });
  afterAll(async () => {
    await db?.dispose();
  });

  /** Sends the batch, expects `status` with `field` named, and nothing stored. */
  async function expectRefused(request: Request, status: number, field: string | undefined, message?: RegExp) {
    const response = await handleIngestRequest(request, context);
    const body = await response.json();
    expect({ status: response.status, field: body.error.field }).toEqual({ status, field });
    if (message) expect(body.error.message).toMatch(message);
    expect(await storedRows()).toBe(0);
  }

  it.skipIf(skipReason)("refuses a count too large for a 32-bit column with 400 (was a 500 on PostgreSQL)", async () => {
    const batch = makeBatch();
    batch.gpus[1] = { ...batch.gpus[1], memoryTotalMiB: 2 ** 31 };
    await expectRefused(post(JSON.stringify(batch), token), 400, "gpus[1].memoryTotalMiB");
    const samples = makeBatch();
    samples.gpuWindows[0] = { ...samples.gpuWindows[0], sampleCount: 2 ** 31 };
    await expectRefused(post(JSON.stringify(samples), token), 400, "gpuWindows[0].sampleCount");
  });

  it.skipIf(skipReason)("refuses a NUL character in a string with 400 (was a 500 on PostgreSQL)", async () => {
    const batch = makeBatch();
    batch.jobs[0] = { ...batch.jobs[0], project: "\u0000" };
    await expectRefused(post(JSON.stringify(batch), token), 400, "jobs[0].project", /NUL/);
    const labels = makeBatch({ node: { hostname: "node-a", labels: { "rack\u0000": "a" } } });
    await expectRefused(post(JSON.stringify(labels), token), 400, "node.labels.rack\u0000");
  });

  it.skipIf(skipReason)("refuses a body that is not valid UTF-8 with 400 (was stored with U+FFFD in place of the bytes)", async () => {
    const text = Buffer.from(JSON.stringify(makeBatch()));
    const at = text.indexOf(Buffer.from("alice"));
    const body = Buffer.concat([text.subarray(0, at), Buffer.from([0xc3, 0x28]), text.subarray(at)]);
    await expectRefused(post(body, token), 400, undefined, /^body: not valid UTF-8$/);
  });

  it.skipIf(skipReason)("refuses a body declared as something other than JSON with 415 (was stored)", async () => {
    await expectRefused(post(JSON.stringify(makeBatch()), token, "text/plain;charset=UTF-8"), 415, "content-type", /is not JSON/);
    await expectRefused(post(JSON.stringify(makeBatch()), token, "application/x-www-form-urlencoded"), 415, "content-type");
  });

  it.skipIf(skipReason)("refuses measurements past physical bounds (1e308 MiB was stored; its rollup sum, value x ms, is Infinity)", async () => {
    const batch = makeBatch();
    batch.gpuWindows[0] = { ...batch.gpuWindows[0], memoryUsedAvgMiB: 1e308 };
    await expectRefused(post(JSON.stringify(batch), token), 400, "gpuWindows[0].memoryUsedAvgMiB");
  });

  it.skipIf(skipReason)("still stores the valid batch, declared as application/json with a charset", async () => {
    const response = await handleIngestRequest(post(JSON.stringify(makeBatch()), token, "application/json; charset=utf-8"), context);
    expect(response.status).toBe(200);
  });
});
