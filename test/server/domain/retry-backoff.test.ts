import { describe, expect, it } from "vitest";
import { backoffDelayMs } from "../../../server/domain/retry-backoff";

describe("backoffDelayMs", () => {
  const policy = { maxAttempts: 5, initialMs: 1_000, maxMs: 5_000, jitterRatio: 0 };

  it("doubles the pause after each failed attempt up to the maximum", () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelayMs(policy, attempt))).toEqual([1_000, 2_000, 4_000, 5_000]);
  });

  it("gives no pause once the last attempt has failed", () => {
    expect(backoffDelayMs(policy, 5)).toBeNull();
    expect(backoffDelayMs({ ...policy, maxAttempts: 1 }, 1)).toBeNull();
  });

  it("adds at most the jitter share at random", () => {
    const jittered = { ...policy, jitterRatio: 0.5 };
    expect(backoffDelayMs(jittered, 2, () => 0)).toBe(2_000);
    expect(backoffDelayMs(jittered, 2, () => 0.999)).toBe(2_999);
  });
});
