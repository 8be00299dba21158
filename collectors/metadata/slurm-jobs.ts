/**
 * Slurm job metadata from `scontrol show job -o ID` (slurmctld: running jobs)
 * and `sacct --json -j ID` (slurmdbd: also jobs that already ended). Pure:
 * text in, metadata out; running the commands is slurm-metadata.ts.
 *
 * Absent values ((null), N/A, empty) are null. The wckey Slurm chose because
 * the job named none is printed with a leading `*` (`WCKey=*default`); the
 * star is dropped, the key kept.
 */
import { applyRules, type FieldRules, type MappedValues, type SlurmSource } from "./mapping-rules";

export interface SlurmJobMetadata {
  jobId: string;
  jobName: string | null;
  user: string | null;
  account: string | null;
  partition: string | null;
  qos: string | null;
  wckey: string | null;
  comment: string | null;
}

const absent = (value: string | null | undefined): string | null => {
  const trimmed = value?.trim();
  return !trimmed || trimmed === "(null)" || trimmed === "N/A" ? null : trimmed;
};

const wckeyOf = (value: string | null | undefined): string | null => absent(absent(value)?.replace(/^\*/, ""));

/**
 * Fields of `scontrol show job` whose value is free text and may hold spaces
 * and even `word=value` pairs (a comment "lr=0.1 bs=32"): inside them only a
 * key scontrol prints ends the value.
 */
const FREE_TEXT_KEYS = new Set(["JobName", "Comment", "AdminComment", "SystemComment", "Extra", "Command", "WorkDir", "StdErr", "StdIn", "StdOut", "Reason", "Features"]);
const KNOWN_KEYS = new Set([
  "JobId", "ArrayJobId", "ArrayTaskId", "HetJobId", "HetJobOffset", "JobName", "UserId", "GroupId", "MCS_label", "Priority", "Nice",
  "Account", "QOS", "WCKey", "JobState", "Reason", "Dependency", "Requeue", "Restarts", "BatchFlag", "Reboot", "ExitCode",
  "DerivedExitCode", "RunTime", "TimeLimit", "TimeMin", "SubmitTime", "EligibleTime", "AccrueTime", "StartTime", "EndTime",
  "Deadline", "PreemptEligibleTime", "PreemptTime", "SuspendTime", "SecsPreSuspend", "LastSchedEval", "Scheduler", "Partition",
  "AllocNode:Sid", "ReqNodeList", "ExcNodeList", "NodeList", "BatchHost", "NumNodes", "NumCPUs", "NumTasks", "CPUs/Task",
  "ReqB:S:C:T", "ReqTRES", "AllocTRES", "TRES", "Socks/Node", "NtasksPerN:B:S:C", "CoreSpec", "MinCPUsNode", "MinMemoryNode",
  "MinMemoryCPU", "MinTmpDiskNode", "Features", "DelayBoot", "OverSubscribe", "Contiguous", "Licenses", "Network", "Command",
  "WorkDir", "Comment", "AdminComment", "SystemComment", "Extra", "StdErr", "StdIn", "StdOut", "Power", "TresPerNode",
  "TresPerJob", "TresPerTask", "MailUser", "MailType", "CpusPerTres", "MemPerTres", "TresBind", "TresFreq", "Reservation",
  "Container", "ContainerID", "ResvPorts", "CPU_IDs", "Mem", "GRES", "Nodes", "JOB_GRES", "KillOInInvalidDependent",
]);

/**
 * Splits one job of `scontrol show job` (the one-line `-o` form or the
 * indented multi-line form) into its Key=value pairs.
 */
export function parseScontrolFields(text: string): Map<string, string> {
  const candidates = [...text.matchAll(/(^|\s+)([A-Za-z][A-Za-z0-9_:/]*)=/g)].map((match) => ({
    start: match.index,
    separator: match[1],
    key: match[2],
    valueStart: match.index + match[0].length,
  }));
  const fields = new Map<string, string>();
  let current: (typeof candidates)[number] | null = null;
  for (const candidate of candidates) {
    if (current !== null) {
      const endsValue = !FREE_TEXT_KEYS.has(current.key) || KNOWN_KEYS.has(candidate.key) || candidate.separator.includes("\n");
      if (!endsValue) continue;
      // No value spans lines: what follows a newline without a key (`NtasksPerTRES:0` of -dd output) is not part of it.
      if (!fields.has(current.key)) fields.set(current.key, text.slice(current.valueStart, candidate.start).split("\n")[0].trim());
    }
    current = candidate;
  }
  if (current !== null && !fields.has(current.key)) fields.set(current.key, text.slice(current.valueStart).split("\n")[0].trim());
  return fields;
}

/**
 * The job `jobId` out of `scontrol show job -o` output (one line per job; an
 * array job's tasks each have a line). Errors name the source, line and field.
 */
export function parseScontrolJob(text: string, jobId: string, source: string): SlurmJobMetadata | null {
  const lines = text.split("\n");
  // The multi-line form separates jobs by blank lines; the -o form puts each on one line.
  const records: { line: number; text: string }[] = [];
  let start = -1;
  lines.forEach((line, index) => {
    const startsRecord = /^\s*JobId=/.test(line);
    if (startsRecord) {
      if (start >= 0) records.push({ line: start + 1, text: lines.slice(start, index).join("\n") });
      start = index;
    }
  });
  if (start >= 0) records.push({ line: start + 1, text: lines.slice(start).join("\n") });
  if (records.length === 0) {
    if (/Invalid job id specified/i.test(text)) return null;
    throw new Error(`${source}: line 1: field JobId: missing; not scontrol show job output`);
  }
  for (const record of records) {
    const fields = parseScontrolFields(record.text);
    const id = fields.get("JobId") ?? "";
    if (!/^\d+$/.test(id)) throw new Error(`${source}: line ${record.line}: field JobId: ${JSON.stringify(id)} is not a job id`);
    if (id !== jobId && fields.get("ArrayJobId") !== jobId) continue;
    const userId = absent(fields.get("UserId"));
    return {
      jobId: id,
      jobName: absent(fields.get("JobName") ?? fields.get("Name")),
      user: userId === null ? null : userId.replace(/\(\d+\)$/, ""),
      account: absent(fields.get("Account")),
      partition: absent(fields.get("Partition")),
      qos: absent(fields.get("QOS")),
      wckey: wckeyOf(fields.get("WCKey")),
      comment: absent(fields.get("Comment")),
    };
  }
  return null;
}

/** `comment` and `wckey` are objects since Slurm 23.02's data_parser, plain strings before. */
function nestedText(value: unknown, key: string): string | null {
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object") {
    const inner = (value as Record<string, unknown>)[key];
    return typeof inner === "string" ? inner : null;
  }
  return null;
}

const jsonText = (value: unknown): string | null => (typeof value === "string" ? absent(value) : null);

/**
 * The job `jobId` out of `sacct --json -j ID`. A requeued job has several
 * records: the last one is the current. Errors name the source and field.
 */
export function parseSacctJson(json: string, jobId: string, source: string): SlurmJobMetadata | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`${source}: not JSON (${(error as Error).message})`);
  }
  const jobs = (parsed as { jobs?: unknown } | null)?.jobs;
  if (!Array.isArray(jobs)) throw new Error(`${source}: field jobs: expected sacct --json output with a jobs array`);
  const matching = jobs.filter((job) => String(job?.job_id) === jobId || String(job?.array?.job_id) === jobId);
  const job = matching.at(-1);
  if (!job) return null;
  return {
    jobId: String(job.job_id),
    jobName: jsonText(job.name),
    user: jsonText(job.user) ?? jsonText(job.association?.user),
    account: jsonText(job.account) ?? jsonText(job.association?.account),
    partition: jsonText(job.partition),
    qos: jsonText(job.qos),
    wckey: wckeyOf(nestedText(job.wckey, "wckey")),
    comment: absent(nestedText(job.comment, "job")),
  };
}

/** The value of one mapping-rule source for a Slurm job. */
export function slurmSource(job: SlurmJobMetadata, source: SlurmSource | string): string | null {
  switch (source) {
    case "account":
      return job.account;
    case "partition":
      return job.partition;
    case "qos":
      return job.qos;
    case "jobName":
      return job.jobName;
    case "wckey":
      return job.wckey;
    case "comment":
      return job.comment;
    case "user":
      return job.user;
    default:
      return null;
  }
}

/** What a Slurm job's metadata says about it: mapped names, and the scheduler's own terms as labels. */
export function slurmJobMetadata(job: SlurmJobMetadata, rules: FieldRules): { values: MappedValues; labels: Record<string, string> } {
  const labels: Record<string, string> = {};
  if (job.account) labels.account = job.account;
  if (job.partition) labels.partition = job.partition;
  if (job.qos) labels.qos = job.qos;
  if (job.jobName) labels.jobName = job.jobName;
  if (job.wckey) labels.wckey = job.wckey;
  return { values: applyRules(rules, (source) => slurmSource(job, source)), labels };
}
