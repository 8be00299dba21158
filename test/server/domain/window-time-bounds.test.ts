import { describe, expect, it } from "vitest";
import { windowTimeIssues } from "../../../server/domain/window-time-bounds";

const NOW_MS = Date.UTC(2026, 10, 27, 12, 0, 0);
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const BOUNDS = { futureToleranceMs: 5 * MINUTE_MS, maxAgeMs: 14 * DAY_MS };
const at = (startMs: number) => ({ startMs, endMs: startMs + MINUTE_MS });

describe("windowTimeIssues", () => {
  it("accepts windows from the oldest start up to an end at now plus the tolerance", () => {
    const batch = { gpuWindows: [at(NOW_MS - 14 * DAY_MS), at(NOW_MS + 4 * MINUTE_MS)], jobWindows: [at(NOW_MS - MINUTE_MS)] };
    expect(windowTimeIssues(batch, NOW_MS, BOUNDS)).toEqual([]);
  });

  it("names each window that ends past the tolerance, with its list and index", () => {
    const batch = { gpuWindows: [at(NOW_MS - MINUTE_MS), at(NOW_MS + 4 * MINUTE_MS + 1)], jobWindows: [at(NOW_MS + DAY_MS)] };
    const issues = windowTimeIssues(batch, NOW_MS, BOUNDS);
    expect(issues.map(({ field, kind, reason }) => ({ field, kind, reason }))).toEqual([
      { field: "gpuWindows[1].endMs", kind: "gpu", reason: "clock_skew_future" },
      { field: "jobWindows[0].endMs", kind: "job", reason: "clock_skew_future" },
    ]);
    expect(issues[0].message).toBe(
      "gpuWindows[1].endMs: 2026-11-27T12:05:00.001Z is 5.0 min after the server's clock (2026-11-27T12:00:00.000Z); windows may end at most 5.0 min ahead: check the node's clock (NTP)",
    );
    expect(issues[1].message).toContain("24.0 hours after the server's clock");
  });

  it("names each window that starts before now minus the maximum age", () => {
    const batch = { gpuWindows: [at(NOW_MS - 14 * DAY_MS - 1)], jobWindows: [at(NOW_MS - 400 * DAY_MS), at(NOW_MS - DAY_MS)] };
    const issues = windowTimeIssues(batch, NOW_MS, BOUNDS);
    expect(issues.map(({ field, reason }) => `${field} ${reason}`)).toEqual(["gpuWindows[0].startMs too_old", "jobWindows[0].startMs too_old"]);
    expect(issues[0].message).toBe(
      "gpuWindows[0].startMs: 2026-11-13T11:59:59.999Z is older than the oldest accepted start 2026-11-13T12:00:00.000Z (14.0 days before the server's clock)",
    );
  });

  it("reports a window at epoch zero and one at the largest safe integer without failing", () => {
    const batch = { gpuWindows: [at(0), { startMs: Number.MAX_SAFE_INTEGER - 1, endMs: Number.MAX_SAFE_INTEGER }], jobWindows: [] };
    const issues = windowTimeIssues(batch, NOW_MS, BOUNDS);
    expect(issues.map((issue) => issue.reason)).toEqual(["too_old", "clock_skew_future"]);
    expect(issues[1].message).toContain(String(Number.MAX_SAFE_INTEGER));
  });
});
