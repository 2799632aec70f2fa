/** Thin helpers for hand-written SQL through the ORM's knex instance (hot paths, locking, batching). */
import type { Knex } from '@mikro-orm/postgresql';

export type Sql = Knex | Knex.Transaction;

export async function query<T = Record<string, unknown>>(db: Sql, sql: string, params: readonly unknown[] = []): Promise<T[]> {
  const res = await db.raw(sql, params as never);
  return res.rows as T[];
}

export async function queryOne<T = Record<string, unknown>>(db: Sql, sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
  return (await query<T>(db, sql, params))[0];
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e?.code === '23505' && (!constraint || e.constraint === constraint);
}
