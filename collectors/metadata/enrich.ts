/**
 * Adds scheduler metadata to the jobs of one attributed poll: a pod's
 * namespace, owner and mapped team/project/model/experiment, a Slurm job's
 * account, partition, QOS, wckey and comment. What a job's own environment
 * said (GPU_ROI_TEAM...) wins over what metadata maps: the workload knows best.
 * A metadata source that fails leaves the jobs as they were; the poll is never
 * lost for it.
 *
 * Steps: 1. collect the jobs of the poll and what to look up for each;
 * 2. look up pods and Slurm jobs (cached, see kubernetes-metadata.ts and
 * slurm-metadata.ts); 3. add the GPUs the kubelet says are allocated to pods
 * (pod-resources) as idle allocations; 4. merge metadata into each job.
 */
import type { AttributedPoll, GpuAllocation } from "../attribution";
import type { GpuReading, JobAttribution } from "../readings";
import type { KubernetesPodCache } from "./kubernetes-metadata";
import { podJobMetadata, type PodMetadata } from "./kubernetes-pods";
import { MAPPED_FIELDS, type MappedValues, type MappingRules } from "./mapping-rules";
import type { PodDevices } from "./pod-resources";
import type { SlurmJobCache } from "./slurm-metadata";
import { slurmJobMetadata, type SlurmJobMetadata } from "./slurm-jobs";

export type MetadataKey = { kind: "pod-uid"; uid: string } | { kind: "pod-name"; name: string } | { kind: "slurm"; jobId: string } | null;

/** What to look up for a job, from the id attribution gave it. */
export function metadataKey(externalId: string): MetadataKey {
  let match = /^pod-([0-9a-f-]{36})$/.exec(externalId);
  if (match) return { kind: "pod-uid", uid: match[1] };
  match = /^k8s-([^/]+\/.+)$/.exec(externalId);
  if (match) return { kind: "pod-name", name: match[1] };
  match = /^slurm-(\d+)$/.exec(externalId);
  if (match) return { kind: "slurm", jobId: match[1] };
  return null;
}

const LABEL_LIMIT = 256;

/** A job with metadata merged in: its own names and labels win; metadata fills the gaps. */
export function mergeJobMetadata(job: JobAttribution, metadata: { values: MappedValues; labels: Record<string, string> }): JobAttribution {
  const merged: JobAttribution = { ...job };
  for (const field of MAPPED_FIELDS) {
    if ((job[field] ?? null) === null && metadata.values[field] !== undefined) merged[field] = metadata.values[field];
  }
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.labels)) if (value !== "") labels[key] = value.slice(0, LABEL_LIMIT);
  merged.labels = { ...labels, ...job.labels };
  return merged;
}

/** Lists the kubelet's device allocations (pod-resources API). */
export interface PodDeviceLister {
  list(signal?: AbortSignal): Promise<PodDevices[]>;
}

export interface EnricherOptions {
  rules: MappingRules;
  kubernetes?: KubernetesPodCache | null;
  slurm?: SlurmJobCache | null;
  podResources?: PodDeviceLister | null;
  /** Kind of jobs found only through pod-resources (default training). */
  defaultKind?: JobAttribution["kind"];
  /**
   * How long a poll waits for a lookup (default 2 s). A slower one goes on in
   * the background and its answer serves the next poll: the server keeps the
   * job's latest names, so a job named one window late is named all the same.
   */
  maxWaitMs?: number;
  log?: (line: string) => void;
}

const DEFAULT_MAX_WAIT_MS = 2_000;
const LATE = Symbol("late");

/** The promise's value, or LATE when it takes longer than ms (it goes on regardless). */
async function atMost<T>(promise: Promise<T>, ms: number): Promise<T | typeof LATE> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>((resolve) => {
    timer = setTimeout(() => resolve(LATE), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resource names of accelerators whose device ids are GPU UUIDs (or indexes). */
const GPU_RESOURCE = /^(nvidia\.com\/(gpu|mig-.+)|amd\.com\/gpu|habana\.ai\/gaudi)$/;

export class JobMetadataEnricher {
  /**
   * Mapped metadata per pod or Slurm job object: the caches hand out the same
   * object until they refetch, so rules run once per fetch, not once per poll.
   */
  private readonly mapped = new WeakMap<object, { values: MappedValues; labels: Record<string, string> }>();

  constructor(private readonly options: EnricherOptions) {}

  async enrich(poll: AttributedPoll, signal?: AbortSignal): Promise<AttributedPoll> {
    const { kubernetes, slurm, podResources } = this.options;
    // 1.
    const jobs = new Map<string, JobAttribution>();
    for (const gpu of poll.gpus) for (const process of gpu.processes) jobs.set(process.job.externalId, process.job);
    for (const allocation of poll.idleAllocations) jobs.set(allocation.job.externalId, allocation.job);
    const devices = (podResources ? await this.guard("pod-resources", () => podResources.list(signal), []) : []).filter((pod) =>
      pod.containers.some((container) => container.devices.some((device) => GPU_RESOURCE.test(device.resourceName))),
    );
    const keys = [...jobs.keys()].map(metadataKey);
    const uids = keys.flatMap((key) => (key?.kind === "pod-uid" ? [key.uid] : []));
    const names = [...keys.flatMap((key) => (key?.kind === "pod-name" ? [key.name] : [])), ...devices.map((pod) => `${pod.namespace}/${pod.name}`)];
    const jobIds = keys.flatMap((key) => (key?.kind === "slurm" ? [key.jobId] : []));
    // 2. Lookups are not given the poll's signal: one that outlives the wait finishes for the next poll.
    const none = { byUid: new Map<string, PodMetadata>(), byName: new Map<string, PodMetadata>() };
    const maxWaitMs = this.options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    const [podAnswer, slurmAnswer] = await Promise.all([
      kubernetes && (uids.length > 0 || names.length > 0) ? atMost(this.guard("kubernetes", () => kubernetes.lookup({ uids, names }), none), maxWaitMs) : none,
      slurm && jobIds.length > 0 ? atMost(this.guard("slurm", () => slurm.lookup(jobIds), new Map<string, SlurmJobMetadata>()), maxWaitMs) : new Map<string, SlurmJobMetadata>(),
    ]);
    const pods = podAnswer === LATE ? kubernetes!.known({ uids, names }) : podAnswer;
    const slurmJobs = slurmAnswer === LATE ? slurm!.known(jobIds) : slurmAnswer;
    // 3.
    const idleAllocations = [...poll.idleAllocations, ...this.podResourceAllocations(poll.gpus, devices, pods.byName, jobs)];
    // 4. Pods found by name (dcgm-exporter's labels, pod-resources) are known by UID too.
    const podsByUid = new Map(pods.byUid);
    for (const pod of pods.byName.values()) podsByUid.set(pod.uid, pod);
    const enriched = new Map<string, JobAttribution>();
    const enrichJob = (job: JobAttribution): JobAttribution => {
      let result = enriched.get(job.externalId);
      if (result) return result;
      const key = metadataKey(job.externalId);
      const pod = key?.kind === "pod-uid" ? podsByUid.get(key.uid) : key?.kind === "pod-name" ? pods.byName.get(key.name) : undefined;
      const slurmJob = key?.kind === "slurm" ? slurmJobs.get(key.jobId) : undefined;
      const metadata = pod
        ? this.mappedOnce(pod, () => podJobMetadata(pod, this.options.rules.kubernetes))
        : slurmJob
          ? this.mappedOnce(slurmJob, () => slurmJobMetadata(slurmJob, this.options.rules.slurm))
          : null;
      result = metadata ? mergeJobMetadata(job, metadata) : job;
      enriched.set(job.externalId, result);
      return result;
    };
    return {
      gpus: poll.gpus.map((gpu) => ({ ...gpu, processes: gpu.processes.map((process) => ({ ...process, job: enrichJob(process.job) })) })),
      idleAllocations: idleAllocations.map((allocation) => ({ ...allocation, job: enrichJob(allocation.job) })),
    };
  }

  /**
   * GPUs the kubelet allocated to a pod that run no process at all (a GPU
   * running one is charged through its processes). A pod is named by its UID
   * when the pod list knows it, so that it is the job /proc attribution gives
   * its processes; without a pod list, `k8s-NS/NAME` as dcgm-exporter's labels
   * give it. With a pod list that does not know the pod yet, it waits for the
   * next poll rather than appear under two ids.
   */
  private podResourceAllocations(gpus: readonly GpuReading[], devices: readonly PodDevices[], podsByName: ReadonlyMap<string, PodMetadata>, jobs: ReadonlyMap<string, JobAttribution>): GpuAllocation[] {
    const allocations: GpuAllocation[] = [];
    for (const pod of devices) {
      const known = podsByName.get(`${pod.namespace}/${pod.name}`);
      if (!known && this.options.kubernetes) continue;
      const externalId = known ? `pod-${known.uid}` : `k8s-${pod.namespace}/${pod.name}`;
      const job = jobs.get(externalId) ?? { externalId, kind: this.options.defaultKind ?? "training", labels: { attribution: "pod-resources" } };
      for (const container of pod.containers) {
        for (const device of container.devices) {
          if (!GPU_RESOURCE.test(device.resourceName)) continue;
          for (const id of device.deviceIds) {
            const gpu = gpus.find((reading) => reading.uuid === id || (/^\d+$/.test(id) && reading.index === Number(id) && reading.migParentUuid === null));
            if (!gpu || gpu.processes.length > 0) continue;
            if (allocations.some((allocation) => allocation.gpuUuid === gpu.uuid && allocation.job.externalId === externalId)) continue;
            allocations.push({ gpuUuid: gpu.uuid, job });
          }
        }
      }
    }
    return allocations;
  }

  private mappedOnce(source: object, map: () => { values: MappedValues; labels: Record<string, string> }) {
    let metadata = this.mapped.get(source);
    if (!metadata) this.mapped.set(source, (metadata = map()));
    return metadata;
  }

  /** The last failure of each source, so that a source down for hours logs once, not every poll. */
  private readonly failures = new Map<string, string>();

  private async guard<T>(what: string, action: () => Promise<T>, fallback: T): Promise<T> {
    try {
      const result = await action();
      if (this.failures.delete(what)) this.options.log?.(`${what} metadata: answering again`);
      return result;
    } catch (error) {
      const message = (error as Error).message;
      if (this.failures.get(what) !== message) this.options.log?.(`${what} metadata: ${message}; jobs keep what attribution gave them`);
      this.failures.set(what, message);
      return fallback;
    }
  }
}
