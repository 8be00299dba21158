import { describe, expect, it } from "vitest";
import { counterIncrease, hourlyWorkContributions } from "../../../server/domain/work-counters";

const T0_MS = Date.UTC(2026, 10, 2, 0, 0, 0);
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

describe("hourlyWorkContributions", () => {
  it("spreads a window over the hours it spans in proportion to its time in each, and sums per job, unit and hour", () => {
    const contributions = hourlyWorkContributions([
      { jobId: 1, unit: "samples", startMs: T0_MS + 30 * MINUTE_MS, endMs: T0_MS + 150 * MINUTE_MS, count: 1200 },
      { jobId: 1, unit: "samples", startMs: T0_MS, endMs: T0_MS + MINUTE_MS, count: 7 },
      { jobId: 2, unit: "samples", startMs: T0_MS, endMs: T0_MS + MINUTE_MS, count: 3 },
    ]);
    expect(contributions).toEqual([
      { jobId: 1, unit: "samples", hourStartMs: T0_MS, count: 307 },
      { jobId: 1, unit: "samples", hourStartMs: T0_MS + HOUR_MS, count: 600 },
      { jobId: 1, unit: "samples", hourStartMs: T0_MS + 2 * HOUR_MS, count: 300 },
      { jobId: 2, unit: "samples", hourStartMs: T0_MS, count: 3 },
    ]);
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
