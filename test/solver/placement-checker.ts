/**
 * Independent feasibility check of a placement (not using ClusterState): every
 * assignment against node CPU, host memory, GPU count and model, gpuMilli per
 * GPU (<= 1000, <= 1000 x headroom when shared), workloads per GPU, and
 * distinct GPUs of one node for a multi-GPU workload. Returns the violations.
 */
import type { GpuNode, Placement, Workload } from "../../solver/packing/types.ts";

export function placementViolations(placement: Placement, all: readonly Workload[], cluster: readonly GpuNode[], headroom = 1, maxPerGpu = Number.POSITIVE_INFINITY): string[] {
  const problems: string[] = [];
  const byId = new Map(all.map((w) => [w.id, w]));
  const nodeById = new Map(cluster.map((n) => [n.id, n]));
  const cpu = new Map<string, number>();
  const memory = new Map<string, number>();
  const perGpu = new Map<string, Workload[]>();
  const seen = new Set<string>();
  for (const a of placement.assignments) {
    const w = byId.get(a.workload);
    const node = nodeById.get(a.node);
    if (!w || !node) {
      problems.push(`${a.workload} on ${a.node}: unknown workload or node`);
      continue;
    }
    if (seen.has(w.id)) problems.push(`${w.id} is placed twice`);
    seen.add(w.id);
    if (w.allowedModels && w.allowedModels.length > 0 && !w.allowedModels.includes(node.model)) problems.push(`${w.id} on a ${node.model}, allowed ${w.allowedModels.join("|")}`);
    if (a.gpuIndexes.length !== w.gpuCount || new Set(a.gpuIndexes).size !== w.gpuCount) problems.push(`${w.id} needs ${w.gpuCount} distinct GPUs, got ${a.gpuIndexes.join(",")}`);
    for (const g of a.gpuIndexes) {
      if (!(Number.isInteger(g) && g >= 0 && g < node.gpuCount)) problems.push(`${w.id}: GPU ${g} does not exist on ${node.id}`);
      const key = `${node.id}/${g}`;
      perGpu.set(key, [...(perGpu.get(key) ?? []), w]);
    }
    cpu.set(node.id, (cpu.get(node.id) ?? 0) + (w.cpuMilli ?? 0));
    memory.set(node.id, (memory.get(node.id) ?? 0) + (w.hostMemoryMiB ?? 0));
  }
  for (const [id, used] of cpu) if (used > (nodeById.get(id)!.cpuMilli ?? Number.POSITIVE_INFINITY)) problems.push(`${id}: ${used} CPU millicores asked, ${nodeById.get(id)!.cpuMilli} allocatable`);
  for (const [id, used] of memory) if (used > (nodeById.get(id)!.hostMemoryMiB ?? Number.POSITIVE_INFINITY)) problems.push(`${id}: ${used} MiB host memory asked, ${nodeById.get(id)!.hostMemoryMiB} allocatable`);
  for (const [key, members] of perGpu) {
    const milli = members.reduce((s, w) => s + w.gpuMilli, 0);
    if (milli > (members.length > 1 ? 1000 * headroom + 1e-9 : 1000)) problems.push(`${key}: ${milli} gpuMilli`);
    if (members.length > maxPerGpu) problems.push(`${key}: ${members.length} workloads`);
  }
  if (perGpu.size !== placement.gpusUsed) problems.push(`gpusUsed says ${placement.gpusUsed}, the assignments use ${perGpu.size}`);
  const placed = new Set(placement.assignments.map((a) => a.workload));
  for (const u of placement.unplaced) if (placed.has(u.workload)) problems.push(`${u.workload} is both placed and unplaced`);
  if (placed.size + placement.unplaced.length !== all.length) problems.push(`${placed.size} placed + ${placement.unplaced.length} unplaced != ${all.length} workloads`);
  return problems;
}
