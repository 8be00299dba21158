/**
 * Tells what kind of capture a text is, from its content alone (file names lie:
 * a .txt can be CSV, a .csv a DCGM counter list). Formats that hold no GPU
 * readings are recognised too, so the user hears what the file is instead of a
 * parse error about its first line.
 */
import { amdSmiCommandOf } from "./amd-smi";
import { isHlSmiFieldList } from "./hl-smi";
import { csvHeaderFieldName, isComputeAppsFieldList, isCsvHeaderLine } from "./nvidia-smi-csv";

export type CaptureFormat =
  /** nvidia-smi -q -x */
  | "nvidia-smi-xml"
  /** nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits] */
  | "nvidia-smi-query-gpu-csv"
  /** nvidia-smi --query-compute-apps=... --format=csv[,noheader][,nounits] */
  | "nvidia-smi-compute-apps-csv"
  /** Header line, value line, header line...: one --query-gpu call per field, output concatenated. */
  | "nvidia-smi-csv-one-field-per-call"
  /** Several command outputs in one file, each under a "# nvidia-smi ..." or "# $ nvidia-smi ..." line. */
  | "nvidia-smi-multi-section"
  /** nvidia-smi -L */
  | "nvidia-smi-list"
  /** dcgm-exporter /metrics (Prometheus text) */
  | "dcgm-exporter-metrics"
  /** amd-smi list|static|metric|process --json (AMD Instinct) */
  | "amd-smi-json"
  /** rocm-smi ... --json (AMD, ROCm before amd-smi) */
  | "rocm-smi-json"
  /** hl-smi --query-aip=... --format=csv[,noheader][,nounits] (Intel Gaudi) */
  | "hl-smi-csv"
  // Formats without GPU readings (or whose readings are not parsed):
  | "dcgm-exporter-counter-catalog"
  | "nvidia-smi-help-query"
  | "nvidia-smi-query-text"
  | "nvidia-smi-table"
  | "nvidia-smi-pmon"
  | "nvidia-smi-dmon"
  | "unknown";

export interface DetectedFormat {
  format: CaptureFormat;
  /** What the file looks like, for messages ("a dcgm-exporter counter catalog ..."). */
  description: string;
  /** For CSV formats: whether the first line is a header. */
  hasHeader?: boolean;
  /** For CSV formats: whether values carry units ("819 MiB"), i.e. no `nounits`. */
  valuesHaveUnits?: boolean;
}

/** Lines a shell capture puts in front of each command's output. */
export const SECTION_COMMAND_LINE = /^#\s*(?:\$\s+)?(nvidia-smi\b.*)$/;

const DCGM_CATALOG_LINE = /^\s*[A-Za-z_][A-Za-z0-9_]*\s*,\s*(?:gauge|counter|label|histogram|summary)\s*(?:,|$)/i;
const DCGM_METRIC_LINE = /^DCGM_FI_[A-Z0-9_]+\s*(?:\{|\s+[-+]?(?:[0-9.]|NaN|Inf))/;
const LIST_GPU_LINE = /^GPU \d+: .*\(UUID: [^)]*\)\s*$/;
/** Strict field name for one-field-per-call captures: lower case, so values like "P8" or "Default" do not pass. */
const LOWERCASE_FIELD_LINE = /^[a-z][a-z0-9_]*(?:\.[A-Za-z0-9_]+)*(?: \[[^\]]+\])?$/;

function contentLines(text: string): string[] {
  return text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "");
}

const UNIT_IN_VALUE = /\d\s*(?:MiB|W|%|MHz)\s*$/;

/** Board part numbers hl-smi prints as the name of a Gaudi (HL-205, HL-225, HL-325L, HL-338). */
const GAUDI_NAME_CELL = /(?:^|,)\s*HL-\d{3}[A-Z]?\s*(?:,|$)/;

function detectCsv(lines: string[]): DetectedFormat | null {
  const first = lines[0];
  const headerFields = isCsvHeaderLine(first) ? first.split(",").map((cell) => csvHeaderFieldName(cell) ?? "") : null;
  if ((headerFields !== null && isHlSmiFieldList(headerFields)) || lines.slice(headerFields ? 1 : 0).some((line) => GAUDI_NAME_CELL.test(line))) {
    return {
      format: "hl-smi-csv",
      description: headerFields ? "hl-smi --query-aip CSV (Intel Gaudi)" : "hl-smi --query-aip CSV without a header (Intel Gaudi)",
      hasHeader: headerFields !== null,
      valuesHaveUnits: lines.slice(headerFields ? 1 : 0).some((line) => line.split(",").some((cell) => UNIT_IN_VALUE.test(cell))),
    };
  }
  if (!first.includes(",") && lines.length >= 2) {
    // One field per call: even lines are field names, odd ones values.
    const pairs = lines.length % 2 === 0 && lines.every((line, i) => i % 2 === 1 || LOWERCASE_FIELD_LINE.test(line.trim()));
    if (pairs && lines.some((line, i) => i % 2 === 1 && !LOWERCASE_FIELD_LINE.test(line.trim()))) {
      return {
        format: "nvidia-smi-csv-one-field-per-call",
        description: "nvidia-smi --query-gpu output, one field per call",
        hasHeader: true,
        valuesHaveUnits: lines.some((line, i) => i % 2 === 1 && UNIT_IN_VALUE.test(line)),
      };
    }
  }
  // One queried field on several GPUs: a header line, then one value per line, no comma anywhere.
  if (!first.includes(",") && isCsvHeaderLine(first) && lines.length >= 2 && lines.every((line) => !line.includes(","))) {
    const apps = isComputeAppsFieldList([csvHeaderFieldName(first) ?? ""]);
    return {
      format: apps ? "nvidia-smi-compute-apps-csv" : "nvidia-smi-query-gpu-csv",
      description: apps ? "nvidia-smi --query-compute-apps CSV of one field" : "nvidia-smi --query-gpu CSV of one field",
      hasHeader: true,
      valuesHaveUnits: lines.slice(1).some((line) => UNIT_IN_VALUE.test(line)),
    };
  }
  if (isCsvHeaderLine(first) && first.includes(",")) {
    const fields = first.split(",").map((cell) => csvHeaderFieldName(cell) ?? "");
    const apps = isComputeAppsFieldList(fields);
    return {
      format: apps ? "nvidia-smi-compute-apps-csv" : "nvidia-smi-query-gpu-csv",
      description: apps ? "nvidia-smi --query-compute-apps CSV" : "nvidia-smi --query-gpu CSV",
      hasHeader: true,
      valuesHaveUnits: lines.slice(1).some((line) => line.split(",").some((cell) => UNIT_IN_VALUE.test(cell))),
    };
  }
  if (first.includes(",")) {
    const cells = first.split(",").map((cell) => cell.trim());
    const mentionsGpu = cells.some((cell) => /^(?:GPU|MIG)-[0-9a-fA-F-]+/.test(cell));
    if (!mentionsGpu) return null;
    // Without a header the columns are only known from the query: a pid first
    // and a UUID later is a compute-apps row, an index then a UUID a GPU row.
    const apps = /^\d+$/.test(cells[0]) && !/^(?:GPU|MIG)-/.test(cells[1] ?? "") && cells.length >= 3;
    return {
      format: apps ? "nvidia-smi-compute-apps-csv" : "nvidia-smi-query-gpu-csv",
      description: apps ? "nvidia-smi --query-compute-apps CSV without a header" : "nvidia-smi --query-gpu CSV without a header",
      hasHeader: false,
      valuesHaveUnits: lines.some((line) => line.split(",").some((cell) => UNIT_IN_VALUE.test(cell))),
    };
  }
  return null;
}

/** amd-smi or rocm-smi JSON, told apart by shape; null for any other text. */
function detectJson(text: string): DetectedFormat | null {
  let document: unknown;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch {
    return null;
  }
  const command = amdSmiCommandOf(document);
  if (command !== null) return { format: "amd-smi-json", description: `amd-smi ${command} --json output (AMD)` };
  if (typeof document === "object" && document !== null && !Array.isArray(document) && Object.keys(document).some((key) => /^card\d+$/.test(key))) {
    return { format: "rocm-smi-json", description: "rocm-smi --json output (AMD)" };
  }
  return null;
}

/** Detects the capture format of `text`. Never throws. */
export function detectCaptureFormat(text: string): DetectedFormat {
  const lines = contentLines(text);
  if (lines.length === 0) return { format: "unknown", description: "an empty file" };
  const first = lines[0].trim();

  if (first.startsWith("{") || first.startsWith("[")) {
    const json = detectJson(text);
    if (json) return json;
  }
  if (first.startsWith("<")) return { format: "nvidia-smi-xml", description: "nvidia-smi -q -x XML" };
  if (lines.some((line) => SECTION_COMMAND_LINE.test(line.trim()))) {
    return { format: "nvidia-smi-multi-section", description: "a capture of several nvidia-smi commands" };
  }
  const dataLines = lines.filter((line) => !line.trim().startsWith("#"));
  if (dataLines.length > 0 && dataLines.every((line) => DCGM_CATALOG_LINE.test(line))) {
    return {
      format: "dcgm-exporter-counter-catalog",
      description:
        "a dcgm-exporter counter catalog (the CSV that lists which DCGM fields to export), not a metrics capture; capture the exporter's /metrics output instead (curl http://HOST:9400/metrics)",
    };
  }
  if (lines.some((line) => DCGM_METRIC_LINE.test(line.trim()))) {
    return { format: "dcgm-exporter-metrics", description: "dcgm-exporter /metrics text" };
  }
  if (/^List of valid properties to query for the switch/m.test(text)) {
    return {
      format: "nvidia-smi-help-query",
      description: "nvidia-smi --help-query-gpu output, which lists field names, not readings; capture nvidia-smi -q -x or nvidia-smi --query-gpu=... --format=csv instead",
    };
  }
  if (LIST_GPU_LINE.test(first)) return { format: "nvidia-smi-list", description: "nvidia-smi -L output" };
  if (/^=+\s*NVSMI LOG\s*=+$/m.test(text)) {
    return { format: "nvidia-smi-query-text", description: "nvidia-smi -q text output, which is not parsed; capture nvidia-smi -q -x (XML) instead" };
  }
  if (/^#\s*gpu\s+pid\s+type\b/m.test(text)) {
    return { format: "nvidia-smi-pmon", description: "nvidia-smi pmon output, which has no GPU identity or memory totals; capture nvidia-smi -q -x instead" };
  }
  if (/^#\s*gpu\s+\S/m.test(text) && /^#\s*Idx\b/m.test(text)) {
    return { format: "nvidia-smi-dmon", description: "nvidia-smi dmon output, which has no GPU identity or memory totals; capture nvidia-smi -q -x instead" };
  }
  if (/NVIDIA-SMI \d/.test(text) && /^\+[-=+]+\+\s*$/m.test(text)) {
    return { format: "nvidia-smi-table", description: "the default nvidia-smi table, which is not parsed; capture nvidia-smi -q -x instead" };
  }
  const csv = detectCsv(lines);
  if (csv) return csv;
  return {
    format: "unknown",
    description:
      "none of the known captures (nvidia-smi -q -x XML, nvidia-smi --query-gpu/--query-compute-apps CSV, nvidia-smi -L, dcgm-exporter /metrics text, amd-smi or rocm-smi JSON, hl-smi CSV); CSV saved without a header needs its field list",
  };
}
