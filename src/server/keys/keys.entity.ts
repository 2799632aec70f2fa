/**
 * The key directory's tables (created by migrations/Migration20261125000002_keys.ts). The service works on
 * them with raw SQL (claims must be single statements); these definitions keep the ORM aware of them.
 */
import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { Device } from '../accounts/account.entity.js';

export const SignedPreKey = defineEntity({
  name: 'SignedPreKey',
  tableName: 'signed_prekeys',
  properties: {
    id: p.bigint('string').primary(),
    device: p.manyToOne(Device).fieldName('device').deleteRule('cascade'),
    keyId: p.bigint('number'),
    publicKey: p.uint8array(),
    signature: p.uint8array(),
    createdAt: p.datetime().defaultRaw('now()'),
    /** null for the current key; set when a newer one replaced it (kept for the rotation grace period). */
    replacedAt: p.datetime().nullable(),
  },
});
export type ISignedPreKey = InferEntity<typeof SignedPreKey>;

export const OneTimePreKey = defineEntity({
  name: 'OneTimePreKey',
  tableName: 'one_time_prekeys',
  properties: {
    id: p.bigint('string').primary(),
    device: p.manyToOne(Device).fieldName('device').deleteRule('cascade'),
    keyId: p.bigint('number'),
    publicKey: p.uint8array(),
  },
});
export type IOneTimePreKey = InferEntity<typeof OneTimePreKey>;

export const KyberPreKey = defineEntity({
  name: 'KyberPreKey',
  tableName: 'kyber_prekeys',
  properties: {
    id: p.bigint('string').primary(),
    device: p.manyToOne(Device).fieldName('device').deleteRule('cascade'),
    keyId: p.bigint('number'),
    publicKey: p.uint8array(),
    signature: p.uint8array(),
    lastResort: p.boolean(),
    createdAt: p.datetime().defaultRaw('now()'),
    replacedAt: p.datetime().nullable(),
  },
});
export type IKyberPreKey = InferEntity<typeof KyberPreKey>;

export const DevicePreKeyState = defineEntity({
  name: 'DevicePreKeyState',
  tableName: 'device_prekey_state',
  properties: {
    device: p.oneToOne(Device).primary().fieldName('device').deleteRule('cascade'),
    oneTimeArmed: p.boolean().default(false),
    kyberOneTimeArmed: p.boolean().default(false),
  },
});
