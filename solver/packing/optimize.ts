/**
 * The packing optimizer. Steps, each ending by its share of the time limit
 * (TIME_SHARES; a step may use what earlier ones leave, and says in `phases`
 * when the limit cut it short):
 *  1. Check inputs (malformed ones are refused); set aside workloads no node
 *     could ever hold (with the reason); CPU-only workloads go apart (step 10).
 *  2. Baselines: current placement, first-fit decreasing, best fit.
 *  3. Lower bound: column generation over all workloads on identical GPUs with
 *     model, CPU, host memory and interference rules relaxed (so it is valid).
 *  4. Decompose single-GPU workloads into pools by allowed GPU models; per pool,
 *     column generation on sharing patterns, then integer pattern counts two
 *     ways: round down (and re-solve the residual), and the restricted master MIP.
 *  5. Realise: multi-GPU workloads first, then each pattern copy as a bundle on an
 *     empty GPU (best-fit node), then repair leftovers by best fit.
 *  6. With a migration budget: also consolidate from the current placement,
 *     moving at most maxMoves workloads; drop candidates that move more.
 *  7. Return the best candidate; the baselines are candidates, so the answer is
 *     never worse than the best baseline.
 *  8. When workloads that could fit are left out (and no migration budget): local
 *     search from the best candidate for more demand (improve.ts: direct
 *     placement, ejection, exchange, chains of two).
 *     Clusters larger than one part (decompose.ts, about 1,250 nodes) run 4-8 on
 *     the first of k look-alike parts, transplant its answer to the others, and
 *     search the whole cluster from there.
 *  9. When workloads that could fit on some node are still left out: an upper bound on
 *     the demand any placement can place (upper-bound.ts), to say how far off it is.
 * 10. CPU-only workloads onto node CPU and memory, after the GPU workloads or,
 *     with cpuOnlyFirst, before them.
 */
import { ClusterState, GPU_MILLI, workloadShape } from "./cluster-state.ts";
import { bestFit, byDecreasingDominantShare, currentPlacement, firstFitDecreasing, NO_ROOM, placeBestFit, whyUnplaceable } from "./baselines.ts";
import { placeableDemandUpperBound } from "./upper-bound.ts";
import { improvePlacement } from "./improve.ts";
import { gpusByModel, isConstrained, modelBreadth, modelPenalties, repinUnconstrained } from "./scarcity.ts";
import { placeConstrainedByCascade } from "./eviction-cascade.ts";
import { leftoverCapacity } from "./fragmentation.ts";
import { generateColumns, integerPatternCounts, type ItemType, type PatternRules } from "./column-generation.ts";
import type { Assignment, GpuNode, PackingOptions, PackingPhase, PackingResult, Placement, ResolvedPackingOptions, Workload } from "./types.ts";
import { dealIntoParts, partCount, transplant } from "./decompose.ts";
import { resolveOptions } from "./types.ts";

/** Compares placements: more demand placed, then fewer GPUs, lower cost, fewer moves, less interference. */
export function betterPlacement(a: Placement, b: Placement): boolean {
  if (Math.abs(a.placedDemandShare - b.placedDemandShare) > 1e-9) return a.placedDemandShare > b.placedDemandShare;
  if (a.gpusUsed !== b.gpusUsed) return a.gpusUsed < b.gpusUsed;
  if (Math.abs(a.costPerHour - b.costPerHour) > 1e-9) return a.costPerHour < b.costPerHour;
  if (a.moves !== b.moves) return a.moves < b.moves;
  return a.interferencePenalty < b.interferencePenalty;
}

interface Pool {
  key: string;
  models: readonly string[] | undefined;
  workloads: Workload[];
}

function typeKey(w: Workload): string {
  return `${w.gpuMilli}|${w.memoryNeedMiB ?? 0}|${w.kind}`;
}

function itemTypes(workloads: readonly Workload[], options: ResolvedPackingOptions): { types: ItemType[]; members: Workload[][] } {
  const byKey = new Map<string, Workload[]>();
  for (const w of workloads) {
    const key = typeKey(w);
    const list = byKey.get(key);
    if (list) list.push(w);
    else byKey.set(key, [w]);
  }
  const members = [...byKey.values()];
  const types = members.map((list) => ({
    gpuMilli: list[0].gpuMilli,
    memoryNeedMiB: list[0].memoryNeedMiB ?? 0,
    latencySensitive: list[0].kind === "latency-sensitive" && !options.allowLatencySensitiveSharing,
    demand: list.reduce((sum, w) => sum + w.gpuCount, 0),
  }));
  return { types, members };
}

function rulesFor(nodes: readonly GpuNode[], options: ResolvedPackingOptions, memory: "min" | "max"): PatternRules {
  const memories = nodes.map((n) => n.gpuMemoryMiB ?? Number.POSITIVE_INFINITY);
  return {
    gpuMemoryMiB: memories.length === 0 ? Number.POSITIVE_INFINITY : memory === "min" ? Math.min(...memories) : Math.max(...memories),
    headroom: options.headroom,
    maxItemsPerGpu: options.maxWorkloadsPerGpu,
    allowLatencySensitiveSharing: options.allowLatencySensitiveSharing,
  };
}

/** Pattern counts by rounding the LP down, re-solving what is left a few times. */
async function roundDownCounts(types: readonly ItemType[], patterns: number[][], lpValues: readonly number[], rules: PatternRules, deadline: number): Promise<number[]> {
  const counts = patterns.map((_, p) => Math.floor((lpValues[p] ?? 0) + 1e-9));
  for (let round = 0; round < 4 && performance.now() < deadline; round++) {
    const covered = types.map((_, t) => patterns.reduce((sum, pattern, p) => sum + pattern[t] * (counts[p] ?? 0), 0));
    const residual = types.map((t, i) => ({ ...t, demand: Math.max(0, t.demand - covered[i]) }));
    if (residual.every((t) => t.demand === 0)) break;
    const again = await generateColumns(residual, rules, Math.max(50, deadline - performance.now()), patterns);
    let added = 0;
    again.patterns.forEach((pattern, p) => {
      const whole = Math.floor((again.lpValues[p] ?? 0) + 1e-9);
      if (whole === 0) return;
      let index = patterns.findIndex((q) => q.join(",") === pattern.join(","));
      if (index < 0) {
        index = patterns.push(pattern) - 1;
        counts[index] = 0;
      }
      counts[index] += whole;
      added += whole;
    });
    if (added === 0) break;
  }
  return counts;
}

/** Turns pattern counts into bundles of concrete workloads (a pattern may cover more than is left). */
function bundlesFrom(patterns: readonly number[][], counts: readonly number[], members: readonly Workload[][]): { bundles: Workload[][]; leftover: Workload[] } {
  const queues = members.map((list) => [...list]);
  const bundles: Workload[][] = [];
  // Fuller patterns first, so that over-coverage leaves the emptiest patterns short.
  const order = patterns.map((_, p) => p).sort((a, b) => patterns[b].reduce((s, x) => s + x, 0) - patterns[a].reduce((s, x) => s + x, 0));
  for (const p of order) {
    for (let copy = 0; copy < (counts[p] ?? 0); copy++) {
      const bundle: Workload[] = [];
      patterns[p].forEach((n, t) => {
        for (let k = 0; k < n && queues[t].length > 0; k++) bundle.push(queues[t].pop()!);
      });
      if (bundle.length > 0) bundles.push(bundle);
    }
  }
  return { bundles, leftover: queues.flat() };
}

/**
 * Workloads limited to some GPU models first, the fewest GPUs to choose from
 * first (so they take their scarce models before wider ones do), then those
 * that may run anywhere; each by decreasing dominant share.
 */
export function constrainedFirst(workloads: readonly Workload[], nodes: readonly GpuNode[]): Workload[] {
  const sorted = byDecreasingDominantShare(workloads, nodes);
  const byModel = gpusByModel(nodes);
  const breadth = new Map(sorted.map((w) => [w, modelBreadth(w, byModel)]));
  // Stable sort: equal breadth keeps the dominant-share order (Infinity - Infinity is NaN, read as equal).
  return sorted.sort((a, b) => breadth.get(a)! - breadth.get(b)! || 0);
}

/** Step 5: multi-GPU workloads, then bundles on empty GPUs, then repair by best fit. */
function realise(multiGpu: readonly Workload[], bundles: readonly Workload[][], leftover: readonly Workload[], workloads: readonly Workload[], nodes: readonly GpuNode[], options: ResolvedPackingOptions, unplacedStatic: Placement["unplaced"]): Placement {
  const state = new ClusterState(nodes, options);
  const repair: Workload[] = [...leftover];
  for (const w of constrainedFirst(multiGpu, nodes)) if (!placeBestFit(state, w)) repair.push(w);
  // A bundle acts as one pseudo-workload holding one empty GPU with the members' summed host needs.
  const pseudo = bundles.map((members, i) => ({
    workload: {
      id: `bundle-${i}`,
      gpuCount: 1,
      gpuMilli: Math.min(GPU_MILLI, members.reduce((s, w) => s + w.gpuMilli, 0)),
      cpuMilli: members.reduce((s, w) => s + (w.cpuMilli ?? 0), 0),
      hostMemoryMiB: members.reduce((s, w) => s + (w.hostMemoryMiB ?? 0), 0),
      kind: "batch" as const,
      allowedModels: members[0].allowedModels,
    },
    members,
  }));
  const pseudoOrder = constrainedFirst(
    pseudo.map((b) => b.workload),
    nodes,
  );
  const byId = new Map(pseudo.map((b) => [b.workload.id, b]));
  for (const p of pseudoOrder) {
    const bundle = byId.get(p.id)!;
    let bestNode = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    let bestGpu = -1;
    for (let n = 0; n < nodes.length; n++) {
      const gpus = state.findGpus(p, n, "empty");
      if (!gpus) continue;
      const score = state.binpackScore(p, n) - state.placementPenalty(p, n);
      if (score > bestScore) [bestScore, bestNode, bestGpu] = [score, n, gpus[0]];
    }
    if (bestNode < 0) {
      repair.push(...bundle.members);
      continue;
    }
    for (const w of bundle.members) {
      if (state.gpuFits(w, bestGpu) && state.nodeHasHostRoom(w, bestNode)) state.place(w, [bestGpu]);
      else repair.push(w);
    }
  }
  const unplaced = [...unplacedStatic];
  for (const w of constrainedFirst(repair, nodes)) if (!placeBestFit(state, w)) unplaced.push({ workload: w.id, reason: NO_ROOM });
  return state.summarize("column-generation", workloads, unplaced);
}

/** Step 6: from today's placement, empty the least-loaded GPUs while moves stay within budget. */
export function consolidateWithinBudget(workloads: readonly Workload[], nodes: readonly GpuNode[], options: ResolvedPackingOptions): Placement | undefined {
  const start = currentPlacement(workloads, nodes, options);
  if (!start) return undefined;
  const { state } = start;
  const byId = new Map(workloads.map((w) => [w.id, w]));
  const onGpu = new Map<number, Workload[]>();
  for (const a of state.assignments.values()) {
    const w = byId.get(a.workload)!;
    if (w.gpuCount !== 1) continue;
    const g = state.firstGpu[state.nodeIndex(a.node)] + a.gpuIndexes[0];
    onGpu.set(g, [...(onGpu.get(g) ?? []), w]);
  }
  let movesLeft = options.maxMoves;
  const candidates = [...onGpu.entries()].sort((a, b) => a[1].length - b[1].length || state.gpuMilliUsed[a[0]] - state.gpuMilliUsed[b[0]]);
  for (const [gpu, members] of candidates) {
    if (members.length > movesLeft || state.gpuWorkloads[gpu] !== members.length) continue;
    const original = members.map((w) => ({ w, gpus: [gpu] }));
    for (const w of members) state.remove(w);
    const moved: Workload[] = [];
    let ok = true;
    for (const w of members) {
      const before = new Int32Array(state.gpuWorkloads);
      if (!placeBestFit(state, w)) {
        ok = false;
        break;
      }
      moved.push(w);
      const a = state.assignments.get(w.id)!;
      const g = state.firstGpu[state.nodeIndex(a.node)] + a.gpuIndexes[0];
      // Moving onto an idle GPU frees nothing.
      if (before[g] === 0) {
        ok = false;
        break;
      }
    }
    if (ok) {
      movesLeft -= members.length;
      continue;
    }
    for (const w of moved) state.remove(w);
    for (const { w, gpus } of original) state.place(w, gpus);
  }
  return state.summarize("consolidation", workloads, start.placement.unplaced);
}

/** An amount that must be absent or a finite number >= 0 (negative CPU or memory would create capacity). */
function checkAmount(owner: string, field: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) throw new RangeError(`${owner}: ${field} must be a finite number >= 0, got ${value}`);
}

function checkNode(n: GpuNode): void {
  if (!(n.gpuCount >= 0 && Number.isInteger(n.gpuCount))) throw new RangeError(`node ${n.id}: gpuCount must be a whole number, got ${n.gpuCount}`);
  checkAmount(`node ${n.id}`, "cpuMilli", n.cpuMilli);
  checkAmount(`node ${n.id}`, "hostMemoryMiB", n.hostMemoryMiB);
  checkAmount(`node ${n.id}`, "gpuMemoryMiB", n.gpuMemoryMiB);
  checkAmount(`node ${n.id}`, "costPerGpuHour", n.costPerGpuHour);
}

/** Malformed workloads are refused rather than reported unplaced, so they never count in the demand. */
function checkWorkload(w: Workload): void {
  if (!(w.gpuCount >= 0 && Number.isInteger(w.gpuCount))) throw new RangeError(`workload ${w.id}: gpuCount must be a whole number >= 0, got ${w.gpuCount}`);
  if (w.gpuCount > 0 && !(w.gpuMilli > 0 && w.gpuMilli <= GPU_MILLI)) throw new RangeError(`workload ${w.id}: gpuMilli must be in 1..${GPU_MILLI}, got ${w.gpuMilli}`);
  checkAmount(`workload ${w.id}`, "cpuMilli", w.cpuMilli);
  checkAmount(`workload ${w.id}`, "hostMemoryMiB", w.hostMemoryMiB);
  checkAmount(`workload ${w.id}`, "memoryNeedMiB", w.memoryNeedMiB);
}

/** A placement's occupancy rebuilt on a fresh ClusterState. */
function stateOfPlacement(placement: Placement, workloads: readonly Workload[], nodes: readonly GpuNode[], options: ResolvedPackingOptions): ClusterState {
  const byId = new Map(workloads.map((w) => [w.id, w]));
  const state = new ClusterState(nodes, options);
  for (const a of placement.assignments) {
    const n = state.nodeIndex(a.node);
    state.place(byId.get(a.workload)!, a.gpuIndexes.map((i) => state.firstGpu[n] + i));
  }
  return state;
}

/**
 * CPU-only workloads (gpuCount 0) onto node CPU and host memory, largest first,
 * first fit over the nodes in this order: nodes without GPUs, then GPU nodes
 * by free GPU compute, least first (CPU there is the least likely to strand a
 * GPU). Nodes only fill up, so each shape resumes where the last one landed.
 * Updates `state`.
 */
export function placeCpuOnly(state: ClusterState, cpuOnly: readonly Workload[]): { assignments: Assignment[]; unplaced: Placement["unplaced"] } {
  const nodes = state.nodes;
  const freeGpuMilli = nodes.map((_, n) => {
    let free = 0;
    for (let g = state.firstGpu[n]; g < state.firstGpu[n + 1]; g++) free += GPU_MILLI - state.gpuMilliUsed[g];
    return free;
  });
  const order = nodes.map((_, n) => n).sort((a, b) => Math.sign(nodes[a].gpuCount) - Math.sign(nodes[b].gpuCount) || freeGpuMilli[a] - freeGpuMilli[b] || a - b);
  const resumeAt = new Map<string, number>();
  const assignments: Assignment[] = [];
  const unplaced: Placement["unplaced"] = [];
  for (const w of byDecreasingDominantShare(cpuOnly, nodes)) {
    const shape = workloadShape(w);
    let at = resumeAt.get(shape) ?? 0;
    while (at < order.length && !state.nodeHasHostRoom(w, order[at])) at++;
    resumeAt.set(shape, at);
    if (at === order.length) {
      const fitsAlone = nodes.some((n) => (w.cpuMilli ?? 0) <= (n.cpuMilli ?? Number.POSITIVE_INFINITY) && (w.hostMemoryMiB ?? 0) <= (n.hostMemoryMiB ?? Number.POSITIVE_INFINITY));
      unplaced.push({ workload: w.id, reason: fitsAlone ? NO_ROOM : `needs ${w.cpuMilli ?? 0} CPU millicores and ${w.hostMemoryMiB ?? 0} MiB host memory; no node is that large` });
      continue;
    }
    state.placeOnHost(w, order[at]);
    assignments.push(state.assignments.get(w.id)!);
  }
  return { assignments, unplaced };
}

/** The nodes with the CPU and host memory of `assignments` taken off (they are reserved before GPU packing). */
function nodesLess(nodes: readonly GpuNode[], assignments: readonly Assignment[], byId: ReadonlyMap<string, Workload>): GpuNode[] {
  const used = new Map<string, { cpu: number; memory: number }>();
  for (const a of assignments) {
    const w = byId.get(a.workload)!;
    const u = used.get(a.node) ?? { cpu: 0, memory: 0 };
    u.cpu += w.cpuMilli ?? 0;
    u.memory += w.hostMemoryMiB ?? 0;
    used.set(a.node, u);
  }
  return nodes.map((n) => {
    const u = used.get(n.id);
    if (!u) return n;
    return { ...n, cpuMilli: n.cpuMilli === undefined ? undefined : n.cpuMilli - u.cpu, hostMemoryMiB: n.hostMemoryMiB === undefined ? undefined : n.hostMemoryMiB - u.memory };
  });
}

/**
 * Packs workloads onto GPUs with the fewest GPUs used; see the steps above.
 * CPU-only workloads (gpuCount 0) use node CPU and host memory only: they are
 * placed after the GPU workloads (GPUs are the scarce, costly resource), or
 * before them with `cpuOnlyFirst` (when they cannot move); see placeCpuOnly.
 */
export async function optimizePacking(workloads: readonly Workload[], nodes: readonly GpuNode[], packingOptions: PackingOptions = {}): Promise<PackingResult> {
  const started = performance.now();
  const options = resolveOptions(packingOptions);
  // 1. Inputs.
  const ids = new Set<string>();
  for (const w of workloads) {
    if (ids.has(w.id)) throw new Error(`workload id ${w.id} appears twice`);
    ids.add(w.id);
  }
  const nodeIds = new Set<string>();
  for (const n of nodes) {
    if (nodeIds.has(n.id)) throw new Error(`node id ${n.id} appears twice`);
    nodeIds.add(n.id);
    checkNode(n);
  }
  for (const w of workloads) checkWorkload(w);
  const cpuOnly = workloads.filter((w) => w.gpuCount === 0);
  if (cpuOnly.length === 0) return packGpuWorkloads(workloads, nodes, options, started);
  const gpuWorkloads = workloads.filter((w) => w.gpuCount > 0);
  const byId = new Map(workloads.map((w) => [w.id, w]));
  if (packingOptions.cpuOnlyFirst) {
    const reserved = placeCpuOnly(new ClusterState(nodes, options), cpuOnly);
    const result = await packGpuWorkloads(gpuWorkloads, nodesLess(nodes, reserved.assignments, byId), options, started);
    return withCpuOnly(result, reserved, cpuOnly.length, nodes, "before-gpu-workloads");
  }
  const result = await packGpuWorkloads(gpuWorkloads, nodes, options, started, false);
  const state = stateOfPlacement(result.best, gpuWorkloads, nodes, options);
  const after = placeCpuOnly(state, cpuOnly);
  const unplacedGpu = result.best.unplaced.filter((u) => byId.get(u.workload)!.gpuCount > 0 && u.reason === NO_ROOM).map((u) => byId.get(u.workload)!);
  // The CPU-only workloads take host room, so fragmentation is counted with them in place.
  return withCpuOnly({ ...result, leftover: leftoverCapacity(state, unplacedGpu), seconds: (performance.now() - started) / 1000 }, after, cpuOnly.length, nodes, "after-gpu-workloads");
}

function withCpuOnly(result: PackingResult, placed: { assignments: Assignment[]; unplaced: Placement["unplaced"] }, total: number, nodes: readonly GpuNode[], order: NonNullable<PackingResult["cpuOnly"]>["order"]): PackingResult {
  const gpuNodes = new Set(nodes.filter((n) => n.gpuCount > 0).map((n) => n.id));
  const messages = [...result.messages];
  if (placed.unplaced.length > 0) messages.push(`${placed.unplaced.length} of ${total} CPU-only workloads did not fit on node CPU and memory (${order === "after-gpu-workloads" ? "placed after the GPU workloads" : "placed before the GPU workloads"})`);
  return {
    ...result,
    messages,
    cpuOnly: { workloads: total, assignments: placed.assignments, unplaced: placed.unplaced, onGpuNodes: placed.assignments.filter((a) => gpuNodes.has(a.node)).length, order },
  };
}

/**
 * Records steps in `phases`: `start()` marks the beginning of the next one,
 * `end(name, complete)` adds it with the seconds since the last mark.
 */
function phaseClock(phases: PackingPhase[], label = "") {
  let since = performance.now();
  return {
    start: () => {
      since = performance.now();
    },
    end: (name: string, complete: boolean) => {
      const now = performance.now();
      phases.push({ name: `${label}${name}`, seconds: (now - since) / 1000, complete });
      since = now;
    },
  };
}

/** Share of the time limit by which each step must end (steps use what earlier ones leave). */
const TIME_SHARES = { ffd: 0.08, bestFit: 0.16, lowerBound: 0.2, earlyBound: 0.35, construct: 0.5, partConstruct: 0.35, partSearch: 0.5, search: 0.8, bound: 0.97 } as const;

interface Built {
  best: Placement;
  /** Every column generation converged and no step was cut short. */
  complete: boolean;
}

/**
 * Steps 4-8 on one set of nodes: pools, column generation, realisation, the
 * best candidate (with `seeds`), then local search while `searchUntil` allows.
 */
async function constructAndSearch(
  workloads: readonly Workload[],
  nodes: readonly GpuNode[],
  options: ResolvedPackingOptions,
  seeds: readonly Placement[],
  constructUntil: number,
  searchUntil: number,
  phases: PackingPhase[],
  label = "",
  allowed: (p: Placement) => boolean = () => true,
): Promise<Built> {
  const unplacedStatic: Placement["unplaced"] = [];
  const placeable: Workload[] = [];
  for (const w of workloads) {
    const reason = whyUnplaceable(w, nodes);
    if (reason) unplacedStatic.push({ workload: w.id, reason });
    else placeable.push(w);
  }
  const clock = phaseClock(phases, label);
  // 4-5. Pools by allowed models, each with its share of the construction time.
  const multiGpu = placeable.filter((w) => w.gpuCount > 1);
  const pools = new Map<string, Pool>();
  for (const w of placeable.filter((x) => x.gpuCount === 1)) {
    const models = w.allowedModels && w.allowedModels.length > 0 ? [...w.allowedModels].sort() : undefined;
    const key = models ? models.join("|") : "*";
    const pool = pools.get(key) ?? { key, models, workloads: [] };
    pool.workloads.push(w);
    pools.set(key, pool);
  }
  const roundDown = { bundles: [] as Workload[][], leftover: [] as Workload[] };
  const mip = { bundles: [] as Workload[][], leftover: [] as Workload[] };
  let converged = true;
  let left = [...pools.values()].reduce((s, p) => s + p.workloads.length, 0);
  for (const pool of pools.values()) {
    const budget = Math.max(50, ((constructUntil - performance.now()) * pool.workloads.length) / Math.max(1, left));
    left -= pool.workloads.length;
    const poolNodes = nodes.filter((n) => !pool.models || pool.models.includes(n.model));
    const rules = rulesFor(poolNodes, options, "min");
    const { types, members } = itemTypes(pool.workloads, options);
    const cg = await generateColumns(types, rules, budget * 0.5);
    if (!cg.converged) converged = false;
    const counts = await roundDownCounts(types, cg.patterns, cg.lpValues, rules, performance.now() + budget * 0.25);
    const a = bundlesFrom(cg.patterns, counts, members);
    roundDown.bundles.push(...a.bundles);
    roundDown.leftover.push(...a.leftover);
    const mipCounts = await integerPatternCounts(types, cg.patterns, Math.min(3_000, Math.max(50, budget * 0.25)));
    const b = mipCounts ? bundlesFrom(cg.patterns, mipCounts, members) : a;
    mip.bundles.push(...b.bundles);
    mip.leftover.push(...b.leftover);
  }
  const candidates: Placement[] = [...seeds];
  candidates.push(realise(multiGpu, roundDown.bundles, roundDown.leftover, workloads, nodes, options, unplacedStatic));
  candidates.push(realise(multiGpu, mip.bundles, mip.leftover, workloads, nodes, options, unplacedStatic));
  clock.end("column-generation", converged);
  const within = candidates.filter(allowed);
  let best = within[0] ?? candidates[0];
  for (const c of within) if (betterPlacement(c, best)) best = c;
  // 8. Local search for more demand, from the column-generation starts first
  // (they carry the packing structure; the search from them is shortest), the
  // best first; when it ends with time to spare, again from the next start
  // (local optima differ by start).
  const byId = new Map(workloads.map((w) => [w.id, w]));
  const staticIds = new Set(unplacedStatic.map((u) => u.workload));
  const fromSeeds = new Set(seeds);
  const starts = within.filter((c) => c.unplaced.length > unplacedStatic.length).sort((a, b) => Number(fromSeeds.has(a)) - Number(fromSeeds.has(b)) || (betterPlacement(a, b) ? -1 : betterPlacement(b, a) ? 1 : 0));
  let searched = false;
  let searchComplete = true;
  for (const start of starts) {
    if (performance.now() >= searchUntil || (searched && !searchComplete)) break;
    const state = stateOfPlacement(start, workloads, nodes, options);
    const waiting = start.unplaced.filter((u) => !staticIds.has(u.workload)).map((u) => byId.get(u.workload)!);
    const { unplaced, finished } = searchForDemand(state, placeable, waiting, searchUntil);
    const candidate = state.summarize(`${start.method}+local-search`, workloads, [...unplacedStatic, ...unplaced.map((w) => ({ workload: w.id, reason: NO_ROOM }))]);
    if (betterPlacement(candidate, best)) best = candidate;
    searched = true;
    searchComplete = unplaced.length === 0 || finished;
    clock.end(`${start === starts[0] ? "local-search" : "local-search, another start,"} from ${start.method}`, searchComplete);
  }
  return { best, complete: converged };
}

/**
 * Step 8: local search (improve.ts); when model-constrained workloads wait,
 * part of the time goes to it, then to the repairs that make room for them on
 * the models they may use: the per-node destroy-and-repair that moves work
 * that may run elsewhere off those models (scarcity.ts), and the cascades that
 * move it on to wherever it fits (eviction-cascade.ts); then local search again.
 */
function searchForDemand(state: ClusterState, placeable: readonly Workload[], waiting: readonly Workload[], searchUntil: number): { unplaced: Workload[]; finished: boolean } {
  const constrainedWaiting = (list: readonly Workload[]) => list.some(isConstrained);
  if (!state.options.modelPenalty || !constrainedWaiting(waiting)) return improvePlacement(state, placeable, waiting, searchUntil);
  const share = (fraction: number) => performance.now() + (searchUntil - performance.now()) * fraction;
  const first = improvePlacement(state, placeable, waiting, share(0.4));
  if (!constrainedWaiting(first.unplaced)) return first;
  const repinned = repinUnconstrained(state, placeable, first.unplaced, share(0.3));
  const cascaded = placeConstrainedByCascade(state, placeable, repinned.unplaced, share(0.25));
  if (repinned.moves === 0 && cascaded.placed === 0) return { unplaced: cascaded.unplaced, finished: first.finished };
  return improvePlacement(state, placeable, cascaded.unplaced, searchUntil);
}

/**
 * Steps 4-8 on a large instance: dealt into parts (decompose.ts), part 0 solved
 * in full, its answer transplanted to the other parts, then local search over
 * the whole cluster.
 */
async function packInParts(workloads: readonly Workload[], placeable: readonly Workload[], unplacedStatic: Placement["unplaced"], nodes: readonly GpuNode[], options: ResolvedPackingOptions, k: number, at: (share: number) => number, phases: PackingPhase[]): Promise<Built> {
  const parts = dealIntoParts(workloads, nodes, k);
  const first = parts[0];
  const firstBaseline = bestFit(first.workloads, first.nodes, options, at(TIME_SHARES.partConstruct));
  const built = await constructAndSearch(first.workloads, first.nodes, options, [firstBaseline], at(TIME_SHARES.partConstruct), at(TIME_SHARES.partSearch), phases, "part 1: ");
  const clock = phaseClock(phases);
  const state = new ClusterState(nodes, options);
  const waiting: Workload[] = [];
  const staticIds = new Set(unplacedStatic.map((u) => u.workload));
  parts.forEach((part, p) => {
    const partState = new ClusterState(part.nodes, options);
    const left = p === 0 ? undefined : transplant(built.best, first, part, partState);
    const placement = p === 0 ? built.best : partState.summarize("transplanted", part.workloads, []);
    const byId = new Map(part.workloads.map((w) => [w.id, w]));
    for (const a of placement.assignments) {
      const n = state.nodeIndex(a.node);
      state.place(byId.get(a.workload)!, a.gpuIndexes.map((i) => state.firstGpu[n] + i));
    }
    const unplacedIds = p === 0 ? placement.unplaced.map((u) => u.workload) : left!.map((w) => w.id);
    for (const id of unplacedIds) if (!staticIds.has(id)) waiting.push(byId.get(id)!);
  });
  clock.end(`transplant to ${k - 1} parts`, true);
  const improved = searchForDemand(state, placeable, waiting, at(TIME_SHARES.search));
  clock.end("local-search (whole cluster)", improved.unplaced.length === 0 || improved.finished);
  const method = `column-generation in ${k} parts+local-search`;
  return { best: state.summarize(method, workloads, [...unplacedStatic, ...improved.unplaced.map((w) => ({ workload: w.id, reason: NO_ROOM }))]), complete: built.complete };
}

/** Steps 1-9 for workloads that all need GPUs. */
async function packGpuWorkloads(workloads: readonly Workload[], nodes: readonly GpuNode[], options: ResolvedPackingOptions, started: number, withLeftover = true): Promise<PackingResult> {
  const deadline = started + options.timeLimitMs;
  const at = (share: number) => started + options.timeLimitMs * share;
  const messages: string[] = [];
  const phases: PackingPhase[] = [];
  const clock = phaseClock(phases);
  const unplacedStatic: Placement["unplaced"] = [];
  const placeable: Workload[] = [];
  for (const w of workloads) {
    const reason = nodes.length === 0 ? "there are no GPU nodes" : whyUnplaceable(w, nodes);
    if (reason) {
      unplacedStatic.push({ workload: w.id, reason });
      messages.push(`${w.id} cannot be placed: ${reason}`);
    } else placeable.push(w);
  }
  // 2. Baselines, each within its share of the time.
  const current = currentPlacement(workloads, nodes, options)?.placement;
  const ffd = firstFitDecreasing(workloads, nodes, options, at(TIME_SHARES.ffd));
  clock.end("baseline ffd", !ffd.stoppedEarly);
  const bestFitPlacement = bestFit(workloads, nodes, options, at(TIME_SHARES.bestFit));
  clock.end("baseline best-fit", !bestFitPlacement.stoppedEarly);
  for (const b of [ffd, bestFitPlacement]) if (b.stoppedEarly) messages.push(`baseline ${b.method} stopped at the time limit: it placed ${b.assignments.length} of ${workloads.length} workloads`);
  // 3. Bound over every placeable workload, all GPUs alike (relaxation).
  const volumeGpus = Math.ceil(placeable.reduce((s, w) => s + (w.gpuMilli * w.gpuCount) / GPU_MILLI, 0) - 1e-6);
  const all = itemTypes(placeable, options);
  const boundRun = await generateColumns(all.types, rulesFor(nodes, options, "max"), Math.max(50, at(TIME_SHARES.lowerBound) - performance.now()));
  const lowerBoundGpus = Math.max(volumeGpus, boundRun.lowerBound);
  clock.end("lower bound", boundRun.converged);
  // 4-8. Construction and local search: whole, or in parts when large (never under a migration budget);
  // with model-constrained workloads, unconstrained ones keep off the models those need.
  const modelPenalty = modelPenalties(placeable, nodes);
  const searchOptions: ResolvedPackingOptions = modelPenalty ? { ...options, modelPenalty } : options;
  const movesLimited = current !== undefined && Number.isFinite(options.maxMoves);
  const parts = current ? 1 : partCount(nodes);
  let built: Built;
  let earlyBound: Awaited<ReturnType<typeof placeableDemandUpperBound>> | undefined;
  if (parts > 1) {
    built = await packInParts(workloads, placeable, unplacedStatic, nodes, searchOptions, parts, at, phases);
  } else {
    const seeds: Placement[] = [ffd, bestFitPlacement];
    if (current) seeds.push(current);
    // When pods are sure to be left out, the placeable-demand bound is solved
    // first, so that a long search cannot leave it no time.
    const clusterGpus = nodes.reduce((sum, n) => sum + n.gpuCount, 0);
    if (!movesLimited && lowerBoundGpus > clusterGpus) {
      clock.start();
      earlyBound = await placeableDemandUpperBound(workloads, nodes, options, Math.max(0, at(TIME_SHARES.earlyBound) - performance.now()));
      clock.end("placeable-demand bound", earlyBound.converged);
    }
    // 6. Migration budget.
    if (movesLimited) {
      const consolidated = consolidateWithinBudget(workloads, nodes, options);
      if (consolidated) seeds.push(consolidated);
    }
    // Local search moves workloads freely, so not under a migration budget.
    built = await constructAndSearch(workloads, nodes, searchOptions, seeds, at(TIME_SHARES.construct), movesLimited ? 0 : at(TIME_SHARES.search), phases, "", (c) => !movesLimited || c.moves <= options.maxMoves);
  }
  clock.start();
  // 7. Best candidate; the baselines are candidates, so never worse than them.
  const candidates = [built.best, ffd, bestFitPlacement, ...(current ? [current] : [])];
  const allowed = candidates.filter((c) => !movesLimited || c.moves <= options.maxMoves);
  if (current && allowed.length === 0) messages.push(`no plan moves at most ${options.maxMoves} workloads; keeping the current placement`);
  let best = allowed[0] ?? current!;
  for (const c of allowed) if (betterPlacement(c, best)) best = c;
  const byId = new Map(workloads.map((w) => [w.id, w]));
  const stateOf = (p: Placement) => stateOfPlacement(p, workloads, nodes, options);
  const staticIds = new Set(unplacedStatic.map((u) => u.workload));
  const allPlaced = best.unplaced.length === 0;
  const placeableLeftOut = best.unplaced.length > unplacedStatic.length;
  const gapPct = placeableLeftOut ? null : lowerBoundGpus > 0 ? ((best.gpusUsed - lowerBoundGpus) / lowerBoundGpus) * 100 : 0;
  if (placeableLeftOut) messages.push(`${best.unplaced.length - unplacedStatic.length} workloads did not fit in the remaining capacity`);
  // 9. Bound on the placeable demand (only worth its seconds when something was left out), in the time that is left.
  const demandGpus = workloads.reduce((s, w) => s + (w.gpuMilli * w.gpuCount) / GPU_MILLI, 0);
  let placeableDemandBound: PackingResult["placeableDemandBound"] = { gpus: best.placedDemandShare * demandGpus, share: best.placedDemandShare, method: "all-placed", converged: true, iterations: 0 };
  if (placeableLeftOut) {
    clock.start();
    // The last 3 % of the time is for the summaries below.
    const bound = earlyBound?.converged ? earlyBound : await placeableDemandUpperBound(workloads, nodes, options, Math.max(0, at(TIME_SHARES.bound) - performance.now()));
    placeableDemandBound = { gpus: bound.gpus, share: bound.share, method: bound.method, converged: bound.converged, iterations: bound.iterations };
    if (bound !== earlyBound) clock.end("placeable-demand bound", bound.converged);
  }
  const placedGpus = best.placedDemandShare * demandGpus;
  const placedDemandGapPct = placeableDemandBound.gpus > 0 ? Math.max(0, ((placeableDemandBound.gpus - placedGpus) / placeableDemandBound.gpus) * 100) : 0;
  // Searches from further starts only use spare time: the answer does not wait on them.
  const cutShort = phases.some((p) => !p.complete && !p.name.includes("another start")) || !built.complete;
  const status: PackingResult["status"] =
    placeable.length === 0 && workloads.length > 0 ? "infeasible" : allPlaced && best.gpusUsed <= lowerBoundGpus ? "optimal" : cutShort || performance.now() > deadline ? "timedout" : "feasible";
  return {
    status,
    best,
    baselines: { current, ffd, bestFit: bestFitPlacement },
    lowerBound: { gpus: lowerBoundGpus, volumeGpus, method: boundRun.lowerBound > volumeGpus ? "column-generation" : "volume", converged: boundRun.converged },
    gapPct,
    placedDemandGapPct,
    placeableDemandBound,
    // Without it the caller counts the leftover itself (with the CPU-only workloads in place).
    leftover: withLeftover ? leftoverCapacity(stateOf(best), best.unplaced.filter((u) => !staticIds.has(u.workload)).map((u) => byId.get(u.workload)!)) : { idleGpus: 0, partlyUsedGpus: 0, freeGpus: 0, fragmentedGpus: 0 },
    freedVsCurrent: current ? { gpus: current.gpusUsed - best.gpusUsed, nodes: current.nodesUsed - best.nodesUsed } : undefined,
    seconds: (performance.now() - started) / 1000,
    phases,
    parts,
    messages,
  };
}
