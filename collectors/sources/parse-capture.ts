/**
 * Turns one capture (a file's text) into GPU readings, whatever its format:
 * nvidia-smi XML, CSV or -L output, captures of several nvidia-smi commands in
 * one file, or dcgm-exporter /metrics text. Pure: the caller reads the file.
 */
import type { GpuReading, JobAttribution } from "../readings";
import { amdSmiCommandOf, parseAmdSmiList, parseAmdSmiMetric, parseAmdSmiProcesses, parseAmdSmiStaticModels, parseJsonCapture, parseRocmSmiJson } from "./amd-smi";
import { parseDcgmExporterText, type DcgmGpuDetails } from "./dcgm-exporter";
import { detectCaptureFormat, SECTION_COMMAND_LINE, type CaptureFormat } from "./detect-format";
import {
  DEFAULT_COMPUTE_APPS_QUERY_FIELDS,
  DEFAULT_GPU_QUERY_FIELDS,
  MIG_MODE_QUERY_FIELD,
  parseComputeAppsCsv,
  parseQueryGpuCsv,
  parseQueryGpuFieldValues,
  type ParsedComputeApp,
} from "./nvidia-smi-csv";
import { HL_SMI_QUERY_FIELDS, parseHlSmiCsv } from "./hl-smi";
import { parseNvidiaSmiXml } from "./nvidia-smi-xml";
import { CaptureParseError, emptyParsedGpu, type ParsedGpu, type ParsedProcess } from "./parse-values";

export interface ParseCaptureOptions {
  /** Label of the capture in error messages, usually its file name. */
  source: string;
  /**
   * For CSV without a header: the queried fields, in order. Without it, only
   * the collector's default field lists are recognised.
   */
  fields?: readonly string[];
}

export interface ParsedCapture {
  format: CaptureFormat;
  driverVersion: string | null;
  gpus: ParsedGpu[];
  /** dcgm-exporter only: hostname, pod/namespace/container/hpc_job labels, energy; same order as gpus. */
  dcgmGpuDetails: DcgmGpuDetails[];
}

/** A process in the `parse` command's output. */
export interface CaptureSummaryProcess {
  pid: number;
  name: string | null;
  memoryUsedMiB: number | null;
}

/** A GPU in the `parse` command's output; null where the capture has no value. */
export interface CaptureSummaryGpu {
  uuid: string | null;
  index: number | null;
  name: string | null;
  memoryTotalMiB: number | null;
  memoryUsedMiB: number | null;
  utilizationGpuPct: number | null;
  powerDrawW: number | null;
  migProfile: string | null;
  processes: CaptureSummaryProcess[];
}

export interface CaptureSummary {
  gpus: CaptureSummaryGpu[];
}

const GPU_LINE = /^GPU (\d+): (.*?) \(UUID: ([^)]+)\)\s*$/;
const MIG_LINE = /^\s+MIG (\S+)\s+Device\s+(\d+): \(UUID: ([^)]+)\)\s*$/;

/**
 * Parses `nvidia-smi -L`: one line per GPU, and an indented line per MIG device
 * under its GPU. Only identities: every measurement is null.
 */
export function parseNvidiaSmiList(text: string): ParsedGpu[] {
  const gpus: ParsedGpu[] = [];
  let parent: ParsedGpu | null = null;
  for (const line of text.split(/\r?\n/)) {
    const gpuMatch = GPU_LINE.exec(line);
    if (gpuMatch) {
      parent = { ...emptyParsedGpu(), index: Number(gpuMatch[1]), modelName: gpuMatch[2].trim(), uuid: gpuMatch[3].trim() };
      gpus.push(parent);
      continue;
    }
    const migMatch = MIG_LINE.exec(line);
    if (migMatch && parent) {
      gpus.push({
        ...emptyParsedGpu(),
        index: parent.index,
        modelName: parent.modelName,
        uuid: migMatch[3].trim(),
        migParentUuid: parent.uuid,
        migProfile: migMatch[1],
      });
    }
  }
  return gpus;
}

/**
 * Puts compute-apps rows on their GPUs (by UUID). A process on a GPU the capture
 * has no other data about still gets the GPU, with what the row says of it.
 */
function attachComputeApps(gpus: ParsedGpu[], apps: ParsedComputeApp[], source: string): ParsedGpu[] {
  const result = gpus.map((gpu) => ({ ...gpu, processes: [...gpu.processes] }));
  for (const app of apps) {
    const process: ParsedProcess = { pid: app.pid, name: app.name, memoryUsedMiB: app.memoryUsedMiB };
    let gpu: ParsedGpu | undefined;
    if (app.gpuUuid !== null) {
      gpu = result.find((candidate) => candidate.uuid === app.gpuUuid);
      if (!gpu) {
        gpu = { ...emptyParsedGpu(), uuid: app.gpuUuid, modelName: app.gpuName };
        result.push(gpu);
      }
    } else if (result.length === 1) {
      gpu = result[0];
    } else {
      throw new CaptureParseError(
        { source, field: "gpu_uuid" },
        `process ${app.pid} does not name its GPU; query gpu_uuid with --query-compute-apps so processes can be put on their GPU`,
      );
    }
    gpu.processes.push(process);
  }
  return result;
}

interface Section {
  command: string;
  /** "idle", "load"...: the label in front of "::" on the line before the command, if any. */
  phase: string | null;
  firstLineNumber: number;
  text: string;
}

const SEPARATOR_LINE = /^#{10,}\s*$/;
const ANY_COMMAND_LINE = /^#\s*\$\s+(.*)$/;
const PHASE_LINE = /^#\s*([^:#]+?)\s*::/;

/**
 * Splits a capture of several commands. Each command's output follows a
 * "# $ nvidia-smi ..." or "# nvidia-smi ..." line (and an optional ##### rule)
 * and runs to the next rule or command line.
 */
function splitSections(text: string): Section[] {
  const lines = text.split(/\r?\n/);
  const sections: Section[] = [];
  const commandOf = (line: string) => {
    const trimmed = line.trim();
    return SECTION_COMMAND_LINE.exec(trimmed)?.[1] ?? ANY_COMMAND_LINE.exec(trimmed)?.[1] ?? null;
  };
  for (let i = 0; i < lines.length; i += 1) {
    const command = commandOf(lines[i]);
    if (command === null) continue;
    const phase = i > 0 ? (PHASE_LINE.exec(lines[i - 1].trim())?.[1] ?? null) : null;
    let start = i + 1;
    if (start < lines.length && SEPARATOR_LINE.test(lines[start])) start += 1;
    let end = start;
    while (end < lines.length && !SEPARATOR_LINE.test(lines[end]) && commandOf(lines[end]) === null) end += 1;
    sections.push({ command, phase, firstLineNumber: start + 1, text: lines.slice(start, end).join("\n") });
    i = end - 1;
  }
  return sections;
}

/** The field list of a --query-gpu=... or --query-compute-apps=... command line. */
function queriedFields(command: string, option: string): string[] | undefined {
  const match = new RegExp(`${option}[= ]"?([^"\\s]+)"?`).exec(command);
  return match ? match[1].split(",").filter((field) => field !== "") : undefined;
}

/**
 * From a capture of several commands, the richest readings it holds, latest
 * first (captures run the commands idle, then under load):
 * 1. the last `nvidia-smi -q -x` section (MIG devices, processes per instance);
 * 2. else the last --query-gpu CSV, with the processes of the
 *    --query-compute-apps CSV of the same phase;
 * 3. else the identities from nvidia-smi -L.
 */
function parseMultiSection(text: string, source: string): ParsedGpu[] {
  const sections = splitSections(text);
  const xmlSection = sections
    .filter((s) => /\s(?:-q|--query)(?:\s|$)/.test(` ${s.command} `) && /\s(?:-x|--xml-format)(?:\s|$)/.test(` ${s.command} `))
    .at(-1);
  if (xmlSection && xmlSection.text.trim().startsWith("<")) {
    return parseNvidiaSmiXml(xmlSection.text, source, { firstLineNumber: xmlSection.firstLineNumber }).gpus;
  }
  const gpuSection = sections.filter((s) => /--query-gpu[= ]/.test(s.command) && /--format[= ]"?csv/.test(s.command)).at(-1);
  if (gpuSection) {
    const gpus = parseQueryGpuCsv(gpuSection.text, {
      source,
      fields: queriedFields(gpuSection.command, "--query-gpu"),
      firstLineNumber: gpuSection.firstLineNumber,
    });
    const appsSections = sections.filter((s) => /--query-compute-apps[= ]/.test(s.command) && /--format[= ]"?csv/.test(s.command));
    const appsSection = appsSections.filter((s) => s.phase === gpuSection.phase).at(-1) ?? appsSections.at(-1);
    if (!appsSection) return gpus;
    const apps = parseComputeAppsCsv(appsSection.text, {
      source,
      fields: queriedFields(appsSection.command, "--query-compute-apps"),
      firstLineNumber: appsSection.firstLineNumber,
    });
    return attachComputeApps(gpus, apps, source);
  }
  const listSection = sections.filter((s) => /\s(?:-L|--list-gpus)(?:\s|$)/.test(` ${s.command} `)).at(-1);
  return listSection ? parseNvidiaSmiList(listSection.text) : [];
}

function parseOneFieldPerCall(text: string, source: string): ParsedGpu[] {
  const lines = text
    .split(/\r?\n/)
    .map((content, i) => ({ content, line: i + 1 }))
    .filter((l) => l.content.trim() !== "");
  const pairs = [];
  for (let i = 0; i + 1 < lines.length; i += 2) pairs.push({ header: lines[i].content, value: lines[i + 1].content, line: lines[i + 1].line });
  return [parseQueryGpuFieldValues(pairs, source)];
}

/** Field list for headerless CSV: the caller's, or the collector's default when the column count fits it. */
function headerlessFields(text: string, apps: boolean, options: ParseCaptureOptions): readonly string[] | undefined {
  if (options.fields) return options.fields;
  const firstRow = text.split(/\r?\n/).find((line) => line.trim() !== "") ?? "";
  const cells = firstRow.split(",").length;
  if (apps) return cells >= DEFAULT_COMPUTE_APPS_QUERY_FIELDS.length ? DEFAULT_COMPUTE_APPS_QUERY_FIELDS : undefined;
  if (cells === DEFAULT_GPU_QUERY_FIELDS.length) return DEFAULT_GPU_QUERY_FIELDS;
  const withMigMode = [...DEFAULT_GPU_QUERY_FIELDS, MIG_MODE_QUERY_FIELD];
  return cells === withMigMode.length ? withMigMode : undefined;
}

/** The collector's own hl-smi field list, when a headerless capture has as many columns. */
function headerlessHlSmiFields(text: string): readonly string[] | undefined {
  const firstRow = text.split(/\r?\n/).find((line) => line.trim() !== "") ?? "";
  return firstRow.split(",").length === HL_SMI_QUERY_FIELDS.length ? HL_SMI_QUERY_FIELDS : undefined;
}

/**
 * Parses a capture. Throws CaptureParseError for malformed values, for files
 * that are not captures (a DCGM counter catalog, --help-query-gpu output) and
 * for captures in which no GPU has a UUID or a name.
 */
export function parseCapture(text: string, options: ParseCaptureOptions): ParsedCapture {
  const { source } = options;
  let detected = detectCaptureFormat(text);
  // Headerless CSV of fields the detector cannot guess: the caller's field list says what it is.
  if (detected.format === "unknown" && options.fields && options.fields.length > 0 && text.trim() !== "") {
    const apps = options.fields.includes("pid");
    detected = {
      format: apps ? "nvidia-smi-compute-apps-csv" : "nvidia-smi-query-gpu-csv",
      description: apps ? "nvidia-smi --query-compute-apps CSV without a header" : "nvidia-smi --query-gpu CSV without a header",
      hasHeader: false,
    };
  }
  const body = text.replace(/^\uFEFF/, "");
  let gpus: ParsedGpu[] = [];
  let driverVersion: string | null = null;
  let dcgmGpuDetails: DcgmGpuDetails[] = [];
  switch (detected.format) {
    case "nvidia-smi-xml": {
      const xml = parseNvidiaSmiXml(body, source);
      gpus = xml.gpus;
      driverVersion = xml.driverVersion;
      break;
    }
    case "nvidia-smi-query-gpu-csv":
      gpus = parseQueryGpuCsv(body, {
        source,
        // A one-field list given by the caller settles whether the first line of a
        // one-column file ("P0" of pstate) is a header: only if it names that field.
        fields: detected.hasHeader ? (options.fields?.length === 1 ? options.fields : undefined) : headerlessFields(body, false, options),
      });
      break;
    case "nvidia-smi-compute-apps-csv": {
      const apps = parseComputeAppsCsv(body, { source, fields: detected.hasHeader ? undefined : headerlessFields(body, true, options) });
      gpus = attachComputeApps([], apps, source);
      break;
    }
    case "nvidia-smi-csv-one-field-per-call":
      gpus = parseOneFieldPerCall(body, source);
      break;
    case "nvidia-smi-multi-section":
      gpus = parseMultiSection(body, source);
      if (gpus.length === 0) {
        throw new CaptureParseError(
          { source },
          `no GPU readings found: this looks like ${detected.description}, but it has no nvidia-smi -q -x, --query-gpu=... --format=csv or -L section`,
        );
      }
      break;
    case "nvidia-smi-list":
      gpus = parseNvidiaSmiList(body);
      break;
    case "dcgm-exporter-metrics": {
      const dcgm = parseDcgmExporterText(body, source);
      gpus = dcgm.gpus;
      dcgmGpuDetails = dcgm.gpuDetails;
      driverVersion = dcgm.gpuDetails.find((details) => details.driverVersion !== null)?.driverVersion ?? null;
      break;
    }
    case "amd-smi-json":
      gpus = parseAmdSmiCapture(body, source);
      break;
    case "rocm-smi-json":
      gpus = parseRocmSmiJson(body, source);
      break;
    case "hl-smi-csv":
      gpus = parseHlSmiCsv(body, { source, fields: detected.hasHeader ? undefined : (options.fields ?? headerlessHlSmiFields(body)) });
      break;
    default:
      throw new CaptureParseError({ source }, `no GPU readings found: this looks like ${detected.description}`);
  }
  // amd-smi metric and process answers name GPUs by index only; the other commands add UUID and model.
  const identified = (gpu: ParsedGpu) => Boolean(gpu.uuid) || Boolean(gpu.modelName) || (detected.format === "amd-smi-json" && gpu.index !== null);
  if (!gpus.some(identified)) {
    throw new CaptureParseError({ source }, `no GPU readings found: this looks like ${detected.description}, but no GPU in it has a UUID or a name`);
  }
  return { format: detected.format, driverVersion, gpus, dcgmGpuDetails };
}

/**
 * One amd-smi command's JSON as GPUs: list gives identities, static models,
 * metric readings, process the processes of each GPU index.
 */
function parseAmdSmiCapture(text: string, source: string): ParsedGpu[] {
  const command = amdSmiCommandOf(parseJsonCapture(text, source));
  switch (command) {
    case "list":
      return parseAmdSmiList(text, source).map((item) => ({ ...emptyParsedGpu(), index: item.index, uuid: item.uuid }));
    case "static":
      return [...parseAmdSmiStaticModels(text, source)].map(([index, modelName]) => ({ ...emptyParsedGpu(), index, modelName }));
    case "process":
      return [...parseAmdSmiProcesses(text, source)].map(([index, processes]) => ({ ...emptyParsedGpu(), index, processes }));
    default:
      return parseAmdSmiMetric(text, source);
  }
}

/** The `parse` command's view of a capture. */
export function summarizeCapture(capture: ParsedCapture): CaptureSummary {
  return {
    gpus: capture.gpus.map((gpu) => ({
      uuid: gpu.uuid,
      index: gpu.index,
      name: gpu.modelName,
      memoryTotalMiB: gpu.memoryTotalMiB,
      memoryUsedMiB: gpu.memoryUsedMiB,
      utilizationGpuPct: gpu.utilizationGpuPct,
      powerDrawW: gpu.powerDrawW,
      migProfile: gpu.migProfile,
      processes: gpu.processes.map((process) => ({ pid: process.pid, name: process.name, memoryUsedMiB: process.memoryUsedMiB })),
    })),
  };
}

/**
 * A ParsedGpu as the GpuReading the collector windows, with each process
 * attributed by `attribute`. null when the capture lacks what a reading needs
 * (UUID, index, model name, memory total), e.g. nvidia-smi -L identities.
 */
export function toGpuReading(gpu: ParsedGpu, attribute: (process: ParsedProcess, gpu: ParsedGpu) => JobAttribution): GpuReading | null {
  const { uuid, index, modelName, memoryTotalMiB } = gpu;
  if (uuid === null || index === null || modelName === null || memoryTotalMiB === null) return null;
  return {
    uuid,
    index,
    modelName,
    memoryTotalMiB,
    migParentUuid: gpu.migParentUuid,
    migProfile: gpu.migProfile,
    utilizationGpuPct: gpu.utilizationGpuPct,
    smActivePct: gpu.smActivePct,
    memoryUsedMiB: gpu.memoryUsedMiB,
    powerDrawW: gpu.powerDrawW,
    processes: gpu.processes.map((process) => ({
      pid: process.pid,
      name: process.name ?? "",
      memoryUsedMiB: process.memoryUsedMiB,
      // Per-process utilization comes from pmon, which the collector samples on shared GPUs.
      utilizationPct: process.utilizationPct ?? null,
      job: attribute(process, gpu),
    })),
  };
}
