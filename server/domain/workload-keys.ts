/**
 * Which job a workload is: a job's external id is unique only within its cluster
 * (two Slurm clusters both have a job 1001), so every workload handed to a solver
 * or stored in a finding is named by (cluster, external id). Pure.
 */

/** A job named by its cluster and its scheduler's id. */
export interface WorkloadRef {
  cluster: string;
  externalId: string;
}

/** Percent-encodes the characters that separate the parts of a key, so that keys of different pairs never collide. */
function escapeKeyPart(text: string, separators: RegExp): string {
  return text.replace(separators, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

/**
 * One string per (cluster, name), distinct for distinct pairs and readable for
 * ordinary names: `east/slurm-1001`. `%`, `/` and `@` inside a part are
 * percent-encoded (a key never contains `@`, so `${key}@${part}` stays unique too).
 */
export function clusterScopedKey(cluster: string, name: string): string {
  return `${escapeKeyPart(cluster, /[%/@]/g)}/${escapeKeyPart(name, /[%/@]/g)}`;
}

/** The key of a job: `east/slurm-1001`. */
export function workloadKey(ref: WorkloadRef): string {
  return clusterScopedKey(ref.cluster, ref.externalId);
}

/**
 * An external id made safe to carry a `@<part>` suffix: `%` and `@` percent-encoded,
 * everything else (a `k8s-<namespace>/<pod>` id's slash) kept as it is.
 */
export function suffixableId(externalId: string): string {
  return escapeKeyPart(externalId, /[%@]/g);
}

/** How people read a workload: `slurm-1001 (east)`. */
export function describeWorkload(ref: WorkloadRef): string {
  return `${ref.externalId} (${ref.cluster})`;
}
