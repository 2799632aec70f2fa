/**
 * The key directory against the real server: uploads with real keys from the protocol library, typed
 * refusals that store nothing, bundle claims that set up sessions, at-most-once hand-out under
 * concurrency, the low-stock event, rotation grace, rate limits and cascade on device removal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/server/config.js';
import {
  CiphertextMessageType,
  generateKyberPreKey,
  generatePreKeys,
  generateSignedPreKey,
  IdentityKeyPair,
  InMemorySignalProtocolStore,
  KyberPublicKey,
  ProtocolAddress,
  PublicKey,
  processPreKeyBundle,
  signalDecryptPreKey,
  signalEncrypt,
  type KyberPreKeyRecord,
  type PreKeyBundle,
  type PreKeyRecord,
  type SignedPreKeyRecord,
} from '../../src/protocol/index.js';
import { fakeIdentityKey, gql, onRealPostgres, type Registered, register, startServer, type TestServer, wsClient } from './harness.js';

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

export const UPLOAD = /* GraphQL */ `
  mutation Upload($i: UploadPreKeysInput!) {
    uploadPreKeys(input: $i) {
      __typename
      ... on PreKeyCounts { oneTime kyberOneTime signedPreKeyId lastResortKyberPreKeyId }
      ... on Error { code message }
      ... on InvalidSignatureError { field keyId }
      ... on DuplicateKeyIdError { field keyId }
      ... on InvalidKeyError { field }
      ... on InvalidInputError { field }
    }
  }
`;

export const BUNDLES = /* GraphQL */ `
  mutation Bundles($u: ID!, $d: [Int!]) {
    preKeyBundles(userId: $u, deviceIds: $d) {
      __typename
      ... on PreKeyBundles {
        userId
        bundles {
          userId deviceId device registrationId identityKey
          signedPreKey { keyId publicKey signature }
          preKey { keyId publicKey }
          kyberPreKey { keyId publicKey signature lastResort }
        }
      }
      ... on Error { code message }
      ... on RateLimitedError { retryAfterSeconds }
      ... on NotFoundError { resource id }
      ... on InvalidInputError { field }
    }
  }
`;

const COUNTS = '{ preKeyCounts { oneTime kyberOneTime signedPreKeyId lastResortKyberPreKeyId } }';

/** A device with real keys: identity, registration id, and a store holding every private key it uploads. */
interface KeyedDevice {
  reg: Registered;
  identity: IdentityKeyPair;
  registrationId: number;
  store: InMemorySignalProtocolStore;
}

async function keyedUser(url: string): Promise<KeyedDevice> {
  const identity = IdentityKeyPair.generate();
  const registrationId = 1 + Math.floor(Math.random() * 16000);
  const reg = await register(url, { identityKey: b64(identity.publicKey.serialize()), registrationId });
  return { reg, identity, registrationId, store: new InMemorySignalProtocolStore(identity, registrationId) };
}

interface KeySet {
  oneTime?: PreKeyRecord[];
  signed?: SignedPreKeyRecord;
  kyber?: KyberPreKeyRecord[];
  lastResort?: KyberPreKeyRecord;
}

async function makeKeys(d: KeyedDevice, o: { oneTime?: number; kyber?: number; signed?: boolean; lastResort?: boolean; start?: number }): Promise<KeySet> {
  const start = o.start ?? 1;
  const ks: KeySet = {};
  if (o.oneTime) ks.oneTime = generatePreKeys(start, o.oneTime);
  if (o.signed) ks.signed = await generateSignedPreKey(d.identity, start);
  if (o.kyber) ks.kyber = await Promise.all(Array.from({ length: o.kyber }, (_, i) => generateKyberPreKey(d.identity, start + i)));
  if (o.lastResort) ks.lastResort = await generateKyberPreKey(d.identity, start + 10_000);
  for (const k of ks.oneTime ?? []) await d.store.storePreKey(k.id, k);
  if (ks.signed) await d.store.storeSignedPreKey(ks.signed.id, ks.signed);
  for (const k of ks.kyber ?? []) await d.store.storeKyberPreKey(k.id, k);
  if (ks.lastResort) await d.store.storeKyberPreKey(ks.lastResort.id, ks.lastResort, true);
  return ks;
}

function uploadInput(ks: KeySet): Record<string, unknown> {
  const i: Record<string, unknown> = {};
  if (ks.oneTime) i.oneTimePreKeys = ks.oneTime.map((k) => ({ keyId: k.id, publicKey: b64(k.publicKey.serialize()) }));
  if (ks.signed) i.signedPreKey = { keyId: ks.signed.id, publicKey: b64(ks.signed.publicKey.serialize()), signature: b64(ks.signed.signature) };
  if (ks.kyber) i.oneTimeKyberPreKeys = ks.kyber.map((k) => ({ keyId: k.id, publicKey: b64(k.publicKey.serialize()), signature: b64(k.signature) }));
  if (ks.lastResort) {
    i.lastResortKyberPreKey = { keyId: ks.lastResort.id, publicKey: b64(ks.lastResort.publicKey.serialize()), signature: b64(ks.lastResort.signature) };
  }
  return i;
}

async function upload(url: string, token: string, input: Record<string, unknown>) {
  const r = await gql(url, UPLOAD, { i: input }, token);
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return r.data.uploadPreKeys;
}

async function counts(url: string, token: string) {
  return (await gql(url, COUNTS, {}, token)).data.preKeyCounts;
}

function toBundle(b: any): PreKeyBundle {
  return {
    registrationId: b.registrationId,
    deviceId: b.deviceId,
    identityKey: PublicKey.deserialize(unb64(b.identityKey)),
    signedPreKeyId: b.signedPreKey.keyId,
    signedPreKeyPublic: PublicKey.deserialize(unb64(b.signedPreKey.publicKey)),
    signedPreKeySignature: unb64(b.signedPreKey.signature),
    ...(b.preKey ? { preKeyId: b.preKey.keyId, preKeyPublic: PublicKey.deserialize(unb64(b.preKey.publicKey)) } : {}),
    ...(b.kyberPreKey
      ? {
          kyberPreKeyId: b.kyberPreKey.keyId,
          kyberPreKeyPublic: KyberPublicKey.deserialize(unb64(b.kyberPreKey.publicKey)),
          kyberPreKeySignature: unb64(b.kyberPreKey.signature),
        }
      : {}),
  };
}

/** Sets up a session from `sender` with the fetched bundle and has `recipient` decrypt the first message. */
async function roundTrip(sender: KeyedDevice, recipient: KeyedDevice, bundle: any, text: string): Promise<string> {
  const toRecipient = new ProtocolAddress(recipient.reg.userId, bundle.deviceId);
  await processPreKeyBundle(toBundle(bundle), toRecipient, sender.store);
  const msg = await signalEncrypt(new TextEncoder().encode(text), toRecipient, sender.store);
  expect(msg.type).toBe(CiphertextMessageType.PreKey);
  const fromSender = new ProtocolAddress(sender.reg.userId, sender.reg.deviceId);
  return new TextDecoder().decode(await signalDecryptPreKey(msg.body, fromSender, recipient.store));
}

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s?.stop());

describe('upload and claim with real keys', () => {
  it('a claimed bundle sets up a PQXDH session and the recipient decrypts; each one-time key goes once, in upload order', async () => {
    const bob = await keyedUser(s.url);
    const ks = await makeKeys(bob, { oneTime: 3, kyber: 2, signed: true, lastResort: true, start: 100 });
    const up = await upload(s.url, bob.reg.token, uploadInput(ks));
    expect(up).toEqual({ __typename: 'PreKeyCounts', oneTime: 3, kyberOneTime: 2, signedPreKeyId: 100, lastResortKyberPreKeyId: 10_100 });

    const senders = await Promise.all([keyedUser(s.url), keyedUser(s.url), keyedUser(s.url), keyedUser(s.url)]);
    const seen: any[] = [];
    for (const [i, alice] of senders.entries()) {
      const r = await gql(s.url, BUNDLES, { u: bob.reg.userId }, alice.reg.token);
      expect(r.data.preKeyBundles.__typename).toBe('PreKeyBundles');
      const [bundle] = r.data.preKeyBundles.bundles;
      expect(bundle).toMatchObject({ userId: bob.reg.userId, deviceId: 1, device: bob.reg.deviceUuid, registrationId: bob.registrationId });
      expect(bundle.identityKey).toBe(b64(bob.identity.publicKey.serialize()));
      expect(bundle.signedPreKey.keyId).toBe(100);
      seen.push(bundle);
      expect(await roundTrip(alice, bob, bundle, `hello ${i}`)).toBe(`hello ${i}`);
    }
    // one-time EC keys in upload order, then none; Kyber one-time keys, then the last-resort key
    expect(seen.map((b) => b.preKey?.keyId ?? null)).toEqual([100, 101, 102, null]);
    expect(seen.map((b) => [b.kyberPreKey.keyId, b.kyberPreKey.lastResort])).toEqual([
      [100, false],
      [101, false],
      [10_100, true],
      [10_100, true],
    ]);
    expect(await counts(s.url, bob.reg.token)).toMatchObject({ oneTime: 0, kyberOneTime: 0 });
  });

  it('a device without Kyber keys still yields an X3DH bundle; one without a signed prekey cannot be fetched', async () => {
    const bob = await keyedUser(s.url);
    const alice = await keyedUser(s.url);
    const none = await gql(s.url, BUNDLES, { u: bob.reg.userId, d: [1] }, alice.reg.token);
    expect(none.data.preKeyBundles).toMatchObject({ __typename: 'NotFoundError', resource: 'PreKeyBundle' });
    const all = await gql(s.url, BUNDLES, { u: bob.reg.userId }, alice.reg.token);
    expect(all.data.preKeyBundles.bundles).toEqual([]);
    // one-time keys alone do not make a device fetchable
    expect(await upload(s.url, bob.reg.token, uploadInput(await makeKeys(bob, { oneTime: 2 })))).toMatchObject({ oneTime: 2, signedPreKeyId: null });
    expect((await gql(s.url, BUNDLES, { u: bob.reg.userId }, alice.reg.token)).data.preKeyBundles.bundles).toEqual([]);
    await upload(s.url, bob.reg.token, uploadInput(await makeKeys(bob, { signed: true, start: 7 })));
    const r = await gql(s.url, BUNDLES, { u: bob.reg.userId }, alice.reg.token);
    const [bundle] = r.data.preKeyBundles.bundles;
    expect(bundle.kyberPreKey).toBeNull();
    expect(bundle.preKey.keyId).toBe(1);
    expect(bundle.signedPreKey.keyId).toBe(7);
  });

  it('unknown users and devices are NotFound; the calling device is not its own target', async () => {
    const a = await keyedUser(s.url);
    await upload(s.url, a.reg.token, uploadInput(await makeKeys(a, { signed: true })));
    const unknownUser = await gql(s.url, BUNDLES, { u: '00000000-0000-4000-8000-000000000000' }, a.reg.token);
    expect(unknownUser.data.preKeyBundles).toMatchObject({ __typename: 'NotFoundError', resource: 'User' });
    const junk = await gql(s.url, BUNDLES, { u: 'not-a-uuid' }, a.reg.token);
    expect(junk.data.preKeyBundles).toMatchObject({ __typename: 'NotFoundError', resource: 'User' });
    const b = await keyedUser(s.url);
    await upload(s.url, b.reg.token, uploadInput(await makeKeys(b, { signed: true })));
    const unknownDevice = await gql(s.url, BUNDLES, { u: b.reg.userId, d: [1, 5] }, a.reg.token);
    expect(unknownDevice.data.preKeyBundles).toMatchObject({ __typename: 'NotFoundError', resource: 'Device', id: `${b.reg.userId}.5` });
    const self = await gql(s.url, BUNDLES, { u: a.reg.userId, d: [1] }, a.reg.token);
    expect(self.data.preKeyBundles).toMatchObject({ __typename: 'InvalidInputError', field: 'deviceIds' });
    const selfAll = await gql(s.url, BUNDLES, { u: a.reg.userId }, a.reg.token);
    expect(selfAll.data.preKeyBundles.bundles).toEqual([]);
    const anon = await gql(s.url, BUNDLES, { u: b.reg.userId });
    expect(anon.status).toBe(401);
  });

  it('key ids are uint32: 0 and 4294967295 are stored and handed out, 2^32 is refused', async () => {
    const bob = await keyedUser(s.url);
    const alice = await keyedUser(s.url);
    const [k0, k1] = generatePreKeys(1, 2);
    const spk = await generateSignedPreKey(bob.identity, 0xffffffff);
    const up = await upload(s.url, bob.reg.token, {
      oneTimePreKeys: [
        { keyId: 0xffffffff, publicKey: b64(k0.publicKey.serialize()) },
        { keyId: 0, publicKey: b64(k1.publicKey.serialize()) },
      ],
      signedPreKey: { keyId: 0xffffffff, publicKey: b64(spk.publicKey.serialize()), signature: b64(spk.signature) },
    });
    expect(up).toMatchObject({ oneTime: 2, signedPreKeyId: 0xffffffff });
    const r = await gql(s.url, BUNDLES, { u: bob.reg.userId }, alice.reg.token);
    expect(r.data.preKeyBundles.bundles[0].preKey.keyId).toBe(0xffffffff);
    expect(r.data.preKeyBundles.bundles[0].signedPreKey.keyId).toBe(0xffffffff);
    const tooBig = await gql(s.url, UPLOAD, { i: { oneTimePreKeys: [{ keyId: 2 ** 32, publicKey: b64(k0.publicKey.serialize()) }] } }, bob.reg.token);
    expect(tooBig.errors?.[0].message).toMatch(/UInt32/);
    const negative = await gql(s.url, UPLOAD, { i: { oneTimePreKeys: [{ keyId: -1, publicKey: b64(k0.publicKey.serialize()) }] } }, bob.reg.token);
    expect(negative.errors?.[0].message).toMatch(/UInt32/);
  });
});

describe('refused uploads store nothing', () => {
  let bob: KeyedDevice;
  let good: KeySet;
  let before: any;

  beforeAll(async () => {
    bob = await keyedUser(s.url);
    good = await makeKeys(bob, { oneTime: 5, kyber: 5, signed: true, lastResort: true, start: 1 });
    await upload(s.url, bob.reg.token, uploadInput(good));
    before = await counts(s.url, bob.reg.token);
    expect(before).toEqual({ oneTime: 5, kyberOneTime: 5, signedPreKeyId: 1, lastResortKyberPreKeyId: 10_001 });
  });

  async function fresh(start: number, o: { oneTime?: number; kyber?: number; signed?: boolean; lastResort?: boolean } = { oneTime: 5, kyber: 5, signed: true, lastResort: true }) {
    return uploadInput(await makeKeys(bob, { ...o, start }));
  }

  async function expectRefused(input: Record<string, unknown>, expected: Record<string, unknown>) {
    const r = await upload(s.url, bob.reg.token, input);
    expect(r).toMatchObject(expected);
    expect(await counts(s.url, bob.reg.token)).toEqual(before);
  }

  it('a forged signed-prekey signature (made by another identity) -> InvalidSignatureError naming it', async () => {
    const input: any = await fresh(1000);
    const mallory = IdentityKeyPair.generate();
    const forged = await generateSignedPreKey(mallory, 1000);
    input.signedPreKey = { keyId: 1000, publicKey: b64(forged.publicKey.serialize()), signature: b64(forged.signature) };
    await expectRefused(input, { __typename: 'InvalidSignatureError', code: 'INVALID_SIGNATURE', field: 'signedPreKey.signature', keyId: 1000 });
  });

  it('one bad Kyber signature among valid keys -> InvalidSignatureError for oneTimeKyberPreKeys[3]', async () => {
    const input: any = await fresh(2000);
    const sig = unb64(input.oneTimeKyberPreKeys[3].signature);
    sig[10] ^= 1;
    input.oneTimeKyberPreKeys[3].signature = b64(sig);
    await expectRefused(input, { __typename: 'InvalidSignatureError', field: 'oneTimeKyberPreKeys[3].signature', keyId: 2003 });
  });

  it('a signature over a different key (swapped) and a last-resort signature of the wrong length', async () => {
    const input: any = await fresh(3000);
    input.oneTimeKyberPreKeys[0].signature = input.oneTimeKyberPreKeys[1].signature;
    await expectRefused(input, { __typename: 'InvalidSignatureError', field: 'oneTimeKyberPreKeys[0].signature', keyId: 3000 });
    const short: any = await fresh(3100);
    short.lastResortKyberPreKey.signature = b64(new Uint8Array(63));
    await expectRefused(short, { __typename: 'InvalidSignatureError', field: 'lastResortKyberPreKey.signature' });
  });

  it.each([
    ['EC one-time key of 32 bytes', 'oneTimePreKeys', 2, (k: Uint8Array) => k.slice(1), /33 bytes/],
    ['EC one-time key with type byte 0x08', 'oneTimePreKeys', 4, (k: Uint8Array) => Uint8Array.of(8, ...k.slice(1)), /type byte 0x05/],
    ['Kyber key of 1568 bytes', 'oneTimeKyberPreKeys', 1, (k: Uint8Array) => k.slice(1), /1569 bytes/],
    ['Kyber key with type byte 0x05', 'oneTimeKyberPreKeys', 0, (k: Uint8Array) => Uint8Array.of(5, ...k.slice(1)), /type byte 0x08/],
  ])('%s -> InvalidKeyError naming it', async (_n, list, index, mangle, msg) => {
    const input: any = await fresh(4000 + index * 10);
    input[list][index].publicKey = b64(mangle(unb64(input[list][index].publicKey)));
    const r = await upload(s.url, bob.reg.token, input);
    expect(r).toMatchObject({ __typename: 'InvalidKeyError', code: 'INVALID_KEY', field: `${list}[${index}].publicKey` });
    expect(r.message).toMatch(msg);
    expect(await counts(s.url, bob.reg.token)).toEqual(before);
  });

  it('a wrong-length signed prekey -> InvalidKeyError signedPreKey.publicKey', async () => {
    const input: any = await fresh(5000);
    input.signedPreKey.publicKey = b64(new Uint8Array(34).fill(5));
    await expectRefused(input, { __typename: 'InvalidKeyError', field: 'signedPreKey.publicKey' });
  });

  it('101 one-time keys (EC or Kyber) in one upload -> InvalidInputError', async () => {
    const ec = generatePreKeys(6000, 101).map((k) => ({ keyId: k.id, publicKey: b64(k.publicKey.serialize()) }));
    await expectRefused({ oneTimePreKeys: ec }, { __typename: 'InvalidInputError', field: 'oneTimePreKeys' });
    const ky: any = await fresh(7000, { kyber: 100 });
    ky.oneTimeKyberPreKeys.push(ky.oneTimeKyberPreKeys[0]);
    await expectRefused(ky, { __typename: 'InvalidInputError', field: 'oneTimeKyberPreKeys' });
    // exactly 100 of each is fine
    const ok = await upload(s.url, bob.reg.token, { ...(await fresh(8000, { kyber: 100 })), oneTimePreKeys: ec.slice(0, 100) });
    expect(ok).toMatchObject({ __typename: 'PreKeyCounts', oneTime: 105, kyberOneTime: 105 });
    before = await counts(s.url, bob.reg.token);
  });

  it('a key id used twice in one upload, or already stored, -> DuplicateKeyIdError naming it', async () => {
    const within: any = await fresh(9000);
    within.oneTimePreKeys[3].keyId = within.oneTimePreKeys[1].keyId;
    await expectRefused(within, { __typename: 'DuplicateKeyIdError', code: 'DUPLICATE_KEY_ID', field: 'oneTimePreKeys[3].keyId', keyId: 9001 });

    const kyberVsLastResort: any = await fresh(9100);
    kyberVsLastResort.lastResortKyberPreKey.keyId = 9102;
    await expectRefused(kyberVsLastResort, { __typename: 'DuplicateKeyIdError', field: 'lastResortKyberPreKey.keyId', keyId: 9102 });

    const storedEc: any = await fresh(9200);
    storedEc.oneTimePreKeys[2].keyId = 3; // uploaded in beforeAll
    await expectRefused(storedEc, { __typename: 'DuplicateKeyIdError', field: 'oneTimePreKeys[2].keyId', keyId: 3 });

    const storedSigned: any = await fresh(9300);
    storedSigned.signedPreKey = uploadInput(good).signedPreKey;
    await expectRefused(storedSigned, { __typename: 'DuplicateKeyIdError', field: 'signedPreKey.keyId', keyId: 1 });

    const storedLastResort: any = await fresh(9400);
    storedLastResort.oneTimeKyberPreKeys = [uploadInput(good).lastResortKyberPreKey];
    await expectRefused(storedLastResort, { __typename: 'DuplicateKeyIdError', field: 'oneTimeKyberPreKeys[0].keyId', keyId: 10_001 });
  });

  it('the same id in different kinds is fine', async () => {
    const ks = await makeKeys(bob, { oneTime: 1, kyber: 1, start: 77_777 });
    const r = await upload(s.url, bob.reg.token, uploadInput(ks));
    expect(r).toMatchObject({ oneTime: before.oneTime + 1, kyberOneTime: before.kyberOneTime + 1 });
    before = await counts(s.url, bob.reg.token);
  });
});

describe('rotation', () => {
  it('a replaced signed prekey / last-resort key is kept for the grace period (not handed out), then purged', async () => {
    const g = await startServer({ keyRotationGraceSeconds: 1 });
    try {
      const bob = await keyedUser(g.url);
      const alice = await keyedUser(g.url);
      /** The grace period of every replaced key runs out (the database clock moves, no sleep). */
      const graceOver = async () => {
        for (const t of ['signed_prekeys', 'kyber_prekeys']) {
          await g.app.services.knex.raw(`update ${t} set replaced_at = replaced_at - interval '2 seconds' where device = ? and replaced_at is not null`, [
            bob.reg.deviceUuid,
          ]);
        }
      };
      const stored = async () =>
        (
          await g.app.services.knex.raw(
            `select 'spk' as kind, key_id::int as id, replaced_at is null as current from signed_prekeys where device = ?
             union all select 'lr', key_id::int, replaced_at is null from kyber_prekeys where device = ? and last_resort order by 1, 2`,
            [bob.reg.deviceUuid, bob.reg.deviceUuid],
          )
        ).rows;
      await upload(g.url, bob.reg.token, uploadInput(await makeKeys(bob, { signed: true, lastResort: true, start: 1 })));
      // alice fetches a bundle, then bob rotates before she uses it
      const old = (await gql(g.url, BUNDLES, { u: bob.reg.userId }, alice.reg.token)).data.preKeyBundles.bundles[0];
      await upload(g.url, bob.reg.token, uploadInput(await makeKeys(bob, { signed: true, lastResort: true, start: 2 })));
      expect(await stored()).toEqual([
        { kind: 'lr', id: 10_001, current: false },
        { kind: 'lr', id: 10_002, current: true },
        { kind: 'spk', id: 1, current: false },
        { kind: 'spk', id: 2, current: true },
      ]);
      // a session set up from the bundle fetched before the rotation still completes (bob keeps its keys
      // locally for the same grace period)
      expect(await roundTrip(alice, bob, old, 'in flight')).toBe('in flight');
      const carol = await keyedUser(g.url);
      const fresh = (await gql(g.url, BUNDLES, { u: bob.reg.userId }, carol.reg.token)).data.preKeyBundles.bundles[0];
      expect([fresh.signedPreKey.keyId, fresh.kyberPreKey.keyId]).toEqual([2, 10_002]);
      // an id still in its grace period cannot be reused
      const again = await upload(g.url, bob.reg.token, uploadInput(await makeKeys(bob, { signed: true, start: 1 })));
      expect(again).toMatchObject({ __typename: 'DuplicateKeyIdError', field: 'signedPreKey.keyId' });
      await graceOver();
      await upload(g.url, bob.reg.token, uploadInput(await makeKeys(bob, { signed: true, start: 3 })));
      expect(await stored()).toEqual([
        { kind: 'lr', id: 10_002, current: true },
        { kind: 'spk', id: 2, current: false },
        { kind: 'spk', id: 3, current: true },
      ]);
      // and the global purge takes the rest once their grace is over
      await graceOver();
      expect(await g.app.services.keys.purgeExpired()).toBeGreaterThanOrEqual(1);
      expect(await stored()).toEqual([
        { kind: 'lr', id: 10_002, current: true },
        { kind: 'spk', id: 3, current: true },
      ]);
    } finally {
      await g.stop();
    }
  });
});

describe('rate limits', () => {
  it('the 7th fetch of the same device within the window is RateLimitedError; other targets and requesters are not affected; a refused fetch takes nothing', async () => {
    expect([s.config.preKeyFetchBurst, s.config.preKeyFetchRefillSeconds]).toEqual([6, 600]);
    const bob = await keyedUser(s.url);
    const carol = await keyedUser(s.url);
    await upload(s.url, bob.reg.token, uploadInput(await makeKeys(bob, { oneTime: 20, signed: true })));
    await upload(s.url, carol.reg.token, uploadInput(await makeKeys(carol, { oneTime: 5, signed: true })));
    const alice = await keyedUser(s.url);
    for (let i = 0; i < 6; i++) {
      const r = await gql(s.url, BUNDLES, { u: bob.reg.userId }, alice.reg.token);
      expect(r.data.preKeyBundles.__typename, `fetch ${i + 1}`).toBe('PreKeyBundles');
    }
    const seventh = await gql(s.url, BUNDLES, { u: bob.reg.userId }, alice.reg.token);
    expect(seventh.data.preKeyBundles).toMatchObject({ __typename: 'RateLimitedError', code: 'RATE_LIMITED' });
    expect(seventh.data.preKeyBundles.retryAfterSeconds).toBeGreaterThan(0);
    expect(seventh.data.preKeyBundles.retryAfterSeconds).toBeLessThanOrEqual(600);
    expect((await counts(s.url, bob.reg.token)).oneTime).toBe(14);
    expect((await gql(s.url, BUNDLES, { u: carol.reg.userId }, alice.reg.token)).data.preKeyBundles.__typename).toBe('PreKeyBundles');
    const dave = await keyedUser(s.url);
    expect((await gql(s.url, BUNDLES, { u: bob.reg.userId }, dave.reg.token)).data.preKeyBundles.__typename).toBe('PreKeyBundles');
  });

  it("fetching the own user's other devices is limited the same way, per target device", async () => {
    const owner = await keyedUser(s.url);
    const code = (await gql(s.url, 'mutation { createDeviceLinkCode { code } }', {}, owner.reg.token)).data.createDeviceLinkCode.code;
    const linked = await gql(
      s.url,
      `mutation($c: String!, $d: NewDeviceInput!) { linkDevice(code: $c, device: $d) { ... on DeviceCredentials { accessToken device { id } } } }`,
      { c: code, d: { name: 'laptop', registrationId: 9, identityKey: fakeIdentityKey() } },
    );
    const laptopToken = linked.data.linkDevice.accessToken;
    await upload(s.url, owner.reg.token, uploadInput(await makeKeys(owner, { signed: true })));
    for (let i = 0; i < 6; i++) {
      const r = await gql(s.url, BUNDLES, { u: owner.reg.userId }, laptopToken);
      expect(r.data.preKeyBundles.bundles.map((b: any) => b.deviceId)).toEqual([1]);
    }
    const r = await gql(s.url, BUNDLES, { u: owner.reg.userId, d: [1] }, laptopToken);
    expect(r.data.preKeyBundles.__typename).toBe('RateLimitedError');
  });

  it('the bucket refills over time (RateLimiter on PostgreSQL)', async () => {
    const limiter = s.app.services.rateLimiter;
    const key = `test:${Math.random()}`;
    const b = { burst: 2, refillPerSecond: 4 };
    await limiter.take(key, b);
    await limiter.take(key, b);
    const err = await limiter.take(key, b).catch((e) => e);
    expect(err).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
    await new Promise((r) => setTimeout(r, 300));
    await limiter.take(key, b);
    expect(await limiter.peek(key, b)).toBeLessThan(1);
    await expect(limiter.take(key, b, 3)).rejects.toThrow(/exceeds burst/);
  });
});

describe('low-count event', () => {
  it('preKeysLow fires once when a claim crosses the threshold, and again only after a refill and a new crossing', async () => {
    const t = await startServer({ preKeyFetchBurst: 100 });
    try {
      const bob = await keyedUser(t.url);
      const alice = await keyedUser(t.url);
      await upload(t.url, bob.reg.token, uploadInput(await makeKeys(bob, { oneTime: 12, kyber: 10, signed: true, lastResort: true })));
      const events: any[] = [];
      const client = wsClient(t.wsUrl, bob.reg.token);
      const unsubscribe = client.subscribe(
        { query: 'subscription { preKeysLow { oneTime kyberOneTime } }' },
        { next: (v) => events.push(v.data?.preKeysLow ?? v), error: (e) => events.push({ error: e }), complete: () => {} },
      );
      try {
        await new Promise((r) => setTimeout(r, 300));
        const claim = () => gql(t.url, BUNDLES, { u: bob.reg.userId }, alice.reg.token);
        // Kyber 10 -> 9 crosses at once; EC 12 -> 11
        await claim();
        await new Promise((r) => setTimeout(r, 100));
        expect(events).toEqual([{ oneTime: 11, kyberOneTime: 9 }]);
        await claim(); // EC 10, Kyber 8: nothing new
        await claim(); // EC 9: crosses
        await claim(); // EC 8
        await new Promise((r) => setTimeout(r, 100));
        expect(events).toEqual([
          { oneTime: 11, kyberOneTime: 9 },
          { oneTime: 9, kyberOneTime: 7 },
        ]);
        // a refill that stays below the threshold does not re-arm; one to >= 10 does
        await upload(t.url, bob.reg.token, uploadInput(await makeKeys(bob, { oneTime: 1, start: 500 })));
        await claim(); // EC 8
        await upload(t.url, bob.reg.token, uploadInput(await makeKeys(bob, { oneTime: 3, start: 600 }))); // EC 11
        await claim(); // 10
        await claim(); // 9: crosses again
        await claim(); // 8
        await new Promise((r) => setTimeout(r, 100));
        expect(events).toEqual([
          { oneTime: 11, kyberOneTime: 9 },
          { oneTime: 9, kyberOneTime: 7 },
          { oneTime: 9, kyberOneTime: 3 },
        ]);
        expect(await counts(t.url, bob.reg.token)).toMatchObject({ oneTime: 8, kyberOneTime: 2 });
      } finally {
        unsubscribe();
        await client.dispose();
      }
    } finally {
      await t.stop();
    }
  });
});

describe('device removal', () => {
  it("removing a device removes all of its keys and key state (FK cascade)", async () => {
    const owner = await keyedUser(s.url);
    const code = (await gql(s.url, 'mutation { createDeviceLinkCode { code } }', {}, owner.reg.token)).data.createDeviceLinkCode.code;
    const identity = IdentityKeyPair.generate();
    const linked = (
      await gql(
        s.url,
        `mutation($c: String!, $d: NewDeviceInput!) { linkDevice(code: $c, device: $d) { ... on DeviceCredentials { accessToken device { id deviceId } } } }`,
        { c: code, d: { name: 'laptop', registrationId: 9, identityKey: b64(identity.publicKey.serialize()) } },
      )
    ).data.linkDevice;
    const laptop: KeyedDevice = {
      reg: { ...owner.reg, deviceUuid: linked.device.id, deviceId: linked.device.deviceId, token: linked.accessToken },
      identity,
      registrationId: 9,
      store: new InMemorySignalProtocolStore(identity, 9),
    };
    await upload(s.url, laptop.reg.token, uploadInput(await makeKeys(laptop, { oneTime: 10, kyber: 10, signed: true, lastResort: true })));
    await upload(s.url, laptop.reg.token, uploadInput(await makeKeys(laptop, { signed: true, start: 50 }))); // one replaced key kept
    const rows = async () =>
      (
        await s.app.services.knex.raw(
          `select (select count(*) from one_time_prekeys where device = ?)::int as ot, (select count(*) from signed_prekeys where device = ?)::int as spk,
                  (select count(*) from kyber_prekeys where device = ?)::int as ky, (select count(*) from device_prekey_state where device = ?)::int as st`,
          Array(4).fill(laptop.reg.deviceUuid),
        )
      ).rows[0];
    expect(await rows()).toEqual({ ot: 10, spk: 2, ky: 11, st: 1 });
    const removed = await gql(s.url, `mutation($id: ID!) { removeDevice(id: $id) { __typename } }`, { id: laptop.reg.deviceUuid }, owner.reg.token);
    expect(removed.data.removeDevice.__typename).toBe('Device');
    expect(await rows()).toEqual({ ot: 0, spk: 0, ky: 0, st: 0 });
  });
});

describe('at most once under concurrency', () => {
  const concurrent = async (embedded: boolean) => {
    // Embedded: pglite-socket interleaves the extended-protocol messages (Parse/Bind) of concurrent
    // connections outside transactions ("bind message supplies 1 parameters, but prepared statement
    // requires 5"), so the pool is one connection there; PGlite runs one statement at a time anyway. The 50
    // HTTP requests still race through the server.
    const c = await startServer({ dbPoolSize: embedded ? 1 : 20 });
    try {
      const bob = await keyedUser(c.url);
      await upload(c.url, bob.reg.token, uploadInput(await makeKeys(bob, { oneTime: 10, kyber: 10, signed: true, lastResort: true })));
      const requesters: Registered[] = [];
      for (let i = 0; i < 5; i++) requesters.push(...(await Promise.all(Array.from({ length: 10 }, () => register(c.url)))));
      const results = await Promise.all(requesters.map((r) => gql(c.url, BUNDLES, { u: bob.reg.userId }, r.token)));
      const bundles = results.map((r) => {
        expect(r.data?.preKeyBundles?.__typename, JSON.stringify(r)).toBe('PreKeyBundles');
        return r.data.preKeyBundles.bundles[0];
      });
      const ec = bundles.filter((b) => b.preKey).map((b) => b.preKey.keyId);
      expect(ec).toHaveLength(10);
      expect(new Set(ec).size).toBe(10);
      expect(ec.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(bundles.filter((b) => !b.preKey)).toHaveLength(40);
      const kyberOneTime = bundles.filter((b) => !b.kyberPreKey.lastResort).map((b) => b.kyberPreKey.keyId);
      expect(new Set(kyberOneTime).size).toBe(10);
      expect(kyberOneTime).toHaveLength(10);
      const lastResort = bundles.filter((b) => b.kyberPreKey.lastResort);
      expect(lastResort).toHaveLength(40);
      expect(new Set(lastResort.map((b) => b.kyberPreKey.keyId))).toEqual(new Set([10_001]));
      expect(await counts(c.url, bob.reg.token)).toMatchObject({ oneTime: 0, kyberOneTime: 0 });
      // the handed-out keys are real: each sets up a session bob can complete
      const alice = await keyedUser(c.url);
      const one = bundles.find((b) => b.preKey);
      expect(await roundTrip(alice, bob, one, embedded ? 'embedded' : 'postgres')).toBeTruthy();
    } finally {
      await c.stop();
    }
  };

  it.skipIf(!onRealPostgres())('50 simultaneous claims on 10 one-time EC and 10 Kyber keys hand out each key once (real PostgreSQL)', () => concurrent(false));
  it.skipIf(onRealPostgres())('50 simultaneous claims hand out each key once (embedded PGlite: one connection, statements serialized)', () => concurrent(true));

  it('claims use the (device, id) indexes when the tables hold 100x more keys of other devices', async () => {
    const knex = s.app.services.knex;
    const tag = `bulk_${Date.now()}`;
    // 200 other devices with 125 one-time EC and 125 Kyber keys each: 25,000 rows per table, 100x the device's own
    await knex.raw(
      `insert into users (id, username, display_name) select gen_random_uuid(), ? || '_' || g, 'bulk' from generate_series(1, 200) g`,
      [tag],
    );
    await knex.raw(
      `insert into devices (id, user_id, device_id, name, registration_id, identity_key, secret_hash)
       select gen_random_uuid(), u.id, 1, 'bulk', 1, '\\x05'::bytea || decode(md5(u.id::text) || md5(u.username), 'hex'), 'x'
         from users u where u.username like ? || '\\_%'`,
      [tag],
    );
    const bulk = `(select d.id from devices d join users u on u.id = d.user_id where u.username like '${tag}\\_%')`;
    await knex.raw(
      `insert into one_time_prekeys (device, key_id, public_key)
       select d.id, g, '\\x05'::bytea || decode(md5(d.id::text || g) || md5(g::text), 'hex') from ${bulk} d(id), generate_series(1, 125) g`,
    );
    await knex.raw(
      `insert into kyber_prekeys (device, key_id, public_key, signature, last_resort)
       select d.id, g, '\\x08'::bytea || decode(repeat('00', 1568), 'hex'), decode(repeat('00', 64), 'hex'), false from ${bulk} d(id), generate_series(1, 125) g`,
    );
    try {
      await knex.raw('analyze one_time_prekeys');
      await knex.raw('analyze kyber_prekeys');
      const bob = await keyedUser(s.url);
      await upload(s.url, bob.reg.token, uploadInput(await makeKeys(bob, { oneTime: 3, kyber: 3, signed: true, lastResort: true })));
      const plan = async (sql: string) =>
        ((await knex.raw(`explain ${sql}`, [bob.reg.deviceUuid])).rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
      const ec = await plan(`select id from one_time_prekeys where device = ? order by id limit 1 for update skip locked`);
      expect(ec).toMatch(/Index.*one_time_prekeys_device_id_idx/);
      expect(ec).not.toMatch(/Seq Scan/);
      const ky = await plan(`select id from kyber_prekeys where device = ? and not last_resort order by id limit 1 for update skip locked`);
      expect(ky).toMatch(/Index.*kyber_prekeys_one_time_idx/);
      expect(ky).not.toMatch(/Seq Scan/);
      // and the claim itself is still right
      const alice = await keyedUser(s.url);
      const r = await gql(s.url, BUNDLES, { u: bob.reg.userId }, alice.reg.token);
      expect(r.data.preKeyBundles.bundles[0]).toMatchObject({ preKey: { keyId: 1 }, kyberPreKey: { keyId: 1, lastResort: false } });
    } finally {
      await knex.raw(`delete from users where username like ? || '\\_%'`, [tag]);
    }
  });
});

describe('configuration', () => {
  it('documents its defaults (7-day rotation grace, threshold 10, bucket of 6 + 1 per 600 s) and refuses bad values naming the variable', () => {
    expect(loadConfig({})).toMatchObject({ keyRotationGraceSeconds: 604_800, preKeyLowThreshold: 10, preKeyFetchBurst: 6, preKeyFetchRefillSeconds: 600 });
    expect(loadConfig({ PREKEY_FETCH_BURST: '20', PREKEY_FETCH_REFILL_SECONDS: '60', KEY_ROTATION_GRACE_SECONDS: '0' })).toMatchObject({
      preKeyFetchBurst: 20,
      preKeyFetchRefillSeconds: 60,
      keyRotationGraceSeconds: 0,
    });
    for (const name of ['KEY_ROTATION_GRACE_SECONDS', 'PREKEY_LOW_THRESHOLD', 'PREKEY_FETCH_BURST', 'PREKEY_FETCH_REFILL_SECONDS']) {
      expect(() => loadConfig({ [name]: 'x' })).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: '-1' })).toThrow(name);
    }
    expect(() => loadConfig({ PREKEY_FETCH_BURST: '0' })).toThrow('PREKEY_FETCH_BURST');
  });
});
