import { createHash, randomBytes } from "node:crypto";
import type { AppPrismaClient } from "../db/prisma-client";
import type { SqlExecutor } from "../db/sql-database";
import type { Principal } from "../auth/principal";
import { recordAudit, type PrismaTransaction } from "./audit-log";
import { ServiceError } from "./service-error";

/** Tokens start with this prefix so a leaked one is easy to recognise in logs and scanners. */
const TOKEN_PREFIX = "groi_";

export function hashNodeToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function generateNodeToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

export interface AuthenticatedNode {
  /** The node token's row id (never the token): rate limits are kept per token. */
  tokenId: number;
  nodeId: number;
  clusterId: number;
  hostname: string;
}

/**
 * Finds the node a bearer token belongs to. Only the token's hash is stored, and
 * the node's identity comes from the token, never from what the request says.
 */
export async function authenticateNodeToken(
  db: SqlExecutor,
  token: string,
): Promise<AuthenticatedNode | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const rows = await db.query<{ token_id: number; node_id: number; cluster_id: number; hostname: string }>(
    `SELECT t.id AS token_id, n.id AS node_id, n.cluster_id, n.hostname
       FROM node_token t JOIN node n ON n.id = t.node_id
      WHERE t.token_hash = ? AND t.revoked_at_ms IS NULL`,
    [hashNodeToken(token)],
  );
  const row = rows[0];
  return row ? { tokenId: Number(row.token_id), nodeId: row.node_id, clusterId: row.cluster_id, hostname: row.hostname } : null;
}

/**
 * Who presented a token that authenticateNodeToken refused: the node of a revoked
 * token, or only the token's first characters (as node tokens are listed) when no
 * node has it. null for something that is not a gpu-roi token at all.
 */
export async function identifyRefusedNodeToken(
  db: SqlExecutor,
  token: string,
): Promise<{ reason: "revoked-token" | "unknown-token"; nodeId: number | null; tokenPrefix: string } | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const tokenPrefix = token.slice(0, TOKEN_PREFIX.length + 6);
  const rows = await db.query<{ node_id: number }>(`SELECT node_id FROM node_token WHERE token_hash = ? AND revoked_at_ms IS NOT NULL`, [hashNodeToken(token)]);
  return rows[0] ? { reason: "revoked-token", nodeId: Number(rows[0].node_id), tokenPrefix } : { reason: "unknown-token", nodeId: null, tokenPrefix };
}

export interface IssuedNodeToken {
  nodeId: number;
  hostname: string;
  clusterName: string;
  /** Shown once: only its hash is kept. */
  token: string;
}

/**
 * Registers a node (creating its cluster and node rows when new) and issues a
 * token for it. An admin action: the caller checks the admin token and passes
 * the `actor`, which the audit log records in the same transaction.
 */
export async function issueNodeToken(
  prisma: AppPrismaClient,
  input: { clusterName: string; hostname: string; nowMs: number; actor?: Principal },
): Promise<IssuedNodeToken> {
  const token = generateNodeToken();
  const nowMs = BigInt(input.nowMs);
  // Prisma's upsert reads, then inserts: two admins (or replicas) registering the
  // same new cluster or node at once make one insert fail with a unique violation
  // (P2002). The winner's row is there by then, so one more try finds it.
  const register = () => prisma.$transaction(async (tx) => {
    const cluster = await tx.cluster.upsert({
      where: { name: input.clusterName },
      create: { name: input.clusterName, createdAtMs: nowMs },
      update: {},
    });
    const registered = await tx.node.upsert({
      where: { clusterId_hostname: { clusterId: cluster.id, hostname: input.hostname } },
      create: { clusterId: cluster.id, hostname: input.hostname, createdAtMs: nowMs },
      update: {},
    });
    const issued = await tx.nodeToken.create({
      data: {
        nodeId: registered.id,
        tokenHash: hashNodeToken(token),
        tokenPrefix: token.slice(0, TOKEN_PREFIX.length + 6),
        createdAtMs: nowMs,
      },
    });
    if (input.actor) {
      const after = await nodeTokenSummary(tx, issued.id);
      await recordAudit(tx, { atMs: input.nowMs, actor: input.actor, action: "node-token.issue", target: `node-token:${issued.id}`, before: null, after });
    }
    return registered;
  });
  let node: Awaited<ReturnType<typeof register>>;
  try {
    node = await register();
  } catch (error) {
    if ((error as { code?: unknown }).code !== "P2002") throw error;
    node = await register();
  }
  return { nodeId: node.id, hostname: input.hostname, clusterName: input.clusterName, token };
}

export interface NodeTokenSummary {
  id: number;
  clusterName: string;
  hostname: string;
  /** The token's first characters, to tell tokens apart; the token itself is never kept. */
  tokenPrefix: string;
  createdAtMs: number;
  revokedAtMs: number | null;
}

type NodeTokenRow = Awaited<ReturnType<AppPrismaClient["nodeToken"]["findMany"]>>[number] & { node: { hostname: string; cluster: { name: string } } };

function toNodeTokenSummary(row: NodeTokenRow): NodeTokenSummary {
  return {
    id: row.id,
    clusterName: row.node.cluster.name,
    hostname: row.node.hostname,
    tokenPrefix: row.tokenPrefix,
    createdAtMs: Number(row.createdAtMs),
    revokedAtMs: row.revokedAtMs === null ? null : Number(row.revokedAtMs),
  };
}

/** Every node token, newest first (admin). */
export async function listNodeTokens(prisma: AppPrismaClient): Promise<NodeTokenSummary[]> {
  const rows = await prisma.nodeToken.findMany({ include: { node: { include: { cluster: true } } }, orderBy: [{ id: "desc" }] });
  return rows.map(toNodeTokenSummary);
}

async function nodeTokenSummary(tx: Pick<PrismaTransaction, "nodeToken">, id: number): Promise<NodeTokenSummary | null> {
  const row = await tx.nodeToken.findUnique({ where: { id }, include: { node: { include: { cluster: true } } } });
  return row ? toNodeTokenSummary(row) : null;
}

/**
 * Revokes a token: its collector gets 401 from then on. Revoking twice keeps the
 * first time; only the first is a change, so only it is audited (with `actor`).
 */
export async function revokeNodeToken(prisma: AppPrismaClient, id: number, nowMs: number, actor?: Principal): Promise<NodeTokenSummary> {
  return prisma.$transaction(async (tx) => {
    const before = await nodeTokenSummary(tx, id);
    if (!before) throw new ServiceError(404, `node token ${id} not found`, "id");
    if (before.revokedAtMs !== null) return before;
    await tx.nodeToken.update({ where: { id }, data: { revokedAtMs: BigInt(nowMs) } });
    const after = (await nodeTokenSummary(tx, id))!;
    if (actor) await recordAudit(tx, { atMs: nowMs, actor, action: "node-token.revoke", target: `node-token:${id}`, before, after });
    return after;
  });
}
