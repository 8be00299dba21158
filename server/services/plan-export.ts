/**
 * A recommendation as a shell script to review and run: kubectl hints for pods,
 * scontrol/sbatch hints for Slurm jobs, cordon/drain for nodes a packing frees.
 * Pure: a stored recommendation in, lines out.
 *
 * Job ids, pod names, hostnames, cluster names and GPU models come from nodes and
 * workloads, so none is trusted: in a command each is one single-quoted word, in a
 * comment it stays on the comment's line (server/domain/shell-script.ts). A value
 * with a line break or another control character gets no command (the command
 * would span lines: a reviewer copying one line would copy another command), and
 * a pod UID, which also goes inside a kubectl JSONPath filter, gets one only when
 * it has the characters of a UID; a comment says so instead.
 */
import { commentLine, fitsOnOneLine, quotedName, shellCommand } from "../domain/shell-script";
import type { WorkloadRef } from "../domain/workload-keys";
import type { Placement, Workload } from "../../solver/packing/types";
import type { FindingWorkload, PlanFindingInputs, PlanFindingResult } from "../domain/plan-findings";
import type { WorkloadAssignment, WorkloadShape } from "../../solver/plan/types";
import type { RightSizingRecommendation } from "../../solver/right-sizing";
import type { BatchJob, TidalPlan } from "../../solver/tidal/plan";
import type { Recommendation } from "./recommendation-service";

export interface ExportedPlan {
  recommendation: Recommendation;
  /** Shell lines: every line is a comment or a command to review before running; nothing runs by itself. */
  shell: string[];
}

/** A packing workload as stored: the solver's workload and the job it is (recommendations before cluster keying lack the job). */
type StoredWorkload = Workload & Partial<WorkloadRef>;
type StoredNode = { id: string; cluster?: string; hostname?: string };
type StoredBatchJob = BatchJob & Partial<WorkloadRef>;

/** Characters of a Kubernetes UID (a UUID); anything else cannot go inside the JSONPath filter. */
const POD_UID = /^[0-9A-Za-z][0-9A-Za-z._-]*$/;

/** What kind of job an external id names, for the hints. */
type JobHandle =
  | { kind: "slurm"; jobId: string }
  | { kind: "pod-uid"; uid: string }
  | { kind: "pod-name"; namespace: string; pod: string }
  | { kind: "other" };

function jobHandle(externalId: string): JobHandle {
  const slurm = /^slurm-(\d+)$/.exec(externalId);
  if (slurm) return { kind: "slurm", jobId: slurm[1] };
  if (externalId.startsWith("pod-") && externalId.length > 4) return { kind: "pod-uid", uid: externalId.slice(4) };
  // dcgm-exporter's pods: k8s-<namespace>/<pod>.
  const named = /^k8s-([^/]+)\/(.+)$/s.exec(externalId);
  if (named) return { kind: "pod-name", namespace: named[1], pod: named[2] };
  return { kind: "other" };
}

/** `cluster 'east', slurm job 1001`: who a line is about. */
function subjectText(ref: { cluster?: string; externalId: string }): string {
  const handle = jobHandle(ref.externalId);
  const job =
    handle.kind === "slurm"
      ? `slurm job ${handle.jobId}`
      : handle.kind === "pod-uid"
        ? `pod ${quotedName(handle.uid)}`
        : handle.kind === "pod-name"
          ? `pod ${quotedName(handle.pod)} in namespace ${quotedName(handle.namespace)}`
          : `job ${quotedName(ref.externalId)}`;
  return ref.cluster === undefined ? job : `cluster ${quotedName(ref.cluster)}, ${job}`;
}

/** The command when every value in it fits on one line, else a comment saying there is none. */
function commandOrNote(values: readonly string[], what: string, command: () => string): string {
  return values.every(fitsOnOneLine) ? command() : commentLine(`${what} has a line break or control character: no command for it; act by hand`);
}

/** How to find a pod: by UID (kubectl JSONPath over all namespaces) or by namespace and name. */
function findPodLines(handle: JobHandle): string[] {
  if (handle.kind === "pod-name") return [commandOrNote([handle.namespace, handle.pod], "its namespace or name", () => shellCommand`kubectl get pod -n ${handle.namespace} ${handle.pod} -o wide`)];
  if (handle.kind !== "pod-uid") return [];
  if (!POD_UID.test(handle.uid)) return [commentLine("its UID has characters a Kubernetes UID never has: no kubectl command for it; find the pod by hand")];
  const jsonPath = `{range .items[?(@.metadata.uid=="${handle.uid}")]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}`;
  return [shellCommand`kubectl get pods -A -o jsonpath=${jsonPath}`];
}

function packingLines(recommendation: Recommendation): string[] {
  const lines: string[] = [];
  const result = recommendation.result as { best: Placement };
  const workloads = (recommendation.inputs.workloads ?? []) as StoredWorkload[];
  const nodes = (recommendation.inputs.nodes ?? []) as StoredNode[];
  const cluster = typeof recommendation.inputs.cluster === "string" ? recommendation.inputs.cluster : undefined;
  // Before cluster keying a node id was its hostname, `#<node id>` added when two nodes shared it.
  const hostnameOf = new Map(nodes.map((n) => [n.id, n.hostname ?? n.id.replace(/#\d+$/, "")]));
  const host = (nodeId: string) => hostnameOf.get(nodeId) ?? nodeId.replace(/#\d+$/, "");
  const workloadById = new Map(workloads.map((w) => [w.id, w]));
  if (cluster !== undefined) lines.push(commentLine(`in cluster ${quotedName(cluster)}: run these where kubectl and scontrol reach that cluster`));
  for (const a of result.best.assignments) {
    const workload = workloadById.get(a.workload);
    const now = workload?.current;
    if (now && now.node === a.node && now.gpuIndexes.join(",") === a.gpuIndexes.join(",")) continue;
    const ref = { cluster: workload?.cluster, externalId: workload?.externalId ?? a.workload.replace(/@\d+$/, "") };
    const handle = jobHandle(ref.externalId);
    const target = `run on ${quotedName(host(a.node))} GPU ${a.gpuIndexes.join(",")} (now ${now ? `${quotedName(host(now.node))} GPU ${now.gpuIndexes.join(",")}` : "not placed"})`;
    lines.push(commentLine(`${subjectText(ref)}: ${target}`));
    if (handle.kind === "pod-uid" || handle.kind === "pod-name") {
      lines.push(...findPodLines(handle), commentLine(`  then pin its controller to the node (nodeSelector kubernetes.io/hostname: ${quotedName(host(a.node))}) and let it reschedule`));
    } else if (handle.kind === "slurm") {
      lines.push(
        commentLine("a running Slurm job cannot move; requeue it onto the node:"),
        commandOrNote([host(a.node)], "the node's hostname", () => `${shellCommand`scontrol requeue ${handle.jobId}`} && ${shellCommand`scontrol update JobId=${handle.jobId} NodeList=${host(a.node)}`}`),
      );
    }
  }
  const usedNodes = new Set(result.best.assignments.map((a) => a.node));
  const placedNodes = new Set(workloads.flatMap((w) => (w.current ? [w.current.node] : [])));
  for (const node of [...placedNodes].filter((n) => !usedNodes.has(n)).sort()) lines.push(...drainLines(host(node), recommendation.id));
  return lines;
}

/** Cordon (Kubernetes) and drain (Slurm) a node the plan leaves empty. */
function drainLines(hostname: string, recommendationId: number): string[] {
  return [
    commentLine(`${quotedName(hostname)} holds no workload in the plan: drain it to release its GPUs`),
    commandOrNote([hostname], "its hostname", () => shellCommand`kubectl cordon ${hostname}`),
    commandOrNote([hostname], "its hostname", () => shellCommand`scontrol update NodeName=${hostname} State=DRAIN Reason=${`gpu-roi recommendation ${recommendationId}`}`),
  ];
}

function rightSizingLines(recommendation: Recommendation): string[] {
  const r = recommendation.result as RightSizingRecommendation & { cluster?: string };
  const change = r.change;
  const gpus = change.kind === "mig-slice" ? 1 : change.gpuCount;
  const gres = change.kind === "mig-slice" ? `gpu:${change.profile}:1` : change.kind === "smaller-model" ? `gpu:${change.gpuModel.replace(/\s+/g, "_")}:${gpus}` : `gpu:${gpus}`;
  const ref = { cluster: r.cluster, externalId: r.jobId };
  const handle = jobHandle(r.jobId);
  if (handle.kind === "pod-uid" || handle.kind === "pod-name") {
    return [
      commentLine(`${subjectText(ref)}: ask for ${gpus} GPU(s) (${change.kind})`),
      ...findPodLines(handle),
      commentLine(`  then set resources.limits."nvidia.com/gpu": ${gpus} on its controller${change.kind === "mig-slice" ? ` (or nvidia.com/mig-${change.profile}: 1)` : ""}`),
    ];
  }
  if (handle.kind === "slurm") {
    return [
      commentLine(`${subjectText(ref)}: ${r.reason}`),
      commentLine(`next submission: sbatch --gres=${gres} <script>`),
      commentLine(`while it is pending: scontrol update JobId=${handle.jobId} Gres=${gres}`),
    ];
  }
  return [commentLine(`${subjectText(ref)}: change to ${JSON.stringify(change)}`)];
}

function tidalLines(recommendation: Recommendation): string[] {
  const plan = recommendation.result as TidalPlan;
  const batchJobs = new Map(((recommendation.inputs.batchJobs ?? []) as StoredBatchJob[]).map((job) => [job.id, job]));
  const lines = [commentLine(`provision ${plan.peakGpus} GPUs at the weekly peak; batch per hour of the week (slot 0 = Monday 00:00 UTC):`)];
  for (const line of plan.guidance) lines.push(commentLine(line));
  for (const job of plan.perJob) {
    const stored = batchJobs.get(job.id);
    const ref = { cluster: stored?.cluster, externalId: stored?.externalId ?? job.id };
    if (jobHandle(ref.externalId).kind !== "slurm") continue;
    lines.push(commentLine(`${subjectText(ref)}: ${job.scheduledGpuHours.toFixed(1)} GPU-hours a week in the planned slots; e.g. sbatch --begin=<slot start> for its next run`));
  }
  return lines;
}


/** `2 x A100` or `1 x A100 (500/1000 of it)`. */
function shapeText(shape: WorkloadShape): string {
  return `${shape.gpuCount} x ${shape.gpuModel}${shape.gpuMilli < 1000 ? ` (${shape.gpuMilli}/1000 of each)` : ""}`;
}

function placementText(placement: readonly { node: string; gpuIndexes: readonly number[] }[]): string {
  return placement.map((p) => `${quotedName(p.node)} GPU ${p.gpuIndexes.join(",")}`).join("; ") || "no GPU";
}

/** Slurm gres of a shape: model names as the gres type (spaces as underscores). */
function gresOf(shape: WorkloadShape): string {
  return `gpu:${shape.gpuModel.replace(/\s+/g, "_")}:${shape.gpuCount}`;
}

/** What to do for one workload of a plan action: its new shape, its new place, and (batch) its hours. */
function assignmentLines(workload: FindingWorkload | undefined, assignment: WorkloadAssignment, hoursOfWeek: readonly number[] | undefined): string[] {
  const lines: string[] = [];
  const from = assignment.from;
  const to = assignment.to;
  const reshaped = from.gpuModel !== to.gpuModel || from.gpuCount !== to.gpuCount || from.gpuMilli !== to.gpuMilli;
  const current = workload?.current ?? [];
  const moved = placementText(current) !== placementText(assignment.placement);
  const what = assignment.jobIds.length > 1 ? `workload ${quotedName(assignment.workloadId)} (${assignment.jobIds.length} replicas)` : `workload ${quotedName(assignment.workloadId)}`;
  lines.push(commentLine(`${what} in cluster ${quotedName(assignment.cluster)}: ${shapeText(from)} -> ${shapeText(to)}, on ${placementText(assignment.placement)} (now ${placementText(current)}); throughput ${assignment.throughput}`));
  for (const externalId of assignment.jobIds) {
    const ref = { cluster: assignment.cluster, externalId };
    const handle = jobHandle(externalId);
    if (handle.kind === "pod-uid" || handle.kind === "pod-name") {
      if (!reshaped && !moved) continue;
      lines.push(commentLine(`${subjectText(ref)}:`), ...findPodLines(handle));
      if (reshaped) lines.push(commentLine(`  then set resources.limits."nvidia.com/gpu": ${to.gpuCount} on its controller and select ${quotedName(to.gpuModel)} nodes (label nvidia.com/gpu.product)`));
      if (moved) lines.push(commentLine(`  then pin its controller to the plan's nodes (nodeSelector kubernetes.io/hostname) and let it reschedule`));
    } else if (handle.kind === "slurm") {
      if (reshaped) lines.push(commentLine(`${subjectText(ref)}: next submission sbatch --gres=${gresOf(to)} <script>; while pending: scontrol update JobId=${handle.jobId} Gres=${gresOf(to)}`));
      if (moved && assignment.placement.length > 0) {
        const node = assignment.placement[0].node;
        lines.push(
          commentLine(`${subjectText(ref)}: a running Slurm job cannot move; requeue it onto the node:`),
          commandOrNote([node], "the node's hostname", () => `${shellCommand`scontrol requeue ${handle.jobId}`} && ${shellCommand`scontrol update JobId=${handle.jobId} NodeList=${node}`}`),
        );
      }
      if (hoursOfWeek && hoursOfWeek.length > 0) lines.push(commentLine(`${subjectText(ref)}: run in the planned hours; e.g. sbatch --begin=<slot start> for its next run`));
    } else if (reshaped || moved) {
      lines.push(commentLine(`${subjectText(ref)}: change it by hand as above`));
    }
  }
  return lines;
}

/** Slots of the week as ranges: `Mon 00-06, Tue 22-24` (slot 0 = Monday 00:00 UTC). */
function hoursOfWeekText(slots: readonly number[]): string {
  const days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  const sorted = [...new Set(slots)].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1 && Math.floor(sorted[j + 1] / 24) === Math.floor(sorted[i] / 24)) j++;
    const day = Math.floor(sorted[i] / 24);
    ranges.push(`${days[day] ?? "?"} ${String(sorted[i] % 24).padStart(2, "0")}-${String((sorted[j] % 24) + 1).padStart(2, "0")}`);
    i = j + 1;
  }
  return ranges.join(", ");
}

/** A fleet plan action (move, pack, schedule): every workload of the group, then the nodes it drains. */
function planActionLines(recommendation: Recommendation): string[] {
  const inputs = recommendation.inputs as unknown as Partial<PlanFindingInputs>;
  const result = recommendation.result as Partial<PlanFindingResult>;
  const action = result.action;
  const lines: string[] = [];
  if (result.capacityFreedGpuHoursPerMonth) {
    lines.push(commentLine(`capacity freed: ${result.capacityFreedGpuHoursPerMonth.toFixed(0)} GPU-hours per month of owned or committed GPUs (not cash)`));
  }
  if (result.throughput === "assumed") lines.push(commentLine("throughput on the new GPU model is ASSUMED from peak ratios (discounted), not measured: watch the job's speed after the change"));
  if (action?.hoursOfWeek && action.hoursOfWeek.length > 0) lines.push(commentLine(`batch hours of the week (UTC): ${hoursOfWeekText(action.hoursOfWeek)}`));
  const workloads = new Map((inputs.workloads ?? []).map((w) => [w.id, w]));
  if (inputs.cluster !== undefined) lines.push(commentLine(`in cluster ${quotedName(inputs.cluster)}: run these where kubectl and scontrol reach that cluster`));
  for (const assignment of result.assignments ?? []) lines.push(...assignmentLines(workloads.get(assignment.workloadId), assignment, action?.hoursOfWeek));
  for (const hostname of [...(inputs.drainedNodes ?? [])].sort()) lines.push(...drainLines(hostname, recommendation.id));
  return lines;
}

/** The plan as JSON and shell lines (kubectl for pods, scontrol/sbatch for Slurm jobs). */
export function exportPlan(recommendation: Recommendation): ExportedPlan {
  const shell: string[] = [
    commentLine(`gpu-roi recommendation #${recommendation.id} (${recommendation.kind}, ${recommendation.state}): ${recommendation.title}`),
    commentLine(`projected saving ${recommendation.projectedMonthlySaving.toFixed(2)} ${recommendation.currency ?? ""}`.trimEnd() + " per month"),
    commentLine("Review every line before running it: nothing here runs by itself, and the commands are hints."),
  ];
  if (recommendation.kind === "move" || recommendation.kind === "pack" || recommendation.kind === "schedule") shell.push(...planActionLines(recommendation));
  else if (recommendation.kind === "packing") shell.push(...packingLines(recommendation));
  else if (recommendation.kind === "right-sizing") shell.push(...rightSizingLines(recommendation));
  else shell.push(...tidalLines(recommendation));
  return { recommendation, shell };
}
