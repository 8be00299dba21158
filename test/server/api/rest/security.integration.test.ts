/**
 * Security of the write paths: node tokens kept and looked up as hashes, a token
 * writing only its own node's data, the admin token on every admin endpoint, the
 * per-token ingest rate limit, and no token (or its hash) in the logs.
 */
import { createHash } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { requireAdmin } from "../../../../server/api/rest/admin-auth";
import { ingestRateLimiterFromEnv, IngestRateLimiter } from "../../../../server/api/rest/ingest-rate-limiter";
import { handleIngestRequest, type IngestHandlerContext } from "../../../../server/api/rest/ingest-handler";
import { handleIssueNodeToken, handleListNodeTokens, handleRevokeNodeToken } from "../../../../server/api/rest/node-tokens-handler";
import { handleAddPrice } from "../../../../server/api/rest/prices-handler";
import { handleRunRecommendations, handleSetRecommendationState } from "../../../../server/api/rest/recommendations-handler";
import type { SqlDatabase } from "../../../../server/db/sql-database";
import { createServerMetrics } from "../../../../server/services/metrics";
import { authenticateNodeToken, issueNodeToken } from "../../../../server/services/node-tokens";
import { ServiceError } from "../../../../server/services/service-error";
import { makeBatch, MINUTE_MS, T0_MS } from "../../../support/batches";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";
import { ingestRequest } from "../../../support/in-process-server";
import { ALL_DATA } from "../../../../server/auth/principal";

const kinds = await databaseKinds();
const ADMIN_TOKEN = "admin-secret-for-security-tests";
const NOW_MS = T0_MS + 10 * MINUTE_MS;

function adminRequest(method: string, path: string, token: string | null, body?: unknown): Request {
  return new Request(`http://gpu-roi.test${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Everything the admin endpoints and ingest can change, as one comparable value. */
async function snapshot(db: TestDatabase): Promise<string> {
  const tables = ["cluster", "node", "node_token", "gpu", "job", "ingest_batch", "gpu_usage_window", "job_usage_window", "price_book_entry", "recommendation"];
  const parts: Record<string, unknown> = {};
  for (const table of tables) parts[table] = Number((await db.sql.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  parts.revoked = (await db.sql.query(`SELECT id, revoked_at_ms FROM node_token ORDER BY id`)).map((row) => JSON.stringify(row));
  parts.nodes = (await db.sql.query(`SELECT id, hostname, last_seen_ms, labels_json FROM node ORDER BY id`)).map((row) => JSON.stringify(row));
  parts.states = (await db.sql.query(`SELECT id, state FROM recommendation ORDER BY id`)).map((row) => JSON.stringify(row));
  return JSON.stringify(parts);
}

describe("requireAdmin", () => {
  const request = (token: string) => adminRequest("POST", "/api/v1/prices", token);
  it("accepts only the admin token, whatever the length of a wrong one (compared as SHA-256 digests in constant time)", () => {
    expect(() => requireAdmin(request(ADMIN_TOKEN), ADMIN_TOKEN)).not.toThrow();
    for (const wrong of ["a", ADMIN_TOKEN.slice(0, -1), `${ADMIN_TOKEN}x`, ADMIN_TOKEN.toUpperCase(), "x".repeat(10_000)]) {
      let caught: unknown;
      try {
        requireAdmin(request(wrong), ADMIN_TOKEN);
      } catch (error) {
        caught = error;
      }
      // A RangeError here would mean timingSafeEqual saw buffers of different lengths.
      expect(caught).toBeInstanceOf(ServiceError);
      expect((caught as ServiceError).status).toBe(401);
    }
  });
});

describe("ingestRateLimiterFromEnv", () => {
  it("defaults to 120 requests per minute per token, takes GPU_ROI_INGEST_RATE_PER_MINUTE, and 0 turns it off", () => {
    expect(ingestRateLimiterFromEnv({})?.ratePerMinute).toBe(120);
    expect(ingestRateLimiterFromEnv({ GPU_ROI_INGEST_RATE_PER_MINUTE: "30" })?.ratePerMinute).toBe(30);
    expect(ingestRateLimiterFromEnv({ GPU_ROI_INGEST_RATE_PER_MINUTE: "0" })).toBeUndefined();
    expect(() => ingestRateLimiterFromEnv({ GPU_ROI_INGEST_RATE_PER_MINUTE: "lots" })).toThrow(/GPU_ROI_INGEST_RATE_PER_MINUTE/);
  });
});

describe.each(kinds)("security on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL security suite: ${skipReason}`);
  let db: TestDatabase;
  let tokenA: string;
  let tokenB: string;
  let context: IngestHandlerContext;

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
    tokenA = (await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-a", nowMs: T0_MS })).token;
    tokenB = (await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-b", nowMs: T0_MS })).token;
    context = { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 20, nowMs: () => NOW_MS };
    expect((await handleIngestRequest(ingestRequest(makeBatch(), tokenA), context)).status).toBe(200);
  });
  afterAll(async () => {
    await db?.dispose();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.skipIf(skipReason)("keeps only a node token's SHA-256 and a short prefix, and looks the token up by its hash", async () => {
    const rows = await db.sql.query<Record<string, unknown>>(`SELECT * FROM node_token`);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(tokenA);
    expect(stored).not.toContain(tokenA.slice(0, 20));
    expect(rows.map((row) => row.token_hash)).toContain(createHash("sha256").update(tokenA).digest("hex"));

    // The query carries the hash, never the token itself.
    const params: unknown[] = [];
    const spying = { query: async (sql: string, values: unknown[] = []) => (params.push(...values), db.sql.query(sql, values as never)) } as unknown as SqlDatabase;
    expect(await authenticateNodeToken(spying, tokenA)).toMatchObject({ hostname: "node-a" });
    expect(params).toEqual([createHash("sha256").update(tokenA).digest("hex")]);

    // The stored hash is no credential, and a token one character off is unknown.
    const hash = String(rows[0].token_hash);
    expect(await authenticateNodeToken(db.sql, hash)).toBeNull();
    expect(await authenticateNodeToken(db.sql, `groi_${hash}`)).toBeNull();
    expect(await authenticateNodeToken(db.sql, tokenA.slice(0, -1) + (tokenA.endsWith("A") ? "B" : "A"))).toBeNull();
  });

  it.skipIf(skipReason)("takes the node from the token: a batch claiming another node is refused and that node is untouched", async () => {
    const before = await snapshot(db);
    // Token B, body saying node-a, with node-a's GPUs and a window node-a has not sent.
    const claim = makeBatch({ batchId: "99999999-0000-4000-8000-000000000001", node: { hostname: "node-a", labels: { pool: "stolen" } } });
    claim.gpuWindows = claim.gpuWindows.map((w) => ({ ...w, startMs: w.startMs + MINUTE_MS, endMs: w.endMs + MINUTE_MS }));
    const refused = await handleIngestRequest(ingestRequest(claim, tokenB), context);
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.field).toBe("node.hostname");
    // Token B, its own hostname, node-a's GPU uuids.
    const steal = { ...claim, batchId: "99999999-0000-4000-8000-000000000002", node: { hostname: "node-b" } };
    const stolen = await handleIngestRequest(ingestRequest(steal, tokenB), context);
    expect(stolen.status).toBe(403);
    expect((await stolen.json()).error.field).toBe("gpus[0].uuid");
    expect(await snapshot(db)).toBe(before);

    // Token B with its own GPUs is stored under node-b, whatever else the body says.
    const own = makeBatch({
      batchId: "99999999-0000-4000-8000-000000000003",
      node: { hostname: "node-b" },
      gpus: makeBatch().gpus.map((gpu) => ({ ...gpu, uuid: gpu.uuid.replace("aaaa", "bbbb") })),
      gpuWindows: makeBatch().gpuWindows.map((w) => ({ ...w, gpuUuid: w.gpuUuid.replace("aaaa", "bbbb") })),
      jobWindows: [],
    });
    expect((await handleIngestRequest(ingestRequest(own, tokenB), context)).status).toBe(200);
    const owners = await db.sql.query<{ uuid: string; hostname: string }>(`SELECT g.uuid, n.hostname FROM gpu g JOIN node n ON n.id = g.node_id ORDER BY g.uuid`);
    expect(owners).toEqual([
      { uuid: "GPU-aaaa-0", hostname: "node-a" },
      { uuid: "GPU-aaaa-1", hostname: "node-a" },
      { uuid: "GPU-bbbb-0", hostname: "node-b" },
      { uuid: "GPU-bbbb-1", hostname: "node-b" },
    ]);
    const [nodeA] = await db.sql.query<{ labels_json: string }>(`SELECT labels_json FROM node WHERE hostname = 'node-a'`);
    expect(JSON.parse(nodeA.labels_json)).toEqual({ pool: "a100" });
  });

  it.skipIf(skipReason)("refuses every admin endpoint without the admin token, with a wrong one, and when the admin API is off, changing nothing", async () => {
    const [{ id: tokenId }] = await db.sql.query<{ id: number }>(`SELECT id FROM node_token ORDER BY id LIMIT 1`);
    const before = await snapshot(db);
    let optimizerRuns = 0;
    const runRecommendations = async () => {
      optimizerRuns += 1;
      return [];
    };
    const endpoints: { name: string; call: (token: string | null, adminToken: string | undefined) => Promise<Response> }[] = [
      { name: "POST /api/v1/prices", call: (token, adminToken) => handleAddPrice(adminRequest("POST", "/api/v1/prices", token, { gpuModel: "X", costPerGpuHour: 1, effectiveFrom: "2026-11-01T00:00:00Z" }), { prisma: db.prisma, adminToken, nowMs: () => NOW_MS }) },
      { name: "POST /api/v1/node-tokens", call: (token, adminToken) => handleIssueNodeToken(adminRequest("POST", "/api/v1/node-tokens", token, { cluster: "lab", hostname: "node-z" }), { prisma: db.prisma, adminToken, nowMs: () => NOW_MS }) },
      { name: "GET /api/v1/node-tokens", call: (token, adminToken) => handleListNodeTokens(adminRequest("GET", "/api/v1/node-tokens", token), { prisma: db.prisma, adminToken }) },
      { name: "POST /api/v1/node-tokens/{id}/revoke", call: (token, adminToken) => handleRevokeNodeToken(adminRequest("POST", `/api/v1/node-tokens/${tokenId}/revoke`, token, {}), String(tokenId), { prisma: db.prisma, adminToken, nowMs: () => NOW_MS }) },
      { name: "POST /api/v1/recommendations/run", call: (token, adminToken) => handleRunRecommendations(adminRequest("POST", "/api/v1/recommendations/run", token, {}), { db: db.sql, prisma: db.prisma, adminToken, nowMs: () => NOW_MS, runRecommendations, scope: ALL_DATA }) },
      { name: "POST /api/v1/recommendations/{id}/state", call: (token, adminToken) => handleSetRecommendationState(adminRequest("POST", "/api/v1/recommendations/1/state", token, { state: "dismissed" }), "1", { db: db.sql, prisma: db.prisma, adminToken, nowMs: () => NOW_MS, runRecommendations, scope: ALL_DATA }) },
    ];
    for (const endpoint of endpoints) {
      const statuses = [
        (await endpoint.call(null, ADMIN_TOKEN)).status,
        (await endpoint.call("wrong-token", ADMIN_TOKEN)).status,
        (await endpoint.call(tokenA, ADMIN_TOKEN)).status, // a node token is no admin token
        (await endpoint.call(ADMIN_TOKEN, undefined)).status, // the admin API is off
      ];
      expect({ endpoint: endpoint.name, statuses }).toEqual({ endpoint: endpoint.name, statuses: [401, 401, 401, 403] });
    }
    expect(await snapshot(db)).toBe(before);
    expect(optimizerRuns).toBe(0);
    // The listing works with the token: the refusals above were about the token.
    expect((await endpoints[2].call(ADMIN_TOKEN, ADMIN_TOKEN)).status).toBe(200);
  });

  it.skipIf(skipReason)("limits ingest per token: 429 with Retry-After past the limit, other tokens unaffected, nothing read or stored", async () => {
    let nowMs = NOW_MS;
    const limited: IngestHandlerContext = { ...context, nowMs: () => nowMs, rateLimiter: new IngestRateLimiter(3) };
    const batch = (n: number) => makeBatch({ batchId: `77777777-0000-4000-8000-00000000000${n}`, jobWindows: [] });
    for (let n = 1; n <= 3; n++) expect((await handleIngestRequest(ingestRequest(batch(n), tokenA), limited)).status).toBe(200);
    const before = await snapshot(db);
    const refused = await handleIngestRequest(ingestRequest(batch(4), tokenA), limited);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("20");
    expect(await refused.json()).toEqual({
      error: { status: 429, field: "authorization", message: "rate limit: more than 3 ingest requests per minute for this node token; retry after 20 s" },
    });
    expect(await snapshot(db)).toBe(before);
    expect(await limited.metrics.registry.getSingleMetricAsString("gpu_roi_ingest_batches_total")).toContain('gpu_roi_ingest_batches_total{result="rate_limited"} 1');
    // Another token has its own bucket; an unknown token is refused before it costs a bucket.
    expect((await handleIngestRequest(ingestRequest({ ...batch(5), node: { hostname: "node-b" } }, tokenB), limited)).status).not.toBe(429);
    expect((await handleIngestRequest(ingestRequest(batch(5), "groi_unknown"), limited)).status).toBe(401);
    expect(limited.rateLimiter!.trackedTokens).toBe(2);
    // Twenty seconds later one request is allowed again.
    nowMs += 20_000;
    expect((await handleIngestRequest(ingestRequest(batch(4), tokenA), limited)).status).toBe(200);
    expect((await handleIngestRequest(ingestRequest(batch(6), tokenA), limited)).status).toBe(429);
  });

  it.skipIf(skipReason)("writes no token and no token hash to the logs, on ingest and admin paths, failures included", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map((arg) => (arg instanceof Error ? `${arg.message} ${arg.stack}` : typeof arg === "string" ? arg : JSON.stringify(arg))).join(" "));
    for (const method of ["log", "info", "warn", "error", "debug"] as const) vi.spyOn(console, method).mockImplementation(capture);
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));

    const issued = await (await handleIssueNodeToken(adminRequest("POST", "/api/v1/node-tokens", ADMIN_TOKEN, { cluster: "lab", hostname: "node-log" }), { prisma: db.prisma, adminToken: ADMIN_TOKEN, nowMs: () => NOW_MS })).json();
    const secrets = [issued.token as string, tokenA, ADMIN_TOKEN];
    const logBatch = makeBatch({ batchId: "66666666-0000-4000-8000-000000000001", node: { hostname: "node-log" }, gpus: [{ ...makeBatch().gpus[0], uuid: "GPU-log-0" }], gpuWindows: [{ ...makeBatch().gpuWindows[0], gpuUuid: "GPU-log-0" }], jobWindows: [] });
    expect((await handleIngestRequest(ingestRequest(logBatch, issued.token), context)).status).toBe(200);
    expect((await handleIngestRequest(ingestRequest(logBatch, `${issued.token}x`), context)).status).toBe(401);
    expect((await handleIngestRequest(ingestRequest({ ...logBatch, node: { hostname: "node-a" } }, issued.token), context)).status).toBe(403);
    expect((await handleIngestRequest(ingestRequest({ ...logBatch, batchId: "nope" }, issued.token), context)).status).toBe(400);
    // An unexpected failure (the 500 path logs the error).
    const failing = new Proxy(db.sql, {
      get(target, property) {
        if (property === "transaction") return async () => Promise.reject(new Error("simulated storage failure"));
        const value = Reflect.get(target, property) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    expect((await handleIngestRequest(ingestRequest({ ...logBatch, batchId: "66666666-0000-4000-8000-000000000002" }, issued.token), { ...context, db: failing })).status).toBe(500);
    const limiter = new IngestRateLimiter(1);
    await handleIngestRequest(ingestRequest(logBatch, issued.token), { ...context, rateLimiter: limiter });
    expect((await handleIngestRequest(ingestRequest(logBatch, issued.token), { ...context, rateLimiter: limiter })).status).toBe(429);
    const [{ id }] = await db.sql.query<{ id: number }>(`SELECT t.id FROM node_token t JOIN node n ON n.id = t.node_id WHERE n.hostname = 'node-log'`);
    expect((await handleRevokeNodeToken(adminRequest("POST", `/api/v1/node-tokens/${id}/revoke`, "wrong", {}), String(id), { prisma: db.prisma, adminToken: ADMIN_TOKEN, nowMs: () => NOW_MS })).status).toBe(401);
    expect((await handleRevokeNodeToken(adminRequest("POST", `/api/v1/node-tokens/${id}/revoke`, ADMIN_TOKEN, {}), String(id), { prisma: db.prisma, adminToken: ADMIN_TOKEN, nowMs: () => NOW_MS })).status).toBe(200);
    expect((await handleIngestRequest(ingestRequest(logBatch, issued.token), context)).status).toBe(401);
    stdout.mockRestore();
    stderr.mockRestore();

    // The failure was logged (so the capture works), and no secret or hash is in it.
    expect(lines.join("\n")).toContain("simulated storage failure");
    const output = lines.join("\n");
    for (const secret of secrets) {
      expect(output).not.toContain(secret);
      expect(output).not.toContain(createHash("sha256").update(secret).digest("hex"));
    }
  });
});
