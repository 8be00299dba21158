/**
 * Step 8b of the fleet plan: the money and capacity each pool frees, split
 * across the actions that free it, so that the shares sum exactly (to the
 * cent, and to the hundredth of a GPU-hour) to the plan's totals.
 *
 * Rule: a pool frees the nodes the plan drains. Per month (a week's figure ×
 * HOURS_PER_MONTH / 168), a drained cloud on-demand node is cash (its rental
 * stops); a drained owned (on-prem-tco) or committed (cloud-reserved) node is
 * capacity, in GPU-hours, with what renting it would cost at the price book's
 * cloud on-demand rate of the same model (null when there is none). Each pool's
 * figures, rounded to cents, are split across the actions in proportion to the
 * GPU-hours per week each takes off that pool (its weight), with the largest
 * remainder method so that the rounded shares add up to the pool's figure.
 */
import { HOURS_PER_MONTH } from "../calendar.ts";
import type { Pool, PoolNode } from "./fleet-pools.ts";

export interface PoolSaving {
  /** Per month, in cents of the currency. */
  cashCents: number;
  /** Per month, in hundredths of a GPU-hour. */
  capacityCentiGpuHours: number;
  /** Per month, in cents; null when no drained owned node has a cloud on-demand rate. */
  rentEquivalentCents: number | null;
}

export interface ActionShare {
  cashSavingPerMonth: number;
  capacityFreedGpuHoursPerMonth: number;
  rentEquivalentPerMonth: number | null;
}

/** Integer shares of an integer total, in proportion to the weights (equal when all are 0), summing exactly to the total. */
export function splitByLargestRemainder(total: number, weights: readonly number[]): number[] {
  if (weights.length === 0) return [];
  const positive = weights.map((w) => (w > 0 && Number.isFinite(w) ? w : 0));
  const sum = positive.reduce((s, w) => s + w, 0);
  const exact = positive.map((w) => (sum > 0 ? (total * w) / sum : total / weights.length));
  const shares = exact.map((v) => Math.floor(v + 1e-9));
  let left = total - shares.reduce((s, v) => s + v, 0);
  const order = exact.map((v, i) => ({ i, remainder: v - shares[i] })).sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) shares[order[k].i] += 1;
  return shares;
}

/** What a pool's drained nodes free per month, rounded to cents and hundredths of a GPU-hour. */
export function poolSaving(pool: Pool, drainedNodes: readonly PoolNode[]): PoolSaving {
  let cash = 0;
  let capacity = 0;
  let rent: number | null = null;
  for (const node of drainedNodes) {
    const gpuHoursPerMonth = node.gpuCount * HOURS_PER_MONTH;
    if (node.source === "cloud-on-demand") cash += gpuHoursPerMonth * node.costPerGpuHour;
    else {
      capacity += gpuHoursPerMonth;
      if (pool.onDemandCostPerGpuHour !== null) rent = (rent ?? 0) + gpuHoursPerMonth * pool.onDemandCostPerGpuHour;
    }
  }
  return { cashCents: Math.round(cash * 100), capacityCentiGpuHours: Math.round(capacity * 100), rentEquivalentCents: rent === null ? null : Math.round(rent * 100) };
}

/**
 * Shares of every action: `weights[a]` maps pool keys to the GPU-hours per week
 * action a takes off that pool. A pool whose saving is non-zero must have an
 * action with weight there (the plan gives each draining pool a pack action).
 */
export function attributeSavings(savings: ReadonlyMap<string, PoolSaving>, weights: readonly ReadonlyMap<string, number>[]): ActionShare[] {
  const cash = weights.map(() => 0);
  const capacity = weights.map(() => 0);
  const rent: (number | null)[] = weights.map(() => null);
  for (const [pool, saving] of savings) {
    const involved = weights.map((w, a) => ({ a, weight: w.get(pool) })).filter((x) => x.weight !== undefined);
    if (involved.length === 0) {
      if (saving.cashCents !== 0 || saving.capacityCentiGpuHours !== 0) throw new Error(`pool ${pool} frees capacity but no action touches it`);
      continue;
    }
    const poolWeights = involved.map((x) => x.weight!);
    splitByLargestRemainder(saving.cashCents, poolWeights).forEach((v, k) => (cash[involved[k].a] += v));
    splitByLargestRemainder(saving.capacityCentiGpuHours, poolWeights).forEach((v, k) => (capacity[involved[k].a] += v));
    if (saving.rentEquivalentCents !== null) splitByLargestRemainder(saving.rentEquivalentCents, poolWeights).forEach((v, k) => (rent[involved[k].a] = (rent[involved[k].a] ?? 0) + v));
  }
  return weights.map((_, a) => ({ cashSavingPerMonth: cash[a] / 100, capacityFreedGpuHoursPerMonth: capacity[a] / 100, rentEquivalentPerMonth: rent[a] === null ? null : rent[a]! / 100 }));
}

/** The plan's totals: the same pool figures, summed in cents (so they equal the sum of the shares). */
export function totalSaving(savings: ReadonlyMap<string, PoolSaving>): ActionShare {
  let cash = 0;
  let capacity = 0;
  let rent: number | null = null;
  for (const saving of savings.values()) {
    cash += saving.cashCents;
    capacity += saving.capacityCentiGpuHours;
    if (saving.rentEquivalentCents !== null) rent = (rent ?? 0) + saving.rentEquivalentCents;
  }
  return { cashSavingPerMonth: cash / 100, capacityFreedGpuHoursPerMonth: capacity / 100, rentEquivalentPerMonth: rent === null ? null : rent / 100 };
}
