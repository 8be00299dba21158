/**
 * Step 1 of the fleet plan: the input checked field by field. Every problem is
 * a PlanInputError naming the field as a path (`workloads[3].gpuModel`), so the
 * CLI and the server can point at what to fix; nothing is guessed or dropped.
 */
import { z } from "zod";
import { formatIssuePath } from "../../server/wire/ingest-v1.ts";
import { HOURS_PER_WEEK, type PlanInput, type PlanOptions } from "./types.ts";

export class PlanInputError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = "PlanInputError";
  }
}

const nonNegative = z.number().finite().nonnegative();
const source = z.enum(["cloud-on-demand", "cloud-reserved", "on-prem-tco"]);
const slot = z.number().int().min(0).max(HOURS_PER_WEEK);

export const planPriceSchema = z.object({
  gpuModel: z.string().min(1),
  costPerGpuHour: nonNegative,
  currency: z.string().min(1),
  source,
});

export const planNodeSchema = z.object({
  cluster: z.string().min(1),
  hostname: z.string().min(1),
  gpuModel: z.string().min(1),
  gpuCount: z.number().int().positive(),
  gpuMemoryMiB: z.number().finite().positive(),
  costPerGpuHour: nonNegative.optional(),
  source: source.optional(),
});

export const planWorkloadSchema = z.object({
  id: z.string().min(1),
  cluster: z.string().min(1),
  jobIds: z.array(z.string()),
  team: z.string().nullable(),
  project: z.string().nullable(),
  kind: z.enum(["latency-sensitive", "batch"]),
  gpuModel: z.string().min(1),
  gpuCount: z.number().int().positive(),
  current: z.array(z.object({ node: z.string().min(1), gpuIndexes: z.array(z.number().int().nonnegative()) })),
  busyGpusP95: nonNegative,
  memoryPerGpuP99MiB: nonNegative,
  heldGpusByHourOfWeek: z.array(nonNegative).length(HOURS_PER_WEEK, `needs ${HOURS_PER_WEEK} hourly values (slot 0 = Monday 00:00 UTC)`),
  releaseSlot: slot.max(HOURS_PER_WEEK - 1).optional(),
  deadlineSlot: slot.min(1).optional(),
  throughput: z.array(z.object({ gpuModel: z.string().min(1), workPerGpuHour: z.number().finite().positive(), unit: z.string() })).optional(),
  evidence: z.object({ hoursObserved: nonNegative, firstSeenMs: z.number().optional(), lastSeenMs: z.number().optional() }),
});

export const planOptionsSchema = z.object({
  targetUtilization: z.number().gt(0).max(1).optional(),
  memoryHeadroom: z.number().min(1).max(10).optional(),
  assumedSpeedupShare: z.number().min(0).max(1).optional(),
  headroom: z.number().gt(0).max(1).optional(),
  maxWorkloadsPerGpu: z.number().int().min(1).optional(),
  timeLimitMs: z.number().finite().positive().optional(),
});

/** What a usage file holds: the plan's input without the price book. */
export const planUsageSchema = z.object({
  nodes: z.array(planNodeSchema),
  workloads: z.array(planWorkloadSchema),
  relativeThroughput: z.record(z.string(), z.number().finite().positive()).optional(),
  exclude: z.object({ workloads: z.array(z.string()).optional(), nodes: z.array(z.string()).optional() }).optional(),
  options: planOptionsSchema.optional(),
});

export const planInputSchema = planUsageSchema.extend({ prices: z.array(planPriceSchema) });

/** Options with their defaults filled in. */
export type ResolvedPlanOptions = Required<PlanOptions>;

export function resolvePlanOptions(options: PlanOptions = {}): ResolvedPlanOptions {
  return {
    targetUtilization: options.targetUtilization ?? 0.8,
    memoryHeadroom: options.memoryHeadroom ?? 1.1,
    assumedSpeedupShare: options.assumedSpeedupShare ?? 0.5,
    headroom: options.headroom ?? 0.9,
    maxWorkloadsPerGpu: options.maxWorkloadsPerGpu ?? 2,
    timeLimitMs: options.timeLimitMs ?? 60_000,
  };
}

/** Parses with a zod schema; the first issue becomes a PlanInputError naming its field (with `prefix`, e.g. a file's part). */
export function parseOrPlanError<T>(schema: z.ZodType<T>, value: unknown, prefix: readonly PropertyKey[] = []): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new PlanInputError(formatIssuePath([...prefix, ...issue.path]), issue.message);
}

/** The whole input checked: shapes (zod), then what relates fields to each other. Returns the input as given. */
export function validatePlanInput(input: PlanInput): PlanInput {
  parseOrPlanError(planInputSchema, input);
  checkPrices(input);
  checkNodes(input);
  checkWorkloads(input);
  checkExclusions(input);
  return input;
}

function checkPrices(input: PlanInput): void {
  const currency = input.prices[0]?.currency;
  input.prices.forEach((price, i) => {
    if (price.currency !== currency) throw new PlanInputError(`prices[${i}].currency`, `${price.currency} differs from ${currency}: one plan needs one currency`);
  });
}

function checkNodes(input: PlanInput): void {
  const seen = new Set<string>();
  const pricedModels = new Set(input.prices.map((p) => p.gpuModel));
  input.nodes.forEach((node, i) => {
    const key = `${node.cluster}/${node.hostname}`;
    if (seen.has(key)) throw new PlanInputError(`nodes[${i}].hostname`, `${key} appears twice`);
    seen.add(key);
    if (node.costPerGpuHour === undefined && !pricedModels.has(node.gpuModel)) {
      throw new PlanInputError(`nodes[${i}].gpuModel`, `no price for ${node.gpuModel} in prices and no costPerGpuHour on the node`);
    }
  });
}

function checkWorkloads(input: PlanInput): void {
  const nodes = new Map(input.nodes.map((n) => [`${n.cluster}/${n.hostname}`, n]));
  const pools = new Set(input.nodes.map((n) => `${n.cluster}/${n.gpuModel}`));
  const seen = new Set<string>();
  input.workloads.forEach((w, i) => {
    const field = (name: string) => `workloads[${i}].${name}`;
    const key = `${w.cluster}/${w.id}`;
    if (seen.has(key)) throw new PlanInputError(field("id"), `${key} appears twice`);
    seen.add(key);
    if (!pools.has(`${w.cluster}/${w.gpuModel}`)) throw new PlanInputError(field("gpuModel"), `no node of ${w.gpuModel} in cluster ${w.cluster}`);
    if (w.busyGpusP95 > w.gpuCount + 1e-9) throw new PlanInputError(field("busyGpusP95"), `${w.busyGpusP95} busy GPUs is more than the ${w.gpuCount} it holds`);
    w.heldGpusByHourOfWeek.forEach((held, t) => {
      if (held > w.gpuCount + 1e-9) throw new PlanInputError(field(`heldGpusByHourOfWeek[${t}]`), `${held} GPUs is more than the ${w.gpuCount} it holds`);
    });
    if ((w.releaseSlot ?? 0) >= (w.deadlineSlot ?? HOURS_PER_WEEK)) throw new PlanInputError(field("deadlineSlot"), `must be after releaseSlot ${w.releaseSlot ?? 0}`);
    w.current.forEach((place, j) => {
      const node = nodes.get(`${w.cluster}/${place.node}`);
      if (!node) throw new PlanInputError(field(`current[${j}].node`), `no node ${place.node} in cluster ${w.cluster}`);
      if (node.gpuModel !== w.gpuModel) throw new PlanInputError(field(`current[${j}].node`), `${place.node} has ${node.gpuModel}, the workload runs on ${w.gpuModel}`);
      place.gpuIndexes.forEach((index, k) => {
        if (index >= node.gpuCount) throw new PlanInputError(field(`current[${j}].gpuIndexes[${k}]`), `${place.node} has GPUs 0..${node.gpuCount - 1}`);
      });
    });
  });
}

function checkExclusions(input: PlanInput): void {
  const workloads = new Set(input.workloads.map((w) => `${w.cluster}/${w.id}`));
  const nodes = new Set(input.nodes.map((n) => `${n.cluster}/${n.hostname}`));
  input.exclude?.workloads?.forEach((key, i) => {
    if (!workloads.has(key)) throw new PlanInputError(`exclude.workloads[${i}]`, `no workload ${key} (cluster/id)`);
  });
  input.exclude?.nodes?.forEach((key, i) => {
    if (!nodes.has(key)) throw new PlanInputError(`exclude.nodes[${i}]`, `no node ${key} (cluster/hostname)`);
  });
}
