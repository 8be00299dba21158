import { describe, expect, it } from "vitest";
import type { JobAttribution } from "../../../collectors/readings";
import { counterIncrease, spreadOverWindows, WorkWindowAggregator, type WorkSeries } from "../../../collectors/work-counters/work-windows";
import { MINUTE_MS, T0_MS } from "../../support/batches";

const CHAT: JobAttribution = { externalId: "pod-chat", kind: "inference", model: "llama-7b-ft" };
const TOKENS: WorkSeries = { job: CHAT, unit: "generation_tokens", source: "vllm" };
const SECOND_MS = 1000;

describe("counterIncrease", () => {
  it("is the difference of a counter that grew", () => {
    expect(counterIncrease(100, 250)).toBe(150);
  });

  it("is the new value after a drop, as the counter restarted from zero", () => {
    expect(counterIncrease(1000, 40)).toBe(40);
  });
});

describe("spreadOverWindows", () => {
  it("splits work across a window boundary in proportion to time", () => {
    expect(spreadOverWindows(100, T0_MS + 50 * SECOND_MS, T0_MS + 70 * SECOND_MS, MINUTE_MS)).toEqual([
      { startMs: T0_MS, count: 50 },
      { startMs: T0_MS + MINUTE_MS, count: 50 },
    ]);
  });

  it("puts work of a zero-length interval in the window of its instant", () => {
    expect(spreadOverWindows(7, T0_MS + MINUTE_MS, T0_MS + MINUTE_MS, MINUTE_MS)).toEqual([{ startMs: T0_MS + MINUTE_MS, count: 7 }]);
  });
});

describe("WorkWindowAggregator", () => {
  const scrape = (aggregator: WorkWindowAggregator, atSecond: number, value: number, series = TOKENS, key = "ep") =>
    aggregator.observe(key, series, { atMs: T0_MS + atSecond * SECOND_MS, value });

  it("counts the increase per aligned window, the first reading being only a baseline", () => {
    const aggregator = new WorkWindowAggregator(MINUTE_MS);
    for (const [second, value] of [[0, 5000], [10, 5100], [20, 5300], [30, 5300], [40, 5600], [50, 5700], [60, 6000]] as const) scrape(aggregator, second, value);
    const closed = aggregator.flush(T0_MS + MINUTE_MS);
    expect(closed.workWindows).toEqual([
      { jobExternalId: "pod-chat", unit: "generation_tokens", source: "vllm", startMs: T0_MS, endMs: T0_MS + MINUTE_MS, count: 1000 },
    ]);
    expect(closed.jobs).toEqual([CHAT]);
  });

  it("counts from zero after a reset (restarted server), never a negative increase", () => {
    const aggregator = new WorkWindowAggregator(MINUTE_MS);
    scrape(aggregator, 0, 900);
    scrape(aggregator, 20, 1000); // +100
    scrape(aggregator, 40, 30); // restarted: +30
    scrape(aggregator, 60, 80); // +50
    expect(aggregator.flush(T0_MS + MINUTE_MS).workWindows.map((window) => window.count)).toEqual([180]);
  });

  it("counts the whole value of a reading marked as a reset, even above the previous one", () => {
    const aggregator = new WorkWindowAggregator(MINUTE_MS);
    scrape(aggregator, 0, 100);
    aggregator.observe("ep", TOKENS, { atMs: T0_MS + 30_000, value: 150, reset: true });
    expect(aggregator.flush(T0_MS + MINUTE_MS).workWindows.map((window) => window.count)).toEqual([150]);
  });

  it("spreads the work of a scrape gap over the windows it spans, adding up to the counter's increase", () => {
    const aggregator = new WorkWindowAggregator(MINUTE_MS);
    scrape(aggregator, 30, 0);
    scrape(aggregator, 150, 1200); // 120 s gap: 10 tokens a second
    const windows = aggregator.flush(T0_MS + 3 * MINUTE_MS).workWindows;
    expect(windows.map((window) => [(window.startMs - T0_MS) / MINUTE_MS, window.count])).toEqual([
      [0, 300],
      [1, 600],
      [2, 300],
    ]);
  });

  it("counts nothing after a server disappears mid-window: no work is extrapolated", () => {
    const aggregator = new WorkWindowAggregator(MINUTE_MS);
    scrape(aggregator, 0, 100);
    scrape(aggregator, 10, 150);
    scrape(aggregator, 20, 200); // then gone
    const closed = aggregator.flush(T0_MS + 2 * MINUTE_MS);
    expect(closed.workWindows.map((window) => [window.startMs, window.count])).toEqual([[T0_MS, 100]]);
  });

  it("counts late work in the window of the reading that saw it when its own windows were already sent", () => {
    const aggregator = new WorkWindowAggregator(MINUTE_MS);
    scrape(aggregator, 50, 0);
    scrape(aggregator, 60, 10);
    expect(aggregator.flush(T0_MS + MINUTE_MS).workWindows.map((window) => window.count)).toEqual([10]);
    scrape(aggregator, 180, 250); // unreachable for two minutes
    const windows = aggregator.flush(T0_MS + 4 * MINUTE_MS).workWindows;
    expect(windows.reduce((sum, window) => sum + window.count, 0)).toBeCloseTo(240, 9);
    expect(windows.every((window) => window.startMs >= T0_MS + MINUTE_MS)).toBe(true);
  });

  it("reports a measured window without work as zero, unlike a window without readings", () => {
    const aggregator = new WorkWindowAggregator(MINUTE_MS);
    scrape(aggregator, 0, 500);
    scrape(aggregator, 30, 500);
    expect(aggregator.flush(T0_MS + MINUTE_MS).workWindows.map((window) => window.count)).toEqual([0]);
    expect(aggregator.flush(T0_MS + 5 * MINUTE_MS).workWindows).toEqual([]);
  });

  it("adds up the counters of one job read from two endpoints into one window", () => {
    const aggregator = new WorkWindowAggregator(MINUTE_MS);
    scrape(aggregator, 0, 0, TOKENS, "ep-a");
    scrape(aggregator, 0, 0, TOKENS, "ep-b");
    scrape(aggregator, 30, 40, TOKENS, "ep-a");
    scrape(aggregator, 30, 2, TOKENS, "ep-b");
    expect(aggregator.flush(T0_MS + MINUTE_MS).workWindows.map((window) => window.count)).toEqual([42]);
  });

  it("starts a new baseline when an endpoint begins serving another job", () => {
    const aggregator = new WorkWindowAggregator(MINUTE_MS);
    const other: WorkSeries = { ...TOKENS, job: { externalId: "pod-other", kind: "inference" } };
    scrape(aggregator, 0, 100);
    scrape(aggregator, 10, 150);
    scrape(aggregator, 20, 5000, other);
    scrape(aggregator, 30, 5010, other);
    const windows = aggregator.flush(T0_MS + MINUTE_MS).workWindows;
    expect(windows.map((window) => [window.jobExternalId, window.count])).toEqual([
      ["pod-chat", 50],
      ["pod-other", 10],
    ]);
  });

  it("hands on whole units, carrying the fractions of a spread to the series' next window", () => {
    const aggregator = new WorkWindowAggregator(MINUTE_MS);
    scrape(aggregator, 40, 0);
    scrape(aggregator, 70, 10); // 20 s of it before the boundary: 6.67 + 3.33
    scrape(aggregator, 130, 20); // 50 s + 10 s: 8.33 + 1.67
    const windows = aggregator.flush(T0_MS + 3 * MINUTE_MS).workWindows.map((window) => window.count);
    expect(windows.every(Number.isInteger)).toBe(true);
    expect(windows).toEqual([6, 12, 2]);
  });

  it("ignores readings that are not counts", () => {
    const aggregator = new WorkWindowAggregator(MINUTE_MS);
    scrape(aggregator, 0, 10);
    scrape(aggregator, 10, Number.NaN);
    scrape(aggregator, 20, -5);
    scrape(aggregator, 30, 20);
    expect(aggregator.flush(T0_MS + MINUTE_MS).workWindows.map((window) => window.count)).toEqual([10]);
  });
});

describe("WorkWindowAggregator with late readings", () => {
  it("counts a reading dated in a window already sent in the oldest window still open", () => {
    const aggregator = new WorkWindowAggregator(MINUTE_MS);
    aggregator.observe("file", { ...TOKENS, source: "report", unit: "samples" }, { atMs: T0_MS + 5_000, value: 0 });
    aggregator.flush(T0_MS + 2 * MINUTE_MS);
    aggregator.observe("file", { ...TOKENS, source: "report", unit: "samples" }, { atMs: T0_MS + 20_000, value: 64 });
    const windows = aggregator.flush(T0_MS + 3 * MINUTE_MS).workWindows;
    expect(windows.map((window) => [window.startMs, window.count])).toEqual([[T0_MS + 2 * MINUTE_MS, 64]]);
  });
});
