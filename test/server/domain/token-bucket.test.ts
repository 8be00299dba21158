import { describe, expect, it } from "vitest";
import { isFull, takeToken, type TokenBucketState } from "../../../server/domain/token-bucket";

const T0_MS = Date.UTC(2026, 10, 27, 12, 0, 0);
const CONFIG = { capacity: 3, refillPerMinute: 6 }; // a token every 10 s

describe("takeToken", () => {
  it("allows a burst of `capacity` requests, then refuses with the wait until the next token", () => {
    let state: TokenBucketState | undefined;
    const allowed: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const decision = takeToken(state, T0_MS, CONFIG);
      allowed.push(decision.allowed);
      state = decision.state;
    }
    expect(allowed).toEqual([true, true, true, false]);
    expect(takeToken(state, T0_MS, CONFIG).retryAfterMs).toBe(10_000);
    expect(takeToken(state, T0_MS + 4_000, CONFIG).retryAfterMs).toBe(6_000);
  });

  it("refills at the rate, never above capacity", () => {
    const empty = { tokens: 0, updatedAtMs: T0_MS };
    expect(takeToken(empty, T0_MS + 9_999, CONFIG).allowed).toBe(false);
    expect(takeToken(empty, T0_MS + 10_000, CONFIG)).toEqual({ allowed: true, state: { tokens: 0, updatedAtMs: T0_MS + 10_000 }, retryAfterMs: 0 });
    expect(takeToken(empty, T0_MS + 3_600_000, CONFIG).state.tokens).toBe(2);
  });

  it("refills nothing when the clock steps back", () => {
    const empty = { tokens: 0, updatedAtMs: T0_MS };
    expect(takeToken(empty, T0_MS - 60_000, CONFIG).allowed).toBe(false);
  });
});

describe("isFull", () => {
  it("says when a bucket has refilled to capacity", () => {
    expect(isFull({ tokens: 0, updatedAtMs: T0_MS }, T0_MS + 29_999, CONFIG)).toBe(false);
    expect(isFull({ tokens: 0, updatedAtMs: T0_MS }, T0_MS + 30_000, CONFIG)).toBe(true);
  });
});
