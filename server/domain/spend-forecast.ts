/**
 * Spend forecast over a daily cost history: a level with day-of-week factors
 * (multiplicative weekly seasonality) and a Normal 80 % interval. Pure: the
 * history, the horizon and the clock are arguments.
 *
 * The model, with y_t the cost of UTC day t and d(t) its weekday:
 *
 *   f_d   = mean(y_t : d(t) = d) / mean(y_t), over the last SEASON_WINDOW_DAYS
 *           (all 1 with under two weeks of history), scaled so that Σ f_d = 7;
 *   L     = mean(y_t / f_d(t)) over the last LEVEL_WINDOW_DAYS (the level per day);
 *   u_t   = y_t / f_d(t) - L, the deseasonalized residuals, σ² their variance (n - 1);
 *   ŷ_j   = a_j · L · f_d(j) for each future day j, a_j the share of day j still
 *           to come (1 for a whole day);
 *   S     = Σ ŷ_j, the forecast of the horizon's spend;
 *   Var S = σ² · Σ a_j f_d(j)²            (each future day's own noise)
 *         + (σ² / W) · (Σ a_j f_d(j))²     (the level is a mean of W days)
 *         + q² · Σ_i Σ_j w_i w_j (W/2 + min(i, j)), w_j = a_j f_d(j)
 *                                          (the level drifts as a random walk of
 *                                           daily variance q² from the middle of
 *                                           the days it averages);
 *   q²    = (Var(Δ weekly means) - 2 s²/7) / ((2·7² + 1) / (3·7)), s² the
 *           within-week variance, over the last SEASON_WINDOW_DAYS; 0 unless the
 *           weekly means vary more than DRIFT_EVIDENCE times what noise explains;
 *   80 %  = S ± 1.2816 · √Var S, the low end floored at 0.
 *
 * Leading days without spend are left out of the history (a scope that did not
 * exist yet is not a scope that spent nothing). The backtest (npm run bench --
 * forecast) measures its error and its interval's coverage on simulated and real
 * series: the interval widens where the level has been drifting; a sudden step
 * within the horizon is what no interval built from the past foresees.
 */
export const DAY_MS = 86_400_000;
export const LEVEL_WINDOW_DAYS = 28;
export const SEASON_WINDOW_DAYS = 56;
/** Seasonality needs every weekday seen twice. */
export const MIN_SEASON_DAYS = 14;
/** The standard Normal's 90th percentile: a two-sided 80 % interval. */
export const Z_80 = 1.2815515655446004;

export interface DailySpend {
  /** The UTC day's start (ms). */
  dayStartMs: number;
  cost: number;
}

export interface SpendModel {
  /** Deseasonalized cost per day. */
  levelCostPerDay: number;
  /** Indexed by UTC weekday (0 = Sunday), mean 1. */
  dayOfWeekFactors: number[];
  /** σ of the deseasonalized daily residuals. */
  residualSdPerDay: number;
  /** How many days the level averages (W). */
  levelDays: number;
  /** σ² of the level's day-to-day drift (a random walk), estimated from weekly means; 0 when it cannot be told from noise. */
  levelDriftVariancePerDay: number;
}

export interface ForecastDay {
  dayStartMs: number;
  /** Share of the day inside the horizon (the first day may be partly past). */
  fraction: number;
  cost: number;
}

export interface SpendForecast {
  days: ForecastDay[];
  cost: number;
  lowCost: number;
  highCost: number;
  /** After each day of the horizon: the spend forecast so far and its 80 % interval (the band a chart draws). */
  cumulative: CumulativeForecast[];
}

export interface CumulativeForecast {
  /** The end of the day (or of the horizon) the sums run to. */
  endMs: number;
  cost: number;
  lowCost: number;
  highCost: number;
}

const weekdayOf = (dayStartMs: number) => new Date(dayStartMs).getUTCDay();
const mean = (values: readonly number[]) => (values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length);

/** The history from its first day with spend, in day order. */
export function trimLeadingIdleDays(history: readonly DailySpend[]): DailySpend[] {
  const sorted = [...history].sort((a, b) => a.dayStartMs - b.dayStartMs);
  const first = sorted.findIndex((day) => day.cost > 0);
  return first < 0 ? [] : sorted.slice(first);
}

/** Step 1: day-of-week factors f_d over the last SEASON_WINDOW_DAYS; all 1 when history is short or empty of spend. */
export function dayOfWeekFactors(history: readonly DailySpend[]): number[] {
  const recent = history.slice(-SEASON_WINDOW_DAYS);
  const overall = mean(recent.map((day) => day.cost));
  if (recent.length < MIN_SEASON_DAYS || overall <= 0) return new Array(7).fill(1);
  const factors = Array.from({ length: 7 }, (_, weekday) => {
    const costs = recent.filter((day) => weekdayOf(day.dayStartMs) === weekday).map((day) => day.cost);
    return costs.length === 0 ? 1 : mean(costs) / overall;
  });
  const sum = factors.reduce((total, factor) => total + factor, 0);
  return sum > 0 ? factors.map((factor) => (factor * 7) / sum) : new Array(7).fill(1);
}

/** Steps 2 and 3: the level L and the residuals' σ over the last LEVEL_WINDOW_DAYS. */
export function fitSpendModel(history: readonly DailySpend[]): SpendModel {
  const trimmed = trimLeadingIdleDays(history);
  const factors = dayOfWeekFactors(trimmed);
  const recent = trimmed.slice(-LEVEL_WINDOW_DAYS);
  // A weekday whose factor is 0 (never any spend) says nothing about the level.
  const deseasonalized = recent.filter((day) => factors[weekdayOf(day.dayStartMs)] > 0).map((day) => day.cost / factors[weekdayOf(day.dayStartMs)]);
  const level = mean(deseasonalized);
  const variance =
    deseasonalized.length < 2 ? 0 : deseasonalized.reduce((sum, value) => sum + (value - level) ** 2, 0) / (deseasonalized.length - 1);
  return {
    levelCostPerDay: level,
    dayOfWeekFactors: factors,
    residualSdPerDay: Math.sqrt(variance),
    levelDays: Math.max(1, deseasonalized.length),
    levelDriftVariancePerDay: levelDriftVariance(trimmed.slice(-SEASON_WINDOW_DAYS), factors),
  };
}

export const DRIFT_EVIDENCE = 2;

/** How much more two adjacent weeks' means differ under a random-walk level of unit daily variance: (2·7² + 1) / (3·7). */
const WEEK_MEAN_DRIFT_FACTOR = (2 * 7 * 7 + 1) / (3 * 7);

/**
 * Step 3b: the level's drift q² per day. Weekly means of the deseasonalized
 * series differ by noise (2 s² / 7, s² the within-week variance) plus drift
 * (WEEK_MEAN_DRIFT_FACTOR · q²); q² is what is left, 0 when nothing is. Needs
 * three whole weeks.
 */
export function levelDriftVariance(history: readonly DailySpend[], factors: readonly number[]): number {
  const values = history.filter((day) => factors[weekdayOf(day.dayStartMs)] > 0).map((day) => day.cost / factors[weekdayOf(day.dayStartMs)]);
  const weeks: number[][] = [];
  for (let end = values.length; end - 7 >= 0; end -= 7) weeks.unshift(values.slice(end - 7, end));
  if (weeks.length < 3) return 0;
  const weekMeans = weeks.map(mean);
  const withinVariance = weeks.reduce((sum, week, index) => sum + week.reduce((inner, value) => inner + (value - weekMeans[index]) ** 2, 0), 0) / (weeks.length * 6);
  const differences = weekMeans.slice(1).map((value, index) => value - weekMeans[index]);
  const differenceVariance = mean(differences.map((difference) => difference * difference));
  const noiseVariance = (2 * withinVariance) / 7;
  // Weekly means of pure noise scatter too: drift is counted only when they vary
  // clearly more (DRIFT_EVIDENCE times) than noise alone would make them.
  if (differenceVariance <= DRIFT_EVIDENCE * noiseVariance) return 0;
  return (differenceVariance - noiseVariance) / WEEK_MEAN_DRIFT_FACTOR;
}

/** Step 4: the mean path over [fromMs, toMs), one entry per UTC day it touches. */
export function forecastDays(model: SpendModel, fromMs: number, toMs: number): ForecastDay[] {
  const days: ForecastDay[] = [];
  for (let dayStartMs = Math.floor(fromMs / DAY_MS) * DAY_MS; dayStartMs < toMs; dayStartMs += DAY_MS) {
    const fraction = (Math.min(toMs, dayStartMs + DAY_MS) - Math.max(fromMs, dayStartMs)) / DAY_MS;
    if (fraction <= 0) continue;
    days.push({ dayStartMs, fraction, cost: fraction * model.levelCostPerDay * model.dayOfWeekFactors[weekdayOf(dayStartMs)] });
  }
  return days;
}

/** Step 5: the horizon's total and its 80 % interval (formula above). */
export function forecastInterval(model: SpendModel, days: readonly ForecastDay[]): { cost: number; lowCost: number; highCost: number } {
  const cost = days.reduce((sum, day) => sum + day.cost, 0);
  let ownNoise = 0;
  let levelWeight = 0;
  for (const day of days) {
    const factor = model.dayOfWeekFactors[weekdayOf(day.dayStartMs)];
    ownNoise += day.fraction * factor * factor;
    levelWeight += day.fraction * factor;
  }
  // The level may drift from the middle of the days it averages: day j's level
  // is off by the drift of (W/2 + j) days, and two days share the drift up to the earlier one.
  let drift = 0;
  if (model.levelDriftVariancePerDay > 0) {
    const lagDays = model.levelDays / 2;
    const weights = days.map((day) => day.fraction * model.dayOfWeekFactors[weekdayOf(day.dayStartMs)]);
    let weightAfter = weights.reduce((sum, weight) => sum + weight, 0);
    // Σ_i Σ_j w_i w_j (lag + min(i, j)) = lag (Σ w)² + Σ_k (Σ_{j ≥ k} w_j)², k = 1..H.
    drift = lagDays * weightAfter * weightAfter;
    for (const weight of weights) {
      drift += weightAfter * weightAfter;
      weightAfter -= weight;
    }
    drift *= model.levelDriftVariancePerDay;
  }
  const variance = model.residualSdPerDay ** 2 * (ownNoise + (levelWeight * levelWeight) / model.levelDays) + drift;
  const halfWidth = Z_80 * Math.sqrt(variance);
  return { cost, lowCost: Math.max(0, cost - halfWidth), highCost: cost + halfWidth };
}

/** Spend expected over [fromMs, toMs) from the daily history before fromMs. */
export function forecastSpend(history: readonly DailySpend[], fromMs: number, toMs: number): SpendForecast {
  const model = fitSpendModel(history);
  const days = forecastDays(model, fromMs, toMs);
  const cumulative = days.map((day, index) => ({ endMs: Math.min(toMs, day.dayStartMs + DAY_MS), ...forecastInterval(model, days.slice(0, index + 1)) }));
  return { days, cumulative, ...forecastInterval(model, days) };
}

export interface PeriodForecast {
  /** actual + the forecast of the rest of the period. */
  forecastCost: number;
  forecastLowCost: number;
  forecastHighCost: number;
  /** The rest of the period, day by day (mean path). */
  days: ForecastDay[];
  /** Spend since the period's start after each remaining day, with its 80 % interval. */
  cumulative: CumulativeForecast[];
}

/**
 * A budget period's expected spend at its end: what was spent up to
 * actualEndMs, plus the forecast of [actualEndMs, periodEndMs) from the daily
 * history of whole days before it.
 */
export function forecastPeriodEnd(input: { history: readonly DailySpend[]; actualCost: number; actualEndMs: number; periodEndMs: number }): PeriodForecast {
  const rest = forecastSpend(input.history, input.actualEndMs, input.periodEndMs);
  return {
    forecastCost: input.actualCost + rest.cost,
    forecastLowCost: input.actualCost + rest.lowCost,
    forecastHighCost: input.actualCost + rest.highCost,
    days: rest.days,
    cumulative: rest.cumulative.map((point) => ({
      endMs: point.endMs,
      cost: input.actualCost + point.cost,
      lowCost: input.actualCost + point.lowCost,
      highCost: input.actualCost + point.highCost,
    })),
  };
}
