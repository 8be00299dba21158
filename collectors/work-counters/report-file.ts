/**
 * Work reported by a job itself through a file: the job's environment names a
 * path (GPU_ROI_WORK_FILE by default) and the job appends one JSON line per
 * report, `{"unit": "samples", "count": 1280, "time": 1764806400.5}`, with
 * count cumulative since the job started and time in epoch seconds (as Python's
 * time.time() gives) or an ISO 8601 string; without time, the collector's read
 * time counts. The collector reads what was appended since its last read.
 * A count lower than the file's previous one for its unit is refused unless
 * the line says `"reset": true` (the job restarted its count): a counter that
 * goes backwards by mistake must not be read as a restart.
 *
 * A last line without its newline is still being written: it is left for the
 * next read. A line that is not a valid report is skipped with a warning naming
 * the file, the line and the field; the lines around it still count.
 */
import { openSync, readSync, closeSync, fstatSync } from "node:fs";
import { MAX_WORK_COUNT, workUnitSchema } from "../../server/wire/ingest-v1";

export interface WorkReport {
  unit: string;
  /** Cumulative count since the job started. */
  count: number;
  /** null: the line gave no time. */
  atMs: number | null;
  /** The job restarted its count with this report. */
  reset: boolean;
  line: number;
}

export interface ParsedReportLines {
  reports: WorkReport[];
  warnings: string[];
}

/** Epoch seconds below this are seconds; JSON numbers above it would be milliseconds, which are refused as ambiguous. */
const MAX_EPOCH_SECONDS = 1e11;

function reportTime(value: unknown): { atMs: number | null } | { problem: string } {
  if (value === undefined || value === null) return { atMs: null };
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0 || value >= MAX_EPOCH_SECONDS) return { problem: `${value} is not epoch seconds` };
    return { atMs: Math.round(value * 1000) };
  }
  if (typeof value === "string") {
    const atMs = Date.parse(value);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(atMs)) return { problem: `${JSON.stringify(value)} is not an ISO 8601 time` };
    return { atMs };
  }
  return { problem: "must be epoch seconds or an ISO 8601 string" };
}

/**
 * Parses complete report lines. `firstLine` is the number of the first line in
 * the file, so warnings point at the right line.
 */
export function parseReportLines(text: string, file: string, firstLine: number): ParsedReportLines {
  const reports: WorkReport[] = [];
  const warnings: string[] = [];
  text.split("\n").forEach((rawLine, index) => {
    const line = firstLine + index;
    const trimmed = rawLine.trim();
    if (trimmed === "") return;
    const warn = (field: string, problem: string) => warnings.push(`${file} line ${line}, field ${field}: ${problem}; line skipped`);
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      return warn("(line)", "not JSON");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) return warn("(line)", "not a JSON object");
    const record = value as Record<string, unknown>;
    const unit = workUnitSchema.safeParse(record.unit);
    if (!unit.success) return warn("unit", unit.error.issues[0]?.message ?? "invalid");
    const count = record.count;
    if (typeof count !== "number" || !Number.isFinite(count) || count < 0 || count > MAX_WORK_COUNT) {
      return warn("count", `${JSON.stringify(count)} is not a cumulative count from 0 to ${MAX_WORK_COUNT}`);
    }
    const time = reportTime(record.time);
    if ("problem" in time) return warn("time", time.problem);
    if (record.reset !== undefined && typeof record.reset !== "boolean") return warn("reset", "must be true or false");
    reports.push({ unit: unit.data, count, atMs: time.atMs, reset: record.reset === true, line });
  });
  return { reports, warnings };
}

/** The complete lines at the start of `bytes` (up to and with the last newline), and their length. */
export function completeLines(bytes: Buffer): { text: string; byteLength: number; lineCount: number } {
  const end = bytes.lastIndexOf(0x0a);
  if (end < 0) return { text: "", byteLength: 0, lineCount: 0 };
  const text = bytes.subarray(0, end).toString("utf8");
  return { text, byteLength: end + 1, lineCount: text.split("\n").length };
}

interface FilePosition {
  offset: number;
  nextLine: number;
  /** Device and inode: a different file at the same path (rotated) is read from its start. */
  identity: string;
}

function readCompleteLines(fd: number, offset: number, length: number): { text: string; byteLength: number; lineCount: number } {
  if (length <= 0) return { text: "", byteLength: 0, lineCount: 0 };
  const bytes = Buffer.alloc(length);
  const bytesRead = readSync(fd, bytes, 0, length, offset);
  return completeLines(bytes.subarray(0, bytesRead));
}

function countNewlines(fd: number, upTo: number): number {
  const bytes = Buffer.alloc(Math.min(upTo, MAX_READ_BYTES));
  let count = 0;
  for (let offset = 0; offset < upTo; ) {
    const bytesRead = readSync(fd, bytes, 0, Math.min(bytes.length, upTo - offset), offset);
    if (bytesRead <= 0) break;
    for (let i = 0; i < bytesRead; i++) if (bytes[i] === 0x0a) count += 1;
    offset += bytesRead;
  }
  return count;
}

/** Largest chunk read from one file per poll; the rest is read on the next polls. */
const MAX_READ_BYTES = 1024 * 1024;

/**
 * Reads report files incrementally. The first time a file is seen, only its
 * newest reports count, as the baseline: earlier lines were written before the
 * collector watched the job (or before a collector restart), and their work is
 * not known to fall in the windows still open.
 */
export class ReportFileReader {
  private readonly positions = new Map<string, FilePosition>();
  /** Per file, the last count of each unit. */
  private readonly lastCounts = new Map<string, Map<string, number>>();

  constructor(private readonly warn: (line: string) => void) {}

  /**
   * New reports of the file `key` (stable across polls, e.g. job and path),
   * opened at `filePath` (the path as the collector sees it) and named
   * `displayName` in warnings.
   */
  read(key: string, filePath: string, displayName: string): WorkReport[] {
    let fd: number;
    try {
      fd = openSync(filePath, "r");
    } catch {
      return []; // not written yet, or the job is gone
    }
    try {
      const stat = fstatSync(fd);
      const identity = `${stat.dev}:${stat.ino}`;
      const known = this.positions.get(key);
      if (known === undefined) return this.baseline(fd, key, displayName, stat.size, identity);
      const position = known.identity !== identity || stat.size < known.offset ? { offset: 0, nextLine: 1, identity } : known;
      const chunk = readCompleteLines(fd, position.offset, Math.min(MAX_READ_BYTES, stat.size - position.offset));
      const parsed = parseReportLines(chunk.text, displayName, position.nextLine);
      this.positions.set(key, { offset: position.offset + chunk.byteLength, nextLine: position.nextLine + chunk.lineCount, identity });
      for (const warning of parsed.warnings) this.warn(warning);
      return this.inOrder(key, displayName, parsed.reports, position !== known);
    } catch (error) {
      this.warn(`${displayName}: ${(error as Error).message}`);
      return [];
    } finally {
      closeSync(fd);
    }
  }

  /** First sight of a file: its newest report per unit (from its last MiB), and the position after its complete lines. */
  private baseline(fd: number, key: string, displayName: string, size: number, identity: string): WorkReport[] {
    let offset = Math.max(0, size - MAX_READ_BYTES);
    let precedingLines = 0;
    if (offset > 0) {
      // The tail starts mid-line: begin after its first newline.
      precedingLines = countNewlines(fd, offset);
      const tail = Buffer.alloc(size - offset);
      const firstBreak = tail.subarray(0, readSync(fd, tail, 0, tail.length, offset)).indexOf(0x0a);
      if (firstBreak < 0) {
        this.positions.set(key, { offset, nextLine: precedingLines + 1, identity });
        return [];
      }
      offset += firstBreak + 1;
      precedingLines += 1;
    }
    const chunk = readCompleteLines(fd, offset, size - offset);
    const parsed = parseReportLines(chunk.text, displayName, precedingLines + 1);
    this.positions.set(key, { offset: offset + chunk.byteLength, nextLine: precedingLines + 1 + chunk.lineCount, identity });
    const baseline = newestPerUnit(parsed.reports);
    this.lastCounts.set(key, new Map(baseline.map((report) => [report.unit, report.count])));
    return baseline;
  }

  /**
   * Drops, with a warning, reports whose count went below the previous one of
   * their unit without a reset; a file read again from its start (truncated or
   * replaced) starts a new count.
   */
  private inOrder(key: string, displayName: string, reports: readonly WorkReport[], restarted: boolean): WorkReport[] {
    let last = this.lastCounts.get(key);
    if (!last || restarted) this.lastCounts.set(key, (last = new Map()));
    const kept: WorkReport[] = [];
    for (const report of reports) {
      const previous = last.get(report.unit);
      if (previous !== undefined && report.count < previous && !report.reset) {
        this.warn(`${displayName} line ${report.line}, field count: ${report.count} is below the previous ${previous} without "reset": true; line skipped`);
        continue;
      }
      last.set(report.unit, report.count);
      kept.push(report);
    }
    return kept;
  }

  /** Forgets files no longer named by a running job. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.positions.keys()) {
      if (keys.has(key)) continue;
      this.positions.delete(key);
      this.lastCounts.delete(key);
    }
  }
}

function newestPerUnit(reports: readonly WorkReport[]): WorkReport[] {
  const newest = new Map<string, WorkReport>();
  for (const report of reports) newest.set(report.unit, report);
  return [...newest.values()];
}
