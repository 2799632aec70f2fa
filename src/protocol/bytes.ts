// Byte helpers and input validation shared by every module. Validation messages name the argument,
// as noble does: `"ratchetKey" expected Uint8Array of length 33, got length=32`.
import { ProtocolError, type ProtocolErrorCode } from './errors.js';

/** Injectable randomness: returns n fresh random bytes. */
export type Rng = (n: number) => Uint8Array;

export const defaultRng: Rng = (n) => {
  const out = new Uint8Array(n);
  // getRandomValues refuses more than 65,536 bytes per call.
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
};

export function isBytes(a: unknown): a is Uint8Array {
  return a instanceof Uint8Array || (ArrayBuffer.isView(a) && a.constructor.name === 'Uint8Array');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (isBytes(v)) return `length=${v.length}`;
  if (Array.isArray(v)) return 'array';
  return `type=${typeof v}`;
}

export function assertBytes(
  value: unknown,
  name: string,
  length?: number | readonly number[],
  code: ProtocolErrorCode = 'InvalidArgument',
): Uint8Array {
  if (!isBytes(value)) throw new ProtocolError('InvalidArgument', `"${name}" expected Uint8Array, got ${describe(value)}`);
  if (length !== undefined) {
    const ok = typeof length === 'number' ? value.length === length : length.includes(value.length);
    if (!ok) {
      const want = typeof length === 'number' ? `${length}` : length.join(' or ');
      throw new ProtocolError(code, `"${name}" expected Uint8Array of length ${want}, got length=${value.length}`);
    }
  }
  return value;
}

export function assertUint32(value: unknown, name: string, min = 0, max = 0xffffffff): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new ProtocolError('InvalidArgument', `"${name}" expected an integer in ${min}..${max}, got ${describe(value)}${typeof value === 'number' ? ` (${value})` : ''}`);
  return value;
}

export function assertTimestamp(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new ProtocolError('InvalidArgument', `"${name}" expected a non-negative integer (ms since epoch), got ${describe(value)}`);
  return value;
}

export function assertRng(value: unknown, name = 'rng'): Rng {
  if (value === undefined) return defaultRng;
  if (typeof value !== 'function') throw new ProtocolError('InvalidArgument', `"${name}" expected a function (n) => Uint8Array, got ${describe(value)}`);
  const rng = value as Rng;
  return (n) => {
    const out = rng(n);
    if (!isBytes(out) || out.length !== n) throw new ProtocolError('InvalidArgument', `"${name}" returned ${describe(out)}, expected ${n} bytes`);
    return out;
  };
}

// biome-ignore lint/complexity/noBannedTypes: any class (constructor) is accepted here
export function assertInstance<T>(value: unknown, cls: Function & { prototype: T }, name: string): T {
  if (!(value instanceof (cls as unknown as new () => unknown))) throw new ProtocolError('InvalidArgument', `"${name}" expected ${cls.name}, got ${describe(value)}`);
  return value as T;
}

export function concatBytes(...arrays: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const a of arrays) len += a.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const a of arrays) {
    out.set(a, off);
    off += a.length;
  }
  return out;
}

/** Constant-time comparison (for MACs); lengths are public. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function isAllZero(a: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= a[i];
  return acc === 0;
}

export function wipe(...arrays: (Uint8Array | undefined)[]): void {
  for (const a of arrays) a?.fill(0);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** base64url without padding (JWK encoding for WebCrypto key import/export). */
export function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    s += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < bytes.length) {
    const n = (bytes[i] << 16) | ((i + 1 < bytes.length ? bytes[i + 1] : 0) << 8);
    s += B64[n >> 18] + B64[(n >> 12) & 63];
    if (i + 1 < bytes.length) s += B64[(n >> 6) & 63];
  }
  return s;
}

export function fromBase64Url(s: string): Uint8Array {
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c] : -1;
    if (v < 0) throw new ProtocolError('InvalidKey', 'invalid base64url in key encoding');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

const textEncoder = new TextEncoder();
export const utf8 = (s: string): Uint8Array => textEncoder.encode(s);
