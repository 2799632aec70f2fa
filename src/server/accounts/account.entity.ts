/** Users and devices. A device's identity key never changes: a new identity is a new device. */
import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.uuid().primary(),
    username: p.text(),
    displayName: p.text(),
    avatarUrl: p.text().nullable(),
    externalSubject: p.text().nullable(),
    /** Found by exact username by anyone (true), or only by users the user accepted (false). */
    discoverable: p.boolean().default(true),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});
export type IUser = InferEntity<typeof User>;

export const Device = defineEntity({
  name: 'Device',
  tableName: 'devices',
  properties: {
    id: p.uuid().primary(),
    user: p.manyToOne(User).fieldName('user_id'),
    deviceId: p.integer(),
    name: p.text(),
    registrationId: p.integer(),
    identityKey: p.uint8array(),
    secretHash: p.text().hidden(),
    createdAt: p.datetime().defaultRaw('now()'),
    lastSeenAt: p.datetime().defaultRaw('now()'),
  },
});
export type IDevice = InferEntity<typeof Device>;

export const DeviceLinkCode = defineEntity({
  name: 'DeviceLinkCode',
  tableName: 'device_link_codes',
  properties: {
    codeHash: p.uint8array().primary(),
    user: p.manyToOne(User).fieldName('user_id'),
    createdBy: p.manyToOne(Device).fieldName('created_by'),
    expiresAt: p.datetime(),
  },
});
