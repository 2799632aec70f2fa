/**
 * Token buckets kept in PostgreSQL, so a limit holds across server instances. A bucket holds at most
 * `burst` tokens and gains `refillPerSecond` tokens per second; a request takes `cost` tokens or is
 * refused with RateLimitedError (retryAfterSeconds = when enough tokens will be back). Each take is one
 * upsert statement on `rate_limits` (the row lock serializes takes on the same key; database time is the
 * clock, so instances with skewed clocks agree). A missing row is a full bucket; rows whose bucket is
 * full again are purged from time to time.
 *
 *   const limiter = new RateLimiter(knex);
 *   await limiter.take(`send:${sender}:${recipient}`, { burst: 60, refillPerSecond: 1 }, 1, 'sending');
 */
import type { Knex } from '@mikro-orm/postgresql';
import { query, queryOne, type Sql } from '../db/sql.js';
import { RateLimitedError } from '../kernel/errors.js';

export interface Budget {
  /** Bucket size: requests allowed at once after a quiet period. */
  burst: number;
  /** Tokens regained per second. */
  refillPerSecond: number;
}

/** A budget of `burst` requests, regaining one request every `refillSeconds` seconds. */
export function budget(burst: number, refillSeconds: number): Budget {
  return { burst, refillPerSecond: 1 / refillSeconds };
}

const PURGE_EVERY_MS = 60_000;

function num(name: string, v: number, positive: boolean): string {
  if (!Number.isFinite(v) || v < 0 || (positive && v === 0)) throw new Error(`RateLimiter: ${name} must be a finite ${positive ? 'positive' : 'non-negative'} number, got ${v}`);
  // validated finite numbers are interpolated as SQL literals (no string from outside reaches the SQL)
  return `${v}::float8`;
}

export class RateLimiter {
  private lastPurge = 0;

  constructor(private readonly knex: Knex) {}

  /**
   * Takes `cost` tokens from the bucket `key`, or throws RateLimitedError naming `what`.
   * Pass `db` to take inside a transaction (the take is undone if the transaction rolls back).
   * Returns the tokens left.
   */
  async take(key: string, b: Budget, cost = 1, what = 'requests', db: Sql = this.knex): Promise<number> {
    this.maybePurge();
    const row = await queryOne<{ tokens: number }>(db, this.upsert(b, cost, 'select ?::text as key'), [key]);
    if (row) return row.tokens;
    return this.refuse(key, b, cost, what, db);
  }

  /**
   * One take of `cost` for each row of `source` (an SQL relation of the caller's statement with a distinct
   * `key` column), as one upsert returning the keys that got their tokens, for a caller to use as a CTE of
   * its own statement (a send takes its token in the statement that stores the message). Rows are locked in
   * key order, so concurrent batches cannot deadlock. Only builds the text: the caller calls maybePurge().
   */
  takeEachStatement(b: Budget, source: string, cost = 1): string {
    return this.upsert(b, cost, `select src.key from ${source} src order by src.key`);
  }

  private upsert(b: Budget, cost: number, keys: string): string {
    const burst = num('burst', b.burst, true);
    const rate = num('refillPerSecond', b.refillPerSecond, true);
    const c = num('cost', cost, false);
    if (cost > b.burst) throw new Error(`RateLimiter: cost ${cost} exceeds burst ${b.burst}`);
    const available = `least(${burst}, r.tokens + greatest(0, extract(epoch from (now() - r.updated_at))) * ${rate})`;
    return `insert into rate_limits as r (key, tokens, updated_at, full_at)
       select k.key, ${burst} - ${c}, now(), now() + make_interval(secs => ${c} / ${rate}) from (${keys}) as k
       on conflict (key) do update set
         tokens = ${available} - ${c},
         updated_at = greatest(now(), r.updated_at),
         full_at = greatest(now(), r.updated_at) + make_interval(secs => (${burst} - (${available} - ${c})) / ${rate})
       where ${available} >= ${c}
       returning r.key, r.tokens`;
  }

  /** Throws the RateLimitedError of a refused take, with when enough tokens will be back. */
  async refuse(key: string, b: Budget, cost = 1, what = 'requests', db: Sql = this.knex): Promise<never> {
    const available = await this.peek(key, b, db);
    const missing = cost - available;
    const retryAfterSeconds = Math.max(1, Math.ceil(missing / b.refillPerSecond));
    throw new RateLimitedError(retryAfterSeconds, what);
  }

  /** Tokens currently in the bucket (burst when it has no row). */
  async peek(key: string, b: Budget, db: Sql = this.knex): Promise<number> {
    const cur = await queryOne<{ available: number }>(
      db,
      `select least(${num('burst', b.burst, true)}, r.tokens + greatest(0, extract(epoch from (now() - r.updated_at))) * ${num('refillPerSecond', b.refillPerSecond, true)}) as available
         from rate_limits r where key = ?`,
      [key],
    );
    return cur?.available ?? b.burst;
  }

  /** Forgets buckets that are full again (equivalent to having no row). */
  async purge(limit = 1000): Promise<number> {
    const rows = await query(
      this.knex,
      `delete from rate_limits where key in (select key from rate_limits where full_at < now() limit ?) and full_at < now() returning key`,
      [limit],
    );
    return rows.length;
  }

  /** Purges full buckets at most once a minute (in the background). */
  maybePurge(): void {
    const now = Date.now();
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    this.purge().catch(() => {
      // best effort: a full bucket left behind is harmless
    });
  }
}
