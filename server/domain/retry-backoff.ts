/**
 * Exponential backoff between delivery attempts, pure: the caller sleeps. Doubling
 * from `initialMs` up to `maxMs`, with up to `jitterRatio` of each pause added at
 * random so that several senders retrying a recovering receiver spread out.
 */
export interface BackoffPolicy {
  /** Attempts in all, the first included (1 = no retry). */
  maxAttempts: number;
  initialMs: number;
  maxMs: number;
  /** 0..1: share of each pause added at random (0 = exact doubling). */
  jitterRatio: number;
}

export const DEFAULT_DELIVERY_BACKOFF: BackoffPolicy = { maxAttempts: 4, initialMs: 1_000, maxMs: 15_000, jitterRatio: 0.2 };

/**
 * The pause (ms) after failed attempt number `attempt` (1-based) before the next
 * one; null when no attempt is left. `random` returns [0, 1).
 */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number | null {
  if (attempt >= policy.maxAttempts) return null;
  const baseMs = Math.min(policy.initialMs * 2 ** (attempt - 1), policy.maxMs);
  return Math.round(baseMs * (1 + policy.jitterRatio * random()));
}
