/** Thin helpers for hand-written SQL through the ORM's knex instance (hot paths, locking, batching). */
import { createHash } from 'node:crypto';
import type { Knex } from '@mikro-orm/postgresql';

export type Sql = Knex | Knex.Transaction;

/**
 * Parameterised statements run as named prepared statements: PostgreSQL parses and plans each distinct
 * text once per connection instead of on every call (for the relay's CTEs, parse + plan cost more than
 * the execution). The texts are the fixed strings of this code base; past MAX_PREPARED distinct texts
 * (a leak guard: each is kept by every pooled backend) further ones run unnamed.
 *
 * The embedded database serves every socket from ONE PGlite session, where a name prepared through one
 * connection already exists for the next: there, statements run unnamed (usePreparedStatements(false)).
 */
const MAX_PREPARED = 500;
const names = new Map<string, string | null>();
let prepare = true;

/** Turns named prepared statements on or off for this process (off for the embedded database). */
export function usePreparedStatements(on: boolean): void {
  prepare = on;
}

function statementName(sql: string): string | undefined {
  let name = names.get(sql);
  if (name === undefined) {
    name = names.size < MAX_PREPARED ? `sr_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}` : null;
    names.set(sql, name);
  }
  return name ?? undefined;
}

export async function query<T = Record<string, unknown>>(db: Sql, sql: string, params: readonly unknown[] = []): Promise<T[]> {
  const raw = db.raw(sql, params as never);
  // without parameters pg uses the simple protocol (which also allows several statements in one text)
  const name = prepare && params.length ? statementName(sql) : undefined;
  const res = await (name ? raw.options({ name }) : raw);
  return res.rows as T[];
}

export async function queryOne<T = Record<string, unknown>>(db: Sql, sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
  return (await query<T>(db, sql, params))[0];
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e?.code === '23505' && (!constraint || e.constraint === constraint);
}
