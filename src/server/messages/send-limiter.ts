/**
 * The per-device send budget: a token bucket (default 60 sends, refilled at 1 per second, SEND_RATE_BURST /
 * SEND_RATE_PER_SECOND). Same interface as a RateLimiter's `take(key, {burst, refillPerSecond}, cost)`,
 * which throws RateLimitedError with `retryAfterSeconds`.
 *
 * In process memory: each server instance keeps its own buckets (with N instances behind a balancer a
 * device gets at most N x the budget). Written here because the shared PostgreSQL-backed limiter
 * (src/server/ratelimit) was not available when messaging was built; swap it in by passing that limiter.
 */
import { RateLimitedError } from '../graphql/errors.js';

export interface Bucket {
  burst: number;
  refillPerSecond: number;
}

export interface Limiter {
  take(key: string, bucket: Bucket, cost?: number): Promise<void> | void;
}

const MAX_KEYS = 100_000;

export class MemoryRateLimiter implements Limiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  take(key: string, bucket: Bucket, cost = 1): void {
    const now = Date.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_KEYS) this.prune(now, bucket);
      b = { tokens: bucket.burst, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(bucket.burst, b.tokens + ((now - b.at) / 1000) * bucket.refillPerSecond);
      b.at = now;
    }
    if (b.tokens < cost) {
      const retryAfterSeconds = Math.max(1, Math.ceil((cost - b.tokens) / bucket.refillPerSecond));
      throw new RateLimitedError(retryAfterSeconds, 'sendMessage');
    }
    b.tokens -= cost;
  }

  /** Drops buckets that have refilled completely (they are equivalent to new ones). */
  private prune(now: number, bucket: Bucket): void {
    const full = (bucket.burst / bucket.refillPerSecond) * 1000;
    for (const [k, v] of this.buckets) if (now - v.at >= full) this.buckets.delete(k);
    if (this.buckets.size >= MAX_KEYS) this.buckets.clear();
  }
}
