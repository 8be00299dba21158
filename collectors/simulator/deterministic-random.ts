/**
 * Stateless pseudo-random numbers: the same keys always give the same number, so
 * the simulated fleet at time t does not depend on what was simulated before
 * (backfill, live streaming and a restart all agree).
 */
export function hashKeys(...keys: number[]): number {
  let h = 0x9e3779b9;
  for (const key of keys) {
    // Mix integer and fractional parts so large epoch values hash well.
    h = Math.imul(h ^ (key | 0), 0x85ebca6b);
    h = Math.imul(h ^ Math.floor(key / 4294967296), 0xc2b2ae35);
    h ^= h >>> 13;
  }
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Uniform in [0, 1). */
export function unitRandom(...keys: number[]): number {
  return hashKeys(...keys) / 4294967296;
}

/** Uniform in [min, max). */
export function randomBetween(min: number, max: number, ...keys: number[]): number {
  return min + (max - min) * unitRandom(...keys);
}

export function pick<T>(items: readonly T[], ...keys: number[]): T {
  return items[hashKeys(...keys) % items.length];
}
