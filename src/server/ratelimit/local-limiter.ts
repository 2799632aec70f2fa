/**
 * Token buckets in this process's memory: the first line against floods, refusing before any database work
 * (the durable, cross-instance buckets in PostgreSQL — RateLimiter — then apply to what passes). A bucket holds
 * `burst` tokens and regains `refillPerSecond`; buckets that are full again are forgotten, and at most
 * MAX_BUCKETS are kept (the oldest go first), so an attacker cycling addresses cannot exhaust memory.
 */
import { RateLimitedError } from '../kernel/errors.js';
import type { Budget } from './rate-limiter.js';

const MAX_BUCKETS = 100_000;

export class LocalRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Seconds until bucket `key` holds `cost` tokens again (0: it does now). Takes nothing. */
  retryAfter(key: string, b: Budget, cost = 1): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return 0;
    const tokens = Math.min(b.burst, bucket.tokens + ((this.now() - bucket.at) / 1000) * b.refillPerSecond);
    return tokens >= cost ? 0 : Math.max(1, Math.ceil((cost - tokens) / b.refillPerSecond));
  }

  /** Takes `cost` tokens from bucket `key`, or throws RateLimitedError naming `what`. */
  take(key: string, b: Budget, cost = 1, what = 'requests'): void {
    const now = this.now();
    const bucket = this.buckets.get(key);
    const tokens = bucket ? Math.min(b.burst, bucket.tokens + ((now - bucket.at) / 1000) * b.refillPerSecond) : b.burst;
    if (tokens < cost) throw new RateLimitedError(Math.max(1, Math.ceil((cost - tokens) / b.refillPerSecond)), what);
    this.buckets.delete(key); // re-insert: Map order is least recently used first
    this.buckets.set(key, { tokens: tokens - cost, at: now });
    if (this.buckets.size > MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
  }
}
