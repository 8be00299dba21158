/**
 * Pre-launch cost estimate of an experiment, from the history of similar jobs.
 * Pure: the request, the history, prices and the fleet's free capacity in, the
 * estimate out. Money in the price book's currency; durations in hours.
 */

export type EstimateRequest =
  | { kind: "shape"; gpuModel: string; gpuCount: number; hours: number }
  | { kind: "like"; experiment: string; scale: number };

/** One earlier run (job) the estimate learns from. */
export interface HistoricalRun {
  jobId: string;
  gpuModel: string;
  gpuCount: number;
  /** GPU time the run held, summed over its GPUs. */
  heldGpuHours: number;
  /** GPU time it kept busy. */
  activeGpuHours: number;
}

/**
 * Relative training throughput per GPU, for comparing models by price per unit
 * of work: the ratio of the vendor's peak dense FP16/BF16 tensor TFLOPS to the
 * A100's (312). Peak ratios overstate real speedups (memory bandwidth, input
 * pipelines), so alternatives on faster models are optimistic; a request can
 * pass its own figures. Every row is an assumption (an alternative priced from
 * it says throughput "assumed"); the AMD Instinct and Intel Gaudi rows more so,
 * since their software stacks reach a smaller share of peak than CUDA does:
 * measured work counters should replace them as soon as a job has run there.
 * Keys are the collector's model names (collectors/sources/accelerator-models.ts).
 */
export const PEAK_TENSOR_THROUGHPUT: Readonly<Record<string, number>> = {
  "NVIDIA A100-SXM4-80GB": 1,
  "NVIDIA A100-SXM4-40GB": 1,
  "NVIDIA A100 80GB PCIe": 1,
  "NVIDIA H100 80GB HBM3": 989 / 312,
  "NVIDIA H100 PCIe": 756 / 312,
  "NVIDIA H200": 989 / 312,
  "NVIDIA L40S": 362 / 312,
  "NVIDIA L4": 121 / 312,
  "NVIDIA A10G": 125 / 312,
  "Tesla T4": 65 / 312,
  "Tesla V100-SXM2-32GB": 125 / 312,
  // Assumed, from vendor data sheets (peak dense BF16): MI300X/MI325X 1307, MI250X 383 TFLOPS.
  "AMD Instinct MI300X": 1307 / 312,
  "AMD Instinct MI325X": 1307 / 312,
  "AMD Instinct MI250X": 383 / 312,
  // Assumed, from Intel's product briefs (peak BF16 matrix): Gaudi 2 432, Gaudi 3 1835 TFLOPS.
  "Intel Gaudi 2": 432 / 312,
  "Intel Gaudi 3": 1835 / 312,
};

export interface Alternative {
  gpuModel: string;
  costPerGpuHour: number;
  /** Price per A100-hour of peak work: costPerGpuHour / relative throughput. */
  pricePerUnitOfWork: number;
  gpuHours: number;
  expectedCost: number;
  /**
   * Where the speed on this model comes from: "measured" (the experiment's own
   * work per GPU-hour on both models, from its work counters) or "assumed" (peak
   * tensor throughput ratios, or the request's relativeThroughput).
   */
  throughput: "measured" | "assumed";
}

/** The earlier experiment's measured work per GPU-hour on each GPU model it ran on, in one unit. */
export interface MeasuredThroughput {
  unit: string;
  workPerGpuHour: Readonly<Record<string, number>>;
}

export interface OffPeakStart {
  /** Hour of the week the run should start, 0 = Monday 00:00 UTC. */
  startHourOfWeek: number;
  /** Fewest GPUs of the model free on average over the run's hours if started then. */
  minFreeGpus: number;
  /** The same for a start now, for comparison. */
  minFreeGpusNow: number;
}

export interface Estimate {
  gpuModel: string;
  currency: string;
  costPerGpuHour: number;
  plannedGpuHours: number;
  expectedCost: number;
  /** From the spread of similar runs: 10th and 90th percentiles, null without history. */
  costRange: { low: number; high: number } | null;
  /** Median efficiency (busy / held) of similar runs; null without history. */
  expectedEfficiency: number | null;
  expectedWasteCost: number | null;
  similarRuns: number;
  alternatives: Alternative[];
  offPeak: OffPeakStart | null;
  notes: string[];
}

export class EstimateError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = "EstimateError";
  }
}

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * fraction;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

/**
 * The best start hour of the week for a run of `hours` on `gpuCount` GPUs: the one
 * whose worst hour still leaves the most GPUs free (averages over the lookback).
 */
export function bestOffPeakStart(freeGpusByHourOfWeek: readonly number[], hours: number, nowHourOfWeek: number): OffPeakStart | null {
  if (freeGpusByHourOfWeek.length !== 168) return null;
  const span = Math.max(1, Math.min(168, Math.ceil(hours)));
  const minFreeFrom = (start: number) => {
    let least = Infinity;
    for (let offset = 0; offset < span; offset++) least = Math.min(least, freeGpusByHourOfWeek[(start + offset) % 168]);
    return least;
  };
  let best = nowHourOfWeek;
  for (let start = 0; start < 168; start++) if (minFreeFrom(start) > minFreeFrom(best)) best = start;
  return { startHourOfWeek: best, minFreeGpus: minFreeFrom(best), minFreeGpusNow: minFreeFrom(nowHourOfWeek) };
}

/**
 * Steps:
 *  1. planned GPU-hours: count x hours, or the median run of the experiment x scale;
 *  2. expected cost at the model's price; range from the similar runs' spread
 *     (their 10th and 90th percentile GPU-hours relative to their median);
 *  3. expected efficiency and waste from the similar runs;
 *  4. the same work on every other priced model, by the experiment's measured
 *     work per GPU-hour where it ran on both models, else by relative throughput;
 *  5. the off-peak start hour from the fleet's free GPUs by hour of week.
 */
export function estimateExperiment(input: {
  request: EstimateRequest;
  /** For "shape": runs on the same model and GPU count; for "like": the experiment's runs. */
  similarRuns: readonly HistoricalRun[];
  prices: ReadonlyMap<string, { costPerGpuHour: number; currency: string }>;
  relativeThroughput?: Readonly<Record<string, number>>;
  /** For "like": the experiment's measured throughput per GPU model. */
  measured?: MeasuredThroughput;
  freeGpusByHourOfWeek?: readonly number[];
  nowHourOfWeek: number;
}): Estimate {
  const throughput = { ...PEAK_TENSOR_THROUGHPUT, ...input.relativeThroughput };
  const notes: string[] = [];
  const runs = input.similarRuns.filter((run) => run.heldGpuHours > 0);

  // 1. Planned work.
  let gpuModel: string;
  let plannedGpuHours: number;
  let hours: number;
  if (input.request.kind === "shape") {
    const { gpuCount, hours: requestedHours } = input.request;
    if (!(gpuCount >= 1 && Number.isInteger(gpuCount))) throw new EstimateError("gpuCount: a whole number of GPUs, at least 1", "gpuCount");
    if (!(requestedHours > 0)) throw new EstimateError("hours: must be above 0", "hours");
    gpuModel = input.request.gpuModel;
    plannedGpuHours = gpuCount * requestedHours;
    hours = requestedHours;
  } else {
    if (!(input.request.scale > 0)) throw new EstimateError("scale: must be above 0", "scale");
    if (runs.length === 0) throw new EstimateError(`experiment: "${input.request.experiment}" has no run with GPU time to learn from`, "experiment");
    const byModel = new Map<string, number>();
    for (const run of runs) byModel.set(run.gpuModel, (byModel.get(run.gpuModel) ?? 0) + run.heldGpuHours);
    gpuModel = [...byModel.entries()].sort((a, b) => b[1] - a[1])[0][0];
    plannedGpuHours = percentile(runs.map((run) => run.heldGpuHours), 0.5) * input.request.scale;
    const gpuCount = Math.round(percentile(runs.map((run) => run.gpuCount), 0.5));
    hours = plannedGpuHours / Math.max(1, gpuCount);
  }
  const price = input.prices.get(gpuModel);
  if (!price) throw new EstimateError(`gpuModel: "${gpuModel}" has no price in the price book`, "gpuModel");

  // 2. Cost and range.
  const expectedCost = plannedGpuHours * price.costPerGpuHour;
  let costRange: Estimate["costRange"] = null;
  if (runs.length >= 3) {
    const held = runs.map((run) => run.heldGpuHours);
    const median = percentile(held, 0.5);
    costRange = { low: (expectedCost * percentile(held, 0.1)) / median, high: (expectedCost * percentile(held, 0.9)) / median };
  } else {
    notes.push(`only ${runs.length} similar run${runs.length === 1 ? "" : "s"}: no range`);
  }

  // 3. Efficiency.
  const efficiencies = runs.map((run) => run.activeGpuHours / run.heldGpuHours);
  const expectedEfficiency = efficiencies.length > 0 ? percentile(efficiencies, 0.5) : null;

  // 4. Alternatives.
  const own = throughput[gpuModel] ?? 1;
  const measuredOwn = input.measured?.workPerGpuHour[gpuModel];
  if (throughput[gpuModel] === undefined && measuredOwn === undefined) notes.push(`no throughput figure for ${gpuModel}: alternatives assume it equals an A100`);
  const alternatives: Alternative[] = [];
  for (const [model, other] of input.prices) {
    if (model === gpuModel || other.currency !== price.currency) continue;
    // Measured speed relative to the planned model, in the same A100-relative scale as the peak table.
    const measuredOther = input.measured?.workPerGpuHour[model];
    const measured = measuredOwn !== undefined && measuredOwn > 0 && measuredOther !== undefined && measuredOther > 0;
    const relative = measured ? (own * measuredOther) / measuredOwn : throughput[model];
    if (relative === undefined) continue;
    const gpuHours = (plannedGpuHours * own) / relative;
    alternatives.push({
      gpuModel: model,
      costPerGpuHour: other.costPerGpuHour,
      pricePerUnitOfWork: other.costPerGpuHour / relative,
      gpuHours,
      expectedCost: gpuHours * other.costPerGpuHour,
      throughput: measured ? "measured" : "assumed",
    });
  }
  alternatives.sort((a, b) => a.expectedCost - b.expectedCost);
  if (alternatives.some((alternative) => alternative.throughput === "measured")) {
    notes.push(`measured: from the experiment's ${input.measured!.unit} per GPU-hour on each model`);
  }

  // 5. Off-peak.
  const offPeak = input.freeGpusByHourOfWeek ? bestOffPeakStart(input.freeGpusByHourOfWeek, hours, input.nowHourOfWeek) : null;

  return {
    gpuModel,
    currency: price.currency,
    costPerGpuHour: price.costPerGpuHour,
    plannedGpuHours,
    expectedCost,
    costRange,
    expectedEfficiency,
    expectedWasteCost: expectedEfficiency === null ? null : expectedCost * (1 - expectedEfficiency),
    similarRuns: runs.length,
    alternatives,
    offPeak,
    notes,
  };
}
