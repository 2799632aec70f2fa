/**
 * What a valid id is, in one place. Ids are checked here before they reach SQL: a uuid that is not a uuid,
 * or an envelope id outside PostgreSQL's bigint, would otherwise fail inside the database.
 */
import { InvalidInputError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DIGITS = /^\d{1,19}$/;
/** PostgreSQL's bigint maximum. */
export const MAX_BIGINT = 9223372036854775807n;

export function isUuid(id: unknown): id is string {
  return typeof id === 'string' && UUID.test(id);
}

/** Unknown ids that are not even UUIDs simply match nothing (the caller reports NotFound). */
export function uuidOrNull(id: string | null | undefined): string | null {
  return isUuid(id) ? id : null;
}

/** A positive bigint id (e.g. an envelope id or a sequence number) as a decimal string, or null. */
export function bigintIdOrNull(id: unknown): string | null {
  const s = typeof id === 'bigint' ? id.toString() : typeof id === 'number' && Number.isSafeInteger(id) ? String(id) : id;
  if (typeof s !== 'string' || !DIGITS.test(s) || BigInt(s) > MAX_BIGINT) return null;
  return s;
}

/** Bigint ids, each checked; the first malformed one refuses the call. */
export function bigintIds(field: string, ids: readonly unknown[]): string[] {
  return ids.map((id) => {
    const s = bigintIdOrNull(id);
    if (s == null) throw new InvalidInputError(field, `malformed id ${String(id).slice(0, 40)}`);
    return s;
  });
}
