/**
 * Collects the work of a node's jobs on every poll and folds it into windows:
 *  - inference servers' /metrics (configured URLs and annotated pods), each
 *    attributed to the job of the process listening on its port (or to its pod);
 *  - report files named by the environment of the GPU processes of the poll;
 *  - counters a source already attributed (the simulator).
 * A failed scrape is logged and adds no reading: the server's work is counted
 * again from its next reading (resets and gaps are handled in work-windows.ts).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { attributeProcess, DEFAULT_ATTRIBUTION_CONFIG, parseCgroup, parseEnviron, unattributedJob, type AttributionConfig, type ProcReader } from "../attribution";
import { httpFetch, type HttpFetch } from "../http-fetch";
import type { GpuReading, JobAttribution } from "../readings";
import { parseInferenceMetrics } from "./inference-metrics";
import { endpointsFromPodList, type PodEndpoint } from "./pod-annotations";
import { ProcSockets } from "./proc-net-tcp";
import { ReportFileReader } from "./report-file";
import { WorkWindowAggregator, type ClosedWorkWindows, type CounterReading, type WorkSeries } from "./work-windows";

/** A counter reading a source attributed itself (the simulator's services and training jobs). */
export interface AttributedCounter {
  /** Stable name of the counter (one per server or file and unit). */
  key: string;
  series: WorkSeries;
  value: number;
}

export interface WorkCollectorOptions {
  windowMs: number;
  hostname: string;
  /** /metrics URLs of inference servers on this node. */
  endpoints?: readonly string[];
  /** PodList JSON of this node's pods, read on every poll (see pod-annotations.ts). */
  podListFile?: string | null;
  procRoot?: string;
  procReader: ProcReader;
  /** Also names the variable of a job's report file (env.workFile). */
  attribution?: AttributionConfig;
  /** Limit on one scrape (default 5 s). */
  scrapeTimeoutMs?: number;
  fetchImpl?: HttpFetch;
  log?: (line: string) => void;
}

export class WorkCollector {
  private readonly aggregator: WorkWindowAggregator;
  private readonly sockets: ProcSockets;
  private readonly reports: ReportFileReader;
  private readonly log: (line: string) => void;
  /** Problems already logged, so a lasting one is logged once rather than every poll. */
  private readonly reported = new Set<string>();

  constructor(private readonly options: WorkCollectorOptions) {
    this.aggregator = new WorkWindowAggregator(options.windowMs);
    this.log = options.log ?? (() => undefined);
    this.sockets = new ProcSockets(options.procRoot ?? "/proc", (line) => this.logOnce(line));
    this.reports = new ReportFileReader(this.log);
  }

  private logOnce(line: string): void {
    if (this.reported.has(line)) return;
    this.reported.add(line);
    this.log(line);
  }

  /** Scrapes the endpoints and reads the report files of the poll's GPU processes, all read at `atMs`. */
  async collect(atMs: number, gpus: readonly GpuReading[], signal?: AbortSignal): Promise<void> {
    const endpoints: { url: string; job: JobAttribution | null }[] = (this.options.endpoints ?? []).map((url) => ({ url, job: null }));
    endpoints.push(...this.podEndpoints());
    await Promise.all(endpoints.map((endpoint) => this.scrape(endpoint.url, endpoint.job, atMs, signal)));
    this.readReportFiles(atMs, gpus);
  }

  /** Adds counters a source attributed itself. */
  observe(atMs: number, counters: readonly AttributedCounter[]): void {
    for (const counter of counters) this.aggregator.observe(counter.key, counter.series, { atMs, value: counter.value });
  }

  flush(untilMs: number): ClosedWorkWindows {
    return this.aggregator.flush(untilMs);
  }

  private podEndpoints(): PodEndpoint[] {
    const file = this.options.podListFile;
    if (!file) return [];
    try {
      const found = endpointsFromPodList(readFileSync(file, "utf8"), file);
      for (const warning of found.warnings) this.logOnce(`work: ${warning}`);
      return found.endpoints;
    } catch (error) {
      this.logOnce(`work: ${(error as Error).message}`);
      return [];
    }
  }

  private async scrape(url: string, podJob: JobAttribution | null, atMs: number, signal?: AbortSignal): Promise<void> {
    let text: string;
    try {
      const timeout = AbortSignal.timeout(this.options.scrapeTimeoutMs ?? 5000);
      const response = await (this.options.fetchImpl ?? httpFetch)(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      text = await response.text();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    } catch (error) {
      this.log(`work: scrape of ${url} failed (${(error as Error).message}); its work is counted from its next reading`);
      return;
    }
    let metrics: ReturnType<typeof parseInferenceMetrics>;
    try {
      metrics = parseInferenceMetrics(text, url);
    } catch (error) {
      this.log(`work: ${(error as Error).message}; reading skipped`);
      return;
    }
    if (metrics.server === null) return this.logOnce(`work: ${url} shows no vLLM, TGI, Triton or SGLang counters`);
    const job = podJob ?? this.jobListeningAt(url);
    if (job === null) return;
    for (const counter of metrics.counters) {
      if (counter.value === null) continue;
      this.aggregator.observe(`${url}\0${counter.unit}`, { job, unit: counter.unit, source: metrics.server }, { atMs, value: counter.value });
    }
  }

  /** The job of the process listening on the URL's port, or null (logged) when none is found. */
  private jobListeningAt(url: string): JobAttribution | null {
    const parsed = new URL(url);
    const port = Number(parsed.port || (parsed.protocol === "https:" ? 443 : 80));
    const pid = this.sockets.listeningPid(port);
    if (pid === null) {
      this.logOnce(`work: no process of this node listens on port ${port} (${url}); its work is not attributed`);
      return null;
    }
    const reader = this.options.procReader;
    const config = this.options.attribution ?? DEFAULT_ATTRIBUTION_CONFIG;
    const job = attributeProcess(parseEnviron(reader.readEnviron(pid) ?? ""), parseCgroup(reader.readCgroup(pid) ?? ""), config);
    return job ?? unattributedJob(this.options.hostname);
  }

  /**
   * One report file per job and path: a job's processes share their
   * environment, so the file is read once however many GPUs the job holds.
   * Paths are seen through /proc/<pid>/root (or cwd when relative), so files
   * inside containers are found.
   */
  private readReportFiles(atMs: number, gpus: readonly GpuReading[]): void {
    const variable = (this.options.attribution ?? DEFAULT_ATTRIBUTION_CONFIG).env.workFile;
    const procRoot = this.options.procRoot ?? "/proc";
    const files = new Map<string, { pid: number; job: JobAttribution; declaredPath: string }>();
    for (const gpu of gpus) {
      for (const process of gpu.processes) {
        const declaredPath = parseEnviron(this.options.procReader.readEnviron(process.pid) ?? "").get(variable)?.trim();
        if (!declaredPath) continue;
        const key = `${process.job.externalId}\0${declaredPath}`;
        if (!files.has(key)) files.set(key, { pid: process.pid, job: process.job, declaredPath });
      }
    }
    for (const [key, { pid, job, declaredPath }] of files) {
      const filePath = path.isAbsolute(declaredPath) ? path.join(procRoot, String(pid), "root", declaredPath) : path.join(procRoot, String(pid), "cwd", declaredPath);
      const displayName = `${declaredPath} (job ${job.externalId})`;
      for (const report of this.reports.read(key, filePath, displayName)) {
        const reading: CounterReading = { atMs: Math.min(report.atMs ?? atMs, atMs), value: report.count, reset: report.reset };
        this.aggregator.observe(`report\0${key}\0${report.unit}`, { job, unit: report.unit, source: "report" }, reading);
      }
    }
    this.reports.retain(new Set(files.keys()));
  }
}
