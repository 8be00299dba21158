import { describe, expect, it } from "vitest";
import { DAY_MS, judgeDailySpend, median, scaledMad, WEEK_MS } from "../../../server/domain/spend-baseline";

// Wednesday 2026-11-25, 00:00 UTC.
const DAY = Date.UTC(2026, 10, 25);
const OPTIONS = { weeks: 4, thresholdMads: 3, minIncreasePct: 20, minHistoryDays: 3, minDailyCost: 0 };

/** Spend on the same weekday of the last four weeks (oldest first), then on DAY; other days are noise. */
function series(history: number[], today: number): Map<number, number> {
  const days = new Map<number, number>();
  history.forEach((spend, index) => days.set(DAY - (history.length - index) * WEEK_MS, spend));
  days.set(DAY, today);
  // The day before: another weekday, must not count.
  days.set(DAY - DAY_MS, 1_000_000);
  return days;
}

describe("median", () => {
  it("takes the middle value, or the mean of the two middle ones", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe("scaledMad", () => {
  it("is 1.4826 times the median absolute deviation", () => {
    // Deviations from 100: 10, 0, 10, 30 -> median 10.
    expect(scaledMad([90, 100, 110, 130], 100)).toBeCloseTo(14.826, 6);
  });
});

describe("judgeDailySpend", () => {
  it("compares a day with the same weekday of the previous weeks, by median and MAD", () => {
    const judgement = judgeDailySpend(series([100, 110, 90, 130], 200), DAY, OPTIONS)!;
    expect(judgement.history).toEqual([100, 110, 90, 130]);
    expect(judgement.median).toBe(105);
    // |h - 105| = 5, 5, 15, 25 -> MAD 10 -> spread 14.826; 3 x 14.826 > 20 % x 105.
    expect(judgement.spread).toBeCloseTo(14.826, 6);
    expect(judgement.upper).toBeCloseTo(105 + 3 * 14.826, 6);
    expect(judgement.anomalous).toBe(true);
  });

  it("does not flag a day within the usual spread", () => {
    expect(judgeDailySpend(series([100, 110, 90, 130], 140), DAY, OPTIONS)!.anomalous).toBe(false);
  });

  it("is not moved by one past spike, as a mean and standard deviation would be", () => {
    // A 5,000 spike three weeks ago: the median stays 100, so 300 is still anomalous.
    const judgement = judgeDailySpend(series([100, 5_000, 100, 100], 300), DAY, OPTIONS)!;
    expect(judgement.median).toBe(100);
    expect(judgement.anomalous).toBe(true);
  });

  it("needs a minimum relative increase when the history is perfectly regular (MAD 0)", () => {
    expect(judgeDailySpend(series([100, 100, 100, 100], 119), DAY, OPTIONS)!.anomalous).toBe(false);
    expect(judgeDailySpend(series([100, 100, 100, 100], 121), DAY, OPTIONS)!.anomalous).toBe(true);
  });

  it("does not judge a day without enough history, and ignores days under the minimum cost", () => {
    expect(judgeDailySpend(series([0, 0, 100, 100], 900), DAY, OPTIONS)).toBeNull();
    expect(judgeDailySpend(series([10, 10, 10, 10], 90), DAY, { ...OPTIONS, minDailyCost: 100 })!.anomalous).toBe(false);
  });
});
