/**
 * GPU-model-constrained openb pod lists, built at bench time from the public
 * trace and never stored: the gpu_spec constraints of
 * openb_pod_list_gpuspec33.csv dealt onto the GPU pods of another list, the
 * way the trace's authors made gpuspec33 from the default list (a share of the
 * GPU pods limited to given models).
 */
import type { Workload } from "../../solver/packing/types.ts";

/**
 * `pods` with the k-th GPU pod (k counts GPU pods only, in list order) limited
 * to models when `constrain(k)`: it takes the next constraint, in list order
 * and round again, of the constrained pods of `specSource` with the same GPU
 * count (of any constrained pod when none has that count). CPU-only pods and
 * the other GPU pods may run on any model.
 */
export function withGpuSpecs(pods: readonly Workload[], specSource: readonly Workload[], constrain: (gpuPodIndex: number) => boolean): Workload[] {
  const specs = specSource.filter((p) => p.allowedModels && p.allowedModels.length > 0);
  if (specs.length === 0) throw new Error("the spec source has no pod limited to GPU models");
  const byCount = new Map<number, Workload[]>();
  for (const p of specs) byCount.set(p.gpuCount, [...(byCount.get(p.gpuCount) ?? []), p]);
  const dealt = new Map<Workload[], number>();
  let k = -1;
  return pods.map((p) => {
    if (p.gpuCount === 0) return { ...p, allowedModels: undefined };
    k++;
    if (!constrain(k)) return { ...p, allowedModels: undefined };
    const pool = byCount.get(p.gpuCount) ?? specs;
    const next = dealt.get(pool) ?? 0;
    dealt.set(pool, next + 1);
    return { ...p, allowedModels: pool[next % pool.length].allowedModels };
  });
}

/** The constrained lists the packing bench adds to the trace's own: name, how it is built, and the pods. */
export function constrainedOpenbLists(lists: { default: readonly Workload[]; gpuspec33: readonly Workload[]; multigpu50?: readonly Workload[] }): { name: string; built: string; pods: Workload[] }[] {
  const built = [
    {
      name: "default-spec67",
      built: "openb_pod_list_default with two GPU pods in three (all but every third) limited to GPU models, the constraints of gpuspec33 dealt in order by GPU count",
      pods: withGpuSpecs(lists.default, lists.gpuspec33, (k) => k % 3 !== 2),
    },
  ];
  if (lists.multigpu50) {
    built.push({
      name: "multigpu50-spec33",
      built: "openb_pod_list_multigpu50 with every third GPU pod limited to GPU models, the constraints of gpuspec33 dealt in order by GPU count",
      pods: withGpuSpecs(lists.multigpu50, lists.gpuspec33, (k) => k % 3 === 0),
    });
  }
  return built;
}
