/**
 * Reporting tokens (docs/trust.md; Signal's reporting tokens): the server gives every delivered envelope a
 * token that names its message and sender and is bound to the recipient, so a spam report can name real
 * deliveries without any content. A token is
 *
 *   base64url( 0x01 || message id (16) || sender user id (16) || HMAC-SHA256(key, LABEL || message id || sender || recipient)[0..16] )
 *
 * checked by recomputing the MAC for the reporting user: it cannot be forged, altered, or used by anyone but
 * its recipient. Stateless, so delivering costs one HMAC and no write; the key is a server secret kept in
 * PostgreSQL (`server_secrets`), made on first use and shared by every instance.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const VERSION = 0x01;
const LABEL = Buffer.from('sealed-relay reporting token v1');
const MAC_BYTES = 16;
const TOKEN_BYTES = 1 + 16 + 16 + MAC_BYTES;
/** Longest string accepted as a token (base64url of TOKEN_BYTES is 66 characters). */
export const MAX_TOKEN_LENGTH = 96;

function uuidBytes(id: string): Buffer {
  return Buffer.from(id.replace(/-/g, ''), 'hex');
}

function uuidText(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function mac(key: Uint8Array, message: Buffer, sender: Buffer, recipient: Buffer): Buffer {
  return createHmac('sha256', key).update(LABEL).update(message).update(sender).update(recipient).digest().subarray(0, MAC_BYTES);
}

export function mintReportingToken(key: Uint8Array, messageId: string, senderUserId: string, recipientUserId: string): string {
  const m = uuidBytes(messageId);
  const s = uuidBytes(senderUserId);
  return Buffer.concat([Buffer.of(VERSION), m, s, mac(key, m, s, uuidBytes(recipientUserId))]).toString('base64url');
}

/** The message and sender a token names, if it is a token minted for `recipientUserId`; else null. */
export function openReportingToken(key: Uint8Array, token: string, recipientUserId: string): { messageId: string; senderUserId: string } | null {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
  const b = Buffer.from(token, 'base64url');
  if (b.length !== TOKEN_BYTES || b[0] !== VERSION) return null;
  const m = b.subarray(1, 17);
  const s = b.subarray(17, 33);
  if (!timingSafeEqual(b.subarray(33), mac(key, m, s, uuidBytes(recipientUserId)))) return null;
  return { messageId: uuidText(m), senderUserId: uuidText(s) };
}
