/**
 * The fleet as the plan sees it: pools of one GPU model in one cluster (jobs
 * never cross clusters), each node with its price and price source, the nodes
 * and workloads the plan must leave as they are (pinned), and each workload's
 * share of its GPUs held in each hour of the week.
 */
import type { PlanInput, PlanPriceSource, PlanWorkload } from "./types.ts";
import { HOURS_PER_WEEK } from "./types.ts";

export interface PoolNode {
  /** cluster/hostname */
  key: string;
  hostname: string;
  gpuCount: number;
  gpuMemoryMiB: number;
  costPerGpuHour: number;
  source: PlanPriceSource;
  /** Excluded, or hosting an excluded workload: kept as it is. */
  pinned: boolean;
}

export interface Pool {
  /** cluster/gpuModel */
  key: string;
  cluster: string;
  gpuModel: string;
  nodes: PoolNode[];
  gpus: number;
  /** Smallest GPU memory among its nodes: a shape must fit on any of them. */
  gpuMemoryMiB: number;
  maxNodeGpus: number;
  /** Cloud on-demand rate of its model in the price book, for the rent equivalent of freed owned GPUs. */
  onDemandCostPerGpuHour: number | null;
}

export interface FleetPools {
  pools: Map<string, Pool>;
  /** Workload keys (cluster/id) that keep their shape, hours and placement. */
  pinnedWorkloads: Set<string>;
}

export const poolKey = (cluster: string, gpuModel: string) => `${cluster}/${gpuModel}`;
export const workloadKey = (w: Pick<PlanWorkload, "cluster" | "id">) => `${w.cluster}/${w.id}`;

/** Share of its GPUs a workload holds in each hour today, 0..1. */
export function activeShareByHour(w: PlanWorkload): number[] {
  return w.heldGpusByHourOfWeek.map((held) => Math.min(1, held / w.gpuCount));
}

/** GPUs of a k-GPU shape occupied in an hour where the workload holds `share` of its GPUs (replicas scale in whole GPUs). */
export function occupiedGpus(share: number, gpuCount: number): number {
  return share <= 0 ? 0 : Math.min(gpuCount, Math.ceil(share * gpuCount - 1e-9));
}

export function buildFleetPools(input: PlanInput): FleetPools {
  const excludedNodes = new Set(input.exclude?.nodes ?? []);
  const excludedWorkloads = new Set(input.exclude?.workloads ?? []);
  const pinnedWorkloads = new Set<string>();
  const pinnedNodes = new Set(excludedNodes);
  for (const w of input.workloads) {
    const key = workloadKey(w);
    const onExcludedNode = w.current.some((place) => excludedNodes.has(`${w.cluster}/${place.node}`));
    if (excludedWorkloads.has(key) || onExcludedNode) {
      pinnedWorkloads.add(key);
      for (const place of w.current) pinnedNodes.add(`${w.cluster}/${place.node}`);
    }
  }
  const modelPrice = new Map<string, { costPerGpuHour: number; source: PlanPriceSource }>();
  const onDemand = new Map<string, number>();
  for (const price of input.prices) {
    // The price book's first entry of a model is its price; a cloud on-demand entry is also its rent rate.
    if (!modelPrice.has(price.gpuModel)) modelPrice.set(price.gpuModel, price);
    if (price.source === "cloud-on-demand" && !onDemand.has(price.gpuModel)) onDemand.set(price.gpuModel, price.costPerGpuHour);
  }
  const pools = new Map<string, Pool>();
  for (const node of input.nodes) {
    const key = poolKey(node.cluster, node.gpuModel);
    const pool =
      pools.get(key) ??
      ({ key, cluster: node.cluster, gpuModel: node.gpuModel, nodes: [], gpus: 0, gpuMemoryMiB: Number.POSITIVE_INFINITY, maxNodeGpus: 0, onDemandCostPerGpuHour: onDemand.get(node.gpuModel) ?? null } satisfies Pool);
    const price = modelPrice.get(node.gpuModel);
    const nodeKey = `${node.cluster}/${node.hostname}`;
    pool.nodes.push({
      key: nodeKey,
      hostname: node.hostname,
      gpuCount: node.gpuCount,
      gpuMemoryMiB: node.gpuMemoryMiB,
      costPerGpuHour: node.costPerGpuHour ?? price!.costPerGpuHour,
      source: node.source ?? price?.source ?? "on-prem-tco",
      pinned: pinnedNodes.has(nodeKey),
    });
    pool.gpus += node.gpuCount;
    pool.gpuMemoryMiB = Math.min(pool.gpuMemoryMiB, node.gpuMemoryMiB);
    pool.maxNodeGpus = Math.max(pool.maxNodeGpus, node.gpuCount);
    pools.set(key, pool);
  }
  return { pools, pinnedWorkloads };
}

/** Cost of keeping these nodes for a week. */
export function nodesCostPerWeek(nodes: readonly PoolNode[]): number {
  return nodes.reduce((sum, n) => sum + n.gpuCount * n.costPerGpuHour * HOURS_PER_WEEK, 0);
}

/** GPU-weighted price of a pool's nodes, money per GPU-hour. */
export function poolCostPerGpuHour(pool: Pool): number {
  return pool.gpus === 0 ? 0 : nodesCostPerWeek(pool.nodes) / HOURS_PER_WEEK / pool.gpus;
}
