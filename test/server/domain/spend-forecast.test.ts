import { describe, expect, it } from "vitest";
import {
  DAY_MS,
  dayOfWeekFactors,
  fitSpendModel,
  levelDriftVariance,
  forecastPeriodEnd,
  forecastSpend,
  trimLeadingIdleDays,
  type DailySpend,
} from "../../../server/domain/spend-forecast";

// Monday 2026-09-07 00:00 UTC: 8 whole weeks before it start on a Monday too.
const MONDAY_MS = Date.UTC(2026, 8, 7);
// Weekdays (Sunday first) of a team that trains on weekdays and idles at weekends.
const WEEKLY = [0.4, 1.2, 1.2, 1.2, 1.2, 1.2, 0.6];

function seasonalHistory(days: number, levelPerDay: number, noise: (index: number) => number = () => 0): DailySpend[] {
  const firstDayMs = MONDAY_MS - days * DAY_MS;
  return Array.from({ length: days }, (_, index) => {
    const dayStartMs = firstDayMs + index * DAY_MS;
    return { dayStartMs, cost: levelPerDay * WEEKLY[new Date(dayStartMs).getUTCDay()] + noise(index) };
  });
}

/** A seeded generator (mulberry32) and Box-Muller Normal draws: repeatable noise. */
function normalDraws(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

describe("dayOfWeekFactors", () => {
  it("recovers the weekly shape of a noiseless series, scaled to a mean of 1", () => {
    const factors = dayOfWeekFactors(seasonalHistory(56, 100));
    const shape = WEEKLY.map((value) => (value * 7) / WEEKLY.reduce((a, b) => a + b, 0));
    factors.forEach((factor, weekday) => expect(factor).toBeCloseTo(shape[weekday], 9));
  });

  it("stays flat with under two weeks of history", () => {
    expect(dayOfWeekFactors(seasonalHistory(13, 100))).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });
});

describe("levelDriftVariance", () => {
  const flat = [1, 1, 1, 1, 1, 1, 1];
  it("finds no drift in a steady level with noise, and drift in a level that wanders", () => {
    const draw = normalDraws(3);
    expect(levelDriftVariance(seasonalHistory(56, 100, () => 5 * draw()).map((day) => ({ ...day, cost: 100 + 5 * draw() })), flat)).toBe(0);
    let level = 100;
    const wandering = seasonalHistory(56, 100).map((day) => ({ ...day, cost: (level += 4 * draw()) + draw() }));
    // Drift of σ = 4 a day: q² near 16.
    expect(levelDriftVariance(wandering, flat)).toBeGreaterThan(4);
    expect(levelDriftVariance(wandering, flat)).toBeLessThan(64);
  });

  it("needs three whole weeks", () => {
    expect(levelDriftVariance(seasonalHistory(20, 100, (index) => index * 50), flat)).toBe(0);
  });
});

describe("trimLeadingIdleDays", () => {
  it("drops the days before a scope first spent, and keeps later idle days", () => {
    const history = [
      { dayStartMs: 3 * DAY_MS, cost: 0 },
      { dayStartMs: 1 * DAY_MS, cost: 0 },
      { dayStartMs: 2 * DAY_MS, cost: 5 },
      { dayStartMs: 4 * DAY_MS, cost: 7 },
    ];
    expect(trimLeadingIdleDays(history).map((day) => day.dayStartMs)).toEqual([2 * DAY_MS, 3 * DAY_MS, 4 * DAY_MS]);
  });
});

describe("forecastSpend", () => {
  it("follows the weekly pattern exactly, with no interval, on a noiseless seasonal series", () => {
    const forecast = forecastSpend(seasonalHistory(56, 100), MONDAY_MS, MONDAY_MS + 7 * DAY_MS);
    // Mon..Sun of the coming week: 120 x 5, 60, 40.
    expect(forecast.days.map((day) => Number(day.cost.toFixed(6)))).toEqual([120, 120, 120, 120, 120, 60, 40]);
    expect(forecast.cost).toBeCloseTo(700, 6);
    expect(forecast.highCost - forecast.lowCost).toBeCloseTo(0, 6);
  });

  it("prices a part-past first day by the share still to come", () => {
    const forecast = forecastSpend(seasonalHistory(56, 100), MONDAY_MS + 18 * 3_600_000, MONDAY_MS + 2 * DAY_MS);
    expect(forecast.days.map((day) => [day.fraction, Number(day.cost.toFixed(6))])).toEqual([
      [0.25, 30],
      [1, 120],
    ]);
  });

  it("forecasts nothing for a scope that never spent", () => {
    expect(forecastSpend([{ dayStartMs: 0, cost: 0 }], MONDAY_MS, MONDAY_MS + 3 * DAY_MS)).toMatchObject({ cost: 0, lowCost: 0, highCost: 0 });
  });

  it("widens the interval with the noise and with the horizon", () => {
    const draw = normalDraws(7);
    const noisy = seasonalHistory(56, 100, () => 10 * draw());
    const week = forecastSpend(noisy, MONDAY_MS, MONDAY_MS + 7 * DAY_MS);
    const month = forecastSpend(noisy, MONDAY_MS, MONDAY_MS + 28 * DAY_MS);
    expect(week.highCost - week.lowCost).toBeGreaterThan(0);
    expect(month.highCost - month.lowCost).toBeGreaterThan(2 * (week.highCost - week.lowCost));
    expect(fitSpendModel(noisy).residualSdPerDay).toBeGreaterThan(5);
  });

  it("holds the realized spend inside its 80 % interval about 80 % of the time on seasonal noise", () => {
    // 600 independent histories and futures drawn around the same seasonal mean path.
    let inside = 0;
    const trials = 600;
    for (let trial = 0; trial < trials; trial++) {
      const draw = normalDraws(1000 + trial);
      const all = seasonalHistory(56 + 21, 100, () => 12 * draw());
      // Move the last 21 days to the future: they start on MONDAY_MS.
      const history = all.slice(0, 56).map((day) => ({ ...day, dayStartMs: day.dayStartMs - 21 * DAY_MS }));
      const future = all.slice(56).map((day) => ({ ...day, dayStartMs: day.dayStartMs - 21 * DAY_MS }));
      const horizonStartMs = future[0].dayStartMs;
      const forecast = forecastSpend(history, horizonStartMs, horizonStartMs + 21 * DAY_MS);
      const realized = future.reduce((sum, day) => sum + day.cost, 0);
      if (realized >= forecast.lowCost && realized <= forecast.highCost) inside++;
    }
    const coverage = inside / trials;
    expect(coverage).toBeGreaterThan(0.74);
    expect(coverage).toBeLessThan(0.88);
  });
});

describe("forecastPeriodEnd", () => {
  it("adds the forecast of the rest of the period to the actual spend", () => {
    const result = forecastPeriodEnd({ history: seasonalHistory(56, 100), actualCost: 250, actualEndMs: MONDAY_MS, periodEndMs: MONDAY_MS + 3 * DAY_MS });
    expect(result.forecastCost).toBeCloseTo(250 + 360, 6);
    expect(result.forecastLowCost).toBeCloseTo(610, 6);
    expect(result.forecastHighCost).toBeCloseTo(610, 6);
    expect(result.cumulative.map((point) => [point.endMs, Number(point.cost.toFixed(6))])).toEqual([
      [MONDAY_MS + DAY_MS, 370],
      [MONDAY_MS + 2 * DAY_MS, 490],
      [MONDAY_MS + 3 * DAY_MS, 610],
    ]);
  });

  it("draws a band that widens day by day and ends at the period's interval", () => {
    const draw = normalDraws(11);
    const result = forecastPeriodEnd({ history: seasonalHistory(56, 100, () => 10 * draw()), actualCost: 250, actualEndMs: MONDAY_MS, periodEndMs: MONDAY_MS + 10 * DAY_MS });
    const widths = result.cumulative.map((point) => point.highCost - point.lowCost);
    widths.slice(1).forEach((width, index) => expect(width).toBeGreaterThan(widths[index]));
    expect(result.cumulative.at(-1)).toMatchObject({ cost: expect.closeTo(result.forecastCost, 9), lowCost: expect.closeTo(result.forecastLowCost, 9), highCost: expect.closeTo(result.forecastHighCost, 9) });
  });
});
