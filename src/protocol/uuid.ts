// UUIDs as libsignal-client's TypeScript API passes them (distribution ids of Sender Keys): the canonical
// 36-character string (RFC 9562 section 4, 8-4-4-4-12 hex digits) on the API, 16 bytes on the wire.
import { ProtocolError, type ProtocolErrorCode } from './errors.js';

export const UUID_LENGTH = 16;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The 16 bytes of a UUID string (either case); anything else is InvalidArgument naming `name`. */
export function uuidToBytes(value: unknown, name: string): Uint8Array {
  if (typeof value !== 'string' || !UUID_PATTERN.test(value)) {
    const got = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
    throw new ProtocolError('InvalidArgument', `"${name}" expected a UUID string (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), got ${got}`);
  }
  const hex = value.replace(/-/g, '');
  const out = new Uint8Array(UUID_LENGTH);
  for (let i = 0; i < UUID_LENGTH; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The lower-case string form of 16 UUID bytes (what libsignal-client returns); other lengths throw `code`. */
export function uuidFromBytes(bytes: Uint8Array, code: ProtocolErrorCode, what: string): string {
  if (bytes.length !== UUID_LENGTH) throw new ProtocolError(code, `${what}: expected a 16-byte UUID, got length=${bytes.length}`);
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Normalised (lower-case) form of a UUID string, validated. */
export function normalizeUuid(value: unknown, name: string): string {
  return uuidFromBytes(uuidToBytes(value, name), 'InvalidArgument', name);
}
