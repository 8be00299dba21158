import { describe, expect, it } from "vitest";
import { lifetimeHoursInWindow, reportedHoursScale } from "../../../server/domain/gpu-lifetime";

const HOUR_MS = 3_600_000;
const T0_MS = Date.UTC(2026, 10, 2, 0, 0, 0);

describe("lifetimeHoursInWindow", () => {
  it("counts the hours from the first report's hour to the end of the last report's hour, inside the window", () => {
    const gpu = { firstSeenMs: T0_MS + 10 * 60_000, lastSeenMs: T0_MS + 2 * HOUR_MS + 60_000 };
    expect(lifetimeHoursInWindow(gpu, { startMs: T0_MS - HOUR_MS, endMs: T0_MS + 10 * HOUR_MS })).toBe(3);
    expect(lifetimeHoursInWindow(gpu, { startMs: T0_MS + HOUR_MS, endMs: T0_MS + 2 * HOUR_MS })).toBe(1);
    expect(lifetimeHoursInWindow(gpu, { startMs: T0_MS + 5 * HOUR_MS, endMs: T0_MS + 6 * HOUR_MS })).toBe(0);
  });
});

describe("reportedHoursScale", () => {
  it("leaves hours within the lifetime alone and scales more down to it", () => {
    expect(reportedHoursScale(2, 3)).toBe(1);
    expect(reportedHoursScale(12, 3)).toBe(0.25);
    expect(reportedHoursScale(1, 0)).toBe(0);
  });
});
