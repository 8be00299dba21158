import { describe, expect, it } from "vitest";
import { IDLE_RUN_STATUS, singleFlight, trackRuns, type RecommendationRunner } from "../../../server/services/recommendation-runner";

const NOW_MS = Date.UTC(2026, 10, 4, 12);

describe("trackRuns", () => {
  it("reports the steps of the run in progress, then its end", async () => {
    let finish: () => void = () => {};
    const runner: RecommendationRunner = (request) =>
      new Promise((resolve) => {
        request.onProgress?.("loading 14 days of usage");
        request.onProgress?.("planning 3 workloads on 2 nodes");
        finish = () => resolve([]);
      });
    let clockMs = NOW_MS;
    const tracked = trackRuns(runner, () => clockMs);
    expect(tracked.status()).toEqual(IDLE_RUN_STATUS);
    const seen: string[] = [];
    const running = tracked.run({ nowMs: NOW_MS, onProgress: (step) => seen.push(step) });
    expect(tracked.status()).toEqual({ running: true, startedAtMs: NOW_MS, finishedAtMs: null, steps: ["loading 14 days of usage", "planning 3 workloads on 2 nodes"], error: null });
    expect(seen).toEqual(["loading 14 days of usage", "planning 3 workloads on 2 nodes"]);
    clockMs = NOW_MS + 5_000;
    finish();
    await running;
    expect(tracked.status()).toMatchObject({ running: false, startedAtMs: NOW_MS, finishedAtMs: NOW_MS + 5_000, error: null });
  });

  it("keeps a failed run's message, and leaves the running one's status alone when a second is refused", async () => {
    const failing = trackRuns(() => Promise.reject(new Error("fleet plan: workloads[0].gpuModel: no node")), () => NOW_MS);
    await expect(failing.run({ nowMs: NOW_MS })).rejects.toThrow("no node");
    expect(failing.status()).toMatchObject({ running: false, error: "fleet plan: workloads[0].gpuModel: no node" });

    let finish: () => void = () => {};
    const tracked = trackRuns(singleFlight(() => new Promise((resolve) => (finish = () => resolve([]))), () => NOW_MS), () => NOW_MS);
    const first = tracked.run({ nowMs: NOW_MS });
    await expect(tracked.run({ nowMs: NOW_MS })).rejects.toMatchObject({ status: 409 });
    expect(tracked.status().running).toBe(true);
    finish();
    await first;
  });
});
