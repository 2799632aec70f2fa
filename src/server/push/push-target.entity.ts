/**
 * Push targets (table from Migration20261201000001_push_targets): how to wake one device when it has no live
 * inbox stream. One row per (device, kind); deleted with the device. What each kind stores:
 * - WEB_PUSH: an RFC 8030 push resource URL and the RFC 8291 user agent keys (p256dh: uncompressed P-256 point,
 *   auth: 16-byte secret), as `PushSubscription.toJSON()` gives them;
 * - UNIFIED_PUSH: the distributor's endpoint URL, with the same Web Push keys when the app supplies them;
 * - FCM: a Firebase registration token;
 * - APNS: a device token (hex), the app's topic (bundle id) and the APNs environment it was issued for.
 */
import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { Device } from '../accounts/account.entity.js';

export const PUSH_KINDS = ['WEB_PUSH', 'UNIFIED_PUSH', 'FCM', 'APNS'] as const;
export type PushKind = (typeof PUSH_KINDS)[number];
export const APNS_ENVIRONMENTS = ['sandbox', 'production'] as const;
export type ApnsEnvironment = (typeof APNS_ENVIRONMENTS)[number];

export const PushTarget = defineEntity({
  name: 'PushTarget',
  tableName: 'push_targets',
  properties: {
    id: p.uuid().primary(),
    device: p.manyToOne(Device).fieldName('device').deleteRule('cascade'),
    kind: p.text().$type<PushKind>(),
    endpoint: p.text().nullable(),
    p256dh: p.uint8array().nullable(),
    auth: p.uint8array().nullable(),
    token: p.text().nullable(),
    topic: p.text().nullable(),
    environment: p.text().$type<ApnsEnvironment>().nullable(),
    /** Opt-in: the push carries the id of the envelope that triggered it (never more). */
    includeEnvelopeId: p.boolean().default(false),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
  uniques: [{ properties: ['device', 'kind'], name: 'push_targets_device_kind_key' }],
});
export type IPushTarget = InferEntity<typeof PushTarget>;
