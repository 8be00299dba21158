/**
 * Upper bound on the demand (GPUs = gpuMilli x gpuCount / 1000, summed) that
 * any placement can put on the nodes: an LP relaxation solved by column
 * generation, used to say how close a placement is to the best possible.
 *
 * Nodes of identical shape (model, GPU count, CPU, host memory, GPU memory)
 * form a group g of N_g nodes; workloads of identical shape form a type t of
 * n_t workloads worth v_t GPUs each. Variables:
 *   z_gp  GPUs of group g whose single-GPU workloads form pattern p (a
 *         multiset of single-GPU types that may share one GPU: the sharing
 *         rules of column-generation.ts, GPU memory left out);
 *   y_tg  multi-GPU workloads of type t on group g.
 *
 *   maximize  sum_gp value(p) z_gp + sum_tg v_t y_tg
 *   s.t.  type t (single):  sum_gp a_tp z_gp        <= n_t
 *         type t (multi):   sum_g y_tg              <= n_t
 *         GPUs of g:        sum_p z_gp + sum_t k_t y_tg (whole-GPU multi types) <= N_g x GPUs per node
 *         compute of g:     sum_p milli(p) z_gp + sum_t k_t milli_t y_tg       <= N_g x GPUs x 1000
 *         CPU, memory of g: sum of the requests on the group <= N_g x node CPU (memory)
 *
 * Why it is a relaxation (every real placement is a solution of the same
 * value): a workload only counts on a group whose nodes could hold it alone
 * (model, GPU count, CPU, memory); each GPU in use holds either a slice of a
 * whole-GPU multi-GPU workload (no single-GPU workload fits beside 1000
 * gpuMilli) or a set of single-GPU workloads that obeys the sharing rules, so
 * it is counted once, in one pattern; a group's workloads use no more CPU,
 * memory and compute than its nodes have in total. What is dropped: CPU and
 * memory per node (only per group), the GPU memory and interference rules,
 * and that a multi-GPU workload's GPUs share one node.
 *
 * The bound reported is Lagrangian, valid at every iteration and for any
 * non-negative row prices lambda (so it does not depend on the LP solver's
 * accuracy or on convergence):
 *   UB(lambda) = lambda . b + sum_g N_g GPUs_g max(0, best reduced value of a pattern on g)
 *              + sum_t n_t max(0, best reduced value of a type-t multi-GPU workload)
 * because every solution also satisfies sum_p z_gp <= N_g GPUs_g and sum_g y_tg <= n_t.
 * At convergence it equals the LP optimum.
 */
import { loadGlpk, solveWith } from "../glpk.ts";
import type { LinearConstraint, LinearModel, LinearTerm } from "../linear-model.ts";
import { whyUnplaceable } from "./baselines.ts";
import { GPU_MILLI } from "./cluster-state.ts";
import { pricePattern, type ItemType, type PatternRules } from "./column-generation.ts";
import type { GpuNode, ResolvedPackingOptions, Workload } from "./types.ts";

export interface PlaceableDemandBound {
  /** No placement puts more than this on the nodes, GPUs (gpuMilli x gpuCount / 1000, summed). */
  gpus: number;
  /** The same over the demand asked (0..1). */
  share: number;
  /** Demand asked, GPUs. */
  demandGpus: number;
  /** Value of the last restricted LP, GPUs (equals `gpus` at convergence). */
  lpGpus: number;
  converged: boolean;
  iterations: number;
  /**
   * What proved `gpus`: "lp" = the relaxation solved to optimality; "lagrangian" =
   * row prices of an LP not yet converged (valid, looser); "placeable-alone" = no
   * price beat the trivial bound, the demand of the workloads that fit on some node alone.
   */
  method: "lp" | "lagrangian" | "placeable-alone";
}

export interface NodeGroup {
  /** Indexes into the node list. */
  members: number[];
  model: string;
  nodes: number;
  gpusPerNode: number;
  cpuMilli: number;
  hostMemoryMiB: number;
  gpuMemoryMiB: number;
}

export interface BoundType {
  /** The workloads of this shape. */
  members: Workload[];
  count: number;
  gpuCount: number;
  gpuMilli: number;
  cpuMilli: number;
  hostMemoryMiB: number;
  /** GPUs of demand per workload. */
  value: number;
  latencySensitive: boolean;
  /** Groups whose nodes could hold one alone. */
  groups: number[];
}

const EPSILON = 1e-9;

function groupsOf(nodes: readonly GpuNode[]): NodeGroup[] {
  const byKey = new Map<string, NodeGroup>();
  nodes.forEach((n, index) => {
    if (n.gpuCount <= 0) return;
    const shape = {
      model: n.model,
      gpusPerNode: n.gpuCount,
      cpuMilli: n.cpuMilli ?? Number.POSITIVE_INFINITY,
      hostMemoryMiB: n.hostMemoryMiB ?? Number.POSITIVE_INFINITY,
      gpuMemoryMiB: n.gpuMemoryMiB ?? Number.POSITIVE_INFINITY,
    };
    const key = JSON.stringify(shape);
    const group = byKey.get(key);
    if (group) {
      group.nodes++;
      group.members.push(index);
    } else byKey.set(key, { ...shape, nodes: 1, members: [index] });
  });
  return [...byKey.values()];
}

function typesOf(workloads: readonly Workload[], nodes: readonly GpuNode[], groups: readonly NodeGroup[], options: ResolvedPackingOptions): BoundType[] {
  const byKey = new Map<string, { w: Workload; count: number; members: Workload[] }>();
  for (const w of workloads) {
    if (whyUnplaceable(w, nodes)) continue;
    const models = w.allowedModels && w.allowedModels.length > 0 ? [...w.allowedModels].sort().join("|") : "*";
    const ls = w.kind === "latency-sensitive" && !options.allowLatencySensitiveSharing;
    const key = [w.gpuCount, w.gpuMilli, w.memoryNeedMiB ?? 0, w.cpuMilli ?? 0, w.hostMemoryMiB ?? 0, ls, models].join("/");
    const entry = byKey.get(key);
    if (entry) {
      entry.count++;
      entry.members.push(w);
    } else byKey.set(key, { w, count: 1, members: [w] });
  }
  return [...byKey.values()].map(({ w, count, members }) => ({
    members,
    count,
    gpuCount: w.gpuCount,
    gpuMilli: w.gpuMilli,
    cpuMilli: w.cpuMilli ?? 0,
    hostMemoryMiB: w.hostMemoryMiB ?? 0,
    value: (w.gpuMilli * w.gpuCount) / GPU_MILLI,
    latencySensitive: w.kind === "latency-sensitive" && !options.allowLatencySensitiveSharing,
    groups: groups.flatMap((g, i) =>
      (!w.allowedModels || w.allowedModels.length === 0 || w.allowedModels.includes(g.model)) &&
      g.gpusPerNode >= w.gpuCount &&
      (w.memoryNeedMiB ?? 0) <= g.gpuMemoryMiB &&
      (w.cpuMilli ?? 0) <= g.cpuMilli &&
      (w.hostMemoryMiB ?? 0) <= g.hostMemoryMiB
        ? [i]
        : [],
    ),
  }));
}

export interface Column {
  group: number;
  /** Single-GPU pattern: count per type index (sparse); undefined for a multi-GPU workload. */
  pattern?: Map<number, number>;
  /** Multi-GPU type index. */
  multi?: number;
}

/** The relaxation's last LP solution: how many GPUs (patterns) or workloads (multi-GPU) of each column. */
export interface BoundSolution {
  groups: NodeGroup[];
  types: BoundType[];
  columns: Column[];
  values: number[];
}

/**
 * Upper bound on the placeable demand (see the header). `timeLimitMs` caps the
 * column generation; the bound stays valid when it stops early, only looser.
 */
export async function placeableDemandUpperBound(workloads: readonly Workload[], nodes: readonly GpuNode[], options: ResolvedPackingOptions, timeLimitMs: number): Promise<PlaceableDemandBound & { solution?: BoundSolution }> {
  const started = performance.now();
  const demandGpus = workloads.reduce((s, w) => s + (w.gpuMilli * w.gpuCount) / GPU_MILLI, 0);
  const groups = groupsOf(nodes);
  const types = typesOf(workloads, nodes, groups, options);
  const placeableGpus = types.reduce((s, t) => s + t.count * t.value, 0);
  let solution: BoundSolution | undefined;
  const result = (gpus: number, lpGpus: number, converged: boolean, iterations: number) => {
    const capped = Math.min(gpus, placeableGpus);
    const method: PlaceableDemandBound["method"] = converged ? "lp" : capped < placeableGpus - EPSILON ? "lagrangian" : "placeable-alone";
    return { gpus: capped, share: demandGpus > 0 ? Math.min(1, capped / demandGpus) : 1, demandGpus, lpGpus: Math.min(lpGpus, capped), converged, iterations, method, solution };
  };
  if (types.length === 0 || groups.length === 0) return result(0, 0, true, 0);
  const single = types.flatMap((t, i) => (t.gpuCount === 1 ? [i] : []));
  const multi = types.flatMap((t, i) => (t.gpuCount > 1 ? [i] : []));
  // Sharing rules of one GPU; GPU memory is left out (a relaxation, and pricePattern rounds memory conservatively).
  const rules: PatternRules = { gpuMemoryMiB: Number.POSITIVE_INFINITY, headroom: options.headroom, maxItemsPerGpu: options.maxWorkloadsPerGpu, allowLatencySensitiveSharing: options.allowLatencySensitiveSharing };
  // Sizes rounded down for the pricing DP (it works in whole gpuMilli): every real pattern stays a pattern.
  const itemTypes: ItemType[] = types.map((t) => ({ gpuMilli: Math.max(1, Math.floor(t.gpuMilli)), memoryNeedMiB: 0, latencySensitive: t.latencySensitive, demand: t.count }));
  const columns: Column[] = [];
  const known = new Set<string>();
  const addPattern = (group: number, pattern: Map<number, number>): boolean => {
    const key = `${group}:${[...pattern.entries()].sort((a, b) => a[0] - b[0]).join(";")}`;
    if (known.has(key)) return false;
    known.add(key);
    columns.push({ group, pattern });
    return true;
  };
  for (const t of single) for (const g of types[t].groups) addPattern(g, new Map([[t, 1]]));
  for (const t of multi) for (const g of types[t].groups) columns.push({ group: g, multi: t });

  const columnTotals = (c: Column) => {
    let value = 0;
    let cpu = 0;
    let memory = 0;
    let milli = 0;
    let wholeGpus = 0;
    if (c.pattern) {
      for (const [t, n] of c.pattern) {
        value += types[t].value * n;
        cpu += types[t].cpuMilli * n;
        memory += types[t].hostMemoryMiB * n;
        milli += types[t].gpuMilli * n;
      }
      wholeGpus = 1;
    } else {
      const t = types[c.multi!];
      value = t.value;
      cpu = t.cpuMilli;
      memory = t.hostMemoryMiB;
      milli = t.gpuMilli * t.gpuCount;
      wholeGpus = t.gpuMilli >= GPU_MILLI ? t.gpuCount : 0;
    }
    return { value, cpu, memory, milli, wholeGpus };
  };
  const model = (): LinearModel => {
    const rows = new Map<string, LinearTerm[]>();
    const term = (row: string, name: string, coef: number) => {
      if (coef === 0) return;
      const list = rows.get(row);
      if (list) list.push({ name, coef });
      else rows.set(row, [{ name, coef }]);
    };
    const objective: LinearTerm[] = [];
    columns.forEach((c, j) => {
      const name = `c${j}`;
      const totals = columnTotals(c);
      objective.push({ name, coef: totals.value });
      if (c.pattern) for (const [t, n] of c.pattern) term(`t${t}`, name, n);
      else term(`t${c.multi}`, name, 1);
      term(`gpus${c.group}`, name, totals.wholeGpus);
      term(`milli${c.group}`, name, totals.milli);
      if (Number.isFinite(groups[c.group].cpuMilli)) term(`cpu${c.group}`, name, totals.cpu);
      if (Number.isFinite(groups[c.group].hostMemoryMiB)) term(`memory${c.group}`, name, totals.memory);
    });
    const constraints: LinearConstraint[] = [];
    for (const [row, terms] of rows) constraints.push({ name: row, terms, upper: rowBound(row) });
    return { name: "placeable-demand-bound", direction: "maximize", objective, constraints };
  };
  const rowBound = (row: string): number => {
    const index = Number(row.replace(/^[a-z]+/, ""));
    const g = groups[index];
    if (row.startsWith("t")) return types[index].count;
    if (row.startsWith("gpus")) return g.nodes * g.gpusPerNode;
    if (row.startsWith("milli")) return g.nodes * g.gpusPerNode * GPU_MILLI;
    if (row.startsWith("cpu")) return g.nodes * g.cpuMilli;
    return g.nodes * g.hostMemoryMiB;
  };

  const glpk = await loadGlpk();
  let bound = placeableGpus;
  let lpGpus = placeableGpus;
  let converged = false;
  let iterations = 0;
  while (performance.now() - started < timeLimitMs) {
    iterations++;
    const lp = model();
    const solved = solveWith(glpk, lp, { timeLimitMs: Math.max(50, timeLimitMs - (performance.now() - started)) });
    if (solved.status !== "optimal" || !solved.duals) break;
    lpGpus = solved.objective;
    solution = { groups, types, columns: [...columns], values: columns.map((_, j) => solved.values[`c${j}`] ?? 0) };
    // Row prices, clamped to >= 0: the bound below is valid for any such prices.
    const price = (row: string) => Math.max(0, solved.duals![row] ?? 0);
    let ub = 0;
    for (const c of lp.constraints) ub += price(c.name) * c.upper!;
    let added = 0;
    groups.forEach((g, gi) => {
      const cpuPrice = Number.isFinite(g.cpuMilli) ? price(`cpu${gi}`) : 0;
      const memoryPrice = Number.isFinite(g.hostMemoryMiB) ? price(`memory${gi}`) : 0;
      const milliPrice = price(`milli${gi}`);
      const gpuPrice = price(`gpus${gi}`);
      // Reduced value of one workload of type t on a GPU of g, without the GPU's own price.
      const reduced = (t: number) => types[t].value - price(`t${t}`) - types[t].cpuMilli * cpuPrice - types[t].hostMemoryMiB * memoryPrice - types[t].gpuMilli * types[t].gpuCount * milliPrice;
      const weights = itemTypes.map((_, t) => (types[t].gpuCount === 1 && types[t].groups.includes(gi) ? Math.max(0, reduced(t)) : 0));
      const best = pricePattern(itemTypes, weights, rules);
      const gain = best.value - gpuPrice;
      ub += g.nodes * g.gpusPerNode * Math.max(0, gain);
      if (gain > 1e-7) {
        const pattern = new Map<number, number>();
        best.pattern.forEach((n, t) => n > 0 && pattern.set(t, n));
        if (addPattern(gi, pattern)) added++;
      }
    });
    for (const t of multi) {
      let bestGain = 0;
      for (const gi of types[t].groups) {
        const g = groups[gi];
        const cpuPrice = Number.isFinite(g.cpuMilli) ? price(`cpu${gi}`) : 0;
        const memoryPrice = Number.isFinite(g.hostMemoryMiB) ? price(`memory${gi}`) : 0;
        const whole = types[t].gpuMilli >= GPU_MILLI ? types[t].gpuCount : 0;
        const gain = types[t].value - price(`t${t}`) - types[t].cpuMilli * cpuPrice - types[t].hostMemoryMiB * memoryPrice - types[t].gpuMilli * types[t].gpuCount * price(`milli${gi}`) - whole * price(`gpus${gi}`);
        bestGain = Math.max(bestGain, gain);
      }
      ub += types[t].count * bestGain;
    }
    bound = Math.min(bound, ub);
    if (added === 0) {
      converged = true;
      break;
    }
  }
  return result(bound, lpGpus, converged, iterations);
}
