/**
 * Turns readings of cumulative work counters (tokens, requests, samples) into
 * the work each job did per window, as Prometheus increase() does: a counter
 * that goes down has restarted from zero (a restarted server), so the increase
 * across the drop is the new value. Pure: time comes from the readings.
 *
 * The work between two readings is spread over the time between them, in
 * proportion to each window's share of it, so work is neither lost nor counted
 * twice at window boundaries. Nothing is extrapolated: a server that disappears
 * mid-window has done the work up to its last reading, and the first reading of
 * a series is only its baseline (what it counted before is not known to be
 * this window's). Where part of the spread would fall into a window already
 * handed on (a scrape gap longer than a window), that part is counted in the
 * window of the reading that saw it rather than lost.
 *
 * Windows are aligned like usage windows (multiples of windowMs since the epoch).
 */
import type { WireWorkWindow } from "../../server/wire/ingest-v1";
import type { JobAttribution } from "../readings";
import { jobDescriptor, type ClosedWindows } from "../window";
import type { WorkSource } from "./inference-metrics";

/** What one counter measures: whose work, in which unit, read from where. */
export interface WorkSeries {
  job: JobAttribution;
  unit: string;
  source: WorkSource;
}

export interface CounterReading {
  atMs: number;
  /** Cumulative count since the counter (re)started. */
  value: number;
  /** The counter says it restarted from zero with this reading (a job's report), whatever its value. */
  reset?: boolean;
}

/** Increase between two readings of a cumulative counter; a drop means it restarted from zero. */
export function counterIncrease(previous: number, current: number): number {
  return current >= previous ? current - previous : current;
}

/**
 * Splits `amount`, done over [fromMs, toMs), into the windows that interval
 * overlaps, in proportion to the overlap. A zero-length interval puts it all
 * in the window containing toMs.
 */
export function spreadOverWindows(amount: number, fromMs: number, toMs: number, windowMs: number): { startMs: number; count: number }[] {
  if (toMs <= fromMs) return [{ startMs: Math.floor(toMs / windowMs) * windowMs, count: amount }];
  const parts: { startMs: number; count: number }[] = [];
  for (let startMs = Math.floor(fromMs / windowMs) * windowMs; startMs < toMs; startMs += windowMs) {
    const overlapMs = Math.min(toMs, startMs + windowMs) - Math.max(fromMs, startMs);
    if (overlapMs > 0) parts.push({ startMs, count: (amount * overlapMs) / (toMs - fromMs) });
  }
  return parts;
}

interface TrackedSeries {
  series: WorkSeries;
  /** The series' key in an open window: its counter and job. */
  entryKey: string;
  last: CounterReading;
}

/** A series not read for this long is forgotten; if it comes back, its next reading is a new baseline. */
export const SERIES_TTL_MS = 60 * 60 * 1000;

export interface ClosedWorkWindows {
  workWindows: WireWorkWindow[];
  /** The jobs the windows name, for the batch's `jobs`. */
  jobs: JobAttribution[];
}

/**
 * Usage windows with the work windows of the same span: the batch's content.
 * A job seen on a GPU keeps the description its processes gave it; jobs seen
 * only through their work are declared from the work's attribution.
 */
export function withWorkWindows(closed: ClosedWindows, work: ClosedWorkWindows): ClosedWindows & { workWindows?: WireWorkWindow[] } {
  const jobs = [...closed.jobs];
  const declared = new Set(jobs.map((job) => job.externalId));
  for (const job of work.jobs) if (!declared.has(job.externalId)) jobs.push(jobDescriptor(job));
  return { ...closed, jobs, ...(work.workWindows.length > 0 ? { workWindows: work.workWindows } : {}) };
}

export class WorkWindowAggregator {
  private readonly tracked = new Map<string, TrackedSeries>();
  /** Window start → series key and job → the window under way. */
  private readonly open = new Map<number, Map<string, { series: WorkSeries; count: number }>>();
  /**
   * Per series, the fraction of a unit not yet handed on: windows carry whole
   * units (counters count whole tokens and requests), the fractions that
   * spreading leaves go to the series' next window, so the windows still add
   * up to the counter's increase.
   */
  private readonly carry = new Map<string, number>();
  /** Windows starting before this were handed on by flush(). */
  private closedBeforeMs = Number.NEGATIVE_INFINITY;

  constructor(readonly windowMs: number) {
    if (!Number.isInteger(windowMs) || windowMs <= 0) throw new Error(`windowMs must be a positive integer, got ${windowMs}`);
  }

  /**
   * Adds a reading of the counter `key` (one counter of one endpoint or report
   * file). A reading older than the previous one of its series counts at the
   * previous one's time: time does not run backwards within a series.
   */
  observe(key: string, series: WorkSeries, reading: CounterReading): void {
    if (!Number.isFinite(reading.value) || reading.value < 0 || !Number.isFinite(reading.atMs)) return;
    const tracked = this.tracked.get(key);
    if (!tracked || tracked.series.job.externalId !== series.job.externalId) {
      // A new series, or the endpoint now serves another job: a new baseline.
      this.tracked.set(key, { series, entryKey: `${key}\0${series.job.externalId}`, last: reading });
      return;
    }
    const atMs = Math.max(reading.atMs, tracked.last.atMs);
    const increase = reading.reset ? reading.value : counterIncrease(tracked.last.value, reading.value);
    const readingWindowMs = Math.floor(atMs / this.windowMs) * this.windowMs;
    if (readingWindowMs === Math.floor(tracked.last.atMs / this.windowMs) * this.windowMs) {
      // Both readings in one window, the usual case: no spreading to do.
      this.addTo(this.openWindowFor(readingWindowMs, readingWindowMs), tracked.entryKey, series, increase);
    } else {
      for (const part of spreadOverWindows(increase, tracked.last.atMs, atMs, this.windowMs)) {
        this.addTo(this.openWindowFor(part.startMs, readingWindowMs), tracked.entryKey, series, part.count);
      }
    }
    tracked.series = series;
    tracked.last = { atMs, value: reading.value };
  }

  /** Where work of the window `startMs` goes: there, or, once that window was handed on, the reading's window or the oldest still open. */
  private openWindowFor(startMs: number, readingWindowMs: number): number {
    return startMs < this.closedBeforeMs ? Math.max(readingWindowMs, this.closedBeforeMs) : startMs;
  }

  private addTo(startMs: number, entryKey: string, series: WorkSeries, count: number): void {
    let window = this.open.get(startMs);
    if (!window) this.open.set(startMs, (window = new Map()));
    const entry = window.get(entryKey);
    if (entry) entry.count += count;
    else window.set(entryKey, { series, count });
  }

  /**
   * Hands on every window ending at or before untilMs: one work window per job,
   * unit and source (counters of one job read from several endpoints add up).
   */
  flush(untilMs: number): ClosedWorkWindows {
    const workWindows: WireWorkWindow[] = [];
    const jobs = new Map<string, JobAttribution>();
    const ready = [...this.open.keys()].filter((startMs) => startMs + this.windowMs <= untilMs).sort((a, b) => a - b);
    for (const startMs of ready) {
      const perJobUnit = new Map<string, WireWorkWindow>();
      for (const [entryKey, { series, count: spreadCount }] of this.open.get(startMs)!) {
        const exact = spreadCount + (this.carry.get(entryKey) ?? 0);
        // The epsilon keeps 49.999999999 (a sum of spread parts) from losing a unit.
        const count = Math.max(0, Math.floor(exact + 1e-6));
        this.carry.set(entryKey, exact - count);
        const id = `${series.job.externalId}\0${series.unit}\0${series.source}`;
        const existing = perJobUnit.get(id);
        if (existing) existing.count += count;
        else perJobUnit.set(id, { jobExternalId: series.job.externalId, unit: series.unit, source: series.source, startMs, endMs: startMs + this.windowMs, count });
        jobs.set(series.job.externalId, series.job);
      }
      this.open.delete(startMs);
      workWindows.push(...perJobUnit.values());
    }
    this.closedBeforeMs = Math.max(this.closedBeforeMs, Math.floor(untilMs / this.windowMs) * this.windowMs);
    for (const [key, tracked] of this.tracked) {
      if (tracked.last.atMs >= untilMs - SERIES_TTL_MS) continue;
      this.tracked.delete(key);
      this.carry.delete(tracked.entryKey);
    }
    return { workWindows, jobs: [...jobs.values()] };
  }
}
