/**
 * Work counters: how reported work becomes stored work. Pure: readings in,
 * windows and hourly sums out.
 *
 * Units: times in epoch ms; counts in the counter's own unit (tokens, requests,
 * samples, ...).
 */
import { splitByHour } from "./rollup";

/** Work a job did over [startMs, endMs): the increase of its counter over that time. */
export interface WorkWindow {
  jobId: number;
  unit: string;
  startMs: number;
  endMs: number;
  count: number;
}

/** A work window as stored: which node sent it and where its count came from. */
export interface SourcedWorkWindow extends WorkWindow {
  nodeId: number;
  /** vllm | tgi | triton | sglang (scraped), report (the job's report file), api (POST /api/v1/work). */
  source: string;
}

/** Work of one job, node, unit and source in one UTC hour. */
export interface WorkHourlyContribution {
  jobId: number;
  nodeId: number;
  unit: string;
  source: string;
  hourStartMs: number;
  count: number;
}

/**
 * Each window's count spread over the UTC hours it spans in proportion to its time
 * in each (a 1-minute window lies in one hour; a 3-hour gap between two reports
 * adds a third to each hour), summed per job, node, unit, source and hour so
 * every key appears once.
 */
export function hourlyWorkContributions(windows: readonly SourcedWorkWindow[]): WorkHourlyContribution[] {
  const byKey = new Map<string, WorkHourlyContribution>();
  for (const window of windows) {
    const durationMs = window.endMs - window.startMs;
    for (const { hourStartMs, ms } of splitByHour(window.startMs, window.endMs)) {
      const key = `${window.jobId}\u0000${window.nodeId}\u0000${window.unit}\u0000${window.source}\u0000${hourStartMs}`;
      const count = (window.count * ms) / durationMs;
      const stored = byKey.get(key);
      if (stored) stored.count += count;
      else byKey.set(key, { jobId: window.jobId, nodeId: window.nodeId, unit: window.unit, source: window.source, hourStartMs, count });
    }
  }
  return [...byKey.values()];
}

/**
 * The hourly sums of the hours [fromMs, toMs) rebuilt from the raw windows that
 * reach into them (a window that started earlier adds its part in these hours;
 * its part in earlier hours is left to them).
 */
export function rebuiltWorkHours(windows: readonly SourcedWorkWindow[], fromMs: number, toMs: number): WorkHourlyContribution[] {
  return hourlyWorkContributions(windows).filter((c) => c.hourStartMs >= fromMs && c.hourStartMs < toMs);
}

/**
 * One job's work must not be counted twice when it arrives two ways: a job may
 * report samples through POST /api/v1/work and through its report file, or an
 * inference server's requests may be scraped while the job also posts them. The
 * rule, per job, node, unit and UTC hour: the counts of its sources do not add
 * up; the source that counted the most wins, and the others are left out. Each
 * source measures the same work, so where they differ the larger one saw more of
 * the hour (the other started late, stopped, or missed scrapes); a tie goes to
 * the first source by name, so the choice never depends on storage order. Nodes
 * still add up: replicas of one job on two nodes do different work, and a node
 * only counts work of jobs that run on it (POST /api/v1/work takes the node from
 * its token; a collector reads files and endpoints on its own node).
 *
 * `GET /api/v1/unit-costs`, the model and estimate pages and the fleet plan read
 * work through this rule (countedStepWork).
 */
export function countOneSourcePerHour(contributions: readonly WorkHourlyContribution[]): WorkHourlyContribution[] {
  const winners = new Map<string, WorkHourlyContribution>();
  for (const c of contributions) {
    const key = `${c.jobId}\u0000${c.nodeId}\u0000${c.unit}\u0000${c.hourStartMs}`;
    const best = winners.get(key);
    if (!best || c.count > best.count || (c.count === best.count && c.source < best.source)) winners.set(key, c);
  }
  return [...winners.values()];
}

/** A cumulative counter's reading as a job reported it. */
export interface CounterReading {
  timeMs: number;
  value: number;
}

export type CounterIncrease =
  | { kind: "window"; startMs: number; endMs: number; count: number }
  | { kind: "duplicate" }
  | { kind: "refused"; field: "time" | "count"; message: string };

/**
 * The work between a job's previous reading of a counter and this one, as
 * Prometheus increase() counts it, except that a drop must be declared: the
 * counter is cumulative, so a lower value without `reset` is a client error (a
 * wrong counter, or readings out of order) rather than a restart to guess at.
 *  - no previous reading: the counter started at zero when the job was first
 *    seen, so the whole value is work done since then;
 *  - the same time and value as the previous reading: a resend, nothing new;
 *  - a time not after the previous reading's: refused (readings come in order);
 *  - `reset`: the counter restarted from zero, so the value is the increase;
 *  - otherwise the difference, refused when negative.
 */
export function counterIncrease(previous: CounterReading | null, reading: CounterReading & { reset: boolean }, jobFirstSeenMs: number): CounterIncrease {
  if (previous === null) {
    // A job first seen at (or after) its first report: its work is dated to the report's millisecond.
    const startMs = Math.min(jobFirstSeenMs, reading.timeMs - 1);
    return { kind: "window", startMs, endMs: reading.timeMs, count: reading.value };
  }
  if (reading.timeMs === previous.timeMs && reading.value === previous.value) return { kind: "duplicate" };
  if (reading.timeMs <= previous.timeMs) {
    return {
      kind: "refused",
      field: "time",
      message: `time: ${new Date(reading.timeMs).toISOString()} is not after this counter's latest report (${new Date(previous.timeMs).toISOString()}); reports of one counter come in time order`,
    };
  }
  if (reading.reset) return { kind: "window", startMs: previous.timeMs, endMs: reading.timeMs, count: reading.value };
  if (reading.value < previous.value) {
    return {
      kind: "refused",
      field: "count",
      message: `count: ${reading.value} is below this counter's latest report (${previous.value}); counters are cumulative: send "reset": true when the counter restarted from zero`,
    };
  }
  return { kind: "window", startMs: previous.timeMs, endMs: reading.timeMs, count: reading.value - previous.value };
}

/** Work of one job, node, unit and source summed over one step (the hourly sums of its hours). */
export interface SourceStepWork {
  jobId: number;
  nodeId: number;
  unit: string;
  source: string;
  stepIndex: number;
  count: number;
}

/** Work of one job and unit in one step, as counted. */
export interface CountedStepWork {
  jobId: number;
  unit: string;
  stepIndex: number;
  count: number;
}

const counterKey = (w: { jobId: number; nodeId: number; unit: string }) => `${w.jobId}\u0000${w.nodeId}\u0000${w.unit}`;

/**
 * The counters (job, node, unit) that more than one source counted: only their
 * hours need countOneSourcePerHour; every other counter's step sums are already
 * what it counted. (Reading a window's hourly rows of a whole fleet to settle a
 * rule that rarely applies would cost more than everything else.)
 */
export function countersWithSeveralSources(work: readonly SourceStepWork[]): { jobId: number; nodeId: number; unit: string }[] {
  const sources = new Map<string, { jobId: number; nodeId: number; unit: string; first: string; several: boolean }>();
  for (const w of work) {
    const key = counterKey(w);
    const seen = sources.get(key);
    if (!seen) sources.set(key, { jobId: w.jobId, nodeId: w.nodeId, unit: w.unit, first: w.source, several: false });
    else if (seen.first !== w.source) seen.several = true;
  }
  return [...sources.values()].filter((s) => s.several).map(({ jobId, nodeId, unit }) => ({ jobId, nodeId, unit }));
}

/**
 * Work per job, unit and step as counted: nodes add up; a counter that one source
 * counted keeps its step sums; a counter that several did is settled hour by hour
 * (countOneSourcePerHour) from `hoursOfSeveral`, its hourly sums, each hour going
 * to the step `stepOf` gives it.
 */
export function countedStepWork(
  work: readonly SourceStepWork[],
  hoursOfSeveral: readonly WorkHourlyContribution[],
  stepOf: (hourStartMs: number) => number,
): CountedStepWork[] {
  const several = new Set(hoursOfSeveral.map(counterKey));
  const counted = new Map<string, CountedStepWork>();
  const add = (jobId: number, unit: string, stepIndex: number, count: number) => {
    const key = `${jobId}\u0000${unit}\u0000${stepIndex}`;
    const stored = counted.get(key);
    if (stored) stored.count += count;
    else counted.set(key, { jobId, unit, stepIndex, count });
  };
  for (const w of work) if (!several.has(counterKey(w))) add(w.jobId, w.unit, w.stepIndex, w.count);
  for (const hour of countOneSourcePerHour(hoursOfSeveral)) add(hour.jobId, hour.unit, stepOf(hour.hourStartMs), hour.count);
  return [...counted.values()];
}
