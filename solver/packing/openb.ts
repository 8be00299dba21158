/**
 * Reads Alibaba's "openb" cluster-trace-gpu-v2023 CSV text (already loaded by
 * the caller) into packing inputs. Node columns: sn, cpu_milli, memory_mib,
 * gpu, model. Pod columns: name, cpu_milli, memory_mib, num_gpu, gpu_milli,
 * gpu_spec ("A|B" = allowed models, empty = any), qos (LS, BE, Burstable, Guaranteed).
 * The trace records no GPU memory, so memory is not constrained.
 */
import type { GpuNode, Workload } from "./types.ts";

export function parseCsv(text: string): Record<string, string>[] {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length === 0) return [];
  const header = lines[0].split(",").map((h) => h.trim());
  return lines.slice(1).map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(header.map((h, i) => [h, (cells[i] ?? "").trim()]));
  });
}

function numberIn(row: Record<string, string>, column: string, where: string): number {
  const value = Number(row[column]);
  if (row[column] === undefined || row[column] === "" || !Number.isFinite(value)) throw new Error(`${where}: column ${column} is missing or not a number`);
  return value;
}

export function openbNodes(text: string): GpuNode[] {
  return parseCsv(text).map((row, i) => ({
    id: row.sn || `node-${i}`,
    model: row.model ?? "",
    gpuCount: numberIn(row, "gpu", `node row ${i + 2}`),
    cpuMilli: numberIn(row, "cpu_milli", `node row ${i + 2}`),
    hostMemoryMiB: numberIn(row, "memory_mib", `node row ${i + 2}`),
  }));
}

export interface OpenbPods {
  workloads: Workload[];
  /** Pods with num_gpu = 0: nothing to pack on GPUs. */
  cpuOnly: number;
}

export function openbPods(text: string): OpenbPods {
  const workloads: Workload[] = [];
  let cpuOnly = 0;
  parseCsv(text).forEach((row, i) => {
    const where = `pod row ${i + 2}`;
    const gpuCount = numberIn(row, "num_gpu", where);
    if (gpuCount === 0) {
      cpuOnly++;
      return;
    }
    const spec = (row.gpu_spec ?? "").split("|").filter((s) => s.length > 0);
    workloads.push({
      id: row.name || `pod-${i}`,
      gpuCount,
      // Multi-GPU pods use whole GPUs; the trace leaves gpu_milli at 1000 for them.
      gpuMilli: gpuCount > 1 ? 1000 : numberIn(row, "gpu_milli", where),
      cpuMilli: numberIn(row, "cpu_milli", where),
      hostMemoryMiB: numberIn(row, "memory_mib", where),
      kind: row.qos === "LS" || row.qos === "Guaranteed" ? "latency-sensitive" : "batch",
      allowedModels: spec.length > 0 ? spec : undefined,
    });
  });
  return { workloads, cpuOnly };
}
