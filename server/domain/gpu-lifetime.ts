/**
 * How long a GPU existed in a window, and the cap that puts on the time it
 * reported. Pure.
 *
 * Windows of one GPU sent in different batches can overlap (a collector
 * restarted with other window bounds, or a node misbehaving); their rollups then
 * add up to more hours than passed. Every view caps a GPU's reported hours at its
 * lifetime in the window, the way allocation caps the hours its jobs held it.
 */
import { HOUR_MS } from "./rollup";
import type { TimeWindow } from "./time-window";

export interface GpuSpan {
  firstSeenMs: number;
  lastSeenMs: number;
}

/** A GPU's first to last report, widened to whole hours (the hours the fleet pays for). */
export function wholeHourLifetime(gpu: GpuSpan): { lifeStartMs: number; lifeEndMs: number } {
  return { lifeStartMs: Math.floor(gpu.firstSeenMs / HOUR_MS) * HOUR_MS, lifeEndMs: Math.ceil(gpu.lastSeenMs / HOUR_MS) * HOUR_MS };
}

/** Hours of `window` the GPU existed: its whole-hour lifetime cut to the window. */
export function lifetimeHoursInWindow(gpu: GpuSpan, window: TimeWindow): number {
  const { lifeStartMs, lifeEndMs } = wholeHourLifetime(gpu);
  return Math.max(0, Math.min(lifeEndMs, window.endMs) - Math.max(lifeStartMs, window.startMs)) / HOUR_MS;
}

/** The factor (at most 1) that brings `reportedHours` down to `lifetimeHours`: apply it to every sum of the same windows. */
export function reportedHoursScale(reportedHours: number, lifetimeHours: number): number {
  if (reportedHours <= lifetimeHours) return 1;
  return lifetimeHours > 0 ? lifetimeHours / reportedHours : 0;
}
