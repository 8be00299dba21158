/**
 * Folds readings (every poll interval) into fixed windows per GPU and per job on
 * a GPU. Pure: time comes from the snapshots, never from a clock.
 *
 * Windows are aligned to multiples of windowMs since the epoch, so every node cuts
 * the same boundaries and a restarted collector resumes on the same grid.
 */
import type { WireGpu, WireGpuWindow, WireJob, WireJobWindow } from "../server/wire/ingest-v1";
import type { GpuReading, JobAttribution, NodeSnapshot } from "./readings";

interface RunningStat {
  count: number;
  sum: number;
  max: number;
}

function addTo(stat: RunningStat, value: number | null): void {
  if (value === null) return;
  stat.count += 1;
  stat.sum += value;
  if (value > stat.max) stat.max = value;
}

const emptyStat = (): RunningStat => ({ count: 0, sum: 0, max: -Infinity });
const average = (stat: RunningStat) => (stat.count === 0 ? null : stat.sum / stat.count);
const maximum = (stat: RunningStat) => (stat.count === 0 ? null : stat.max);

interface GpuAccumulator {
  gpu: WireGpu;
  samples: number;
  utilization: RunningStat;
  smActive: RunningStat;
  memoryUsed: RunningStat;
  power: RunningStat;
}

interface JobAccumulator {
  gpuUuid: string;
  job: JobAttribution;
  samples: number;
  processCountMax: number;
  /** Summed over the job's processes in each sample, then averaged over samples. */
  utilization: RunningStat;
  memoryUsed: RunningStat;
}

interface OpenWindow {
  startMs: number;
  endMs: number;
  gpus: Map<string, GpuAccumulator>;
  jobs: Map<string, JobAccumulator>;
}

export interface ClosedWindows {
  gpus: WireGpu[];
  jobs: WireJob[];
  gpuWindows: WireGpuWindow[];
  jobWindows: WireJobWindow[];
}

export function gpuDescriptor(reading: GpuReading): WireGpu {
  return {
    uuid: reading.uuid,
    index: reading.index,
    modelName: reading.modelName,
    memoryTotalMiB: reading.memoryTotalMiB,
    migParentUuid: reading.migParentUuid,
    migProfile: reading.migProfile,
  };
}

export function jobDescriptor(job: JobAttribution): WireJob {
  return {
    externalId: job.externalId,
    kind: job.kind,
    requestedGpus: job.requestedGpus ?? null,
    team: job.team ?? null,
    project: job.project ?? null,
    model: job.model ?? null,
    experiment: job.experiment ?? null,
    user: job.user ?? null,
    labels: job.labels,
  };
}

export class WindowAggregator {
  private readonly open = new Map<number, OpenWindow>();

  constructor(readonly windowMs: number) {
    if (!Number.isInteger(windowMs) || windowMs <= 0) throw new Error(`windowMs must be a positive integer, got ${windowMs}`);
  }

  /** Adds one poll; its readings go to the window that contains snapshot.atMs. */
  add(snapshot: NodeSnapshot): void {
    const startMs = Math.floor(snapshot.atMs / this.windowMs) * this.windowMs;
    let window = this.open.get(startMs);
    if (!window) {
      window = { startMs, endMs: startMs + this.windowMs, gpus: new Map(), jobs: new Map() };
      this.open.set(startMs, window);
    }
    for (const reading of snapshot.gpus) {
      let gpu = window.gpus.get(reading.uuid);
      if (!gpu) {
        gpu = {
          gpu: gpuDescriptor(reading),
          samples: 0,
          utilization: emptyStat(),
          smActive: emptyStat(),
          memoryUsed: emptyStat(),
          power: emptyStat(),
        };
        window.gpus.set(reading.uuid, gpu);
      }
      gpu.samples += 1;
      addTo(gpu.utilization, reading.utilizationGpuPct);
      addTo(gpu.smActive, reading.smActivePct);
      addTo(gpu.memoryUsed, reading.memoryUsedMiB);
      addTo(gpu.power, reading.powerDrawW);

      // Several processes of one job on one GPU count as one job window.
      const perJob = new Map<string, { job: JobAttribution; processes: number; memoryMiB: number | null; utilizationPct: number | null }>();
      for (const process of reading.processes) {
        const entry = perJob.get(process.job.externalId) ?? { job: process.job, processes: 0, memoryMiB: null, utilizationPct: null };
        entry.processes += 1;
        if (process.memoryUsedMiB !== null) entry.memoryMiB = (entry.memoryMiB ?? 0) + process.memoryUsedMiB;
        if (process.utilizationPct !== null) entry.utilizationPct = (entry.utilizationPct ?? 0) + process.utilizationPct;
        perJob.set(process.job.externalId, entry);
      }
      for (const [externalId, entry] of perJob) {
        const key = `${reading.uuid}\u0000${externalId}`;
        let job = window.jobs.get(key);
        if (!job) {
          job = { gpuUuid: reading.uuid, job: entry.job, samples: 0, processCountMax: 0, utilization: emptyStat(), memoryUsed: emptyStat() };
          window.jobs.set(key, job);
        }
        job.samples += 1;
        job.processCountMax = Math.max(job.processCountMax, entry.processes);
        addTo(job.utilization, entry.utilizationPct === null ? null : Math.min(100, entry.utilizationPct));
        addTo(job.memoryUsed, entry.memoryMiB);
      }
    }
  }

  /** Closes and returns every window that ends at or before `untilMs`. */
  flush(untilMs: number): ClosedWindows {
    const closed: ClosedWindows = { gpus: [], jobs: [], gpuWindows: [], jobWindows: [] };
    const gpus = new Map<string, WireGpu>();
    const jobs = new Map<string, WireJob>();
    const ready = [...this.open.values()].filter((w) => w.endMs <= untilMs).sort((a, b) => a.startMs - b.startMs);
    for (const window of ready) {
      this.open.delete(window.startMs);
      const windowSeconds = (window.endMs - window.startMs) / 1000;
      for (const gpu of window.gpus.values()) {
        gpus.set(gpu.gpu.uuid, gpu.gpu);
        const powerAvgW = average(gpu.power);
        closed.gpuWindows.push({
          gpuUuid: gpu.gpu.uuid,
          startMs: window.startMs,
          endMs: window.endMs,
          sampleCount: gpu.samples,
          utilizationAvgPct: average(gpu.utilization),
          utilizationMaxPct: maximum(gpu.utilization),
          smActiveAvgPct: average(gpu.smActive),
          memoryUsedAvgMiB: average(gpu.memoryUsed),
          memoryUsedMaxMiB: maximum(gpu.memoryUsed),
          powerAvgW,
          // Assumes the sampled power holds for the whole window.
          energyJ: powerAvgW === null ? null : powerAvgW * windowSeconds,
        });
      }
      for (const job of window.jobs.values()) {
        jobs.set(job.job.externalId, jobDescriptor(job.job));
        closed.jobWindows.push({
          gpuUuid: job.gpuUuid,
          jobExternalId: job.job.externalId,
          startMs: window.startMs,
          endMs: window.endMs,
          sampleCount: job.samples,
          processCount: job.processCountMax,
          utilizationAvgPct: average(job.utilization),
          memoryUsedAvgMiB: average(job.memoryUsed),
          memoryUsedMaxMiB: maximum(job.memoryUsed),
        });
      }
    }
    closed.gpus = [...gpus.values()];
    closed.jobs = [...jobs.values()];
    return closed;
  }
}
