/**
 * Attribution: which job a GPU process (or an allocated GPU) belongs to.
 *
 * Sources of truth, in order of precedence for one process:
 *  1. its environment (/proc/<pid>/environ): GPU_ROI_JOB_ID, then SLURM_JOB_ID;
 *  2. its cgroup (/proc/<pid>/cgroup): a Slurm `job_<id>` cgroup, a Kubernetes
 *     pod UID (cgroup v1 `kubepods/.../pod<uid>` and systemd
 *     `kubepods-burstable-pod<uid_with_underscores>.slice` forms), then a bare
 *     container id (docker/containerd/cri-o without Kubernetes);
 *  3. dcgm-exporter's pod/namespace/container/hpc_job labels (GPU level, no pid).
 * Team, project, model, experiment, user and kind come from environment variables
 * whose names are configurable. Nothing is ever dropped: a process that cannot be
 * attributed, or whose /proc entry vanished between the poll and the read, goes
 * to the node's "unattributed" job.
 *
 * Pure logic takes text; the only I/O is behind ProcReader.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { JobKind } from "../server/wire/ingest-v1";
import type { GpuReading, JobAttribution } from "./readings";
import type { DcgmGpuDetails, DcgmWorkloadLabels } from "./sources/dcgm-exporter";
import { toGpuReading } from "./sources/parse-capture";
import type { ParsedGpu, ParsedProcess } from "./sources/parse-values";

/** Reads what attribution needs about a process. null: gone or unreadable. */
export interface ProcReader {
  readEnviron(pid: number): string | null;
  readCgroup(pid: number): string | null;
}

/**
 * Reads /proc (or a copy of it under `root`, e.g. /host/proc in a container).
 * environ of another user's process needs root or CAP_SYS_PTRACE; without it the
 * read fails and the process is attributed from its cgroup alone.
 */
export function createProcReader(root = "/proc"): ProcReader {
  const read = (pid: number, file: string): string | null => {
    try {
      return readFileSync(path.join(root, String(pid), file), "latin1");
    } catch {
      return null;
    }
  };
  return { readEnviron: (pid) => read(pid, "environ"), readCgroup: (pid) => read(pid, "cgroup") };
}

export interface AttributionConfig {
  /** Environment variable names read from each process. */
  env: {
    jobId: string;
    team: string;
    project: string;
    model: string;
    experiment: string;
    user: string;
    jobKind: string;
    /** Names the file a job appends its work reports to (see work/report-file.ts). */
    workFile: string;
  };
  /** Kind of attributed jobs whose environment does not say (default training). */
  defaultKind: JobKind;
}

export const DEFAULT_ATTRIBUTION_CONFIG: AttributionConfig = {
  env: {
    jobId: "GPU_ROI_JOB_ID",
    team: "GPU_ROI_TEAM",
    project: "GPU_ROI_PROJECT",
    model: "GPU_ROI_MODEL",
    experiment: "GPU_ROI_EXPERIMENT",
    user: "GPU_ROI_USER",
    jobKind: "GPU_ROI_JOB_KIND",
    workFile: "GPU_ROI_WORK_FILE",
  },
  defaultKind: "training",
};

const JOB_KINDS: readonly JobKind[] = ["training", "inference", "notebook", "other"];

/** Parses /proc/<pid>/environ: NUL-separated NAME=value entries. The first of a repeated name wins, as in getenv. */
export function parseEnviron(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of text.split("\0")) {
    const equals = entry.indexOf("=");
    if (equals <= 0) continue;
    const name = entry.slice(0, equals);
    if (!env.has(name)) env.set(name, entry.slice(equals + 1));
  }
  return env;
}

export interface CgroupIdentity {
  /** Kubernetes pod UID with dashes. */
  podUid: string | null;
  slurmJobId: string | null;
  /** 64-hex container id (docker, containerd, cri-o). */
  containerId: string | null;
}

const POD_UID = /kubepods[^\n]*?pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/i;
const SLURM_JOB = /\/job_(\d+)(?=\/|$)/;
const CONTAINER_ID = /(?:^|\/)(?:docker-|cri-containerd-|crio-|containerd-|libpod-)?([0-9a-f]{64})(?:\.scope)?$/;

/**
 * Reads the identity out of /proc/<pid>/cgroup, v1 (`12:devices:/kubepods/...`)
 * or v2 (`0::/kubepods.slice/...`) lines alike.
 */
export function parseCgroup(text: string): CgroupIdentity {
  const identity: CgroupIdentity = { podUid: null, slurmJobId: null, containerId: null };
  for (const line of text.split("\n")) {
    // hierarchy-id:controllers:path; the path may itself contain colons.
    const parts = line.split(":");
    if (parts.length < 3) continue;
    const cgroupPath = parts.slice(2).join(":").trim();
    const pod = POD_UID.exec(cgroupPath);
    if (pod && identity.podUid === null) identity.podUid = pod[1].replace(/_/g, "-").toLowerCase();
    const slurm = SLURM_JOB.exec(cgroupPath);
    if (slurm && identity.slurmJobId === null) identity.slurmJobId = slurm[1];
    const container = CONTAINER_ID.exec(cgroupPath);
    if (container && identity.containerId === null) identity.containerId = container[1];
  }
  return identity;
}

const nonEmpty = (value: string | undefined): string | null => (value === undefined || value.trim() === "" ? null : value.trim().slice(0, 256));

/**
 * The job of one process from its environment and cgroup, or null when neither
 * names one.
 */
export function attributeProcess(env: ReadonlyMap<string, string>, cgroup: CgroupIdentity, config: AttributionConfig = DEFAULT_ATTRIBUTION_CONFIG): JobAttribution | null {
  const names = config.env;
  const labels: Record<string, string> = {};
  let externalId: string | null = null;
  const explicitId = nonEmpty(env.get(names.jobId));
  const slurmJobId = nonEmpty(env.get("SLURM_JOB_ID")) ?? cgroup.slurmJobId;
  if (explicitId !== null) {
    externalId = explicitId;
    labels.attribution = "env";
  } else if (slurmJobId !== null) {
    externalId = `slurm-${slurmJobId}`;
    labels.attribution = "slurm";
    const partition = nonEmpty(env.get("SLURM_JOB_PARTITION"));
    if (partition) labels.partition = partition;
    const jobName = nonEmpty(env.get("SLURM_JOB_NAME"));
    if (jobName) labels.jobName = jobName;
  } else if (cgroup.podUid !== null) {
    externalId = `pod-${cgroup.podUid}`;
    labels.attribution = "kubernetes";
  } else if (cgroup.containerId !== null) {
    externalId = `container-${cgroup.containerId.slice(0, 12)}`;
    labels.attribution = "container";
  }
  if (externalId === null) return null;
  if (cgroup.containerId !== null) labels.containerId = cgroup.containerId.slice(0, 12);
  const kindText = nonEmpty(env.get(names.jobKind))?.toLowerCase();
  const kind = JOB_KINDS.find((candidate) => candidate === kindText) ?? config.defaultKind;
  return {
    externalId,
    kind,
    team: nonEmpty(env.get(names.team)),
    project: nonEmpty(env.get(names.project)),
    model: nonEmpty(env.get(names.model)),
    experiment: nonEmpty(env.get(names.experiment)),
    user: nonEmpty(env.get(names.user)) ?? nonEmpty(env.get("SLURM_JOB_USER")) ?? nonEmpty(env.get("USER")),
    labels,
  };
}

/** The node's catch-all job: GPU time nobody could be charged for is still reported. */
export function unattributedJob(hostname: string): JobAttribution {
  return { externalId: `unattributed-${hostname}`, kind: "other", labels: { attribution: "none" } };
}

/**
 * GPUs a job's environment says it was given. SLURM_JOB_GPUS holds host indexes;
 * NVIDIA_VISIBLE_DEVICES (container runtime) holds host indexes or UUIDs;
 * CUDA_VISIBLE_DEVICES is read only when it lists UUIDs, or when neither of the
 * others is set (inside a Slurm or container cgroup its indexes are renumbered
 * from 0 and do not name host GPUs).
 */
export function allocatedGpuRefs(env: ReadonlyMap<string, string>): string[] {
  const list = (value: string | undefined): string[] | null => {
    const text = nonEmpty(value);
    if (text === null || ["all", "none", "void", "nodevfiles"].includes(text.toLowerCase())) return null;
    const refs = text.split(",").map((ref) => ref.trim()).filter((ref) => ref !== "");
    return refs.length > 0 ? refs : null;
  };
  const slurm = list(env.get("SLURM_JOB_GPUS"));
  if (slurm) return slurm;
  const nvidia = list(env.get("NVIDIA_VISIBLE_DEVICES"));
  if (nvidia) return nvidia;
  const cuda = list(env.get("CUDA_VISIBLE_DEVICES"));
  if (cuda && (cuda.every((ref) => /^(GPU|MIG)-/i.test(ref)) || env.get("SLURM_JOB_ID") === undefined)) return cuda;
  return [];
}

/** A GPU given to a job, seen in one poll. */
export interface GpuAllocation {
  gpuUuid: string;
  job: JobAttribution;
}

export interface AttributedPoll {
  gpus: GpuReading[];
  /**
   * GPUs allocated to a job (by its environment or by dcgm-exporter's pod labels)
   * on which none of its processes ran in this poll.
   */
  idleAllocations: GpuAllocation[];
}

/**
 * Attributes the processes of one poll. Reads each pid once per poll. Steps:
 *  1. every process of every GPU gets a job (or the unattributed job);
 *  2. jobs whose environment names GPUs are matched to this poll's GPUs by UUID
 *     or host index; a named GPU without a process of the job is an idle allocation;
 *  3. dcgm-exporter workloads (pod or HPC job labels) of a GPU are allocations
 *     too, since dcgm-exporter reports no processes.
 */
export class NodeAttributor {
  constructor(
    private readonly reader: ProcReader,
    readonly hostname: string,
    private readonly config: AttributionConfig = DEFAULT_ATTRIBUTION_CONFIG,
  ) {}

  attributePoll(parsed: readonly ParsedGpu[], dcgmDetails: readonly DcgmGpuDetails[] = []): AttributedPoll {
    const fallback = unattributedJob(this.hostname);
    const perPid = new Map<number, { job: JobAttribution; allocated: string[] }>();
    const lookup = (process: ParsedProcess) => {
      let entry = perPid.get(process.pid);
      if (!entry) {
        const environText = this.reader.readEnviron(process.pid);
        const cgroupText = this.reader.readCgroup(process.pid);
        const env = parseEnviron(environText ?? "");
        const job = attributeProcess(env, parseCgroup(cgroupText ?? ""), this.config);
        entry = job === null ? { job: fallback, allocated: [] } : { job, allocated: allocatedGpuRefs(env) };
        perPid.set(process.pid, entry);
      }
      return entry;
    };
    // 1.
    const gpus: GpuReading[] = [];
    for (const gpu of parsed) {
      const reading = toGpuReading(gpu, (process) => lookup(process).job);
      if (reading !== null) gpus.push(reading);
    }
    // 2.
    const idle = new Map<string, GpuAllocation>();
    const hasJob = (reading: GpuReading, externalId: string) => reading.processes.some((process) => process.job.externalId === externalId);
    for (const entry of perPid.values()) {
      for (const ref of entry.allocated) {
        const matches = gpus.filter((reading) =>
          /^\d+$/.test(ref) ? reading.index === Number(ref) && reading.migParentUuid === null : reading.uuid === ref,
        );
        for (const reading of matches) {
          if (!hasJob(reading, entry.job.externalId)) idle.set(`${reading.uuid}\0${entry.job.externalId}`, { gpuUuid: reading.uuid, job: entry.job });
        }
      }
    }
    // 3.
    dcgmDetails.forEach((details) => {
      const reading = gpus.find((candidate) => candidate.uuid === details.uuid);
      if (!reading) return;
      for (const workload of details.workloads) {
        const job = attributeDcgmWorkload(workload, this.config);
        if (job && !hasJob(reading, job.externalId)) idle.set(`${reading.uuid}\0${job.externalId}`, { gpuUuid: reading.uuid, job });
      }
    });
    return { gpus, idleAllocations: [...idle.values()] };
  }
}

/**
 * A job from dcgm-exporter's labels. dcgm-exporter knows pod names, not pod UIDs,
 * so such jobs are `k8s-<namespace>/<pod>`; hpc_job is the scheduler's job id.
 */
export function attributeDcgmWorkload(workload: DcgmWorkloadLabels, config: AttributionConfig = DEFAULT_ATTRIBUTION_CONFIG): JobAttribution | null {
  if (workload.hpcJob !== null) return { externalId: `slurm-${workload.hpcJob}`, kind: config.defaultKind, labels: { attribution: "dcgm-hpc-job" } };
  if (workload.pod === null) return null;
  const labels: Record<string, string> = { attribution: "dcgm-pod", pod: workload.pod };
  if (workload.namespace !== null) labels.namespace = workload.namespace;
  if (workload.container !== null) labels.container = workload.container;
  return { externalId: `k8s-${workload.namespace ?? "default"}/${workload.pod}`, kind: config.defaultKind, labels };
}
