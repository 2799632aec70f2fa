/**
 * What valid text is, in one place. PostgreSQL refuses NUL characters in text, and a lone UTF-16 surrogate
 * cannot be stored as UTF-8 (drivers replace it, so two different strings would become one): both are
 * refused here with a typed error before any string reaches SQL.
 */
import { InvalidInputError } from './errors.js';

// a NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what PostgreSQL text refuses
const INVALID = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `s` can be stored as PostgreSQL text unchanged. */
export function isStorableText(s: string): boolean {
  return !INVALID.test(s);
}

/** Throws InvalidInputError(field) unless `s` can be stored unchanged. */
export function assertStorableText(field: string, s: string): string {
  if (typeof s !== 'string') throw new InvalidInputError(field, 'expected a string');
  if (INVALID.test(s)) throw new InvalidInputError(field, 'contains a NUL character or an unpaired UTF-16 surrogate');
  return s;
}

/** Checks (and by default trims) text to `min..max` characters. */
export function checkText(field: string, v: string, opts: { min: number; max: number; trim?: boolean }): string {
  assertStorableText(field, v);
  const s = opts.trim === false ? v : v.trim();
  if (s.length < opts.min || s.length > opts.max) throw new InvalidInputError(field, `expected ${opts.min} to ${opts.max} characters`);
  return s;
}

/** An optional http(s) URL of at most 2048 characters (e.g. an avatar); empty means none. */
export function checkHttpUrl(field: string, v: string | null | undefined): string | null {
  if (v == null || v === '') return null;
  assertStorableText(field, v);
  if (v.length > 2048) throw new InvalidInputError(field, 'at most 2048 characters');
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidInputError(field, 'not a valid URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new InvalidInputError(field, 'expected an http(s) URL');
  return v;
}
