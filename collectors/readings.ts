/**
 * What a source reads off a node at one instant, before windowing. Sources
 * (nvidia-smi, dcgm-exporter, the simulator) all produce this shape. null means
 * the source does not report the value (N/A, not supported), never zero.
 */
import type { JobKind } from "../server/wire/ingest-v1";

export interface JobAttribution {
  /** Slurm job id, Kubernetes pod UID, or a collector-made id. */
  externalId: string;
  kind: JobKind;
  requestedGpus?: number | null;
  team?: string | null;
  project?: string | null;
  model?: string | null;
  experiment?: string | null;
  user?: string | null;
  labels?: Record<string, string>;
}

export interface ProcessReading {
  pid: number;
  name: string;
  memoryUsedMiB: number | null;
  /** The process's own share of GPU utilization where measured (pmon, accounting). */
  utilizationPct: number | null;
  job: JobAttribution;
}

export interface GpuReading {
  uuid: string;
  index: number;
  modelName: string;
  memoryTotalMiB: number;
  migParentUuid: string | null;
  migProfile: string | null;
  utilizationGpuPct: number | null;
  smActivePct: number | null;
  memoryUsedMiB: number | null;
  powerDrawW: number | null;
  processes: ProcessReading[];
}

/** One poll of one node. */
export interface NodeSnapshot {
  atMs: number;
  gpus: GpuReading[];
}
