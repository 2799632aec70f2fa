/**
 * The APNs request for a content-free push, shared by the APNs provider and FCM's `apns` override.
 *
 * Push type `alert` with `mutable-content: 1`, not `background`: only an alert push with mutable-content
 * starts the app's Notification Service Extension, which has ~30 s to fetch the pending envelopes over the
 * app's own connection, decrypt them and replace the placeholder with what to show. A `background` push
 * (content-available) would wake the app itself instead, but iOS throttles those (a few per hour), holds
 * them back under Low Power Mode, never delivers them to an app the user force-quit, and Apple requires
 * priority 5 for them, so messages would arrive late or not at all.
 * The placeholder is a localization key (`loc-key`) the app defines; it shows only if the extension fails.
 *
 * apns-priority: 10 (immediate) for calls and urgent messages, 5 (as power allows) for normal messages;
 * Apple allows both for alert pushes. apns-expiration: when the push stops being useful (a call's ring).
 */
import { type PushNotification, pushData } from './notification.js';

export const APNS_MESSAGE_LOC_KEY = 'PUSH_NEW_MESSAGE';
export const APNS_CALL_LOC_KEY = 'PUSH_INCOMING_CALL';

export function apnsHeaders(n: PushNotification): Record<string, string> {
  return {
    'apns-push-type': 'alert',
    'apns-priority': n.urgency === 'high' ? '10' : '5',
    'apns-expiration': String(Math.floor(n.expiresAt / 1000)),
    ...(n.collapseId ? { 'apns-collapse-id': n.collapseId } : {}),
  };
}

export function apnsPayload(n: PushNotification, includeEnvelopeId: boolean): Record<string, unknown> {
  return {
    aps: { alert: { 'loc-key': n.type === 'call' ? APNS_CALL_LOC_KEY : APNS_MESSAGE_LOC_KEY }, 'mutable-content': 1, sound: 'default' },
    ...pushData(n, includeEnvelopeId),
  };
}
