/**
 * Parses what NVIDIA dcgm-exporter serves on /metrics (Prometheus text format)
 * into GPU readings, plus the labels that tie a GPU to Kubernetes pods or HPC
 * jobs.
 *
 * dcgm-exporter emits one series per metric per GPU, or per MIG GPU instance
 * (labels GPU_I_ID, GPU_I_PROFILE); series are grouped back by (UUID, GPU_I_ID).
 * A GPU shared by several pods gets one copy of each series per pod, which is how
 * the pod labels of a GPU are collected.
 */
import { CaptureParseError, emptyParsedGpu, migDeviceId, roundPct, type ParsedGpu } from "./parse-values";

/** One sample of the exposition text. */
export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  /** NaN and +/-Inf are kept as such; the caller decides what they mean. */
  value: number;
  /** Milliseconds since the epoch, when the line carries a timestamp. */
  timestampMs: number | null;
  /** 1-based line in the text. */
  line: number;
}

/** Labels that say what runs on a GPU, for attribution. */
export interface DcgmWorkloadLabels {
  pod: string | null;
  namespace: string | null;
  container: string | null;
  hpcJob: string | null;
}

/** What DCGM says about a GPU beyond a GpuReading. */
export interface DcgmGpuDetails {
  /** uuid of the reading these details belong to (same position in `gpus`). */
  uuid: string | null;
  /** Hostname label (dcgm-exporter up to 4.5 says Hostname, later versions hostname). */
  hostname: string | null;
  driverVersion: string | null;
  /** Percent of time the graphics/compute engine was busy (DCGM_FI_PROF_GR_ENGINE_ACTIVE x 100). */
  grEngineActivePct: number | null;
  /** Percent of cycles the tensor pipes were busy (DCGM_FI_PROF_PIPE_TENSOR_ACTIVE x 100). */
  tensorActivePct: number | null;
  /** Energy used since boot, J (DCGM reports mJ). */
  totalEnergyConsumptionJ: number | null;
  /** Distinct pod/namespace/container/hpc_job label sets seen on the GPU's series. */
  workloads: DcgmWorkloadLabels[];
}

export interface DcgmExporterResult {
  gpus: ParsedGpu[];
  /** Same order as gpus. */
  gpuDetails: DcgmGpuDetails[];
}

const METRIC_NAME = /^[A-Za-z_:][A-Za-z0-9_:]*/;
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

function parseSampleValue(token: string): number | null {
  switch (token) {
    case "NaN":
      return Number.NaN;
    case "+Inf":
    case "Inf":
      return Number.POSITIVE_INFINITY;
    case "-Inf":
      return Number.NEGATIVE_INFINITY;
  }
  if (!/^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/.test(token)) return null;
  return Number(token);
}

/** Reads the label set starting just after "{"; returns the labels and the index after "}". */
function parseLabels(line: string, start: number, fail: (problem: string) => never): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start;
  for (;;) {
    while (line[i] === " " || line[i] === "\t" || line[i] === ",") i += 1;
    if (line[i] === "}") return { labels, end: i + 1 };
    const name = LABEL_NAME.exec(line.slice(i));
    if (!name) fail("label name expected");
    i += name[0].length;
    while (line[i] === " " || line[i] === "\t") i += 1;
    if (line[i] !== "=") fail(`"=" expected after label ${name[0]}`);
    i += 1;
    while (line[i] === " " || line[i] === "\t") i += 1;
    if (line[i] !== '"') fail(`quoted value expected for label ${name[0]}`);
    i += 1;
    let value = "";
    for (;;) {
      if (i >= line.length) fail(`unterminated value of label ${name[0]}`);
      const c = line[i];
      if (c === '"') break;
      if (c === "\\") {
        const next = line[i + 1];
        value += next === "n" ? "\n" : next === undefined ? "\\" : next;
        i += 2;
        continue;
      }
      value += c;
      i += 1;
    }
    labels[name[0]] = value;
    i += 1;
  }
}

/**
 * Parses Prometheus text exposition: `name{label="value",...} value [timestamp]`.
 * Comments (# HELP, # TYPE, # anything) and blank lines are skipped. Label values
 * may contain escaped quotes, backslashes and newlines.
 */
export function parsePrometheusText(text: string, source: string): PrometheusSample[] {
  const samples: PrometheusSample[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, rawLine] of lines.entries()) {
    const lineNumber = i + 1;
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const nameMatch = METRIC_NAME.exec(line);
    const fail = (problem: string, field?: string): never => {
      throw new CaptureParseError({ source, line: lineNumber, field: field ?? nameMatch?.[0] ?? null }, problem);
    };
    if (!nameMatch) fail("not a metric line");
    const name = (nameMatch as RegExpExecArray)[0];
    let rest = name.length;
    let labels: Record<string, string> = {};
    if (line[rest] === "{") {
      const parsed = parseLabels(line, rest + 1, fail);
      labels = parsed.labels;
      rest = parsed.end;
    }
    const tokens = line.slice(rest).trim().split(/\s+/).filter((token) => token !== "");
    if (tokens.length === 0 || tokens.length > 2) fail(`expected a value and an optional timestamp, got ${JSON.stringify(line.slice(rest).trim())}`);
    const value = parseSampleValue(tokens[0]);
    if (value === null) fail(`${JSON.stringify(tokens[0])} is not a number`);
    let timestampMs: number | null = null;
    if (tokens.length === 2) {
      if (!/^-?\d+$/.test(tokens[1])) fail(`timestamp ${JSON.stringify(tokens[1])} is not a whole number`);
      timestampMs = Number(tokens[1]);
    }
    samples.push({ name, labels, value: value as number, timestampMs, line: lineNumber });
  }
  return samples;
}

/**
 * DCGM marks "no value" with sentinels near the top of the field's type
 * (DCGM_INT32_BLANK 0x7ffffff0, DCGM_INT64_BLANK, DCGM_FP64_BLANK 2^47); older
 * exporters printed them as is. No gauge read here (percent, MiB, W) comes
 * near 2^31, so anything at or above the int32 sentinel is absent. Energy (mJ)
 * does pass 2^31 legitimately, so only the int64 sentinel applies to it.
 */
const INT32_BLANK = 0x7ffffff0;
const INT64_BLANK_APPROX = 9.2e18;

function gaugeValue(value: number | undefined): number | null {
  if (value === undefined || !Number.isFinite(value) || value >= INT32_BLANK) return null;
  return value;
}

function counterValue(value: number | undefined): number | null {
  if (value === undefined || !Number.isFinite(value) || value >= INT64_BLANK_APPROX) return null;
  return value;
}

/** Profiling metrics are ratios 0..1; readings are percent, without the float noise of scaling (0.995687 x 100). */
const ratioToPct = (value: number | null) => (value === null ? null : roundPct(value * 100));

interface SeriesGroup {
  uuid: string | null;
  gpuInstanceId: string | null;
  labels: Record<string, string>;
  values: Map<string, number>;
  workloads: Map<string, DcgmWorkloadLabels>;
}

const nonEmpty = (value: string | undefined) => (value === undefined || value === "" ? null : value);

/**
 * Parses dcgm-exporter /metrics text. Readings:
 * - utilizationGpuPct: DCGM_FI_DEV_GPU_UTIL; where it is missing (MIG instances,
 *   exporters without it) DCGM_FI_PROF_GR_ENGINE_ACTIVE, which measures the same
 *   thing (time the engine had work) from the profiler;
 * - smActivePct: DCGM_FI_PROF_SM_ACTIVE only. GR_ENGINE_ACTIVE is not SM activity:
 *   one tiny kernel keeps the engine active with most SMs idle;
 * - memory: FB_USED; total = FB_USED + FB_FREE (+ FB_RESERVED where exported),
 *   or FB_TOTAL when used/free are missing;
 * - powerDrawW: DCGM_FI_DEV_POWER_USAGE.
 * Series without a UUID or gpu label (NVSwitch, NVLink) are not GPU readings and
 * are left out.
 */
export function parseDcgmExporterText(text: string, source: string): DcgmExporterResult {
  const groups = new Map<string, SeriesGroup>();
  for (const sample of parsePrometheusText(text, source)) {
    if (!sample.name.startsWith("DCGM_FI_")) continue;
    const uuid = nonEmpty(sample.labels.UUID);
    const gpuLabel = nonEmpty(sample.labels.gpu);
    if (uuid === null && gpuLabel === null) continue;
    const gpuInstanceId = nonEmpty(sample.labels.GPU_I_ID);
    const key = `${uuid ?? `gpu ${gpuLabel}`}\u0000${gpuInstanceId ?? ""}`;
    let group = groups.get(key);
    if (!group) {
      group = { uuid, gpuInstanceId, labels: sample.labels, values: new Map(), workloads: new Map() };
      groups.set(key, group);
    }
    // Copies of a series for several pods carry the same value; the first is kept.
    if (!group.values.has(sample.name)) group.values.set(sample.name, sample.value);
    const workload: DcgmWorkloadLabels = {
      pod: nonEmpty(sample.labels.pod),
      namespace: nonEmpty(sample.labels.namespace),
      container: nonEmpty(sample.labels.container),
      hpcJob: nonEmpty(sample.labels.hpc_job),
    };
    if (workload.pod !== null || workload.namespace !== null || workload.container !== null || workload.hpcJob !== null) {
      group.workloads.set(JSON.stringify(workload), workload);
    }
  }

  const gpus: ParsedGpu[] = [];
  const gpuDetails: DcgmGpuDetails[] = [];
  for (const group of groups.values()) {
    const { labels, values } = group;
    const gauge = (metric: string) => gaugeValue(values.get(metric));
    const gpu = emptyParsedGpu();
    const instanceId = group.gpuInstanceId === null ? null : Number(group.gpuInstanceId);
    if (group.uuid !== null && instanceId !== null && Number.isSafeInteger(instanceId)) {
      // dcgm-exporter reports per GPU instance, not per compute instance: the
      // device is named as its first (usually only) compute instance, 0.
      gpu.uuid = migDeviceId(group.uuid, instanceId, 0);
      gpu.migParentUuid = group.uuid;
      gpu.migProfile = nonEmpty(labels.GPU_I_PROFILE);
    } else {
      gpu.uuid = group.uuid;
    }
    const index = Number(labels.gpu);
    gpu.index = labels.gpu !== undefined && Number.isSafeInteger(index) && index >= 0 ? index : null;
    // The `device` label is the device node ("nvidia0"), not a model: a scrape
    // without modelName (exporters configured without it) names no model.
    gpu.modelName = nonEmpty(labels.modelName) ?? nonEmpty(labels.DCGM_FI_DEV_NAME) ?? null;

    const usedMiB = gauge("DCGM_FI_DEV_FB_USED");
    const freeMiB = gauge("DCGM_FI_DEV_FB_FREE");
    const reservedMiB = gauge("DCGM_FI_DEV_FB_RESERVED");
    gpu.memoryUsedMiB = usedMiB;
    gpu.memoryTotalMiB = usedMiB !== null && freeMiB !== null ? usedMiB + freeMiB + (reservedMiB ?? 0) : gauge("DCGM_FI_DEV_FB_TOTAL");

    const grEngineActivePct = ratioToPct(gauge("DCGM_FI_PROF_GR_ENGINE_ACTIVE"));
    gpu.utilizationGpuPct = gauge("DCGM_FI_DEV_GPU_UTIL") ?? grEngineActivePct;
    gpu.smActivePct = ratioToPct(gauge("DCGM_FI_PROF_SM_ACTIVE"));
    gpu.powerDrawW = gauge("DCGM_FI_DEV_POWER_USAGE");
    gpus.push(gpu);

    const energyMilliJ = counterValue(values.get("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"));
    gpuDetails.push({
      uuid: gpu.uuid,
      hostname: nonEmpty(labels.Hostname) ?? nonEmpty(labels.hostname),
      driverVersion: nonEmpty(labels.DCGM_FI_DRIVER_VERSION),
      grEngineActivePct,
      tensorActivePct: ratioToPct(gauge("DCGM_FI_PROF_PIPE_TENSOR_ACTIVE")),
      totalEnergyConsumptionJ: energyMilliJ === null ? null : energyMilliJ / 1000,
      workloads: [...group.workloads.values()],
    });
  }
  return { gpus, gpuDetails };
}
