/**
 * A token bucket, pure: the caller keeps the state and passes the time (epoch ms).
 * A bucket holds up to `capacity` requests and refills at `refillPerMinute`;
 * a request takes one token or is refused with the wait until one is back.
 */

export interface TokenBucketConfig {
  /** Most requests in a burst. */
  capacity: number;
  /** Requests per minute sustained. */
  refillPerMinute: number;
}

export interface TokenBucketState {
  tokens: number;
  updatedAtMs: number;
}

export interface TokenBucketDecision {
  allowed: boolean;
  state: TokenBucketState;
  /** When refused: ms until a token is back (0 when allowed). */
  retryAfterMs: number;
}

const MINUTE_MS = 60_000;

export function takeToken(state: TokenBucketState | undefined, nowMs: number, config: TokenBucketConfig): TokenBucketDecision {
  const refillPerMs = config.refillPerMinute / MINUTE_MS;
  // A clock that steps back refills nothing rather than draining the bucket.
  const elapsedMs = state ? Math.max(0, nowMs - state.updatedAtMs) : 0;
  const tokens = state ? Math.min(config.capacity, state.tokens + elapsedMs * refillPerMs) : config.capacity;
  if (tokens >= 1) return { allowed: true, state: { tokens: tokens - 1, updatedAtMs: nowMs }, retryAfterMs: 0 };
  return { allowed: false, state: { tokens, updatedAtMs: nowMs }, retryAfterMs: Math.ceil((1 - tokens) / refillPerMs) };
}

/** Whether a bucket left alone until `nowMs` would be full again (and can be forgotten). */
export function isFull(state: TokenBucketState, nowMs: number, config: TokenBucketConfig): boolean {
  return state.tokens + Math.max(0, nowMs - state.updatedAtMs) * (config.refillPerMinute / MINUTE_MS) >= config.capacity;
}
