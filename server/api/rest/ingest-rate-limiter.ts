import { isFull, takeToken, type TokenBucketConfig, type TokenBucketState } from "../../domain/token-bucket";

/**
 * Default ingest requests per minute per node token. A collector sends one batch
 * a minute (and retries a failed one a few times); draining a spool after an
 * outage is the only time it sends faster, and the limit then paces it.
 */
export const DEFAULT_INGEST_RATE_PER_MINUTE = 120;

/** Buckets kept before full ones are forgotten. */
const PRUNE_ABOVE = 10_000;

/**
 * Per-token request limits for ingest, in this process's memory: with several
 * replicas each counts its own requests, so a token may send up to the limit to
 * each replica.
 */
export class IngestRateLimiter {
  private readonly buckets = new Map<number, TokenBucketState>();
  readonly config: TokenBucketConfig;

  constructor(readonly ratePerMinute: number) {
    this.config = { capacity: ratePerMinute, refillPerMinute: ratePerMinute };
  }

  /** Takes one request for the token `tokenId`; when refused, the whole seconds to wait. */
  take(tokenId: number, nowMs: number): { allowed: true } | { allowed: false; retryAfterS: number } {
    const decision = takeToken(this.buckets.get(tokenId), nowMs, this.config);
    this.buckets.set(tokenId, decision.state);
    if (this.buckets.size > PRUNE_ABOVE) {
      for (const [id, state] of this.buckets) if (isFull(state, nowMs, this.config)) this.buckets.delete(id);
    }
    return decision.allowed ? { allowed: true } : { allowed: false, retryAfterS: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)) };
  }

  get trackedTokens(): number {
    return this.buckets.size;
  }
}

/** GPU_ROI_INGEST_RATE_PER_MINUTE: requests per minute per node token (default 120); 0 turns the limit off. */
export function ingestRateLimiterFromEnv(env: Readonly<Record<string, string | undefined>>): IngestRateLimiter | undefined {
  const raw = env.GPU_ROI_INGEST_RATE_PER_MINUTE;
  if (raw === undefined || raw === "") return new IngestRateLimiter(DEFAULT_INGEST_RATE_PER_MINUTE);
  const rate = Number(raw);
  if (!Number.isFinite(rate) || rate < 0) throw new Error(`GPU_ROI_INGEST_RATE_PER_MINUTE: expected a number of requests per minute >= 0, got "${raw}"`);
  return rate === 0 ? undefined : new IngestRateLimiter(rate);
}
