/**
 * gpu-roi optimizer command line. Reads files, runs the pure solvers, prints JSON.
 *
 *   pack --nodes NODES.csv --pods PODS.csv [--json] [--fractional-only] [--identical-gpus]
 *        [--headroom 1] [--max-per-gpu N] [--one-ls-per-gpu] [--time-limit-s 50] [--skip-bad-rows]
 *        [--cpu-pods-first]
 *   tidal --demand DEMAND.csv [--jobs JOBS.csv] [--prices PRICES.csv [--objective cost --capacity GPUS]] [--json]
 *   plan --usage USAGE.json --prices PRICES.json [--json] [--time-limit-s 60]
 *
 * USAGE.json: the fleet plan's input without prices ({ nodes, workloads,
 * relativeThroughput?, exclude?, options? }); PRICES.json: an array of prices or
 * the document GET /api/v1/prices returns (docs/api.md, "Fleet plan").
 *
 * DEMAND.csv: columns slot (0..167, 0 = Monday 00:00) and gpus (inference GPUs
 * needed that hour: p95 + headroom). JOBS.csv: id, queue, gpu_hours,
 * max_parallel_gpus, release_slot, deadline_slot (exclusive). PRICES.csv: slot and
 * price (cost of one batch GPU-hour in that hour: time-of-use energy rates).
 */
import { readFileSync } from "node:fs";
import { optimizePacking } from "./packing/optimize.ts";
import type { PackingResult } from "./packing/types.ts";
import { csvRows, describeRowProblem, openbPods, parseCsv, readOpenbNodes } from "./packing/openb.ts";
import { planTidal, SLOTS_PER_WEEK, type BatchJob } from "./tidal/plan.ts";
import { planFleet } from "./plan/plan-fleet.ts";
import { readPlanInput } from "./plan/read-plan-files.ts";
import type { FleetPlan } from "./plan/types.ts";

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith("--")) throw new Error(`${name} needs a value`);
  return value;
}

/** A numeric flag: absent = `fallback`; present, it must be a number above 0. */
function positiveFlag(args: readonly string[], name: string, fallback: number): number {
  const text = flag(args, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`${name} must be a number above 0, got ${text}`);
  return value;
}

async function pack(args: readonly string[]): Promise<void> {
  const nodesPath = flag(args, "--nodes");
  const podsPath = flag(args, "--pods");
  if (!nodesPath || !podsPath) throw new Error("pack needs --nodes NODES.csv and --pods PODS.csv");
  const skipBadRows = args.includes("--skip-bad-rows");
  const nodeList = readOpenbNodes(readFileSync(nodesPath, "utf8"), { source: nodesPath, skipBadRows });
  const podList = openbPods(readFileSync(podsPath, "utf8"), { source: podsPath, skipBadRows });
  const skippedRows = [...nodeList.skipped, ...podList.skipped];
  for (const problem of skippedRows) process.stderr.write(`skipped ${describeRowProblem(problem)}\n`);
  let nodes = nodeList.nodes;
  let pods = podList.workloads;
  // CPU-only pods (num_gpu = 0) take node CPU and memory; the GPU-only studies below leave them out.
  let cpuPods = podList.cpuOnlyWorkloads;
  if (cpuPods.length > 0 && (args.includes("--fractional-only") || args.includes("--identical-gpus"))) {
    process.stderr.write(`left out ${cpuPods.length} pods with num_gpu = 0 (--fractional-only and --identical-gpus pack GPUs alone)\n`);
    cpuPods = [];
  }
  if (args.includes("--fractional-only")) {
    pods = pods.filter((p) => p.gpuCount === 1 && p.gpuMilli < 1000);
    process.stderr.write(`kept ${pods.length} fractional pods (num_gpu = 1, gpu_milli < 1000)\n`);
  }
  if (args.includes("--identical-gpus")) {
    // Every GPU alike: drop GPU models and node CPU/memory so only GPU sharing counts.
    nodes = nodes.map((n) => ({ id: n.id, model: "any", gpuCount: n.gpuCount }));
    pods = pods.map((p) => ({ ...p, allowedModels: undefined, cpuMilli: undefined, hostMemoryMiB: undefined }));
  }
  const result = await optimizePacking([...pods, ...cpuPods], nodes, {
    // The trace's requests are what the scheduler packs: defaults are full GPUs, any number of pods, LS sharing allowed.
    headroom: positiveFlag(args, "--headroom", 1),
    maxWorkloadsPerGpu: positiveFlag(args, "--max-per-gpu", Number.POSITIVE_INFINITY),
    allowLatencySensitiveSharing: !args.includes("--one-ls-per-gpu"),
    timeLimitMs: positiveFlag(args, "--time-limit-s", 50) * 1000,
    cpuOnlyFirst: args.includes("--cpu-pods-first"),
  });
  const best = result.best;
  const output = {
    status: result.status,
    seconds: Number(result.seconds.toFixed(2)),
    method: best.method,
    gpusUsed: best.gpusUsed,
    nodesUsed: best.nodesUsed,
    baselines: { ffd: result.baselines.ffd.gpusUsed, bestFit: result.baselines.bestFit.gpusUsed },
    baselinesPlacedPct: { ffd: pct(result.baselines.ffd.placedDemandShare), bestFit: pct(result.baselines.bestFit.placedDemandShare) },
    // false: the baseline stopped at its share of --time-limit-s; the pods it had not reached count as unplaced above.
    baselinesComplete: { ffd: !result.baselines.ffd.stoppedEarly, bestFit: !result.baselines.bestFit.stoppedEarly },
    // Every step that ran, its seconds, and whether it finished (false = cut short by the time limit).
    phases: result.phases.map((p) => ({ name: p.name, seconds: Number(p.seconds.toFixed(2)), complete: p.complete })),
    parts: result.parts,
    lowerBound: result.lowerBound.gpus,
    volumeBound: result.lowerBound.volumeGpus,
    lowerBoundMethod: { method: result.lowerBound.method, converged: result.lowerBound.converged },
    // Null when not every pod that fits somewhere is placed: see placedDemandGapPct.
    gapPct: result.gapPct === null ? null : Number(result.gapPct.toFixed(3)),
    placedDemandGapPct: Number(result.placedDemandGapPct.toFixed(3)),
    placed: best.assignments.length,
    unplaced: best.unplaced.length,
    placedDemandPct: pct(best.placedDemandShare),
    // No placement can place more than this (LP relaxation; see solver/packing/upper-bound.ts).
    placeableDemandUpperBound: {
      gpus: roundUp(result.placeableDemandBound.gpus, 2),
      pct: roundUp(result.placeableDemandBound.share * 100, 3),
      method: result.placeableDemandBound.method,
      converged: result.placeableDemandBound.converged,
      iterations: result.placeableDemandBound.iterations,
    },
    // Free capacity, GPUs: fragmented = free compute that no unplaced pod can use where it is.
    leftover: { idleGpus: result.leftover.idleGpus, partlyUsedGpus: result.leftover.partlyUsedGpus, freeGpus: Number(result.leftover.freeGpus.toFixed(2)), fragmentedGpus: Number(result.leftover.fragmentedGpus.toFixed(2)) },
    // Pods with num_gpu = 0: in none of the GPU figures above; placed on node CPU and memory after the GPU pods (or before, --cpu-pods-first).
    cpuOnlyPods: cpuOnlySummary(result.cpuOnly),
    // Rows left out with --skip-bad-rows (in no total above).
    skippedRows: skippedRows.map((p) => ({ file: p.source, line: p.line, field: p.field, problem: p.message })),
    messages: result.messages.slice(0, 20),
    assignments: best.assignments.map((a) => ({ pod: a.workload, node: a.node, gpuIndexes: a.gpuIndexes, gpuMilli: a.gpuMilli })),
    cpuOnlyAssignments: (result.cpuOnly?.assignments ?? []).map((a) => ({ pod: a.workload, node: a.node })),
  };
  if (args.includes("--json")) process.stdout.write(`${JSON.stringify(output)}\n`);
  else {
    const { assignments, cpuOnlyAssignments, ...summary } = output;
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n(${assignments.length + cpuOnlyAssignments.length} assignments; --json prints them)\n`);
  }
}

/** A 168-row CSV keyed by `slot` (0 = Monday 00:00): the numbers of one column, in slot order. */
function slotColumn(path: string, column: string): number[] {
  const values = new Array<number>(SLOTS_PER_WEEK).fill(Number.NaN);
  parseCsv(readFileSync(path, "utf8")).forEach((row, i) => {
    const slot = Number(row.slot);
    const value = Number(row[column]);
    if (!Number.isInteger(slot) || slot < 0 || slot >= SLOTS_PER_WEEK) throw new Error(`${path}: row ${i + 2}: slot must be an integer 0..167, got ${row.slot}`);
    if (row[column] === undefined || row[column] === "" || !Number.isFinite(value)) throw new Error(`${path}: row ${i + 2}: ${column} must be a number, got ${row[column]}`);
    values[slot] = value;
  });
  const missing = values.findIndex((v) => Number.isNaN(v));
  if (missing >= 0) throw new Error(`${path}: slot ${missing} is missing (${SLOTS_PER_WEEK} hourly slots, Monday 00:00 = 0)`);
  return values;
}

/** JOBS.csv rows; a missing or non-numeric value, or a slot inside an hour, names the file, line and column. */
function batchJobs(path: string): BatchJob[] {
  const value = (row: Record<string, string>, line: number, column: string, whole: boolean): number => {
    const text = row[column];
    const parsed = Number(text);
    if (text === undefined || text === "" || !Number.isFinite(parsed)) throw new Error(`${path}: line ${line}: ${column} must be a number, got "${text ?? ""}"`);
    if (whole && !Number.isInteger(parsed)) throw new Error(`${path}: line ${line}: ${column} must be a whole hourly slot (0 = Monday 00:00), got ${text}`);
    return parsed;
  };
  return csvRows(readFileSync(path, "utf8")).rows.map(({ line, cells }) => ({
    id: cells.id || `job-${line}`,
    queue: cells.queue || "default",
    gpuHours: value(cells, line, "gpu_hours", false),
    maxParallelGpus: value(cells, line, "max_parallel_gpus", false),
    releaseSlot: value(cells, line, "release_slot", true),
    deadlineSlot: value(cells, line, "deadline_slot", true),
  }));
}

async function tidal(args: readonly string[]): Promise<void> {
  const demandPath = flag(args, "--demand");
  if (!demandPath) throw new Error("tidal needs --demand DEMAND.csv (columns slot,gpus; 168 rows)");
  const inference = slotColumn(demandPath, "gpus");
  const jobsPath = flag(args, "--jobs");
  const jobs: BatchJob[] = jobsPath ? batchJobs(jobsPath) : [];
  const pricesPath = flag(args, "--prices");
  const objective = flag(args, "--objective") ?? "peak";
  if (objective !== "peak" && objective !== "cost") throw new Error(`--objective must be peak or cost, got ${objective}`);
  const capacity = flag(args, "--capacity");
  const plan = planTidal(inference, jobs, {
    objective,
    pricePerGpuHourBySlot: pricesPath ? slotColumn(pricesPath, "price") : undefined,
    capacityGpus: capacity === undefined ? undefined : Number(capacity),
  });
  const { hourly, perJob, ...summary } = plan;
  process.stdout.write(`${JSON.stringify(args.includes("--json") ? plan : summary, null, args.includes("--json") ? 0 : 2)}\n`);
}

async function plan(args: readonly string[]): Promise<void> {
  const usagePath = flag(args, "--usage");
  const pricesPath = flag(args, "--prices");
  if (!usagePath || !pricesPath) throw new Error("plan needs --usage USAGE.json and --prices PRICES.json");
  const timeLimitS = flag(args, "--time-limit-s") === undefined ? undefined : positiveFlag(args, "--time-limit-s", 60);
  const input = readPlanInput(
    { path: usagePath, text: readFileSync(usagePath, "utf8") },
    { path: pricesPath, text: readFileSync(pricesPath, "utf8") },
    { atMs: Date.now(), timeLimitMs: timeLimitS === undefined ? undefined : timeLimitS * 1000 },
  );
  const result = await planFleet(input);
  process.stdout.write(args.includes("--json") ? `${JSON.stringify(result)}\n` : planSummary(result));
}

/** The plan in a few lines for a terminal; --json prints everything. */
function planSummary(result: FleetPlan): string {
  const money = (value: number) => `${value.toFixed(2)} ${result.currency ?? ""}`.trim();
  const lines = [
    `status ${result.status} in ${result.seconds.toFixed(1)} s`,
    `cost per week: today ${money(result.costPerWeek.today)}, plan ${money(result.costPerWeek.plan)}, lower bound ${money(result.bound.costPerWeek)} (gap ${result.bound.gapPct === null ? "n/a" : `${result.bound.gapPct.toFixed(1)} %`})`,
    `cash saving per month (rented GPUs freed): ${money(result.saving.cashPerMonth)}`,
    `capacity freed per month (owned or committed GPUs): ${result.saving.capacityFreedGpuHoursPerMonth.toFixed(0)} GPU-hours` +
      (result.saving.rentEquivalentPerMonth === null ? "" : `, ${money(result.saving.rentEquivalentPerMonth)} to rent at on-demand rates`),
    ...result.models.map((m) => `  ${m.cluster} ${m.gpuModel}: ${m.gpusKept} of ${m.gpusInFleet} GPUs kept, ${m.gpusFreed} freed (${m.source})`),
    `${result.actions.length} actions:`,
    ...result.actions.map((a) => `  [${a.kind}] ${a.title}: cash ${money(a.cashSavingPerMonth)}/month, capacity ${a.capacityFreedGpuHoursPerMonth.toFixed(0)} GPU-hours/month`),
    ...result.messages.map((m) => `note: ${m}`),
  ];
  return `${lines.join("\n")}\n`;
}

function cpuOnlySummary(cpuOnly: PackingResult["cpuOnly"]) {
  if (!cpuOnly) return { pods: 0, placed: 0, unplaced: 0, onGpuNodes: 0, order: "after-gpu-pods" };
  return {
    pods: cpuOnly.workloads,
    placed: cpuOnly.assignments.length,
    unplaced: cpuOnly.unplaced.length,
    onGpuNodes: cpuOnly.onGpuNodes,
    order: cpuOnly.order === "after-gpu-workloads" ? "after-gpu-pods" : "before-gpu-pods",
  };
}

/** Rounded up, so that a bound stays a bound. */
function roundUp(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.ceil(value * scale - 1e-9) / scale;
}

function pct(share: number): number {
  return Number((share * 100).toFixed(3));
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...args] = argv;
  if (command === "pack") return pack(args);
  if (command === "tidal") return tidal(args);
  if (command === "plan") return plan(args);
  throw new Error(
    "usage: cli.ts pack --nodes NODES.csv --pods PODS.csv [--json] [--time-limit-s 50] [--skip-bad-rows] [--cpu-pods-first] | tidal --demand DEMAND.csv [--jobs JOBS.csv] [--prices PRICES.csv [--objective cost --capacity GPUS]] | plan --usage USAGE.json --prices PRICES.json [--json] [--time-limit-s 60]",
  );
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
