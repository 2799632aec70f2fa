import { describe, expect, it } from 'vitest';
import { fromBase64 } from '../../src/client/base64.js';
import { DEFAULT_KEY_POLICY, KeyManager, type PreKeyCounts, type UploadInput } from '../../src/client/keys.js';
import { createMemoryStore } from '../../src/client/stores/memory-store.js';
import { generateRegistrationId, IdentityKeyPair, KyberPublicKey, PublicKey } from '../../src/protocol/index.js';

/** A fake key directory that keeps counts like the server does. */
function fakeApi() {
  const uploads: UploadInput[] = [];
  const counts: PreKeyCounts = { oneTime: 0, kyberOneTime: 0, signedPreKeyId: null, lastResortKyberPreKeyId: null };
  return {
    uploads,
    counts,
    api: {
      counts: async () => ({ ...counts }),
      upload: async (input: UploadInput) => {
        uploads.push(input);
        counts.oneTime += input.oneTimePreKeys?.length ?? 0;
        counts.kyberOneTime += input.oneTimeKyberPreKeys?.length ?? 0;
        if (input.signedPreKey) counts.signedPreKeyId = input.signedPreKey.keyId;
        if (input.lastResortKyberPreKey) counts.lastResortKyberPreKeyId = input.lastResortKyberPreKey.keyId;
        return { ...counts };
      },
    },
  };
}

async function setup(now: () => number, policy = DEFAULT_KEY_POLICY) {
  const store = createMemoryStore();
  const identity = IdentityKeyPair.generate();
  await store.initializeIdentity(identity, generateRegistrationId());
  const f = fakeApi();
  return { store, identity, ...f, keys: new KeyManager(store, f.api, now, policy) };
}

describe('KeyManager', () => {
  it('first upload: signed prekey, last-resort Kyber key, 100 + 100 one-time keys, all signed by the identity and kept locally', async () => {
    const { keys, uploads, store, identity } = await setup(() => 1_000);
    await keys.initialUpload();
    const [u] = uploads;
    expect(u.oneTimePreKeys).toHaveLength(100);
    expect(u.oneTimeKyberPreKeys).toHaveLength(100);
    const spk = PublicKey.deserialize(fromBase64(u.signedPreKey!.publicKey));
    expect(await identity.publicKey.verifySignature(spk.serialize(), fromBase64(u.signedPreKey!.signature))).toBe(true);
    const lr = KyberPublicKey.deserialize(fromBase64(u.lastResortKyberPreKey!.publicKey));
    expect(await identity.publicKey.verifySignature(lr.serialize(), fromBase64(u.lastResortKyberPreKey!.signature))).toBe(true);
    for (const k of u.oneTimeKyberPreKeys!.slice(0, 5)) {
      expect(await identity.publicKey.verifySignature(fromBase64(k.publicKey), fromBase64(k.signature))).toBe(true);
    }
    // private halves are stored under the uploaded ids; Kyber ids never collide between kinds
    await store.loadPreKey(u.oneTimePreKeys![99].keyId);
    await store.loadKyberPreKey(u.lastResortKyberPreKey!.keyId);
    const kyberIds = [u.lastResortKyberPreKey!.keyId, ...u.oneTimeKyberPreKeys!.map((k) => k.keyId)];
    expect(new Set(kyberIds).size).toBe(101);
  });

  it('refills only the stocks below the threshold, up to the batch size, with fresh ids', async () => {
    const { keys, uploads, counts } = await setup(() => 1_000);
    await keys.initialUpload();
    expect(await keys.refill()).toBeNull(); // full: nothing to do
    counts.oneTime = 3;
    await keys.refill();
    const u = uploads.at(-1)!;
    expect(u.oneTimePreKeys).toHaveLength(97);
    expect(u.oneTimeKyberPreKeys).toBeUndefined();
    expect(Math.min(...u.oneTimePreKeys!.map((k) => k.keyId))).toBe(101);
    counts.kyberOneTime = 50;
    await keys.refill(undefined, Number.POSITIVE_INFINITY); // the low-stock event: refill whatever the count
    expect(uploads.at(-1)!.oneTimeKyberPreKeys).toHaveLength(50);
  });

  it('concurrent refills upload once', async () => {
    const { keys, uploads, counts } = await setup(() => 1_000);
    await keys.initialUpload();
    counts.oneTime = 0;
    await Promise.all([keys.refill(), keys.refill(), keys.refill()]);
    expect(uploads).toHaveLength(2);
  });

  it('rotates on schedule by the injected clock and purges retired keys after the grace period', async () => {
    let now = 0;
    const { keys, uploads, store } = await setup(() => now);
    await keys.initialUpload();
    const firstSigned = uploads[0].signedPreKey!.keyId;
    now = DEFAULT_KEY_POLICY.signedPreKeyRotationMs - 1;
    expect(await keys.rotateIfDue()).toEqual({ signed: false, lastResort: false });
    expect(await keys.msUntilRotation()).toBe(1);
    now += 1;
    expect(await keys.rotateIfDue()).toEqual({ signed: true, lastResort: true });
    expect(uploads.at(-1)!.signedPreKey!.keyId).not.toBe(firstSigned);
    await store.loadSignedPreKey(firstSigned);
    now += DEFAULT_KEY_POLICY.retiredKeepMs;
    await keys.rotateIfDue();
    await expect(store.loadSignedPreKey(firstSigned)).rejects.toThrow();
  });
});
