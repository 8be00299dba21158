import type { SqlDatabase } from "../db/sql-database";
import {
  buildWorkloadProfiles,
  DEFAULT_WORKLOAD_PROFILE_OPTIONS,
  type ProfileGpuRow,
  type ProfileJobHourRow,
  type ProfileJobRow,
  type ProfileJobWindowRow,
  type WorkloadProfile,
  type WorkloadProfileOptions,
} from "../domain/workload-profiles";

export const DEFAULT_LOOKBACK_DAYS = 14;
const DAY_MS = 86_400_000;

export interface WorkloadProfileQuery {
  nowMs: number;
  lookbackDays?: number;
  options?: Partial<WorkloadProfileOptions>;
}

export interface WorkloadProfileSet {
  windowStartMs: number;
  windowEndMs: number;
  profiles: WorkloadProfile[];
  gpus: ProfileGpuRow[];
  /** Node labels by node id (for prices with node-label overrides). */
  nodeLabels: Map<number, Record<string, string>>;
  /** The hourly rows of the lookback (GPU time each job held per hour: the fleet plan's hour-of-week series). */
  jobHours: ProfileJobHourRow[];
}

function parseLabels(json: string | null): Record<string, string> {
  try {
    const value = JSON.parse(json ?? "{}") as unknown;
    return value && typeof value === "object" ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/**
 * Loads the rows of the lookback [now - lookbackDays, now) and builds one profile
 * per job (server/domain/workload-profiles.ts). The GPU's utilization of a window is
 * joined in SQL, so only the GPU windows the jobs ran in are read.
 */
export async function loadWorkloadProfiles(db: SqlDatabase, query: WorkloadProfileQuery): Promise<WorkloadProfileSet> {
  const lookbackDays = query.lookbackDays ?? DEFAULT_LOOKBACK_DAYS;
  if (!(lookbackDays > 0 && lookbackDays <= 400)) throw new RangeError(`lookbackDays must be in (0, 400], got ${lookbackDays}`);
  const windowEndMs = query.nowMs;
  const windowStartMs = windowEndMs - lookbackDays * DAY_MS;
  const options = { ...DEFAULT_WORKLOAD_PROFILE_OPTIONS, ...query.options };

  const gpuRows = await db.query<{
    id: number;
    gpu_index: number;
    model_name: string;
    memory_total_mib: number;
    node_id: number;
    hostname: string;
    cluster_name: string;
    labels_json: string;
    mig_profile: string | null;
  }>(
    `SELECT g.id, g.gpu_index, g.model_name, g.memory_total_mib, g.node_id, n.hostname, c.name AS cluster_name, n.labels_json, g.mig_profile
       FROM gpu g JOIN node n ON n.id = g.node_id JOIN cluster c ON c.id = n.cluster_id
      WHERE g.last_seen_ms > ? AND g.first_seen_ms < ?`,
    [windowStartMs, windowEndMs],
  );
  const gpus: ProfileGpuRow[] = gpuRows.map((r) => ({
    gpuId: Number(r.id),
    gpuIndex: Number(r.gpu_index),
    modelName: r.model_name,
    memoryTotalMiB: Number(r.memory_total_mib),
    nodeId: Number(r.node_id),
    hostname: r.hostname,
    clusterName: r.cluster_name,
    migProfile: r.mig_profile,
  }));
  const nodeLabels = new Map<number, Record<string, string>>();
  for (const r of gpuRows) nodeLabels.set(Number(r.node_id), parseLabels(r.labels_json));

  const jobRows = await db.query<{
    id: number;
    external_id: string;
    cluster_name: string;
    kind: string;
    requested_gpus: number | null;
    team: string | null;
    project: string | null;
    model: string | null;
    labels_json: string | null;
  }>(
    `SELECT j.id, j.external_id, c.name AS cluster_name, j.kind, j.requested_gpus, j.team, j.project, j.model, j.labels_json
       FROM job j JOIN cluster c ON c.id = j.cluster_id
      WHERE j.last_seen_ms > ? AND j.first_seen_ms < ?`,
    [windowStartMs, windowEndMs],
  );
  const jobs: ProfileJobRow[] = jobRows.map((r) => ({
    jobId: Number(r.id),
    externalId: r.external_id,
    clusterName: r.cluster_name,
    kind: r.kind,
    requestedGpus: r.requested_gpus === null ? null : Number(r.requested_gpus),
    team: r.team,
    project: r.project,
    model: r.model,
    labels: parseLabels(r.labels_json),
  }));

  const windowRows = await db.queryArrays(
    `SELECT jw.job_id, jw.gpu_id, jw.start_ms, jw.end_ms, jw.utilization_avg_pct, gw.utilization_avg_pct, jw.memory_used_max_mib
       FROM job_usage_window jw
       LEFT JOIN gpu_usage_window gw ON gw.gpu_id = jw.gpu_id AND gw.start_ms = jw.start_ms
      WHERE jw.start_ms >= ? AND jw.start_ms < ?`,
    [windowStartMs, windowEndMs],
  );
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const jobWindows: ProfileJobWindowRow[] = windowRows.map(([jobId, gpuId, startMs, endMs, own, gpu, memory]) => ({
    jobId: Number(jobId),
    gpuId: Number(gpuId),
    startMs: Number(startMs),
    endMs: Number(endMs),
    utilizationAvgPct: num(own),
    gpuUtilizationAvgPct: num(gpu),
    memoryUsedMaxMiB: num(memory),
  }));

  const hourRows = await db.queryArrays(
    `SELECT job_id, gpu_id, hour_start_ms, reported_ms, share_ms, active_ms FROM job_usage_hourly WHERE hour_start_ms >= ? AND hour_start_ms < ?`,
    [windowStartMs, windowEndMs],
  );
  const jobHours: ProfileJobHourRow[] = hourRows.map(([jobId, gpuId, hourStartMs, reportedMs, shareMs, activeMs]) => ({
    jobId: Number(jobId),
    gpuId: Number(gpuId),
    hourStartMs: Number(hourStartMs),
    reportedMs: Number(reportedMs),
    shareMs: Number(shareMs),
    activeMs: Number(activeMs),
  }));

  const profiles = buildWorkloadProfiles({ jobs, gpus, jobWindows, gpuWindows: [], jobHours }, options);
  return { windowStartMs, windowEndMs, profiles, gpus, nodeLabels, jobHours };
}
