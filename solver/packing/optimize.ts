/**
 * The packing optimizer. Steps:
 *  1. Check inputs; set aside workloads no node could ever hold (with the reason).
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
 *     placement, ejection, exchange, chains of two), until 15% of the time is left.
 *  9. When workloads that could fit on some node are still left out: an upper bound on
 *     the demand any placement can place (upper-bound.ts), to say how far off it is.
 */
import { ClusterState, GPU_MILLI } from "./cluster-state.ts";
import { bestFit, byDecreasingDominantShare, currentPlacement, firstFitDecreasing, NO_ROOM, placeBestFit, whyUnplaceable } from "./baselines.ts";
import { placeableDemandUpperBound } from "./upper-bound.ts";
import { improvePlacement } from "./improve.ts";
import { leftoverCapacity } from "./fragmentation.ts";
import { generateColumns, integerPatternCounts, type ItemType, type PatternRules } from "./column-generation.ts";
import type { Assignment, GpuNode, PackingOptions, PackingResult, Placement, ResolvedPackingOptions, Workload } from "./types.ts";
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

/** Step 5: multi-GPU workloads, then bundles on empty GPUs, then repair by best fit. */
function realise(multiGpu: readonly Workload[], bundles: readonly Workload[][], leftover: readonly Workload[], workloads: readonly Workload[], nodes: readonly GpuNode[], options: ResolvedPackingOptions, unplacedStatic: Placement["unplaced"]): Placement {
  const state = new ClusterState(nodes, options);
  const repair: Workload[] = [...leftover];
  for (const w of byDecreasingDominantShare(multiGpu, nodes)) if (!placeBestFit(state, w)) repair.push(w);
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
  const pseudoOrder = byDecreasingDominantShare(
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
      const score = state.binpackScore(p, n);
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
  for (const w of byDecreasingDominantShare(repair, nodes)) if (!placeBestFit(state, w)) unplaced.push({ workload: w.id, reason: NO_ROOM });
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
 * CPU-only workloads (gpuCount 0) onto node CPU and host memory, largest first:
 * nodes without GPUs first, then the GPU nodes with the least free GPU compute
 * (CPU there is the least likely to strand a GPU), fullest first. Updates `state`.
 */
export function placeCpuOnly(state: ClusterState, cpuOnly: readonly Workload[]): { assignments: Assignment[]; unplaced: Placement["unplaced"] } {
  const nodes = state.nodes;
  const freeGpuMilli = nodes.map((_, n) => {
    let free = 0;
    for (let g = state.firstGpu[n]; g < state.firstGpu[n + 1]; g++) free += GPU_MILLI - state.gpuMilliUsed[g];
    return free;
  });
  const assignments: Assignment[] = [];
  const unplaced: Placement["unplaced"] = [];
  for (const w of byDecreasingDominantShare(cpuOnly, nodes)) {
    let best = -1;
    let bestKey: [number, number, number] = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
    for (let n = 0; n < nodes.length; n++) {
      if (!state.nodeHasHostRoom(w, n)) continue;
      const key: [number, number, number] = [nodes[n].gpuCount > 0 ? 1 : 0, freeGpuMilli[n], -state.binpackScore(w, n)];
      if (key[0] < bestKey[0] || (key[0] === bestKey[0] && (key[1] < bestKey[1] || (key[1] === bestKey[1] && key[2] < bestKey[2])))) [best, bestKey] = [n, key];
    }
    if (best < 0) {
      const largest = nodes.some((n) => (w.cpuMilli ?? 0) <= (n.cpuMilli ?? Number.POSITIVE_INFINITY) && (w.hostMemoryMiB ?? 0) <= (n.hostMemoryMiB ?? Number.POSITIVE_INFINITY));
      unplaced.push({ workload: w.id, reason: largest ? NO_ROOM : `needs ${w.cpuMilli ?? 0} CPU millicores and ${w.hostMemoryMiB ?? 0} MiB host memory; no node is that large` });
      continue;
    }
    state.placeOnHost(w, best);
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
  const result = await packGpuWorkloads(gpuWorkloads, nodes, options, started);
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

/** Steps 1-9 for workloads that all need GPUs. */
async function packGpuWorkloads(workloads: readonly Workload[], nodes: readonly GpuNode[], options: ResolvedPackingOptions, started: number): Promise<PackingResult> {
  const deadline = started + options.timeLimitMs;
  const messages: string[] = [];
  const unplacedStatic: Placement["unplaced"] = [];
  const placeable: Workload[] = [];
  for (const w of workloads) {
    const reason = nodes.length === 0 ? "there are no GPU nodes" : whyUnplaceable(w, nodes);
    if (reason) {
      unplacedStatic.push({ workload: w.id, reason });
      messages.push(`${w.id} cannot be placed: ${reason}`);
    } else placeable.push(w);
  }
  // 2. Baselines.
  const current = currentPlacement(workloads, nodes, options)?.placement;
  const ffd = firstFitDecreasing(workloads, nodes, options);
  const bestFitPlacement = bestFit(workloads, nodes, options);
  // 3. Bound over every placeable workload, all GPUs alike (relaxation).
  const volumeGpus = Math.ceil(placeable.reduce((s, w) => s + (w.gpuMilli * w.gpuCount) / GPU_MILLI, 0) - 1e-6);
  const all = itemTypes(placeable, options);
  const boundRun = await generateColumns(all.types, rulesFor(nodes, options, "max"), Math.max(100, options.timeLimitMs * 0.3));
  const lowerBoundGpus = Math.max(volumeGpus, boundRun.lowerBound);
  // 4-5. Pools and realisation.
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
  let timedOut = false;
  for (const pool of pools.values()) {
    const poolNodes = nodes.filter((n) => !pool.models || pool.models.includes(n.model));
    const rules = rulesFor(poolNodes, options, "min");
    const { types, members } = itemTypes(pool.workloads, options);
    const budget = Math.max(100, (deadline - performance.now()) * 0.5);
    const cg = await generateColumns(types, rules, budget);
    if (!cg.converged) timedOut = true;
    const counts = await roundDownCounts(types, cg.patterns, cg.lpValues, rules, performance.now() + budget * 0.5);
    const a = bundlesFrom(cg.patterns, counts, members);
    roundDown.bundles.push(...a.bundles);
    roundDown.leftover.push(...a.leftover);
    const mipCounts = await integerPatternCounts(types, cg.patterns, Math.min(3_000, Math.max(100, (deadline - performance.now()) * 0.3)));
    const b = mipCounts ? bundlesFrom(cg.patterns, mipCounts, members) : a;
    mip.bundles.push(...b.bundles);
    mip.leftover.push(...b.leftover);
  }
  const candidates: Placement[] = [ffd, bestFitPlacement];
  if (current) candidates.push(current);
  candidates.push(realise(multiGpu, roundDown.bundles, roundDown.leftover, workloads, nodes, options, unplacedStatic));
  candidates.push(realise(multiGpu, mip.bundles, mip.leftover, workloads, nodes, options, unplacedStatic));
  // 6. Migration budget.
  if (current && Number.isFinite(options.maxMoves)) {
    const consolidated = consolidateWithinBudget(workloads, nodes, options);
    if (consolidated) candidates.push(consolidated);
  }
  const allowed = candidates.filter((c) => !current || c.moves <= options.maxMoves);
  if (current && allowed.length === 0) messages.push(`no plan moves at most ${options.maxMoves} workloads; keeping the current placement`);
  // 7. Best candidate.
  let best = allowed[0] ?? current!;
  for (const c of allowed) if (betterPlacement(c, best)) best = c;
  // 8. Local search for more demand (it moves workloads freely, so not under a migration budget).
  const byId = new Map(workloads.map((w) => [w.id, w]));
  const stateOf = (p: Placement) => stateOfPlacement(p, workloads, nodes, options);
  const staticIds = new Set(unplacedStatic.map((u) => u.workload));
  if (best.unplaced.length > unplacedStatic.length && !(current && Number.isFinite(options.maxMoves)) && performance.now() < deadline) {
    const state = stateOf(best);
    const left = best.unplaced.filter((u) => !staticIds.has(u.workload)).map((u) => byId.get(u.workload)!);
    // Keep a share of the budget for the bound below.
    const improved = improvePlacement(state, placeable, left, deadline - options.timeLimitMs * 0.15);
    const candidate = state.summarize(`${best.method}+local-search`, workloads, [...unplacedStatic, ...improved.unplaced.map((w) => ({ workload: w.id, reason: NO_ROOM }))]);
    if (betterPlacement(candidate, best)) best = candidate;
  }
  const allPlaced = best.unplaced.length === 0;
  const placeableLeftOut = best.unplaced.length > unplacedStatic.length;
  const gapPct = placeableLeftOut ? null : lowerBoundGpus > 0 ? ((best.gpusUsed - lowerBoundGpus) / lowerBoundGpus) * 100 : 0;
  const status: PackingResult["status"] =
    placeable.length === 0 && workloads.length > 0 ? "infeasible" : allPlaced && best.gpusUsed <= lowerBoundGpus ? "optimal" : timedOut || performance.now() > deadline ? "timedout" : "feasible";
  if (best.unplaced.length > unplacedStatic.length) messages.push(`${best.unplaced.length - unplacedStatic.length} workloads did not fit in the remaining capacity`);
  // 9. Bound on the placeable demand (only worth its seconds when something was left out).
  const demandGpus = workloads.reduce((s, w) => s + (w.gpuMilli * w.gpuCount) / GPU_MILLI, 0);
  let placeableDemandBound: PackingResult["placeableDemandBound"] = { gpus: best.placedDemandShare * demandGpus, share: best.placedDemandShare, method: "all-placed", converged: true, iterations: 0 };
  if (placeableLeftOut) {
    const bound = await placeableDemandUpperBound(workloads, nodes, options, Math.max(1_000, Math.min(deadline - performance.now(), options.timeLimitMs * 0.3)));
    placeableDemandBound = { gpus: bound.gpus, share: bound.share, method: bound.method, converged: bound.converged, iterations: bound.iterations };
  }
  const placedGpus = best.placedDemandShare * demandGpus;
  const placedDemandGapPct = placeableDemandBound.gpus > 0 ? Math.max(0, ((placeableDemandBound.gpus - placedGpus) / placeableDemandBound.gpus) * 100) : 0;
  return {
    status,
    best,
    baselines: { current, ffd, bestFit: bestFitPlacement },
    lowerBound: { gpus: lowerBoundGpus, volumeGpus, method: boundRun.lowerBound > volumeGpus ? "column-generation" : "volume", converged: boundRun.converged },
    gapPct,
    placedDemandGapPct,
    placeableDemandBound,
    leftover: leftoverCapacity(stateOf(best), best.unplaced.filter((u) => !staticIds.has(u.workload)).map((u) => byId.get(u.workload)!)),
    freedVsCurrent: current ? { gpus: current.gpusUsed - best.gpusUsed, nodes: current.nodesUsed - best.nodesUsed } : undefined,
    seconds: (performance.now() - started) / 1000,
    messages,
  };
}
