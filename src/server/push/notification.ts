/**
 * What a push says. Content-free by design: a push service (Google, Apple, Mozilla, a UnifiedPush
 * distributor) learns that *a* device has *something*, never what or from whom. The woken app fetches over
 * its own connection and decrypts on the device.
 * - messages: `{"type":"messages"}`; a target that opted in also gets `"envelopeId"` (the first envelope of
 *   the burst, so a notification extension can start there). Never ciphertext, sender or conversation.
 * - call: `{"type":"call","callId":...}`, high priority, expiring with the ring.
 * Every value is a string (FCM data messages carry string values only).
 */

/** How long a message push may wait at the push service for an offline device: 28 days (FCM's maximum; envelopes live 30). */
export const MESSAGE_PUSH_TTL_SECONDS = 28 * 86_400;
/** Pushes for one device's messages replace each other at the push service (RFC 8030 Topic, FCM collapse_key, APNs collapse-id). */
export const MESSAGES_COLLAPSE_ID = 'messages';

export type PushUrgency = 'high' | 'normal';

export interface PushNotification {
  type: 'messages' | 'call';
  /** messages: the envelope that triggered the push */
  envelopeId?: string;
  /** call: the ringing call */
  callId?: string;
  /** high for calls (and urgent messages), normal for messages */
  urgency: PushUrgency;
  /** When the push stops being useful (epoch ms): the TTL sent to the service is what is left of it. */
  expiresAt: number;
  /** Pushes with the same id replace each other while undelivered: at most 32 characters of [A-Za-z0-9_-] (RFC 8030 §5.4). */
  collapseId: string | null;
}

export function messagesNotification(envelopeId: string, urgent: boolean, now = Date.now()): PushNotification {
  return {
    type: 'messages',
    envelopeId,
    urgency: urgent ? 'high' : 'normal',
    expiresAt: now + MESSAGE_PUSH_TTL_SECONDS * 1000,
    collapseId: MESSAGES_COLLAPSE_ID,
  };
}

export function callNotification(callId: string, ttlSeconds: number, now = Date.now()): PushNotification {
  // a call id is a uuid: without its dashes it fits the 32-character topic of RFC 8030
  const compact = callId.replace(/-/g, '');
  return {
    type: 'call',
    callId,
    urgency: 'high',
    expiresAt: now + ttlSeconds * 1000,
    collapseId: /^[A-Za-z0-9_-]{1,32}$/.test(compact) ? compact : null,
  };
}

/** Seconds left before the push expires (0: deliver now or never). */
export function ttlSeconds(n: PushNotification, now = Date.now()): number {
  return Math.max(0, Math.floor((n.expiresAt - now) / 1000));
}

/** The data a push carries, as string pairs. */
export function pushData(n: PushNotification, includeEnvelopeId: boolean): Record<string, string> {
  if (n.type === 'call') return { type: 'call', callId: n.callId! };
  return includeEnvelopeId && n.envelopeId ? { type: 'messages', envelopeId: n.envelopeId } : { type: 'messages' };
}
