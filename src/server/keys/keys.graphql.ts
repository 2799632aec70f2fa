/** The key directory in the schema: prekey upload, bundle claims, counts and the low-stock event. */
import type { SchemaTypes } from '@pothos/core';
import { GraphQLError, Kind } from 'graphql';
import { builder } from '../graphql/builder.js';
import { requireAuth } from '../graphql/context.js';
import { errorOptions } from '../graphql/types.js';
import { InvalidInputError, InvalidKeyError, NotFoundError, RateLimitedError } from '../kernel/errors.js';
import { DuplicateKeyIdError, InvalidSignatureError } from './keys.errors.js';
import { MAX_KEYS_PER_UPLOAD, MAX_STOCK, type KyberPreKeyOut, type PreKeyBundleRow, type PreKeyBundles, type PreKeyCounts, type PreKeyInput, type SignedPreKeyInput } from './keys.service.js';

const MAX_UINT32 = 0xffffffff;
function parseUInt32(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_UINT32) {
    throw new GraphQLError(`UInt32: expected an integer in 0..${MAX_UINT32}`);
  }
  return v;
}

// Key ids are uint32 on the wire, beyond GraphQL's signed 32-bit Int. The builder's scalar map lives in
// graphql/builder.ts; this domain-local scalar is registered through a typed ref instead.
type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T extends SchemaTypes> ? T : never;
const registerScalar = builder.scalarType as unknown as (
  name: string,
  options: PothosSchemaTypes.ScalarTypeOptions<Types, number, number>,
) => PothosSchemaTypes.ScalarRef<Types, number, number>;
export const UInt32 = registerScalar.call(builder, 'UInt32', {
  description: 'An unsigned 32-bit integer (0..4294967295), e.g. a prekey id.',
  serialize: (v) => parseUInt32(v),
  parseValue: parseUInt32,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.INT) throw new GraphQLError('UInt32: expected an integer literal');
    return parseUInt32(Number(ast.value));
  },
});

builder.objectType(InvalidSignatureError, {
  ...errorOptions(InvalidSignatureError, 'InvalidSignatureError', "An XEdDSA signature does not verify against the device's identity key; `field` names it."),
  fields: (t) => ({ field: t.exposeString('field'), keyId: t.expose('keyId', { type: UInt32 }) }),
});
builder.objectType(DuplicateKeyIdError, {
  ...errorOptions(
    DuplicateKeyIdError,
    'DuplicateKeyIdError',
    'A key id is used twice in the upload, or is already stored for the device (in its kind: EC one-time, signed, or Kyber); `field` names it.',
  ),
  fields: (t) => ({ field: t.exposeString('field'), keyId: t.expose('keyId', { type: UInt32 }) }),
});

const PreKeyRef = builder.objectRef<PreKeyInput>('PreKey').implement({
  description: 'A one-time EC prekey.',
  fields: (t) => ({
    keyId: t.expose('keyId', { type: UInt32 }),
    publicKey: t.expose('publicKey', { type: 'Bytes', description: '0x05 || 32-byte X25519 public key' }),
  }),
});

const SignedPreKeyRef = builder.objectRef<SignedPreKeyInput>('SignedPreKey').implement({
  description: 'The signed EC prekey: signature = XEdDSA(identity key, publicKey).',
  fields: (t) => ({
    keyId: t.expose('keyId', { type: UInt32 }),
    publicKey: t.expose('publicKey', { type: 'Bytes', description: '0x05 || 32-byte X25519 public key' }),
    signature: t.expose('signature', { type: 'Bytes', description: '64-byte XEdDSA signature over publicKey (33 bytes)' }),
  }),
});

const KyberPreKeyRef = builder.objectRef<KyberPreKeyOut>('KyberPreKey').implement({
  description: 'A signed Kyber-1024 prekey: one-time, or the last-resort key when no one-time key was left.',
  fields: (t) => ({
    keyId: t.expose('keyId', { type: UInt32 }),
    publicKey: t.expose('publicKey', { type: 'Bytes', description: '0x08 || 1568-byte Kyber-1024 public key' }),
    signature: t.expose('signature', { type: 'Bytes', description: '64-byte XEdDSA signature over publicKey (1569 bytes)' }),
    lastResort: t.exposeBoolean('lastResort', { description: 'True when this is the reusable last-resort key.' }),
  }),
});

const PreKeyBundleRef = builder.objectRef<PreKeyBundleRow>('PreKeyBundle').implement({
  description: "What a sender needs to start a session with one device (X3DH/PQXDH). Its one-time keys were handed out to this caller only and deleted.",
  fields: (t) => ({
    userId: t.exposeID('userId'),
    deviceId: t.exposeInt('deviceId', { description: 'The Signal device id (1..127).' }),
    device: t.exposeID('deviceUuid', { description: 'Device.id' }),
    registrationId: t.exposeInt('registrationId'),
    identityKey: t.expose('identityKey', { type: 'Bytes', description: '0x05 || 32-byte X25519 identity public key' }),
    signedPreKey: t.field({ type: SignedPreKeyRef, resolve: (b) => b.signedPreKey }),
    preKey: t.field({ type: PreKeyRef, nullable: true, description: 'A one-time EC prekey, null when the stock is empty.', resolve: (b) => b.preKey }),
    kyberPreKey: t.field({
      type: KyberPreKeyRef,
      nullable: true,
      description: 'A one-time Kyber prekey, else the last-resort key; null only if the device never uploaded a Kyber key.',
      resolve: (b) => b.kyberPreKey,
    }),
  }),
});

const PreKeyBundlesRef = builder.objectRef<PreKeyBundles>('PreKeyBundles').implement({
  fields: (t) => ({
    userId: t.exposeID('userId'),
    bundles: t.field({ type: [PreKeyBundleRef], resolve: (b) => b.bundles }),
  }),
});

const PreKeyCountsRef = builder.objectRef<PreKeyCounts>('PreKeyCounts').implement({
  description: "The calling device's key stock on the server. Refill one-time keys when a count falls below the threshold.",
  fields: (t) => ({
    oneTime: t.exposeInt('oneTime', { description: 'One-time EC prekeys left.' }),
    kyberOneTime: t.exposeInt('kyberOneTime', { description: 'One-time Kyber prekeys left.' }),
    signedPreKeyId: t.expose('signedPreKeyId', { type: UInt32, nullable: true, description: 'The signed prekey handed out now (null: none, the device cannot be fetched).' }),
    lastResortKyberPreKeyId: t.expose('lastResortKyberPreKeyId', { type: UInt32, nullable: true, description: 'The last-resort Kyber key handed out now.' }),
  }),
});

const PreKeysLowRef = builder.objectRef<{ oneTime: number; kyberOneTime: number }>('PreKeysLow').implement({
  description: 'A one-time prekey stock of the device just fell below the threshold: upload more.',
  fields: (t) => ({
    oneTime: t.exposeInt('oneTime'),
    kyberOneTime: t.exposeInt('kyberOneTime'),
  }),
});

const PreKeyInputRef = builder.inputType('PreKeyInput', {
  description: 'A one-time EC prekey.',
  fields: (t) => ({
    keyId: t.field({ type: UInt32, required: true, description: 'Unique per device among its one-time EC prekeys.' }),
    publicKey: t.field({ type: 'Bytes', required: true, description: '0x05 || 32 bytes' }),
  }),
});

const SignedPreKeyInputRef = builder.inputType('SignedPreKeyInput', {
  description: "A signed prekey (EC or Kyber): signature = XEdDSA by the device's identity key over publicKey.",
  fields: (t) => ({
    keyId: t.field({ type: UInt32, required: true }),
    publicKey: t.field({ type: 'Bytes', required: true, description: 'EC: 0x05 || 32 bytes; Kyber: 0x08 || 1568 bytes' }),
    signature: t.field({ type: 'Bytes', required: true, description: '64 bytes' }),
  }),
});

const UploadPreKeysInputRef = builder.inputType('UploadPreKeysInput', {
  description:
    'Every part is optional; a device needs a signed prekey before others can fetch its bundle. All keys and signatures are checked before anything is stored: one bad key refuses the whole upload.',
  fields: (t) => ({
    oneTimePreKeys: t.field({ type: [PreKeyInputRef], description: `At most ${MAX_KEYS_PER_UPLOAD}; added to the stock (at most ${MAX_STOCK} stored).` }),
    signedPreKey: t.field({
      type: SignedPreKeyInputRef,
      description: 'Replaces the signed prekey; the previous one stays stored (not handed out) for KEY_ROTATION_GRACE_SECONDS.',
    }),
    oneTimeKyberPreKeys: t.field({ type: [SignedPreKeyInputRef], description: `At most ${MAX_KEYS_PER_UPLOAD}; added to the stock (at most ${MAX_STOCK} stored).` }),
    lastResortKyberPreKey: t.field({
      type: SignedPreKeyInputRef,
      description: 'Replaces the last-resort Kyber key; the previous one stays stored (not handed out) for KEY_ROTATION_GRACE_SECONDS.',
    }),
  }),
});

builder.queryFields((t) => ({
  preKeyCounts: t.field({
    type: PreKeyCountsRef,
    description: "The calling device's remaining one-time prekeys and current signed / last-resort key ids.",
    resolve: (_r, _a, ctx) => ctx.services.keys.countsFor(requireAuth(ctx)),
  }),
}));

builder.mutationFields((t) => ({
  uploadPreKeys: t.field({
    type: PreKeyCountsRef,
    description: 'Upload public prekeys for the calling device. Returns the stock after the upload.',
    errors: { types: [InvalidSignatureError, DuplicateKeyIdError, InvalidKeyError, InvalidInputError] },
    args: { input: t.arg({ type: UploadPreKeysInputRef, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.services.keys.upload(requireAuth(ctx), input),
  }),
  preKeyBundles: t.field({
    type: PreKeyBundlesRef,
    description:
      "Claim prekey bundles of a user's devices: all of them (except the caller and devices without a signed prekey), or the named Signal device ids. " +
      'Each one-time key is handed out once and deleted (a mutation for that reason). Rate limited per (calling device, target device): a bucket of PREKEY_FETCH_BURST (6), ' +
      '+1 every PREKEY_FETCH_REFILL_SECONDS (600 s); a refused call takes nothing.',
    errors: { types: [NotFoundError, RateLimitedError, InvalidInputError] },
    args: {
      userId: t.arg.id({ required: true }),
      deviceIds: t.arg.intList({ description: 'Signal device ids (1..127); omit for all devices.' }),
    },
    resolve: (_r, a, ctx) => ctx.services.keys.claimBundles(requireAuth(ctx), String(a.userId), a.deviceIds ?? null),
  }),
}));

builder.subscriptionFields((t) => ({
  preKeysLow: t.field({
    type: PreKeysLowRef,
    description: "Fires once when a claim leaves one of the calling device's one-time prekey stocks below PREKEY_LOW_THRESHOLD (10); again only after a refill to the threshold or above.",
    subscribe: (_r, _a, ctx) => ctx.services.bus.subscribe('preKeysLow', requireAuth(ctx).deviceUuid),
    resolve: (p) => ({ oneTime: p.oneTime, kyberOneTime: p.kyberOneTime }),
  }),
}));
