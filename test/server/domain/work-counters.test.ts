import { describe, expect, it } from "vitest";
import {
  countedStepWork,
  countersWithSeveralSources,
  countOneSourcePerHour,
  counterIncrease,
  hourlyWorkContributions,
  rebuiltWorkHours,
  type SourcedWorkWindow,
  type SourceStepWork,
  type WorkHourlyContribution,
} from "../../../server/domain/work-counters";

const T0_MS = Date.UTC(2026, 10, 2, 0, 0, 0);
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

const window = (overrides: Partial<SourcedWorkWindow>): SourcedWorkWindow => ({
  jobId: 1,
  nodeId: 7,
  unit: "samples",
  source: "report",
  startMs: T0_MS,
  endMs: T0_MS + MINUTE_MS,
  count: 1,
  ...overrides,
});

describe("hourlyWorkContributions", () => {
  it("spreads a window over the hours it spans in proportion to its time in each, and sums per job, node, unit, source and hour", () => {
    const contributions = hourlyWorkContributions([
      window({ startMs: T0_MS + 30 * MINUTE_MS, endMs: T0_MS + 150 * MINUTE_MS, count: 1200 }),
      window({ count: 7 }),
      window({ jobId: 2, count: 3 }),
      window({ source: "api", count: 5 }),
      window({ nodeId: 8, count: 11 }),
    ]);
    expect(contributions).toEqual([
      { jobId: 1, nodeId: 7, unit: "samples", source: "report", hourStartMs: T0_MS, count: 307 },
      { jobId: 1, nodeId: 7, unit: "samples", source: "report", hourStartMs: T0_MS + HOUR_MS, count: 600 },
      { jobId: 1, nodeId: 7, unit: "samples", source: "report", hourStartMs: T0_MS + 2 * HOUR_MS, count: 300 },
      { jobId: 2, nodeId: 7, unit: "samples", source: "report", hourStartMs: T0_MS, count: 3 },
      { jobId: 1, nodeId: 7, unit: "samples", source: "api", hourStartMs: T0_MS, count: 5 },
      { jobId: 1, nodeId: 8, unit: "samples", source: "report", hourStartMs: T0_MS, count: 11 },
    ]);
  });
});

describe("rebuiltWorkHours", () => {
  it("keeps only the hours rebuilt, with the part of an earlier window that reaches into them", () => {
    const rebuilt = rebuiltWorkHours(
      [window({ startMs: T0_MS + 30 * MINUTE_MS, endMs: T0_MS + 150 * MINUTE_MS, count: 1200 }), window({ startMs: T0_MS + 2 * HOUR_MS, endMs: T0_MS + 2 * HOUR_MS + MINUTE_MS, count: 4 })],
      T0_MS + HOUR_MS,
      T0_MS + 2 * HOUR_MS,
    );
    expect(rebuilt.map((c) => [c.hourStartMs, c.count])).toEqual([[T0_MS + HOUR_MS, 600]]);
  });
});

describe("countOneSourcePerHour", () => {
  const hour = (source: string, count: number, overrides: Partial<WorkHourlyContribution> = {}): WorkHourlyContribution => ({
    jobId: 1,
    nodeId: 7,
    unit: "samples",
    source,
    hourStartMs: T0_MS,
    count,
    ...overrides,
  });

  it("counts the same job's unit once per node and hour when two sources counted it, keeping the larger count", () => {
    expect(countOneSourcePerHour([hour("api", 900), hour("report", 1000)])).toEqual([hour("report", 1000)]);
    expect(countOneSourcePerHour([hour("report", 1000), hour("api", 1200)])).toEqual([hour("api", 1200)]);
  });

  it("breaks a tie by source name, whatever the order the rows come in", () => {
    expect(countOneSourcePerHour([hour("vllm", 50), hour("api", 50)])).toEqual([hour("api", 50)]);
    expect(countOneSourcePerHour([hour("api", 50), hour("vllm", 50)])).toEqual([hour("api", 50)]);
  });

  it("keeps other hours, nodes, units and jobs apart: they are different work", () => {
    const rows = [hour("api", 10), hour("api", 20, { hourStartMs: T0_MS + HOUR_MS }), hour("vllm", 30, { nodeId: 8 }), hour("vllm", 40, { unit: "requests" }), hour("report", 50, { jobId: 2 })];
    expect(countOneSourcePerHour(rows)).toEqual(rows);
  });

  it("changes the hour's total by exactly the left-out source's count", () => {
    const rows = [hour("api", 900), hour("report", 1000), hour("vllm", 1000, { nodeId: 8 })];
    const total = (list: readonly WorkHourlyContribution[]) => list.reduce((sum, c) => sum + c.count, 0);
    expect(total(rows) - total(countOneSourcePerHour(rows))).toBe(900);
  });
});

describe("counterIncrease", () => {
  const previous = { timeMs: T0_MS + 10 * MINUTE_MS, value: 1000 };

  it("counts a first reading as work since the job was first seen", () => {
    expect(counterIncrease(null, { timeMs: T0_MS + 10 * MINUTE_MS, value: 1000, reset: false }, T0_MS)).toEqual({ kind: "window", startMs: T0_MS, endMs: T0_MS + 10 * MINUTE_MS, count: 1000 });
  });

  it("dates a first reading taken before the job was first seen to its own millisecond", () => {
    expect(counterIncrease(null, { timeMs: T0_MS, value: 5, reset: false }, T0_MS + MINUTE_MS)).toEqual({ kind: "window", startMs: T0_MS - 1, endMs: T0_MS, count: 5 });
  });

  it("counts the difference from the previous reading", () => {
    expect(counterIncrease(previous, { timeMs: T0_MS + 20 * MINUTE_MS, value: 1600, reset: false }, T0_MS)).toEqual({ kind: "window", startMs: previous.timeMs, endMs: T0_MS + 20 * MINUTE_MS, count: 600 });
  });

  it("counts the whole value after a declared reset, as Prometheus increase() does", () => {
    expect(counterIncrease(previous, { timeMs: T0_MS + 20 * MINUTE_MS, value: 40, reset: true }, T0_MS)).toMatchObject({ kind: "window", count: 40 });
  });

  it("refuses a counter going backwards without a reset, naming count", () => {
    expect(counterIncrease(previous, { timeMs: T0_MS + 20 * MINUTE_MS, value: 40, reset: false }, T0_MS)).toMatchObject({ kind: "refused", field: "count" });
  });

  it("treats the same time and value as a resend, and refuses another value at or before the previous time", () => {
    expect(counterIncrease(previous, { ...previous, reset: false }, T0_MS)).toEqual({ kind: "duplicate" });
    expect(counterIncrease(previous, { timeMs: previous.timeMs, value: 1001, reset: false }, T0_MS)).toMatchObject({ kind: "refused", field: "time" });
    expect(counterIncrease(previous, { timeMs: previous.timeMs - 1, value: 2000, reset: false }, T0_MS)).toMatchObject({ kind: "refused", field: "time" });
  });
});

describe("countersWithSeveralSources", () => {
  const step = (source: string, overrides: Partial<SourceStepWork> = {}): SourceStepWork => ({ jobId: 1, nodeId: 7, unit: "samples", source, stepIndex: 0, count: 1, ...overrides });

  it("names the counters (job, node, unit) that more than one source counted, and no other", () => {
    const work = [step("report"), step("api", { stepIndex: 1 }), step("report", { nodeId: 8 }), step("vllm", { unit: "requests" }), step("vllm", { unit: "requests", stepIndex: 1 })];
    expect(countersWithSeveralSources(work)).toEqual([{ jobId: 1, nodeId: 7, unit: "samples" }]);
  });
});

describe("countedStepWork", () => {
  const step = (source: string, stepIndex: number, count: number, overrides: Partial<SourceStepWork> = {}): SourceStepWork => ({ jobId: 1, nodeId: 7, unit: "samples", source, stepIndex, count, ...overrides });
  const hour = (source: string, hours: number, count: number): WorkHourlyContribution => ({ jobId: 1, nodeId: 7, unit: "samples", source, hourStartMs: T0_MS + hours * HOUR_MS, count });
  const dayOf = (hourStartMs: number) => Math.floor(hourStartMs / (24 * HOUR_MS));
  const day0 = dayOf(T0_MS);

  it("adds up nodes and keeps single-source counters' step sums as they are", () => {
    const work = [step("vllm", day0, 100, { unit: "requests" }), step("vllm", day0, 50, { unit: "requests", nodeId: 8 }), step("vllm", day0 + 1, 70, { unit: "requests" })];
    expect(countedStepWork(work, [], dayOf)).toEqual([
      { jobId: 1, unit: "requests", stepIndex: day0, count: 150 },
      { jobId: 1, unit: "requests", stepIndex: day0 + 1, count: 70 },
    ]);
  });

  it("settles a counter two sources counted hour by hour, so each step gets the larger source of each of its hours", () => {
    // The report file counted 6,000 in each of three hours; the API 8,000, 6,000 and 3,000. Their step sums (18,000 and 17,000) are replaced.
    const hours = [hour("report", 0, 6000), hour("report", 1, 6000), hour("report", 25, 6000), hour("api", 0, 8000), hour("api", 1, 6000), hour("api", 25, 3000)];
    const work = [step("report", day0, 12000), step("report", day0 + 1, 6000), step("api", day0, 14000), step("api", day0 + 1, 3000)];
    expect(countedStepWork(work, hours, dayOf)).toEqual([
      { jobId: 1, unit: "samples", stepIndex: day0, count: 14000 },
      { jobId: 1, unit: "samples", stepIndex: day0 + 1, count: 6000 },
    ]);
    // Totals over one step agree with the daily steps' sum: the rule is per hour, whatever the step.
    const total = countedStepWork(work.map((w) => ({ ...w, stepIndex: 0 })), hours, () => 0);
    expect(total).toEqual([{ jobId: 1, unit: "samples", stepIndex: 0, count: 20000 }]);
  });
});
