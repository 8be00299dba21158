/**
 * Parses AMD's tools for Instinct accelerators into GPU readings:
 *   amd-smi list --json                       identities: gpu index, bdf, uuid
 *   amd-smi static --asic --json              model: asic.market_name
 *   amd-smi metric --usage --power --mem-usage --json   readings
 *   amd-smi process --json                    processes and their VRAM
 *   rocm-smi --showuniqueid --showproductname --showuse --showmeminfo vram --showpower --json
 *                                             all of it for stacks older than amd-smi (ROCm < 6)
 *
 * The JSON varies with the amd-smi version: a top-level array, or {"gpu_data": [...]}
 * (ROCm 7); values wrapped as {"value": 40, "unit": "%"} or bare numbers; "N/A"
 * for a value the card does not report, which becomes null. amd-smi's "MB" is
 * MiB (it divides bytes by 1024 twice). A value that is present but not a
 * number is an error naming the capture and the field.
 */
import { canonicalAcceleratorModel } from "./accelerator-models";
import { CaptureParseError, emptyParsedGpu, isAbsentValue, roundPct, type ParsedGpu, type ParsedProcess } from "./parse-values";

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (value: Json): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);

/** Parses JSON, naming the capture and the line of a syntax error. */
export function parseJsonCapture(text: string, source: string): Json {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const line = position ? text.slice(0, Number(position[1])).split("\n").length : null;
    throw new CaptureParseError({ source, line }, `not valid JSON: ${message}`);
  }
}

/** The per-GPU entries of an amd-smi JSON answer: a top-level array or {"gpu_data": [...]}. */
export function amdSmiEntries(document: Json): JsonObject[] {
  if (Array.isArray(document)) return document.filter(isObject);
  if (isObject(document) && Array.isArray(document.gpu_data)) return document.gpu_data.filter(isObject);
  return [];
}

const UNIT_TO_MIB: Record<string, number> = { B: 1 / 1048576, KB: 1 / 1024, KIB: 1 / 1024, MB: 1, MIB: 1, GB: 1024, GIB: 1024 };

interface FieldReader {
  /** A number from a bare number, a numeric string or {"value": N, "unit": U}; null when absent ("N/A", missing). */
  number(value: Json, field: string): number | null;
  /** Same, converted to MiB from the unit given (or `defaultUnit` when none is). */
  mib(value: Json, field: string, defaultUnit: string): number | null;
}

function fieldReader(source: string): FieldReader {
  const unwrap = (value: Json): { raw: Json; unit: string | null } =>
    isObject(value) && "value" in value ? { raw: value.value, unit: typeof value.unit === "string" ? value.unit : null } : { raw: value, unit: null };
  const number = (value: Json, field: string): number | null => {
    const { raw } = unwrap(value);
    if (raw === undefined || raw === null) return null;
    if (typeof raw === "number") return Number.isFinite(raw) ? raw : null;
    if (typeof raw === "string") {
      if (isAbsentValue(raw)) return null;
      const match = /^\s*([-+]?\d+(?:\.\d+)?)\s*(?:%|W|MB|MiB|B|GB|C)?\s*$/.exec(raw);
      if (match) return Number(match[1]);
    }
    throw new CaptureParseError({ source, field }, `${JSON.stringify(raw)} is not a number`);
  };
  return {
    number,
    mib(value, field, defaultUnit) {
      const amount = number(value, field);
      if (amount === null) return null;
      const unit = (unwrap(value).unit ?? defaultUnit).toUpperCase();
      const factor = UNIT_TO_MIB[unit];
      if (factor === undefined) throw new CaptureParseError({ source, field }, `unit ${JSON.stringify(unit)} is not a memory unit`);
      return amount * factor;
    },
  };
}

/** The first of `keys` present in `object` (versions renamed fields: socket_power became current_socket_power). */
function firstPresent(object: Json, keys: readonly string[]): Json {
  if (!isObject(object)) return undefined;
  for (const key of keys) {
    const value = object[key];
    if (value === undefined || (typeof value === "string" && isAbsentValue(value))) continue;
    return value;
  }
  return undefined;
}

const gpuIndex = (entry: JsonObject): number | null => (typeof entry.gpu === "number" && Number.isSafeInteger(entry.gpu) ? entry.gpu : null);

/** `amd-smi list --json`: index → uuid (and bdf). */
export function parseAmdSmiList(text: string, source: string): { index: number; uuid: string | null; bdf: string | null }[] {
  return amdSmiEntries(parseJsonCapture(text, source)).flatMap((entry) => {
    const index = gpuIndex(entry);
    if (index === null) return [];
    const text = (value: Json) => (typeof value === "string" && !isAbsentValue(value) ? value.trim() : null);
    return [{ index, uuid: text(entry.uuid), bdf: text(entry.bdf) }];
  });
}

/** `amd-smi static --asic --json`: index → canonical model name. */
export function parseAmdSmiStaticModels(text: string, source: string): Map<number, string> {
  const models = new Map<number, string>();
  for (const entry of amdSmiEntries(parseJsonCapture(text, source))) {
    const index = gpuIndex(entry);
    const asic = isObject(entry.asic) ? entry.asic : {};
    const name = typeof asic.market_name === "string" && !isAbsentValue(asic.market_name) ? canonicalAcceleratorModel(asic.market_name) : null;
    if (index !== null && name !== null) models.set(index, name);
  }
  return models;
}

/**
 * `amd-smi metric --json`: one ParsedGpu per entry, identified by index only
 * (metric prints no UUID or model; mergeAmdSmi adds them from list and static).
 * Utilization is gfx_activity; memory used_vram of total_vram; power the socket
 * power (current on MI300 and later, average on older cards).
 */
export function parseAmdSmiMetric(text: string, source: string): ParsedGpu[] {
  const read = fieldReader(source);
  return amdSmiEntries(parseJsonCapture(text, source)).map((entry, position) => {
    const gpu = emptyParsedGpu();
    gpu.index = gpuIndex(entry) ?? position;
    const label = `gpu[${gpu.index}]`;
    gpu.utilizationGpuPct = roundPct(read.number(firstPresent(entry.usage, ["gfx_activity"]), `${label}/usage/gfx_activity`));
    gpu.memoryTotalMiB = read.mib(firstPresent(entry.mem_usage, ["total_vram"]), `${label}/mem_usage/total_vram`, "MB");
    gpu.memoryUsedMiB = read.mib(firstPresent(entry.mem_usage, ["used_vram"]), `${label}/mem_usage/used_vram`, "MB");
    gpu.powerDrawW = read.number(firstPresent(entry.power, ["socket_power", "current_socket_power", "average_socket_power"]), `${label}/power/socket_power`);
    return gpu;
  });
}

/**
 * `amd-smi process --json`: processes per GPU index. An idle GPU lists
 * {"process_info": "No running processes detected"}. VRAM is
 * memory_usage.vram_mem (bytes) in current versions, mem_usage in older ones.
 */
export function parseAmdSmiProcesses(text: string, source: string): Map<number, ParsedProcess[]> {
  const read = fieldReader(source);
  const byGpu = new Map<number, ParsedProcess[]>();
  for (const entry of amdSmiEntries(parseJsonCapture(text, source))) {
    const index = gpuIndex(entry);
    if (index === null || !Array.isArray(entry.process_list)) continue;
    const processes: ParsedProcess[] = [];
    entry.process_list.forEach((item, i) => {
      const info = isObject(item) ? item.process_info : undefined;
      if (!isObject(info)) return;
      const pid = read.number(info.pid, `gpu[${index}]/process_list[${i}]/pid`);
      if (pid === null || !Number.isSafeInteger(pid)) return;
      const memory = isObject(info.memory_usage) ? info.memory_usage.vram_mem : info.mem_usage;
      processes.push({
        pid,
        name: typeof info.name === "string" && !isAbsentValue(info.name) ? info.name : null,
        memoryUsedMiB: read.mib(memory, `gpu[${index}]/process_list[${i}]/vram_mem`, "B"),
      });
    });
    byGpu.set(index, processes);
  }
  return byGpu;
}

/** A UUID the collector can use as a GPU's key: amd-smi's, else one from the PCI address, else the index. */
function amdGpuKey(uuid: string | null, bdf: string | null, index: number): string {
  if (uuid !== null) return uuid.startsWith("GPU-") ? uuid : `GPU-${uuid}`;
  return bdf !== null ? `AMD-${bdf}` : `AMD-gpu${index}`;
}

/** Joins the answers of list, static, metric and process (by GPU index) into ParsedGpus. */
export function mergeAmdSmi(parts: {
  list: ReturnType<typeof parseAmdSmiList>;
  models: ReadonlyMap<number, string>;
  metric: ParsedGpu[];
  processes: ReadonlyMap<number, ParsedProcess[]>;
}): ParsedGpu[] {
  return parts.metric.map((gpu) => {
    const index = gpu.index as number;
    const identity = parts.list.find((item) => item.index === index);
    return {
      ...gpu,
      uuid: amdGpuKey(identity?.uuid ?? null, identity?.bdf ?? null, index),
      modelName: parts.models.get(index) ?? gpu.modelName,
      processes: [...(parts.processes.get(index) ?? [])],
    };
  });
}

/**
 * rocm-smi --json: {"card0": {"GPU use (%)": "12", "VRAM Total Memory (B)": ...}, "system": {...}}.
 * Keys differ by version and card ("Average Graphics Package Power (W)" on
 * older cards, "Current Socket Graphics Package Power (W)" on MI300); each is
 * looked up among its known spellings. Processes need --showpids, which does not
 * say which GPU a process is on, so rocm-smi readings carry none.
 */
export function parseRocmSmiJson(text: string, source: string): ParsedGpu[] {
  const document = parseJsonCapture(text, source);
  if (!isObject(document)) throw new CaptureParseError({ source }, "rocm-smi --json output is an object of cards (card0, card1, ...)");
  const read = fieldReader(source);
  const gpus: ParsedGpu[] = [];
  for (const [key, card] of Object.entries(document)) {
    const match = /^card(\d+)$/.exec(key);
    if (!match || !isObject(card)) continue;
    const value = (names: readonly string[]) => firstPresent(card, names);
    const gpu = emptyParsedGpu();
    gpu.index = Number(match[1]);
    const uniqueId = value(["Unique ID"]);
    gpu.uuid = typeof uniqueId === "string" ? `GPU-${uniqueId.replace(/^0x/i, "")}` : `AMD-${key}`;
    const name = value(["Card Series", "Card series", "Card Model", "Card model"]);
    gpu.modelName = canonicalAcceleratorModel(typeof name === "string" ? name : null);
    gpu.utilizationGpuPct = roundPct(read.number(value(["GPU use (%)"]), `${key}/GPU use (%)`));
    gpu.memoryTotalMiB = read.mib(value(["VRAM Total Memory (B)"]), `${key}/VRAM Total Memory (B)`, "B");
    gpu.memoryUsedMiB = read.mib(value(["VRAM Total Used Memory (B)"]), `${key}/VRAM Total Used Memory (B)`, "B");
    gpu.powerDrawW = read.number(
      value(["Current Socket Graphics Package Power (W)", "Average Graphics Package Power (W)", "Socket Graphics Package Power (W)"]),
      `${key}/Graphics Package Power (W)`,
    );
    gpus.push(gpu);
  }
  return gpus.sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
}

/** Which amd-smi command a JSON answer came from, from its entries' keys. */
export function amdSmiCommandOf(document: Json): "list" | "static" | "metric" | "process" | null {
  const entries = amdSmiEntries(document);
  if (entries.length === 0 || !entries.every((entry) => "gpu" in entry)) return null;
  const has = (key: string) => entries.some((entry) => key in entry);
  if (has("process_list")) return "process";
  if (has("usage") || has("mem_usage") || has("power")) return "metric";
  if (has("asic") || has("vram") || has("board")) return "static";
  if (has("bdf") || has("uuid")) return "list";
  return null;
}
