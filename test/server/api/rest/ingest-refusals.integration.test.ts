import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleIngestRequest } from "../../../../server/api/rest/ingest-handler";
import { createServerMetrics } from "../../../../server/services/metrics";
import { issueNodeToken, revokeNodeToken } from "../../../../server/services/node-tokens";
import { loadIngestRefusals } from "../../../../server/services/ingest-refusals";
import { makeBatch, T0_MS } from "../../../support/batches";
import { ingestRequest } from "../../../support/in-process-server";
import { databaseKinds, type TestDatabase } from "../../../support/test-databases";

const kinds = await databaseKinds();
const HOUR_MS = 3_600_000;
const NOW_MS = T0_MS + 30 * 60_000;

describe.each(kinds)("handleIngestRequest records refusals on $name", ({ create, skipReason }) => {
  if (skipReason) console.warn(`skipping PostgreSQL ingest refusal suite: ${skipReason}`);
  let db: TestDatabase;
  const send = (token: string | null, atMs: number) =>
    handleIngestRequest(ingestRequest(makeBatch(), token), { db: db.sql, metrics: createServerMetrics(), maxBodyBytes: 1 << 20, nowMs: () => atMs });

  beforeAll(async () => {
    if (skipReason) return;
    db = await create();
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.skipIf(skipReason)("counts a revoked token's requests against its node, per hour", async () => {
    const { token, nodeId } = await issueNodeToken(db.prisma, { clusterName: "lab", hostname: "node-r", nowMs: T0_MS });
    const [issued] = await db.sql.query<{ id: number }>(`SELECT id FROM node_token WHERE node_id = ?`, [nodeId]);
    await revokeNodeToken(db.prisma, Number(issued.id), T0_MS);
    expect((await send(token, NOW_MS)).status).toBe(401);
    expect((await send(token, NOW_MS + 60_000)).status).toBe(401);
    expect((await send(token, NOW_MS + HOUR_MS)).status).toBe(401);
    const refusals = (await loadIngestRefusals(db.sql, T0_MS)).filter((refusal) => refusal.subjectKey === `node:${nodeId}`);
    expect(refusals.map((r) => [r.reason, r.hourStartMs, r.count, r.lastRefusedAtMs, r.nodeId])).toEqual(
      expect.arrayContaining([
        ["revoked-token", T0_MS, 2, NOW_MS + 60_000, nodeId],
        ["revoked-token", T0_MS + HOUR_MS, 1, NOW_MS + HOUR_MS, nodeId],
      ]),
    );
    expect(refusals).toHaveLength(2);
  });

  it.skipIf(skipReason)("does not count requests without a gpu-roi token", async () => {
    const before = (await loadIngestRefusals(db.sql, T0_MS)).length;
    expect((await send(null, NOW_MS)).status).toBe(401);
    expect((await send("not-a-gpu-roi-token", NOW_MS)).status).toBe(401);
    expect(await loadIngestRefusals(db.sql, T0_MS)).toHaveLength(before);
  });
});
