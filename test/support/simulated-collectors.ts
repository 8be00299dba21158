/**
 * Several collectors in this process, each the real collector code (agent,
 * window, durable spool, spool sender) on one simulated node, for fault tests.
 * Every batch an agent closes is recorded: that list is the simulated truth.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CollectorAgent } from "../../collectors/agent";
import { createProcReader, NodeAttributor } from "../../collectors/attribution";
import { simulatedNodeSource } from "../../collectors/sources/simulated-node";
import { Spool, SpoolSender } from "../../collectors/spool";
import type { AppPrismaClient } from "../../server/db/prisma-client";
import { issueNodeToken } from "../../server/services/node-tokens";
import type { IngestBatch } from "../../server/wire/ingest-v1";

export interface SimulatedCollectorsOptions {
  nodeCount: number;
  gpusPerNode?: number;
  /** Where the senders post; a function gives each node its own URL. */
  serverUrl: string | ((nodeIndex: number) => string);
  /** How requests leave the collector (default: global fetch): a test can play a load balancer here. */
  fetchImpl?: typeof fetch;
  intervalMs?: number;
  windowMs?: number;
  seed?: number;
}

export interface SimulatedCollectors {
  /** Every batch the agents closed (spooled), in order. */
  readonly batches: IngestBatch[];
  readonly spools: readonly Spool[];
  readonly senders: readonly SpoolSender[];
  /** Batches waiting in all spools. */
  spooledDepth(): number;
  /** Sends that failed, all collectors together. */
  failedSends(): number;
  /** Stops polling (closing the window in progress into the spool) and waits until every spool is empty. */
  finish(drainTimeoutMs: number): Promise<boolean>;
  /** Stops everything and removes the spool directories (safe to call twice). */
  dispose(): Promise<void>;
}

/** Registers a node token for each simulated node (cluster "sim"), then starts its collector. */
export async function startSimulatedCollectors(prisma: AppPrismaClient, options: SimulatedCollectorsOptions): Promise<SimulatedCollectors> {
  const batches: IngestBatch[] = [];
  const agents: CollectorAgent[] = [];
  const spools: Spool[] = [];
  const senders: SpoolSender[] = [];
  const dirs: string[] = [];
  for (let nodeIndex = 0; nodeIndex < options.nodeCount; nodeIndex++) {
    const source = simulatedNodeSource({ fleet: { seed: options.seed ?? 7, gpusPerNode: options.gpusPerNode ?? 4 }, nodeIndex });
    const { token } = await issueNodeToken(prisma, { clusterName: "sim", hostname: source.hostname, nowMs: Date.now() });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-roi-spool-"));
    dirs.push(dir);
    const spool = new Spool(dir);
    const serverUrl = typeof options.serverUrl === "function" ? options.serverUrl(nodeIndex) : options.serverUrl;
    const sender = new SpoolSender(spool, { serverUrl, token, fetchImpl: options.fetchImpl, initialBackoffMs: 50, maxBackoffMs: 400, requestTimeoutMs: 5000 });
    const agent = new CollectorAgent({
      source,
      attributor: new NodeAttributor(createProcReader(), source.hostname),
      hostname: source.hostname,
      sink: spool,
      intervalMs: options.intervalMs ?? 100,
      windowMs: options.windowMs ?? 1000,
      onBatch: (batch) => batches.push(batch),
    });
    spools.push(spool);
    senders.push(sender);
    agents.push(agent);
  }
  for (const sender of senders) sender.start();
  for (const agent of agents) agent.start();
  let disposed = false;
  return {
    batches,
    spools,
    senders,
    spooledDepth: () => spools.reduce((sum, spool) => sum + spool.depth, 0),
    failedSends: () => senders.reduce((sum, sender) => sum + sender.failedCount, 0),
    async finish(drainTimeoutMs: number) {
      await Promise.all(agents.map((agent) => agent.stop({ flush: true })));
      const drained = await Promise.all(senders.map((sender) => sender.drain(drainTimeoutMs)));
      return drained.every(Boolean);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await Promise.all(agents.map((agent) => agent.stop({ flush: false }).catch(() => undefined)));
      await Promise.all(senders.map((sender) => sender.stop()));
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
