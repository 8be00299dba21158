/**
 * Parses nvidia-smi CSV output:
 *   nvidia-smi --query-gpu=FIELDS --format=csv[,noheader][,nounits]
 *   nvidia-smi --query-compute-apps=FIELDS --format=csv[,noheader][,nounits]
 *
 * What the format does, as seen on drivers 418 to 610:
 * - cells are separated by ", " and never quoted, so a process name that is a
 *   whole command line ("chrome --field-trial-handle=0,i,311") spills over into
 *   the next cells; the spill is put back together (see splitRow);
 * - the header carries units ("memory.used [MiB]") even with nounits, which only
 *   drops the unit from the values ("819 MiB" becomes "819");
 * - with noheader the caller must say which fields were queried, in order.
 */
import {
  CaptureParseError,
  emptyParsedGpu,
  parseIntegerValue,
  parseNumberValue,
  parseTextValue,
  type ParsedGpu,
  type ValueLocation,
  type ValueUnit,
} from "./parse-values";

/**
 * The --query-gpu fields the collector asks for. Every one exists from driver
 * 418 to 610; an unknown field makes nvidia-smi fail the whole call, so newer
 * fields are opt-in (MIG_MODE_QUERY_FIELD).
 */
export const DEFAULT_GPU_QUERY_FIELDS = ["index", "uuid", "name", "memory.total", "memory.used", "utilization.gpu", "power.draw"] as const;

/**
 * MIG mode (R450+). Worth adding where --help-query-gpu lists it: under MIG,
 * utilization.gpu is [N/A] and the per-instance figures need `nvidia-smi -q -x`.
 */
export const MIG_MODE_QUERY_FIELD = "mig.mode.current";

/** The --query-compute-apps fields the collector asks for. */
export const DEFAULT_COMPUTE_APPS_QUERY_FIELDS = ["pid", "process_name", "gpu_uuid", "used_memory"] as const;

export interface CsvParseOptions {
  /** Label of the capture for error messages, usually its file name. */
  source: string;
  /**
   * The queried fields, in order. Needed for --format=csv,noheader output; when
   * the text does have a header, the header wins.
   */
  fields?: readonly string[];
  /** Line number, in the whole capture, of the text's first line (default 1). */
  firstLineNumber?: number;
}

/** A --query-compute-apps row. */
export interface ParsedComputeApp {
  gpuUuid: string | null;
  gpuName: string | null;
  pid: number;
  /** null when nvidia-smi prints none ([N/A], [Insufficient Permissions], empty). */
  name: string | null;
  memoryUsedMiB: number | null;
}

/** Names nvidia-smi accepts for the same --query-gpu field; the header echoes the name asked for. */
const GPU_FIELD_ALIASES: Record<string, string> = {
  gpu_uuid: "uuid",
  gpu_name: "name",
  gpu_serial: "serial",
  gpu_bus_id: "pci.bus_id",
};

/** Same for --query-compute-apps (where `name` is the process name, not the GPU's). */
const APPS_FIELD_ALIASES: Record<string, string> = {
  name: "process_name",
  used_gpu_memory: "used_memory",
  uuid: "gpu_uuid",
};

interface CsvCell {
  text: string;
  /** Quoted cells are delimited for sure; only unquoted ones can be spill-over. */
  quoted: boolean;
}

const isBlank = (c: string | undefined) => c === " " || c === "\t";

/**
 * Splits one line on commas. nvidia-smi never quotes, but files saved by other
 * tools may: a cell that starts with a double quote and whose closing quote is
 * followed by a comma (or the end) is read as quoted, with "" as an escaped quote.
 * Anything else, including a command line that merely starts with a quote, is
 * split on commas as is. Cells are not trimmed, so spill-over rejoins exactly.
 */
function splitCsvLine(line: string): CsvCell[] {
  const cells: CsvCell[] = [];
  let pos = 0;
  for (;;) {
    let open = pos;
    while (isBlank(line[open])) open += 1;
    if (line[open] === '"') {
      let i = open + 1;
      let value = "";
      let closed = false;
      while (i < line.length) {
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          closed = true;
          i += 1;
          break;
        }
        value += line[i];
        i += 1;
      }
      let after = i;
      while (isBlank(line[after])) after += 1;
      if (closed && (after === line.length || line[after] === ",")) {
        cells.push({ text: value, quoted: true });
        if (after === line.length) return cells;
        pos = after + 1;
        continue;
      }
    }
    const comma = line.indexOf(",", pos);
    if (comma === -1) {
      cells.push({ text: line.slice(pos), quoted: false });
      return cells;
    }
    cells.push({ text: line.slice(pos, comma), quoted: false });
    pos = comma + 1;
  }
}

const HEADER_CELL = /^([A-Za-z_][A-Za-z0-9_.]*)(?:\s*\[([^\]]*)\])?$/;

/** The field name of a header cell: "memory.used [MiB]" gives "memory.used". null if the cell is not a field name. */
export function csvHeaderFieldName(cell: string): string | null {
  const match = HEADER_CELL.exec(cell.trim());
  return match ? match[1] : null;
}

/**
 * True when the line is a CSV header: every cell a field name, with an optional
 * [unit]. Data rows fail on their values: indexes and pids are digits, UUIDs
 * have dashes, names have spaces.
 */
export function isCsvHeaderLine(line: string): boolean {
  const cells = splitCsvLine(line);
  return cells.length > 0 && cells.every((cell) => csvHeaderFieldName(cell.text) !== null);
}

interface CsvTable {
  fields: string[];
  /** Line number of the header, or null without one. */
  headerLine: number | null;
  rows: { line: number; cells: CsvCell[] }[];
}

function readTable(text: string, options: CsvParseOptions, aliases: Record<string, string>): CsvTable {
  const firstLineNumber = options.firstLineNumber ?? 1;
  const lines = text.split(/\r?\n/);
  const numbered = lines.map((content, i) => ({ line: firstLineNumber + i, content })).filter((l) => l.content.trim() !== "");
  const canonical = (name: string) => aliases[name] ?? name;
  let fields: string[];
  let headerLine: number | null = null;
  let body = numbered;
  const given = options.fields && options.fields.length > 0 ? options.fields.map((field) => canonical(field.trim())) : null;
  const header =
    numbered.length > 0 && isCsvHeaderLine(numbered[0].content)
      ? splitCsvLine(numbered[0].content).map((cell) => canonical(csvHeaderFieldName(cell.text) as string))
      : null;
  // With a field list given, a one-column value such as "P0" looks like a header
  // too; only a line that names exactly the given fields is taken as one.
  if (header && (!given || header.join(",") === given.join(","))) {
    fields = header;
    headerLine = numbered[0].line;
    body = numbered.slice(1);
  } else if (given) {
    fields = given;
  } else {
    throw new CaptureParseError(
      { source: options.source, line: numbered[0]?.line ?? firstLineNumber },
      "CSV without a header: say which fields were queried, in order (the --query-gpu or --query-compute-apps list)",
    );
  }
  return { fields, headerLine, rows: body.map((l) => ({ line: l.line, cells: splitCsvLine(l.content) })) };
}

/**
 * Fits a row's cells to the columns. A row with more cells than columns has a
 * free-text cell (process_name) that contained commas: the surplus cells are
 * joined back into it. Any other mismatch is an error.
 */
function fitRow(table: CsvTable, row: { line: number; cells: CsvCell[] }, freeTextField: string | null, source: string): string[] {
  const { fields } = table;
  const { cells } = row;
  if (cells.length === fields.length) return cells.map((cell) => cell.text);
  const freeText = freeTextField === null ? -1 : fields.indexOf(freeTextField);
  if (cells.length > fields.length && freeText !== -1) {
    const surplus = cells.length - fields.length;
    const spill = cells.slice(freeText, freeText + surplus + 1);
    if (spill.every((cell) => !cell.quoted)) {
      const joined = spill.map((cell) => cell.text).join(",");
      return [...cells.slice(0, freeText).map((c) => c.text), joined, ...cells.slice(freeText + surplus + 1).map((c) => c.text)];
    }
  }
  throw new CaptureParseError(
    { source, line: row.line },
    `has ${cells.length} cells but ${table.headerLine === null ? "the query has" : `the header (line ${table.headerLine}) has`} ${fields.length} fields`,
  );
}

export type RowReader = {
  has: (field: string) => boolean;
  text: (field: string) => string | null;
  number: (field: string, unit?: ValueUnit) => number | null;
  integer: (field: string) => number | null;
};

/** Reads fields of one record; `lineOf` gives the line each field's value is on. */
function recordReader(values: Map<string, string>, source: string, lineOf: (field: string) => number | null): RowReader {
  const location = (field: string): ValueLocation => ({ source, line: lineOf(field), field });
  return {
    has: (field) => values.has(field),
    text: (field) => parseTextValue(values.get(field)),
    number: (field, unit) => parseNumberValue(values.get(field), location(field), unit),
    integer: (field) => parseIntegerValue(values.get(field), location(field)),
  };
}

function rowReader(fields: string[], values: string[], source: string, line: number): RowReader {
  const record = new Map<string, string>();
  // The first column of a name wins, as a repeated field repeats its value.
  fields.forEach((field, i) => {
    if (!record.has(field)) record.set(field, values[i]);
  });
  return recordReader(record, source, () => line);
}

function gpuFromRecord(read: RowReader): ParsedGpu {
  const gpu = emptyParsedGpu();
  gpu.uuid = read.text("uuid");
  gpu.index = read.integer("index");
  gpu.modelName = read.text("name");
  gpu.memoryUsedMiB = read.number("memory.used", "MiB");
  gpu.memoryTotalMiB = read.number("memory.total", "MiB");
  if (!read.has("memory.total")) {
    const freeMiB = read.number("memory.free", "MiB");
    const reservedMiB = read.number("memory.reserved", "MiB");
    if (gpu.memoryUsedMiB !== null && freeMiB !== null) gpu.memoryTotalMiB = gpu.memoryUsedMiB + freeMiB + (reservedMiB ?? 0);
  }
  gpu.utilizationGpuPct = read.number("utilization.gpu", "%");
  gpu.powerDrawW = read.number("power.draw", "W") ?? read.number("power.draw.instant", "W") ?? read.number("power.draw.average", "W");
  return gpu;
}

/**
 * Parses --query-gpu CSV into one ParsedGpu per row. Fields that were not
 * queried are null. memory.total, when not queried, is used + free (+ reserved,
 * which drivers since R510 keep out of both). Power falls back from power.draw to
 * power.draw.instant and power.draw.average: drivers since R580 can leave
 * power.draw [N/A] while reporting the instant reading.
 */
export function parseQueryGpuCsv(text: string, options: CsvParseOptions): ParsedGpu[] {
  const table = readTable(text, options, GPU_FIELD_ALIASES);
  return table.rows.map((row) => gpuFromRecord(rowReader(table.fields, fitRow(table, row, null, options.source), options.source, row.line)));
}

/**
 * The rows of a CSV query in nvidia-smi's format (hl-smi --query-aip prints the
 * same), one reader per row, by field name. No aliases, no free-text spill-over.
 */
export function readCsvRecords(text: string, options: CsvParseOptions): RowReader[] {
  const table = readTable(text, options, {});
  return table.rows.map((row) => rowReader(table.fields, fitRow(table, row, null, options.source), options.source, row.line));
}

/** One --query-gpu field and its value, each on its own line. */
export interface QueryGpuFieldValue {
  /** As printed in the header, units included ("memory.used [MiB]"). */
  header: string;
  value: string;
  /** Line of the value in the capture. */
  line: number;
}

/**
 * One GPU from --query-gpu output made one field at a time (a header line and a
 * value line per call, concatenated), which scripts that poll field by field save.
 */
export function parseQueryGpuFieldValues(pairs: readonly QueryGpuFieldValue[], source: string): ParsedGpu {
  const values = new Map<string, string>();
  const lines = new Map<string, number>();
  for (const pair of pairs) {
    const name = csvHeaderFieldName(pair.header);
    if (name === null) throw new CaptureParseError({ source, line: pair.line - 1 }, `${JSON.stringify(pair.header)} is not a field name`);
    const field = GPU_FIELD_ALIASES[name] ?? name;
    if (values.has(field)) continue;
    values.set(field, pair.value);
    lines.set(field, pair.line);
  }
  return gpuFromRecord(recordReader(values, source, (field) => lines.get(field) ?? null));
}

/**
 * Parses --query-compute-apps CSV. Rows without a pid are skipped: such a
 * process cannot be attributed to a job. An empty table (header only) is the
 * normal output of an idle node.
 */
export function parseComputeAppsCsv(text: string, options: CsvParseOptions): ParsedComputeApp[] {
  const table = readTable(text, options, APPS_FIELD_ALIASES);
  const apps: ParsedComputeApp[] = [];
  for (const row of table.rows) {
    const values = fitRow(table, row, "process_name", options.source);
    const read = rowReader(table.fields, values, options.source, row.line);
    const pid = read.integer("pid");
    if (pid === null) continue;
    apps.push({
      gpuUuid: read.text("gpu_uuid"),
      gpuName: read.text("gpu_name"),
      pid,
      name: read.text("process_name"),
      memoryUsedMiB: read.number("used_memory", "MiB"),
    });
  }
  return apps;
}

/** True when the header (or field list) is a --query-compute-apps one. */
export function isComputeAppsFieldList(fields: readonly string[]): boolean {
  return fields.some((field) => field === "pid");
}
