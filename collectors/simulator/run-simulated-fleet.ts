/**
 * Drives the simulated fleet through the real collector path: snapshots are
 * windowed by WindowAggregator, work counters by WorkWindowAggregator, and sent
 * by sendBatch to POST /api/v1/ingest, one batch per node, exactly as a
 * collector on a real node does.
 */
import { randomUUID } from "node:crypto";
import type { IngestBatch } from "../../server/wire/ingest-v1";
import { INGEST_SCHEMA_VERSION } from "../../server/wire/ingest-v1";
import type { HttpFetch } from "../http-fetch";
import { sendBatch } from "../send";
import { WindowAggregator, type ClosedWindows } from "../window";
import { withWorkWindows, WorkWindowAggregator, type ClosedWorkWindows } from "../work-counters/work-windows";
import type { FleetSimulator, SimulatedNode } from "./fleet-simulator";

const COLLECTOR_VERSION = "0.1.0";

export interface FleetTarget {
  simulator: FleetSimulator;
  serverUrl: string;
  /** Node token by hostname. */
  tokens: ReadonlyMap<string, string>;
  /** For tests: how requests reach the server (default: global fetch, whose connection pool suits a whole simulated fleet). */
  fetchImpl?: HttpFetch;
}

/** One node's windowing: usage readings and work counters. */
interface NodeAggregators {
  usage: WindowAggregator;
  work: WorkWindowAggregator;
}

function aggregatorsFor(nodes: readonly SimulatedNode[], windowMs: number): NodeAggregators[] {
  return nodes.map(() => ({ usage: new WindowAggregator(windowMs), work: new WorkWindowAggregator(windowMs) }));
}

function sample(simulator: FleetSimulator, node: SimulatedNode, aggregators: NodeAggregators, atMs: number): void {
  aggregators.usage.add(simulator.snapshot(node.index, atMs));
  for (const counter of simulator.workCounters(node.index, atMs)) aggregators.work.observe(counter.key, counter.series, { atMs, value: counter.value });
}

function batchFor(node: SimulatedNode, windows: ClosedWindows, work: ClosedWorkWindows): IngestBatch {
  return {
    schemaVersion: INGEST_SCHEMA_VERSION,
    batchId: randomUUID(),
    node: { hostname: node.hostname, labels: { role: node.role, pool: node.gpus[0].model.shortName } },
    collector: { version: COLLECTOR_VERSION, source: "simulator", failedPolls: 0 },
    ...withWorkWindows(windows, work),
  };
}

/** Flushes a node's windows ending by untilMs and sends them; returns the usage windows sent. */
async function sendFor(target: FleetTarget, node: SimulatedNode, aggregators: NodeAggregators, untilMs: number): Promise<number> {
  const windows = aggregators.usage.flush(untilMs);
  const work = aggregators.work.flush(untilMs);
  if (windows.gpuWindows.length === 0 && windows.jobWindows.length === 0 && work.workWindows.length === 0) return 0;
  const token = target.tokens.get(node.hostname);
  if (!token) throw new Error(`simulator: no node token for ${node.hostname}`);
  await sendBatch(batchFor(node, windows, work), { serverUrl: target.serverUrl, token, fetchImpl: target.fetchImpl ?? fetch });
  return windows.gpuWindows.length + windows.jobWindows.length;
}

/** Runs `work` for each item with at most `limit` in flight. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(workers);
}

export interface BackfillOptions {
  fromMs: number;
  toMs: number;
  sampleIntervalMs: number;
  windowMs: number;
  /** Simulated time each batch covers (default 1 day). */
  batchSpanMs?: number;
  concurrency?: number;
  onProgress?: (progress: { doneMs: number; totalMs: number; windowsSent: number }) => void;
}

/**
 * Simulates [fromMs, toMs) as fast as the server takes it. fromMs and toMs must be
 * multiples of windowMs so no window is cut short.
 */
export async function backfillFleet(target: FleetTarget, options: BackfillOptions): Promise<number> {
  const { fromMs, toMs, sampleIntervalMs, windowMs } = options;
  if (fromMs % windowMs !== 0 || toMs % windowMs !== 0) throw new Error("backfill: fromMs and toMs must be multiples of windowMs");
  const batchSpanMs = Math.max(windowMs, Math.floor((options.batchSpanMs ?? 86_400_000) / windowMs) * windowMs);
  const nodes = target.simulator.nodes;
  const aggregators = aggregatorsFor(nodes, windowMs);
  let windowsSent = 0;
  for (let chunkStartMs = fromMs; chunkStartMs < toMs; chunkStartMs += batchSpanMs) {
    const chunkEndMs = Math.min(toMs, chunkStartMs + batchSpanMs);
    await forEachLimited(nodes, options.concurrency ?? 4, async (node) => {
      for (let atMs = chunkStartMs; atMs < chunkEndMs; atMs += sampleIntervalMs) {
        sample(target.simulator, node, aggregators[node.index], atMs);
      }
      const sent = await sendFor(target, node, aggregators[node.index], chunkEndMs);
      windowsSent += sent;
    });
    options.onProgress?.({ doneMs: chunkEndMs - fromMs, totalMs: toMs - fromMs, windowsSent });
  }
  return windowsSent;
}

export interface LiveOptions {
  /** First instant to simulate; the time up to now is caught up at once. */
  fromMs: number;
  sampleIntervalMs: number;
  windowMs: number;
  now: () => number;
  onError?: (error: Error) => void;
  onWindowsSent?: (count: number) => void;
}

/**
 * Streams the fleet live: a snapshot of every node each sample interval, and a
 * batch per node as each window closes. Returns a function that stops it.
 */
export function streamFleetLive(target: FleetTarget, options: LiveOptions): () => void {
  const nodes = target.simulator.nodes;
  const aggregators = aggregatorsFor(nodes, options.windowMs);
  let nextSampleMs = Math.ceil(options.fromMs / options.sampleIntervalMs) * options.sampleIntervalMs;
  let stopped = false;
  let busy = false;

  const tick = async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      const nowMs = options.now();
      while (nextSampleMs <= nowMs) {
        for (const node of nodes) sample(target.simulator, node, aggregators[node.index], nextSampleMs);
        nextSampleMs += options.sampleIntervalMs;
      }
      let sent = 0;
      await forEachLimited(nodes, 4, async (node) => {
        const sentForNode = await sendFor(target, node, aggregators[node.index], nowMs);
        sent += sentForNode;
      });
      if (sent > 0) options.onWindowsSent?.(sent);
    } catch (error) {
      options.onError?.(error as Error);
    } finally {
      busy = false;
    }
  };

  void tick();
  const timer = setInterval(() => void tick(), options.sampleIntervalMs);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
