/**
 * A robust seasonal baseline of daily spend, pure. Spend follows the week (less on
 * weekends), so a day is compared with the same weekday of the weeks before it, and
 * with the median and the median absolute deviation (MAD) of those days rather than
 * their mean and standard deviation, which one earlier spike would inflate.
 *
 *   history  = spend on the same weekday in each of the previous `weeks` weeks
 *              (a day without spend counts 0)
 *   median   = median(history)
 *   spread   = 1.4826 x median(|h - median|)   (the MAD, scaled to a standard
 *              deviation for normally distributed spend)
 *   upper    = median + max(thresholdMads x spread, minIncreasePct % x median)
 *   anomalous when spend > upper, and spend >= minDailyCost
 *
 * The minimum relative increase keeps a perfectly regular history (MAD 0) from
 * flagging a cent more than usual. Days with too little history (fewer than
 * `minHistoryDays` of the previous weeks with spend) are not judged.
 */
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

/** Scales the MAD to the standard deviation of a normal distribution. */
export const MAD_TO_SIGMA = 1.4826;

export interface SpendBaselineOptions {
  weeks: number;
  thresholdMads: number;
  minIncreasePct: number;
  minHistoryDays: number;
  minDailyCost: number;
}

export interface SpendJudgement {
  dayStartMs: number;
  spend: number;
  /** The same weekday's spend in the previous weeks, oldest first. */
  history: number[];
  median: number;
  /** 1.4826 x MAD. */
  spread: number;
  upper: number;
  anomalous: boolean;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Scaled median absolute deviation around `center`. */
export function scaledMad(values: readonly number[], center: number): number {
  return MAD_TO_SIGMA * median(values.map((value) => Math.abs(value - center)));
}

/**
 * Judges the spend of the UTC day starting at `dayStartMs` against its seasonal
 * baseline, from `spendByDayMs` (UTC day start → spend). null when the history is
 * too short to judge.
 */
export function judgeDailySpend(spendByDayMs: ReadonlyMap<number, number>, dayStartMs: number, options: SpendBaselineOptions): SpendJudgement | null {
  const history: number[] = [];
  for (let week = options.weeks; week >= 1; week--) history.push(spendByDayMs.get(dayStartMs - week * WEEK_MS) ?? 0);
  if (history.filter((spend) => spend > 0).length < options.minHistoryDays) return null;
  const spend = spendByDayMs.get(dayStartMs) ?? 0;
  const center = median(history);
  const spread = scaledMad(history, center);
  const upper = center + Math.max(options.thresholdMads * spread, (options.minIncreasePct / 100) * center);
  return { dayStartMs, spend, history, median: center, spread, upper, anomalous: spend > upper && spend >= options.minDailyCost };
}
