/**
 * Value parsing shared by the capture parsers (nvidia-smi CSV and XML,
 * dcgm-exporter text), and the shape they all produce.
 *
 * Sources say "no value" in many ways ([N/A], Not Supported, empty cells, empty
 * XML elements). Those become null, never 0, so a window never averages in a
 * zero that was not measured. A value that is present but unreadable ("12x MiB")
 * is an error that names the capture, the line and the field, so the user knows
 * where to look; guessing there would put wrong numbers on a bill.
 */

/** Where a value came from, for error messages. */
export interface ValueLocation {
  /** Label of the capture, usually its file name. */
  source: string;
  /** 1-based line in the capture, when the parser knows it (XML parsing does not). */
  line?: number | null;
  /** The field: a CSV column, an XML element path or a metric name. */
  field?: string | null;
}

/** "nvidia-smi.csv line 3, field memory.used" */
export function describeLocation(location: ValueLocation): string {
  let text = location.source;
  if (location.line !== undefined && location.line !== null) text += ` line ${location.line}`;
  if (location.field) text += `, field ${location.field}`;
  return text;
}

/**
 * A capture that cannot be read as GPU readings: malformed values, a file that is
 * not a capture, or a capture with no GPU in it. The message is meant for the
 * user as is.
 */
export class CaptureParseError extends Error {
  readonly source: string;
  readonly line: number | null;
  readonly field: string | null;

  constructor(location: ValueLocation, problem: string) {
    super(`${describeLocation(location)}: ${problem}`);
    this.name = "CaptureParseError";
    this.source = location.source;
    this.line = location.line ?? null;
    this.field = location.field ?? null;
  }
}

/**
 * Unbracketed words nvidia-smi and DCGM print instead of a value. Bracketed text
 * ("[N/A]", "[Insufficient Permissions]", "[Function Not Found]") is always a
 * reason instead of a value, whatever the words, so new driver wordings stay absent.
 */
const ABSENT_WORDS = new Set([
  "n/a",
  "not supported",
  "insufficient permissions",
  "requested functionality has been deprecated",
  "function not found",
  "not found",
  "unknown error",
]);

/** True when the text is one of the ways a source says it has no value. */
export function isAbsentValue(raw: string | null | undefined): boolean {
  if (raw === null || raw === undefined) return true;
  const text = raw.trim();
  if (text === "") return true;
  if (text.startsWith("[") && text.endsWith("]")) return true;
  return ABSENT_WORDS.has(text.toLowerCase());
}

/** Unit suffixes stripped from values: memory MiB, power W, utilization %, clocks MHz, temperatures C. */
export const VALUE_UNITS = ["MiB", "W", "%", "MHz", "C"] as const;
export type ValueUnit = (typeof VALUE_UNITS)[number];

const NUMBER_WITH_UNIT = /^([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(MiB|MB|W|%|MHz|C)?$/;

/**
 * Parses a number that may carry a unit suffix ("819 MiB", "26.78 W", "65 %").
 * Absent values give null. When `expectedUnit` is given, a value with another
 * unit is an error: "12 GiB" where MiB is expected must not be read as 12 MiB.
 */
export function parseNumberValue(raw: string | null | undefined, location: ValueLocation, expectedUnit?: ValueUnit): number | null {
  if (isAbsentValue(raw)) return null;
  const text = (raw as string).trim();
  const match = NUMBER_WITH_UNIT.exec(text);
  if (!match) throw new CaptureParseError(location, `${JSON.stringify(text)} is not a number`);
  // Pre-2013 nvidia-smi printed "MB" for the same MiB figures later drivers print as "MiB".
  const unit = match[2] === "MB" ? "MiB" : match[2];
  if (unit !== undefined && expectedUnit !== undefined && unit !== expectedUnit) {
    throw new CaptureParseError(location, `${JSON.stringify(text)} is not in ${expectedUnit}`);
  }
  const value = Number(match[1]);
  if (!Number.isFinite(value)) throw new CaptureParseError(location, `${JSON.stringify(text)} is not a finite number`);
  return value;
}

/**
 * A percentage rounded to 0.0001 %, the resolution of the six-decimal ratios
 * DCGM prints. Scaling a ratio gives binary floating-point noise (0.995687 x 100
 * = 99.56869999999999); this keeps the figure the source meant (99.5687).
 */
export function roundPct(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10_000) / 10_000;
}

/** Like parseNumberValue, for values that must be whole numbers (pids, indexes). */
export function parseIntegerValue(raw: string | null | undefined, location: ValueLocation): number | null {
  const value = parseNumberValue(raw, location);
  if (value === null) return null;
  if (!Number.isSafeInteger(value)) throw new CaptureParseError(location, `${JSON.stringify((raw as string).trim())} is not a whole number`);
  return value;
}

/** Trimmed text, or null when the source says there is no value (empty included). */
export function parseTextValue(raw: string | null | undefined): string | null {
  if (isAbsentValue(raw)) return null;
  return (raw as string).trim();
}

/**
 * Identity of a MIG device when the source does not print its MIG UUID
 * (nvidia-smi -q -x and dcgm-exporter do not): parent GPU UUID, GPU instance id
 * and compute instance id, the form CUDA_VISIBLE_DEVICES accepted on R450-R465
 * drivers. Stable across polls, so windows of one MIG device line up.
 */
export function migDeviceId(parentUuid: string, gpuInstanceId: number, computeInstanceId: number): string {
  return `MIG-${parentUuid}/${gpuInstanceId}/${computeInstanceId}`;
}

/** A process a capture shows on a GPU, before the collector attributes it to a job. */
export interface ParsedProcess {
  pid: number;
  /** null when the source prints no name (common on Windows/WDDM). */
  name: string | null;
  memoryUsedMiB: number | null;
  /** SM utilization of this process (nvidia-smi pmon), percent; absent when not sampled. */
  utilizationPct?: number | null;
}

/**
 * One GPU, or one MIG device, as a capture reports it. Like GpuReading, but any
 * value may be absent: trimmed or partial captures lack even the UUID or the
 * memory total. toGpuReading (parse-capture.ts) turns it into a GpuReading.
 */
export interface ParsedGpu {
  uuid: string | null;
  /** nvidia-smi index of the physical GPU (MIG devices carry their parent's). */
  index: number | null;
  modelName: string | null;
  memoryTotalMiB: number | null;
  memoryUsedMiB: number | null;
  /** Percent of time a kernel ran (0-100). */
  utilizationGpuPct: number | null;
  /** Percent of SM cycles with a warp resident (DCGM profiling), 0-100. */
  smActivePct: number | null;
  powerDrawW: number | null;
  migParentUuid: string | null;
  migProfile: string | null;
  processes: ParsedProcess[];
}

/** A ParsedGpu with every value absent, to fill in. */
export function emptyParsedGpu(): ParsedGpu {
  return {
    uuid: null,
    index: null,
    modelName: null,
    memoryTotalMiB: null,
    memoryUsedMiB: null,
    utilizationGpuPct: null,
    smActivePct: null,
    powerDrawW: null,
    migParentUuid: null,
    migProfile: null,
    processes: [],
  };
}
