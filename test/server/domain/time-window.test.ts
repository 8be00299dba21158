import { describe, expect, it } from "vitest";
import { chooseBucketMs, resolveTimeWindow, TimeWindowError } from "../../../server/domain/time-window";

const NOW_MS = Date.UTC(2026, 10, 27, 15, 30, 0); // Friday 2026-11-27 15:30 UTC
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

describe("resolveTimeWindow", () => {
  it("resolves relative windows ending now", () => {
    expect(resolveTimeWindow("24h", NOW_MS)).toEqual({ startMs: NOW_MS - DAY_MS, endMs: NOW_MS });
    expect(resolveTimeWindow("7d", NOW_MS)).toEqual({ startMs: NOW_MS - 7 * DAY_MS, endMs: NOW_MS });
  });

  it("resolves calendar windows in UTC", () => {
    expect(resolveTimeWindow("today", NOW_MS)).toEqual({ startMs: Date.UTC(2026, 10, 27), endMs: NOW_MS });
    expect(resolveTimeWindow("yesterday", NOW_MS)).toEqual({ startMs: Date.UTC(2026, 10, 26), endMs: Date.UTC(2026, 10, 27) });
    expect(resolveTimeWindow("week", NOW_MS)).toEqual({ startMs: Date.UTC(2026, 10, 23), endMs: NOW_MS }); // Monday
    expect(resolveTimeWindow("month", NOW_MS)).toEqual({ startMs: Date.UTC(2026, 10, 1), endMs: NOW_MS });
    expect(resolveTimeWindow("lastmonth", NOW_MS)).toEqual({ startMs: Date.UTC(2026, 9, 1), endMs: Date.UTC(2026, 10, 1) });
  });

  it("resolves an RFC 3339 START,END pair", () => {
    expect(resolveTimeWindow("2026-11-01T00:00:00Z,2026-11-02T12:00:00+02:00", NOW_MS)).toEqual({
      startMs: Date.UTC(2026, 10, 1),
      endMs: Date.UTC(2026, 10, 2, 10),
    });
  });

  it("ends a START,END window at now when its END is in the future, as 24h and today do", () => {
    expect(resolveTimeWindow("2026-11-27T13:00:00Z,2026-11-27T18:00:00Z", NOW_MS)).toEqual({ startMs: Date.UTC(2026, 10, 27, 13), endMs: NOW_MS });
    expect(resolveTimeWindow("2026-11-27T13:00:00Z,2099-01-01T00:00:00Z", NOW_MS)).toEqual({ startMs: Date.UTC(2026, 10, 27, 13), endMs: NOW_MS });
    // An END exactly at now, or before it, is kept.
    expect(resolveTimeWindow("2026-11-27T13:00:00Z,2026-11-27T15:30:00Z", NOW_MS).endMs).toBe(NOW_MS);
    expect(resolveTimeWindow("2026-11-27T13:00:00Z,2026-11-27T15:00:00Z", NOW_MS).endMs).toBe(Date.UTC(2026, 10, 27, 15));
  });

  it("keeps a START inside the current hour (the whole-hour cut makes the window empty downstream)", () => {
    expect(resolveTimeWindow("2026-11-27T15:10:00Z,2026-11-27T20:00:00Z", NOW_MS)).toEqual({ startMs: Date.UTC(2026, 10, 27, 15, 10), endMs: NOW_MS });
  });

  it("rejects a START at or after now, naming the window", () => {
    expect(() => resolveTimeWindow("2026-11-27T15:30:00Z,2026-11-27T20:00:00Z", NOW_MS)).toThrow(TimeWindowError);
    expect(() => resolveTimeWindow("2026-11-27T16:00:00Z,2026-11-27T20:00:00Z", NOW_MS)).toThrow(
      /^window: "2026-11-27T16:00:00Z,2026-11-27T20:00:00Z" starts at 2026-11-27T16:00:00.000Z, not before now \(2026-11-27T15:30:00.000Z\)/,
    );
  });

  it("rejects unknown, empty and over-long windows with a message naming the window", () => {
    expect(() => resolveTimeWindow("fortnight", NOW_MS)).toThrow(TimeWindowError);
    expect(() => resolveTimeWindow("fortnight", NOW_MS)).toThrow(/^window: "fortnight"/);
    expect(() => resolveTimeWindow("2026-11-02T00:00:00Z,2026-11-01T00:00:00Z", NOW_MS)).toThrow(/empty/);
    expect(() => resolveTimeWindow("2026-11-01,2026-11-02", NOW_MS)).toThrow(/RFC 3339/);
    expect(() => resolveTimeWindow("1000d", NOW_MS)).toThrow(/longer than 400 days/);
  });
});

describe("chooseBucketMs", () => {
  it("keeps a series at or under 200 points with the smallest bucket that does", () => {
    expect(chooseBucketMs({ startMs: 0, endMs: DAY_MS })).toBe(15 * 60_000);
    expect(chooseBucketMs({ startMs: 0, endMs: 7 * DAY_MS })).toBe(HOUR_MS);
    expect(chooseBucketMs({ startMs: 0, endMs: 30 * DAY_MS })).toBe(6 * HOUR_MS);
    expect(chooseBucketMs({ startMs: 0, endMs: 2 * HOUR_MS })).toBe(60_000);
  });
});
