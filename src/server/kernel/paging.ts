/**
 * Cursor pagination: one page type and one cursor codec. A cursor is base64url(JSON array of parts); its
 * shape is declared by the reader and every part is checked (a uuid, a bigint, a PostgreSQL timestamp) so a
 * forged or truncated cursor is an InvalidInput error, never a database error.
 */
import { InvalidInputError } from './errors.js';
import { bigintIdOrNull, isUuid } from './ids.js';
import { checkText } from './text.js';

export interface Page<T> {
  items: T[];
  endCursor: string | null;
  hasNextPage: boolean;
}

export type CursorPart = 'uuid' | 'bigint' | 'timestamp' | 'text';
type PartValue<P extends CursorPart> = P extends CursorPart ? string : never;

/** A timestamp as PostgreSQL prints it (`2026-12-01 10:53:49.123456+00`); also a valid Date. */
const PG_TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d)?$/;

export function encodeCursor(parts: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** Decodes a cursor of exactly the given shape, or throws InvalidInputError(field). */
export function decodeCursor<const S extends readonly CursorPart[]>(cursor: string, shape: S, field = 'after'): { [K in keyof S]: PartValue<S[K]> } {
  const bad = () => new InvalidInputError(field, 'malformed cursor');
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(v) || v.length !== shape.length) throw bad();
  return v.map((part, i) => {
    const kind = shape[i];
    const s = typeof part === 'number' ? String(part) : part;
    if (typeof s !== 'string') throw bad();
    switch (kind) {
      case 'uuid':
        if (!isUuid(s)) throw bad();
        return s;
      case 'bigint':
        if (bigintIdOrNull(s) == null) throw bad();
        return s;
      case 'timestamp':
        if (!PG_TIMESTAMP.test(s) || Number.isNaN(new Date(s.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')).getTime())) throw bad();
        return s;
      default:
        try {
          return checkText(field, s, { min: 0, max: 256, trim: false });
        } catch {
          throw bad();
        }
    }
  }) as never;
}

/** Checks a page size argument (`first`) against 1..max. */
export function checkFirst(first: number, max: number, field = 'first'): number {
  if (!Number.isInteger(first) || first < 1 || first > max) throw new InvalidInputError(field, `expected 1..${max}`);
  return first;
}

/** Builds a page from rows fetched with `limit first + 1`. */
export function toPage<T>(rows: T[], first: number, cursorOf: (last: T) => (string | number)[]): Page<T> {
  const items = rows.slice(0, first);
  const last = items[items.length - 1];
  return { items, hasNextPage: rows.length > first, endCursor: last ? encodeCursor(cursorOf(last)) : null };
}
