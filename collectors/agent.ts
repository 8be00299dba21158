/**
 * The collector agent on one node: polls a GPU source every intervalMs,
 * attributes processes to jobs, folds the readings into windows of windowMs,
 * and when a window closes hands an ingest batch to the sink (the spool, which
 * sends it). Time comes from the injected `now()`; tests drive `tick()` directly.
 *
 * One tick:
 *  1. poll the source (bounded by pollTimeoutMs); a failure or timeout is counted
 *     (failedPolls, reported with the next batch) and logged, and adds no sample;
 *  2. attribute the poll and add it to the window aggregator, and the poll's idle
 *     allocations (GPUs given to a job but without its processes) to their own tally;
 *  3. close every window that ended by now() and pass it on as one batch.
 */
import { randomUUID } from "node:crypto";
import { hostname as osHostname } from "node:os";
import type { IngestBatch, WireJobWindow } from "../server/wire/ingest-v1";
import { INGEST_SCHEMA_VERSION } from "../server/wire/ingest-v1";
import { createProcReader, NodeAttributor, type AttributedPoll, type AttributionConfig, type GpuAllocation } from "./attribution";
import { CollectorMetrics, serveMetrics } from "./collector-metrics";
import { createMetadataEnricher, NO_METADATA, type MetadataConfig } from "./metadata/metadata-config";
import type { GpuReading } from "./readings";
import type { DcgmGpuDetails } from "./sources/dcgm-exporter";
import type { ParsedGpu } from "./sources/parse-values";
import { amdSmiSource, rocmSmiSource } from "./sources/run-amd-smi";
import { hlSmiSource } from "./sources/run-hl-smi";
import { nvidiaSmiSource } from "./sources/run-nvidia-smi";
import { dcgmExporterSource } from "./sources/scrape-dcgm";
import { simulatedNodeSource } from "./sources/simulated-node";
import { Spool, SpoolSender } from "./spool";
import { jobDescriptor, WindowAggregator, type ClosedWindows } from "./window";
import { WorkCollector, type AttributedCounter } from "./work-counters/work-collector";
import { withWorkWindows } from "./work-counters/work-windows";

export const COLLECTOR_VERSION = "0.1.0";
export const DEFAULT_INTERVAL_MS = 10_000;
export const DEFAULT_WINDOW_MS = 60_000;

export type SourceName = "nvidia-smi" | "dcgm-exporter" | "simulator" | "amd-smi" | "rocm-smi" | "hl-smi";

/** What a source returns: raw GPUs to attribute, or readings already attributed (simulator). */
export type SourcePoll =
  | { kind: "parsed"; gpus: ParsedGpu[]; dcgmDetails?: DcgmGpuDetails[] }
  | { kind: "readings"; gpus: GpuReading[]; work?: AttributedCounter[] };

export interface GpuSource {
  name: SourceName;
  /** Reads the node's GPUs; `atMs` is the agent's clock (only the simulator uses it). */
  poll(atMs: number, signal?: AbortSignal): Promise<SourcePoll>;
}

/** Where closed windows go: the spool (which writes durably, then sends). */
export interface BatchSink {
  put(batch: IngestBatch): unknown;
}

export interface AgentOptions {
  source: GpuSource;
  attributor: NodeAttributor;
  hostname: string;
  nodeLabels?: Record<string, string>;
  sink: BatchSink;
  intervalMs?: number;
  windowMs?: number;
  /** Limit on one poll (default: the interval, at most 30 s). */
  pollTimeoutMs?: number;
  now?: () => number;
  metrics?: CollectorMetrics;
  log?: (line: string) => void;
  /** Called with each batch after the sink took it. */
  onBatch?: (batch: IngestBatch) => void;
  /** Work counters (inference servers, report files); none when absent. */
  work?: WorkCollector;
  /** Adds Kubernetes/Slurm metadata (team, project...) to attributed jobs; none when absent. */
  enricher?: { enrich(poll: AttributedPoll, signal?: AbortSignal): Promise<AttributedPoll> } | null;
}

/**
 * Counts, per window, the polls in which a GPU was allocated to a job that had
 * no process on it; they become job windows with processCount 0 unless the job
 * also ran a process on that GPU in the window (then the aggregator's window,
 * with its sample count, stands).
 */
class IdleAllocationTally {
  private readonly open = new Map<number, Map<string, { allocation: GpuAllocation; samples: number }>>();

  constructor(private readonly windowMs: number) {}

  add(atMs: number, allocations: readonly GpuAllocation[]): void {
    if (allocations.length === 0) return;
    const startMs = Math.floor(atMs / this.windowMs) * this.windowMs;
    let window = this.open.get(startMs);
    if (!window) this.open.set(startMs, (window = new Map()));
    for (const allocation of allocations) {
      const key = `${allocation.gpuUuid}\0${allocation.job.externalId}`;
      const entry = window.get(key) ?? { allocation, samples: 0 };
      entry.samples += 1;
      window.set(key, entry);
    }
  }

  /** Adds the idle job windows of every window ending by untilMs to `closed`. */
  flushInto(closed: ClosedWindows, untilMs: number): void {
    const seen = new Set(closed.jobWindows.map((window) => `${window.gpuUuid}\0${window.jobExternalId}\0${window.startMs}`));
    const gpus = new Set(closed.gpus.map((gpu) => gpu.uuid));
    const jobs = new Set(closed.jobs.map((job) => job.externalId));
    for (const [startMs, window] of [...this.open].sort((a, b) => a[0] - b[0])) {
      if (startMs + this.windowMs > untilMs) continue;
      this.open.delete(startMs);
      for (const { allocation, samples } of window.values()) {
        if (seen.has(`${allocation.gpuUuid}\0${allocation.job.externalId}\0${startMs}`) || !gpus.has(allocation.gpuUuid)) continue;
        const jobWindow: WireJobWindow = {
          gpuUuid: allocation.gpuUuid,
          jobExternalId: allocation.job.externalId,
          startMs,
          endMs: startMs + this.windowMs,
          sampleCount: samples,
          processCount: 0,
          utilizationAvgPct: null,
          memoryUsedAvgMiB: null,
          memoryUsedMaxMiB: null,
        };
        closed.jobWindows.push(jobWindow);
        if (!jobs.has(allocation.job.externalId)) {
          jobs.add(allocation.job.externalId);
          closed.jobs.push(jobDescriptor(allocation.job));
        }
      }
    }
  }
}

export class CollectorAgent {
  readonly intervalMs: number;
  readonly windowMs: number;
  private readonly aggregator: WindowAggregator;
  private readonly idle: IdleAllocationTally;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Failed polls since the last batch. */
  private failedPolls = 0;
  pollsFailedTotal = 0;
  pollsSucceededTotal = 0;
  batchesBuilt = 0;

  constructor(private readonly options: AgentOptions) {
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    if (this.windowMs % this.intervalMs !== 0) throw new Error(`window (${this.windowMs} ms) must be a multiple of the interval (${this.intervalMs} ms)`);
    this.aggregator = new WindowAggregator(this.windowMs);
    this.idle = new IdleAllocationTally(this.windowMs);
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
  }

  /** One poll, then closes the windows that ended. */
  async tick(): Promise<void> {
    await this.poll();
    this.closeWindows(this.now());
  }

  /** Polls the source once and adds the readings to the open window. */
  async poll(): Promise<void> {
    const { source, metrics } = this.options;
    const atMs = this.now();
    const started = performance.now();
    const controller = new AbortController();
    const timeoutMs = this.options.pollTimeoutMs ?? Math.min(this.intervalMs, 30_000);
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        source.poll(atMs, controller.signal),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            controller.abort();
            reject(new Error(`poll of ${source.name} timed out after ${timeoutMs} ms`));
          }, timeoutMs);
        }),
      ]);
      let attributed: AttributedPoll =
        result.kind === "readings"
          ? { gpus: result.gpus, idleAllocations: [] }
          : this.options.attributor.attributePoll(result.gpus, result.dcgmDetails ?? []);
      if (result.kind === "parsed" && this.options.enricher) attributed = await this.options.enricher.enrich(attributed, controller.signal);
      this.aggregator.add({ atMs, gpus: attributed.gpus });
      this.idle.add(atMs, attributed.idleAllocations);
      if (result.kind === "readings" && result.work) this.options.work?.observe(atMs, result.work);
      // Readings a source attributed itself (the simulator) have no processes in /proc to look up.
      await this.collectWork(atMs, result.kind === "parsed" ? attributed.gpus : [], controller.signal);
      this.pollsSucceededTotal += 1;
      metrics?.pollSuccess.set(1);
      metrics?.setReadings(this.options.hostname, attributed.gpus);
    } catch (error) {
      this.failedPolls += 1;
      this.pollsFailedTotal += 1;
      metrics?.pollSuccess.set(0);
      metrics?.pollsFailed.inc();
      this.log(`poll: ${source.name} failed (${(error as Error).message}); ${this.pollsFailedTotal} failed poll(s) since start`);
    } finally {
      clearTimeout(timer);
      metrics?.pollDuration.observe((performance.now() - started) / 1000);
    }
  }

  /** Work is read after the GPUs, at the same instant; its failures never fail the GPU poll. */
  private async collectWork(atMs: number, gpus: readonly GpuReading[], signal: AbortSignal): Promise<void> {
    try {
      await this.options.work?.collect(atMs, gpus, signal);
    } catch (error) {
      this.log(`work: ${(error as Error).message}`);
    }
  }

  /** Builds a batch of the windows that ended by `untilMs`, if any, and hands it to the sink. */
  closeWindows(untilMs: number): IngestBatch | null {
    const closed = this.aggregator.flush(untilMs);
    this.idle.flushInto(closed, untilMs);
    const work = this.options.work?.flush(untilMs) ?? { workWindows: [], jobs: [] };
    if (closed.gpuWindows.length === 0 && closed.jobWindows.length === 0 && work.workWindows.length === 0) return null;
    const batch: IngestBatch = {
      schemaVersion: INGEST_SCHEMA_VERSION,
      batchId: randomUUID(),
      node: { hostname: this.options.hostname, ...(this.options.nodeLabels ? { labels: this.options.nodeLabels } : {}) },
      collector: { version: COLLECTOR_VERSION, source: this.options.source.name, failedPolls: this.failedPolls },
      ...withWorkWindows(closed, work),
    };
    this.options.sink.put(batch);
    this.failedPolls = 0;
    this.batchesBuilt += 1;
    this.options.onBatch?.(batch);
    return batch;
  }

  /** Polls on the interval grid (multiples of intervalMs since the epoch) until stop(). */
  start(): void {
    const schedule = () => {
      if (this.stopped) return;
      const nowMs = this.now();
      const delayMs = Math.ceil((nowMs + 1) / this.intervalMs) * this.intervalMs - nowMs;
      this.timer = setTimeout(() => {
        this.running = this.tick()
          .catch((error: Error) => this.log(`agent: ${error.message}`))
          .finally(() => {
            this.running = null;
            schedule();
          });
      }, delayMs);
    };
    this.stopped = false;
    schedule();
  }

  /**
   * Stops polling. With flush, the windows still open are closed early and handed
   * on: their sampleCount says how many polls they hold.
   */
  async stop(options: { flush: boolean }): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    if (options.flush) this.closeWindows(Number.MAX_SAFE_INTEGER);
  }
}

/** Everything `collector run` needs, after validation. */
export interface CollectorConfig {
  serverUrl: string;
  token: string;
  source: { kind: "nvidia-smi" } | { kind: "dcgm"; url: string } | { kind: "simulator" } | { kind: "amd-smi" } | { kind: "rocm-smi" } | { kind: "hl-smi" };
  intervalMs: number;
  windowMs: number;
  spoolDir: string;
  spoolMaxBytes: number;
  /** 0: no metrics endpoint. */
  metricsPort: number;
  /** null: the simulator's node name, or this machine's hostname. */
  hostname: string | null;
  procRoot: string;
  /** How long shutdown waits for the server to take what is spooled (ms). */
  shutdownGraceMs: number;
  /** Which process variables name a job's team, project, model... (default: GPU_ROI_*). */
  attribution?: AttributionConfig;
  /** Inference servers to scrape for work counters: /metrics URLs, and a PodList file of annotated pods. */
  work: { endpoints: string[]; podListFile: string | null };
  /** Kubernetes/Slurm metadata and mapping rules (default: none). */
  metadata?: MetadataConfig;
}

export interface RunningCollector {
  agent: CollectorAgent;
  spool: Spool;
  sender: SpoolSender;
  metricsPort: number | null;
  /** Stops polling, flushes open windows to the spool, gives the sender shutdownGraceMs, then stops. */
  stop(): Promise<void>;
}

/** The configured GPU source, and the node name to report (the simulator's own, unless one is configured). */
export function createSource(config: Pick<CollectorConfig, "source" | "hostname">): { source: GpuSource; hostname: string } {
  if (config.source.kind === "simulator") {
    const simulated = simulatedNodeSource();
    return { source: simulated, hostname: config.hostname ?? simulated.hostname };
  }
  const hostname = config.hostname ?? osHostname();
  switch (config.source.kind) {
    case "dcgm":
      return { source: dcgmExporterSource({ url: config.source.url }), hostname };
    case "amd-smi":
      return { source: amdSmiSource(), hostname };
    case "rocm-smi":
      return { source: rocmSmiSource(), hostname };
    case "hl-smi":
      return { source: hlSmiSource(), hostname };
    default:
      return { source: nvidiaSmiSource(), hostname };
  }
}

/** What `collector poll` prints: one poll of the source, attributed as `collector run` would. */
export interface OnePoll {
  atMs: number;
  hostname: string;
  source: SourceName;
  gpus: GpuReading[];
}

/**
 * Polls the source once and attributes the readings, without windows, spool or
 * server: a quick check on a node that the collector reads its GPUs.
 */
export async function pollOnce(
  config: Pick<CollectorConfig, "source" | "hostname" | "procRoot" | "attribution">,
  now: () => number = Date.now,
): Promise<OnePoll> {
  const { source, hostname } = createSource(config);
  const atMs = now();
  const result = await source.poll(atMs, AbortSignal.timeout(30_000));
  const gpus =
    result.kind === "readings"
      ? result.gpus
      : new NodeAttributor(createProcReader(config.procRoot), hostname, config.attribution).attributePoll(result.gpus, result.dcgmDetails ?? []).gpus;
  return { atMs, hostname, source: source.name, gpus };
}

/** Wires source, attribution, agent, spool, sender and metrics together and starts them. */
export async function startCollector(config: CollectorConfig, deps: { log: (line: string) => void; now?: () => number }): Promise<RunningCollector> {
  const { log } = deps;
  // First, so that bad mapping rules stop the start before anything is created.
  // A poll waits for metadata at most a fifth of its interval (2 s at most); slower answers serve the next poll.
  const enricher = createMetadataEnricher(config.metadata ?? NO_METADATA, {
    now: deps.now ?? Date.now,
    log,
    defaultKind: config.attribution?.defaultKind,
    maxWaitMs: Math.min(2_000, config.intervalMs / 5),
  });
  const { source, hostname } = createSource(config);
  // The metrics read the spool lazily, so they can be created first.
  let spoolRef: Spool | null = null;
  const metrics = new CollectorMetrics(() => ({ depth: spoolRef?.depth ?? 0, bytes: spoolRef?.bytes ?? 0 }));
  const spool = new Spool(config.spoolDir, {
    maxBytes: config.spoolMaxBytes,
    log,
    events: { onDropped: (count) => metrics.batchesDropped.inc(count), onRejected: () => metrics.batchesRejected.inc() },
  });
  spoolRef = spool;
  const sender = new SpoolSender(spool, {
    serverUrl: config.serverUrl,
    token: config.token,
    log,
    events: { onSent: () => metrics.batchesSent.inc(), onSendFailed: () => metrics.batchesFailed.inc() },
  });
  const procReader = createProcReader(config.procRoot);
  const work = new WorkCollector({
    windowMs: config.windowMs,
    hostname,
    endpoints: config.work.endpoints,
    podListFile: config.work.podListFile,
    procRoot: config.procRoot,
    procReader,
    attribution: config.attribution,
    log,
  });
  const agent = new CollectorAgent({
    source,
    work,
    enricher,
    attributor: new NodeAttributor(procReader, hostname, config.attribution),
    hostname,
    sink: spool,
    intervalMs: config.intervalMs,
    windowMs: config.windowMs,
    now: deps.now,
    metrics,
    log,
    onBatch: (batch) => {
      const starts = batch.gpuWindows.map((window) => window.startMs);
      log(
        `spooled batch ${batch.batchId}: ${batch.gpuWindows.length} GPU and ${batch.jobWindows.length} job windows, starts ${JSON.stringify([...new Set(starts)])}, ${batch.collector?.failedPolls ?? 0} failed polls, ${batch.workWindows?.length ?? 0} work windows`,
      );
    },
  });
  const metricsServer = config.metricsPort > 0 ? await serveMetrics(metrics, config.metricsPort) : null;
  sender.start();
  agent.start();
  log(
    `collecting from ${source.name} as ${hostname} every ${config.intervalMs} ms, ${config.windowMs} ms windows, spool ${config.spoolDir}` +
      (metricsServer ? `, metrics on :${metricsServer.port}/metrics` : ""),
  );
  return {
    agent,
    spool,
    sender,
    metricsPort: metricsServer?.port ?? null,
    async stop() {
      await agent.stop({ flush: true });
      if (spool.depth > 0 && !(await sender.drain(config.shutdownGraceMs))) {
        log(`shutdown: ${spool.depth} batch(es) stay in ${config.spoolDir}; they are sent on the next start`);
      }
      await sender.stop();
      await metricsServer?.close();
    },
  };
}
