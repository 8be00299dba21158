import { describe, expect, it } from "vitest";
import { splitDailyAndHourly } from "../../../server/services/allocation-service";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const D0_MS = Date.UTC(2026, 10, 2);

describe("splitDailyAndHourly", () => {
  it("reads whole days inside one period from the daily rollup and the edges hourly", () => {
    const { dailyRanges, hourlyRanges } = splitDailyAndHourly([{ startMs: D0_MS + 13 * HOUR_MS, endMs: D0_MS + 3 * DAY_MS + 4 * HOUR_MS }]);
    expect(dailyRanges).toEqual([{ fromMs: D0_MS + DAY_MS, toMs: D0_MS + 3 * DAY_MS }]);
    expect(hourlyRanges).toEqual([
      { fromMs: D0_MS + 13 * HOUR_MS, toMs: D0_MS + DAY_MS },
      { fromMs: D0_MS + 3 * DAY_MS, toMs: D0_MS + 3 * DAY_MS + 4 * HOUR_MS },
    ]);
  });

  it("reads a day cut by a period boundary hourly, merging touching ranges", () => {
    const cut = D0_MS + DAY_MS + 6 * HOUR_MS;
    const { dailyRanges, hourlyRanges } = splitDailyAndHourly([
      { startMs: D0_MS, endMs: cut },
      { startMs: cut, endMs: D0_MS + 3 * DAY_MS },
    ]);
    expect(dailyRanges).toEqual([
      { fromMs: D0_MS, toMs: D0_MS + DAY_MS },
      { fromMs: D0_MS + 2 * DAY_MS, toMs: D0_MS + 3 * DAY_MS },
    ]);
    expect(hourlyRanges).toEqual([{ fromMs: D0_MS + DAY_MS, toMs: D0_MS + 2 * DAY_MS }]);
  });
});
