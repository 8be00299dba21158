/**
 * Mapping rules: which piece of scheduler metadata becomes a job's team,
 * project, model, experiment and user, so that platform teams can charge GPU
 * time without asking every workload to set GPU_ROI_* variables.
 *
 * A rule is an ordered list of sources; the first one with a non-empty value
 * wins. Kubernetes sources: `namespace`, `pod`, `owner` (the workload's name,
 * e.g. the Deployment), `ownerKind`, `label:<key>`, `annotation:<key>`. Slurm
 * sources: `account`, `partition`, `qos`, `jobName`, `wckey`, `comment`, `user`.
 * A source `"=<text>"` is a constant (e.g. `["label:team", "=unassigned"]`).
 *
 * Pure: text in, values out. The file is read by the caller.
 */
import { z } from "zod";

export const MAPPED_FIELDS = ["team", "project", "model", "experiment", "user"] as const;
export type MappedField = (typeof MAPPED_FIELDS)[number];
export type MappedValues = Partial<Record<MappedField, string>>;

const KUBERNETES_PLAIN_SOURCES = ["namespace", "pod", "owner", "ownerKind"] as const;
export const SLURM_SOURCES = ["account", "partition", "qos", "jobName", "wckey", "comment", "user"] as const;
export type SlurmSource = (typeof SLURM_SOURCES)[number];

export type FieldRules = Partial<Record<MappedField, string[]>>;

export interface MappingRules {
  kubernetes: FieldRules;
  slurm: FieldRules;
}

/**
 * Defaults follow the conventions clusters already use: an explicit gpu-roi.io/*
 * or plain `team`/`project` label first, then the Kubernetes recommended labels
 * (app.kubernetes.io/part-of for the application a component belongs to,
 * app.kubernetes.io/name for what runs), Kueue's queue, and the name of the
 * Kubeflow training job (training-operator v1, Trainer v2) or JobSet a pod
 * belongs to as its experiment. Team falls back to the namespace, the usual
 * unit of tenancy. On Slurm the account is the team (it is what fair-share
 * charges), the wckey the project, the comment the experiment.
 */
export const DEFAULT_MAPPING_RULES: MappingRules = {
  kubernetes: {
    team: ["label:gpu-roi.io/team", "label:team", "namespace"],
    project: ["label:gpu-roi.io/project", "label:project", "label:app.kubernetes.io/part-of", "label:kueue.x-k8s.io/queue-name"],
    model: ["label:gpu-roi.io/model", "annotation:gpu-roi.io/model", "label:model", "label:app.kubernetes.io/name"],
    experiment: [
      "label:gpu-roi.io/experiment",
      "annotation:gpu-roi.io/experiment",
      "label:experiment",
      "label:training.kubeflow.org/job-name",
      "label:trainer.kubeflow.org/trainjob-name",
      "label:jobset.sigs.k8s.io/jobset-name",
    ],
    user: ["label:gpu-roi.io/user", "annotation:gpu-roi.io/user"],
  },
  slurm: {
    team: ["account"],
    project: ["wckey"],
    experiment: ["comment"],
    user: ["user"],
  },
};

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;

function isKubernetesSource(source: string): boolean {
  if (source.startsWith("=")) return source.length > 1;
  if ((KUBERNETES_PLAIN_SOURCES as readonly string[]).includes(source)) return true;
  const match = /^(label|annotation):(.+)$/.exec(source);
  return match !== null && KEY.test(match[2]);
}

function isSlurmSource(source: string): boolean {
  return (source.startsWith("=") && source.length > 1) || (SLURM_SOURCES as readonly string[]).includes(source);
}

const fieldRulesSchema = (valid: (source: string) => boolean, expected: string) =>
  z
    .object(Object.fromEntries(MAPPED_FIELDS.map((field) => [field, z.array(z.string().refine(valid, `must be ${expected}`)).optional()])))
    .strict();

const mappingRulesSchema = z
  .object({
    kubernetes: fieldRulesSchema(isKubernetesSource, "namespace, pod, owner, ownerKind, label:KEY, annotation:KEY or =TEXT").optional(),
    slurm: fieldRulesSchema(isSlurmSource, `one of ${SLURM_SOURCES.join(", ")} or =TEXT`).optional(),
  })
  .strict();

/**
 * Reads a rules file (JSON). A field given replaces that field's default; a
 * field left out keeps it; `[]` turns the field off. Errors name the file and
 * the field, e.g. `rules.json: kubernetes.team[1]: must be ...`.
 */
export function parseMappingRules(text: string, file: string): MappingRules {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`);
  }
  const parsed = mappingRulesSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.map((part, index) => (typeof part === "number" ? `[${part}]` : `${index > 0 ? "." : ""}${String(part)}`)).join("");
    throw new Error(`${file}: ${where || "(top level)"}: ${issue.message}`);
  }
  return {
    kubernetes: { ...DEFAULT_MAPPING_RULES.kubernetes, ...(parsed.data.kubernetes as FieldRules | undefined) },
    slurm: { ...DEFAULT_MAPPING_RULES.slurm, ...(parsed.data.slurm as FieldRules | undefined) },
  };
}

/** Wire limit of a job's names (see server/wire/ingest-v1.ts). */
const MAX_NAME_LENGTH = 256;

const usable = (value: string | null | undefined): string | null => {
  const trimmed = value?.trim();
  return trimmed ? trimmed.slice(0, MAX_NAME_LENGTH) : null;
};

/** Applies rules with a resolver that gives the value of one source (null: absent). */
export function applyRules(rules: FieldRules, resolve: (source: string) => string | null | undefined): MappedValues {
  const values: MappedValues = {};
  for (const field of MAPPED_FIELDS) {
    for (const source of rules[field] ?? []) {
      const value = usable(source.startsWith("=") ? source.slice(1) : resolve(source));
      if (value !== null) {
        values[field] = value;
        break;
      }
    }
  }
  return values;
}
