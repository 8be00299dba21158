/**
 * Kubernetes pod metadata from a PodList: the kubelet's `/pods` endpoint and
 * the API server's `/api/v1/pods?fieldSelector=spec.nodeName=NODE` answer the
 * same shape. Pure: JSON text in, pod metadata out.
 */
import { applyRules, type FieldRules, type MappedValues } from "./mapping-rules";

export interface PodOwner {
  kind: string;
  name: string;
}

export interface PodMetadata {
  uid: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The controlling owner reference (ReplicaSet, StatefulSet, Job, Node for static pods...). */
  owner: PodOwner | null;
  /** The workload a person named: the Deployment behind a ReplicaSet, else the owner. */
  workload: PodOwner | null;
}

const text = (value: unknown): string | null => (typeof value === "string" && value.trim() !== "" ? value.trim() : null);

function stringMap(value: unknown): Record<string, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return {};
  const map: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) if (typeof item === "string") map[key] = item;
  return map;
}

/** The controller among owner references, or the first one when none is marked controller. */
export function controllingOwner(references: unknown): PodOwner | null {
  if (!Array.isArray(references)) return null;
  const owners = references.filter((reference) => text(reference?.kind) !== null && text(reference?.name) !== null);
  const owner = owners.find((reference) => reference.controller === true) ?? owners[0];
  return owner ? { kind: text(owner.kind)!, name: text(owner.name)! } : null;
}

/**
 * The workload behind the owner, without asking the API server for the owner
 * itself (which would need more permissions): a Deployment names its
 * ReplicaSets `<deployment>-<pod-template-hash>` and labels their pods with
 * that hash. Kubernetes before 1.11 used a different hash in the name than in
 * the label, so a ReplicaSet whose pods carry the label loses its last dash
 * segment either way. A bare ReplicaSet (no such label) stays a ReplicaSet; a
 * Job started by a CronJob stays a Job (its pods do not name the CronJob).
 */
export function workloadOf(owner: PodOwner | null, labels: Readonly<Record<string, string>>): PodOwner | null {
  if (owner === null || owner.kind !== "ReplicaSet") return owner;
  const hash = labels["pod-template-hash"];
  if (hash === undefined) return owner;
  const suffix = `-${hash}`;
  if (owner.name.endsWith(suffix) && owner.name.length > suffix.length) return { kind: "Deployment", name: owner.name.slice(0, -suffix.length) };
  const dash = owner.name.lastIndexOf("-");
  return dash > 0 ? { kind: "Deployment", name: owner.name.slice(0, dash) } : owner;
}

/**
 * Parses a PodList. Items without a uid are skipped (nothing could look them
 * up); a body that is not a PodList is an error naming the source.
 */
export function parsePodList(json: string, source: string): PodMetadata[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`${source}: not JSON (${(error as Error).message})`);
  }
  const items = (parsed as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) throw new Error(`${source}: field items: expected a PodList with an items array`);
  const pods: PodMetadata[] = [];
  for (const item of items) {
    const metadata = item?.metadata;
    const uid = text(metadata?.uid);
    if (uid === null) continue;
    const labels = stringMap(metadata.labels);
    const owner = controllingOwner(metadata.ownerReferences);
    pods.push({
      uid: uid.toLowerCase(),
      namespace: text(metadata.namespace) ?? "default",
      name: text(metadata.name) ?? uid,
      labels,
      annotations: stringMap(metadata.annotations),
      owner,
      workload: workloadOf(owner, labels),
    });
  }
  return pods;
}

/** The value of one mapping-rule source for a pod. */
export function podSource(pod: PodMetadata, source: string): string | null {
  if (source === "namespace") return pod.namespace;
  if (source === "pod") return pod.name;
  if (source === "owner") return pod.workload?.name ?? null;
  if (source === "ownerKind") return pod.workload?.kind ?? null;
  if (source.startsWith("label:")) return pod.labels[source.slice("label:".length)] ?? null;
  if (source.startsWith("annotation:")) return pod.annotations[source.slice("annotation:".length)] ?? null;
  return null;
}

/** What a pod's metadata says about its job: mapped names, and labels that say where it ran. */
export function podJobMetadata(pod: PodMetadata, rules: FieldRules): { values: MappedValues; labels: Record<string, string> } {
  const labels: Record<string, string> = { namespace: pod.namespace, pod: pod.name };
  if (pod.workload) {
    labels.workloadKind = pod.workload.kind;
    labels.workload = pod.workload.name;
  }
  if (pod.owner && (pod.owner.kind !== pod.workload?.kind || pod.owner.name !== pod.workload?.name)) {
    labels.ownerKind = pod.owner.kind;
    labels.owner = pod.owner.name;
  }
  const queue = pod.labels["kueue.x-k8s.io/queue-name"];
  if (queue) labels.kueueQueue = queue;
  return { values: applyRules(rules, (source) => podSource(pod, source)), labels };
}
