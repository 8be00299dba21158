/**
 * The collector's metadata settings (validated by cli.ts) and the enricher they
 * make. Reading the rules file happens here, once, at start: a bad file stops
 * the collector with an error naming the file and field rather than charging
 * GPU time to the wrong team for days.
 */
import { readFileSync } from "node:fs";
import type { JobKind } from "../../server/wire/ingest-v1";
import { JobMetadataEnricher } from "./enrich";
import { KubernetesPodCache } from "./kubernetes-metadata";
import { DEFAULT_MAPPING_RULES, parseMappingRules, type MappingRules } from "./mapping-rules";
import { podResourcesLister } from "./pod-resources";
import { SlurmJobCache, type SlurmMetadataMode } from "./slurm-metadata";

export const DEFAULT_METADATA_CACHE_TTL_MS = 60_000;
export const DEFAULT_METADATA_TIMEOUT_MS = 5_000;

export interface MetadataConfig {
  /** JSON mapping rules, a file or inline JSON; null: the defaults (see mapping-rules.ts). */
  rulesFile: string | null;
  /** This node's PodList URL; null: no Kubernetes metadata. */
  kubernetesPodsUrl: string | null;
  kubernetesTokenFile: string | null;
  kubernetesCaFile: string | null;
  /** The kubelet's pod-resources socket; null: not read. */
  podResourcesSocket: string | null;
  /** null: no Slurm metadata. */
  slurm: SlurmMetadataMode | null;
  cacheTtlMs: number;
  timeoutMs: number;
}

export const NO_METADATA: MetadataConfig = {
  rulesFile: null,
  kubernetesPodsUrl: null,
  kubernetesTokenFile: null,
  kubernetesCaFile: null,
  podResourcesSocket: null,
  slurm: null,
  cacheTtlMs: DEFAULT_METADATA_CACHE_TTL_MS,
  timeoutMs: DEFAULT_METADATA_TIMEOUT_MS,
};

/**
 * The rules of --mapping-rules: a JSON file's path, or the JSON itself (starting
 * with `{`), so that a short rule fits in one environment variable.
 */
export function loadMappingRules(file: string | null, readFile: (path: string) => string = (path) => readFileSync(path, "utf8")): MappingRules {
  if (file === null) return DEFAULT_MAPPING_RULES;
  if (file.trimStart().startsWith("{")) return parseMappingRules(file, "--mapping-rules");
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    throw new Error(`${file}: cannot read mapping rules (${(error as Error).message})`);
  }
  return parseMappingRules(text, file);
}

/** The enricher for this configuration, or null when no metadata source is on. */
export function createMetadataEnricher(
  config: MetadataConfig,
  deps: { now: () => number; log: (line: string) => void; defaultKind?: JobKind; maxWaitMs?: number },
): JobMetadataEnricher | null {
  // Read even when no source is on, so that a mistake in the file shows at once.
  const rules = loadMappingRules(config.rulesFile);
  if (config.kubernetesPodsUrl === null && config.slurm === null && config.podResourcesSocket === null) return null;
  const kubernetes =
    config.kubernetesPodsUrl === null
      ? null
      : new KubernetesPodCache(
          { podsUrl: config.kubernetesPodsUrl, tokenFile: config.kubernetesTokenFile, caFile: config.kubernetesCaFile, cacheTtlMs: config.cacheTtlMs, timeoutMs: config.timeoutMs },
          { now: deps.now, log: deps.log },
        );
  const slurm = config.slurm === null ? null : new SlurmJobCache({ mode: config.slurm, cacheTtlMs: config.cacheTtlMs, timeoutMs: config.timeoutMs }, { now: deps.now, log: deps.log });
  const podResources = config.podResourcesSocket === null ? null : podResourcesLister(config.podResourcesSocket, config.timeoutMs);
  return new JobMetadataEnricher({ rules, kubernetes, slurm, podResources, defaultKind: deps.defaultKind, maxWaitMs: deps.maxWaitMs, log: deps.log });
}
