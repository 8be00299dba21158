/**
 * Reads Alibaba's "openb" cluster-trace-gpu-v2023 CSV text (already loaded by
 * the caller) into packing inputs. Node columns: sn, cpu_milli, memory_mib,
 * gpu, model. Pod columns: name, cpu_milli, memory_mib, num_gpu, gpu_milli,
 * gpu_spec ("A|B" = allowed models, empty = any), qos (LS, BE, Burstable, Guaranteed).
 * The trace records no GPU memory, so memory is not constrained.
 *
 * Every row is checked before anything is packed: a malformed value (not a
 * number, negative, a fractional GPU count, gpu_milli outside 0..1000, a GPU
 * node without a model, a name seen twice) is an error naming the source, the
 * line and the column, unless `skipBadRows` is set: then the row is left out
 * (of the pods, the nodes and every total) and listed in `skipped`.
 */
import { GPU_MILLI } from "./cluster-state.ts";
import type { GpuNode, Workload } from "./types.ts";

export function parseCsv(text: string): Record<string, string>[] {
  return csvRows(text).rows.map((r) => r.cells);
}

/** Rows with their 1-based line numbers in the text (blank lines skipped, the header is line 1 or the first non-blank line). */
export function csvRows(text: string): { header: string[]; rows: { line: number; cells: Record<string, string> }[] } {
  const lines = text.split(/\r?\n/).map((l, i) => ({ l, line: i + 1 })).filter(({ l }) => l.length > 0);
  if (lines.length === 0) return { header: [], rows: [] };
  const header = lines[0].l.split(",").map((h) => h.trim());
  return {
    header,
    rows: lines.slice(1).map(({ l, line }) => {
      const cells = l.split(",");
      return { line, cells: Object.fromEntries(header.map((h, i) => [h, (cells[i] ?? "").trim()])) };
    }),
  };
}

/** A row that was refused (or skipped): where and why. */
export interface RowProblem {
  source: string;
  line: number;
  field: string;
  message: string;
}

export function describeRowProblem(p: RowProblem): string {
  return `${p.source}: line ${p.line}: ${p.field} ${p.message}`;
}

export class CsvInputError extends Error {
  readonly problem: RowProblem;
  constructor(problem: RowProblem) {
    super(describeRowProblem(problem));
    this.problem = problem;
  }
}

export interface ReadOptions {
  /** Named in every message: the file the text came from. */
  source?: string;
  /** Leave malformed rows out (listed in `skipped`) instead of refusing the file. */
  skipBadRows?: boolean;
}

class RowRejected extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field} ${reason}`);
  }
}

function requireColumns(header: readonly string[], columns: readonly string[], source: string): void {
  for (const column of columns) {
    if (!header.includes(column)) throw new CsvInputError({ source, line: 1, field: column, message: `column is missing (header: ${header.join(",")})` });
  }
}

/** A finite number >= 0 (a whole number when `whole`), or the row is rejected naming the column. */
function amount(row: Record<string, string>, column: string, whole = false): number {
  const text = row[column];
  const value = Number(text);
  if (text === undefined || text === "" || !Number.isFinite(value)) throw new RowRejected(column, `must be a number, got "${text ?? ""}"`);
  if (value < 0) throw new RowRejected(column, `must not be negative, got ${text}`);
  if (whole && !Number.isInteger(value)) throw new RowRejected(column, `must be a whole number, got ${text}`);
  return value;
}

/** Runs `read` on every row; a rejected row throws, or is skipped and listed when `skipBadRows`. */
function readRows<T>(text: string, required: readonly string[], options: ReadOptions, kind: string, read: (cells: Record<string, string>, line: number) => T): { items: T[]; skipped: RowProblem[] } {
  const source = options.source ?? `${kind} CSV`;
  const { header, rows } = csvRows(text);
  if (rows.length > 0 || header.length > 0) requireColumns(header, required, source);
  const items: T[] = [];
  const skipped: RowProblem[] = [];
  for (const { line, cells } of rows) {
    try {
      items.push(read(cells, line));
    } catch (error) {
      if (!(error instanceof RowRejected)) throw error;
      const problem = { source, line, field: error.field, message: error.reason };
      if (!options.skipBadRows) throw new CsvInputError(problem);
      skipped.push(problem);
    }
  }
  return { items, skipped };
}

export interface OpenbNodes {
  nodes: GpuNode[];
  /** Rows left out with `skipBadRows`. */
  skipped: RowProblem[];
}

export function readOpenbNodes(text: string, options: ReadOptions = {}): OpenbNodes {
  const seen = new Set<string>();
  const { items, skipped } = readRows(text, ["cpu_milli", "memory_mib", "gpu", "model"], options, "node", (row, line) => {
    const id = row.sn || `node-${line}`;
    if (seen.has(id)) throw new RowRejected("sn", `${id} appears twice`);
    const gpuCount = amount(row, "gpu", true);
    // CPU-only nodes (gpu = 0) have no model in the trace; a GPU node without one could hold no gpu_spec pod.
    if (gpuCount > 0 && !row.model) throw new RowRejected("model", "must name the GPU model of a node with GPUs");
    const node: GpuNode = { id, model: row.model ?? "", gpuCount, cpuMilli: amount(row, "cpu_milli"), hostMemoryMiB: amount(row, "memory_mib") };
    seen.add(id);
    return node;
  });
  return { nodes: items, skipped };
}

/** The nodes of an openb node list (throws on the first malformed row). */
export function openbNodes(text: string, options: ReadOptions = {}): GpuNode[] {
  return readOpenbNodes(text, options).nodes;
}

export interface OpenbPods {
  /** Pods with at least one GPU. */
  workloads: Workload[];
  /** Pods with num_gpu = 0, as workloads with gpuCount 0 (they use node CPU and memory only). */
  cpuOnlyWorkloads: Workload[];
  /** Pods with num_gpu = 0. */
  cpuOnly: number;
  /** Rows left out with `skipBadRows`. */
  skipped: RowProblem[];
}

export function openbPods(text: string, options: ReadOptions = {}): OpenbPods {
  const seen = new Set<string>();
  const { items, skipped } = readRows(text, ["cpu_milli", "memory_mib", "num_gpu", "gpu_milli"], options, "pod", (row, line) => {
    const id = row.name || `pod-${line}`;
    if (seen.has(id)) throw new RowRejected("name", `${id} appears twice`);
    const gpuCount = amount(row, "num_gpu", true);
    const gpuMilli = amount(row, "gpu_milli", true);
    if (gpuMilli > GPU_MILLI) throw new RowRejected("gpu_milli", `must be at most ${GPU_MILLI} (one whole GPU), got ${row.gpu_milli}`);
    if (gpuCount === 1 && gpuMilli === 0) throw new RowRejected("gpu_milli", "must be at least 1 for a pod with num_gpu = 1");
    const spec = (row.gpu_spec ?? "").split("|").filter((s) => s.length > 0);
    const workload: Workload = {
      id,
      gpuCount,
      // Multi-GPU pods use whole GPUs; the trace leaves gpu_milli at 1000 for them.
      gpuMilli: gpuCount === 0 ? 0 : gpuCount > 1 ? GPU_MILLI : gpuMilli,
      cpuMilli: amount(row, "cpu_milli"),
      hostMemoryMiB: amount(row, "memory_mib"),
      kind: row.qos === "LS" || row.qos === "Guaranteed" ? "latency-sensitive" : "batch",
      allowedModels: spec.length > 0 && gpuCount > 0 ? spec : undefined,
    };
    seen.add(id);
    return workload;
  });
  const workloads = items.filter((w) => w.gpuCount > 0);
  const cpuOnlyWorkloads = items.filter((w) => w.gpuCount === 0);
  return { workloads, cpuOnlyWorkloads, cpuOnly: cpuOnlyWorkloads.length, skipped };
}
