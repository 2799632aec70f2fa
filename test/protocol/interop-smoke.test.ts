// Smoke interop with libsignal-client (test-only, AGPL; never imported from src/): our library as
// initiator and as recipient, a few messages both ways, X3DH (0.72.1) and PQXDH (0.72.1 and 0.90.0).
import * as L072 from 'libsignal-072';
import * as L090 from 'libsignal-090';
import { describe, expect, it } from 'vitest';
import * as P from '../../src/protocol/index.js';

type S = any; // the two libsignal versions differ in small typings; the calls used here are shared

function libsignalPeer(S: S, name: string) {
  const identity = S.IdentityKeyPair.generate();
  const registrationId = 1 + Math.floor(Math.random() * 16000);
  const sessions = new Map<string, any>();
  const identities = new Map<string, any>();
  const preKeys = new Map<number, any>();
  const signed = new Map<number, any>();
  const kyber = new Map<number, any>();
  const k = (a: any) => `${a.name()}.${a.deviceId()}`;
  const sessionStore = new (class extends S.SessionStore {
    async saveSession(a: any, r: any) { sessions.set(k(a), r); }
    async getSession(a: any) { return sessions.get(k(a)) ?? null; }
    async getExistingSessions(as: any[]) { return as.map((a) => sessions.get(k(a))); }
  })();
  const identityStore = new (class extends S.IdentityKeyStore {
    async getIdentityKey() { return identity.privateKey; }
    async getLocalRegistrationId() { return registrationId; }
    async saveIdentity(a: any, key: any) {
      const old = identities.get(k(a));
      identities.set(k(a), key);
      return old && !Buffer.from(old.serialize()).equals(Buffer.from(key.serialize())) ? 1 : 0;
    }
    async isTrustedIdentity(a: any, key: any) {
      const old = identities.get(k(a));
      return !old || Buffer.from(old.serialize()).equals(Buffer.from(key.serialize()));
    }
    async getIdentity(a: any) { return identities.get(k(a)) ?? null; }
  })();
  const preKeyStore = new (class extends S.PreKeyStore {
    async savePreKey(id: number, r: any) { preKeys.set(id, r); }
    async getPreKey(id: number) { return preKeys.get(id); }
    async removePreKey(id: number) { preKeys.delete(id); }
  })();
  const signedStore = new (class extends S.SignedPreKeyStore {
    async saveSignedPreKey(id: number, r: any) { signed.set(id, r); }
    async getSignedPreKey(id: number) { return signed.get(id); }
  })();
  const kyberStore = new (class extends S.KyberPreKeyStore {
    async saveKyberPreKey(id: number, r: any) { kyber.set(id, r); }
    async getKyberPreKey(id: number) { return kyber.get(id); }
    async markKyberPreKeyUsed() {}
  })();
  const address = { name, deviceId: 1 };
  return {
    S,
    address,
    identity,
    registrationId,
    /** a bundle in our library's shape, private halves kept here */
    async bundle(withKyber: boolean): Promise<P.PreKeyBundle> {
      const pk = S.PrivateKey.generate();
      await preKeyStore.savePreKey(11, S.PreKeyRecord.new(11, pk.getPublicKey(), pk));
      const spk = S.PrivateKey.generate();
      const spkSig = identity.privateKey.sign(spk.getPublicKey().serialize());
      await signedStore.saveSignedPreKey(22, S.SignedPreKeyRecord.new(22, Date.now(), spk.getPublicKey(), spk, spkSig));
      const b: P.PreKeyBundle = {
        registrationId,
        deviceId: 1,
        preKeyId: 11,
        preKeyPublic: P.PublicKey.deserialize(pk.getPublicKey().serialize()),
        signedPreKeyId: 22,
        signedPreKeyPublic: P.PublicKey.deserialize(spk.getPublicKey().serialize()),
        signedPreKeySignature: new Uint8Array(spkSig),
        identityKey: P.PublicKey.deserialize(identity.publicKey.serialize()),
      };
      if (withKyber) {
        const kem = S.KEMKeyPair.generate();
        const ksig = identity.privateKey.sign(kem.getPublicKey().serialize());
        await kyberStore.saveKyberPreKey(33, S.KyberPreKeyRecord.new(33, Date.now(), kem, ksig));
        b.kyberPreKeyId = 33;
        b.kyberPreKeyPublic = P.KyberPublicKey.deserialize(kem.getPublicKey().serialize());
        b.kyberPreKeySignature = new Uint8Array(ksig);
      }
      return b;
    },
    async processBundle(from: { address: { name: string; deviceId: number } }, b: P.PreKeyBundle) {
      const args: any[] = [
        b.registrationId,
        b.deviceId,
        b.preKeyId ?? null,
        b.preKeyPublic ? S.PublicKey.deserialize(Buffer.from(b.preKeyPublic.serialize())) : null,
        b.signedPreKeyId,
        S.PublicKey.deserialize(Buffer.from(b.signedPreKeyPublic.serialize())),
        Buffer.from(b.signedPreKeySignature),
        S.PublicKey.deserialize(Buffer.from(b.identityKey.serialize())),
      ];
      if (b.kyberPreKeyPublic) args.push(b.kyberPreKeyId, S.KEMPublicKey.deserialize(Buffer.from(b.kyberPreKeyPublic.serialize())), Buffer.from(b.kyberPreKeySignature!));
      const bundle = S.PreKeyBundle.new(...args);
      await S.processPreKeyBundle(bundle, S.ProtocolAddress.new(from.address.name, from.address.deviceId), sessionStore, identityStore);
    },
    async encrypt(to: { address: { name: string; deviceId: number } }, pt: Uint8Array): Promise<P.CiphertextMessage> {
      const c = await S.signalEncrypt(Buffer.from(pt), S.ProtocolAddress.new(to.address.name, to.address.deviceId), sessionStore, identityStore);
      return { type: c.type(), body: new Uint8Array(c.serialize()) };
    },
    async decrypt(from: { address: { name: string; deviceId: number } }, m: P.CiphertextMessage): Promise<Uint8Array> {
      const a = S.ProtocolAddress.new(from.address.name, from.address.deviceId);
      if (m.type === 2) return new Uint8Array(await S.signalDecrypt(S.SignalMessage.deserialize(Buffer.from(m.body)), a, sessionStore, identityStore));
      return new Uint8Array(
        await S.signalDecryptPreKey(S.PreKeySignalMessage.deserialize(Buffer.from(m.body)), a, sessionStore, identityStore, preKeyStore, signedStore, kyberStore),
      );
    },
  };
}

function ourPeer(name: string) {
  const identity = P.IdentityKeyPair.generate();
  const registrationId = P.generateRegistrationId();
  const store = new P.InMemorySignalProtocolStore(identity, registrationId);
  const address = { name, deviceId: 1 };
  const addr = (a: { name: string; deviceId: number }) => new P.ProtocolAddress(a.name, a.deviceId);
  return {
    address,
    store,
    async bundle(withKyber: boolean): Promise<P.PreKeyBundle> {
      const [pk] = P.generatePreKeys(5, 1);
      await store.storePreKey(pk.id, pk);
      const spk = await P.generateSignedPreKey(identity, 6);
      await store.storeSignedPreKey(spk.id, spk);
      const b: P.PreKeyBundle = {
        registrationId,
        deviceId: 1,
        preKeyId: pk.id,
        preKeyPublic: pk.publicKey,
        signedPreKeyId: spk.id,
        signedPreKeyPublic: spk.publicKey,
        signedPreKeySignature: spk.signature,
        identityKey: identity.publicKey,
      };
      if (withKyber) {
        const kpk = await P.generateKyberPreKey(identity, 7);
        await store.storeKyberPreKey(kpk.id, kpk);
        Object.assign(b, { kyberPreKeyId: kpk.id, kyberPreKeyPublic: kpk.publicKey, kyberPreKeySignature: kpk.signature });
      }
      return b;
    },
    processBundle: (from: { address: { name: string; deviceId: number } }, b: P.PreKeyBundle) => P.processPreKeyBundle(b, addr(from.address), store),
    encrypt: (to: { address: { name: string; deviceId: number } }, pt: Uint8Array) => P.signalEncrypt(pt, addr(to.address), store),
    decrypt: (from: { address: { name: string; deviceId: number } }, m: P.CiphertextMessage) =>
      m.type === 2 ? P.signalDecrypt(m.body, addr(from.address), store) : P.signalDecryptPreKey(m.body, addr(from.address), store),
  };
}

type Peer = ReturnType<typeof ourPeer> | ReturnType<typeof libsignalPeer>;
const text = (s: string) => new TextEncoder().encode(s);

/** initiator sends 3 (PreKey messages), recipient replies 3, then 4 alternating, then 3 one way. */
async function converse(initiator: Peer, recipient: Peer, withKyber: boolean, expectVersion: number) {
  await initiator.processBundle(recipient, await recipient.bundle(withKyber));
  const send = async (from: Peer, to: Peer, s: string, type?: number) => {
    const m = await from.encrypt(to, text(s));
    if (type !== undefined) expect(m.type).toBe(type);
    expect(m.body[0] >> 4).toBe(expectVersion);
    expect(new TextDecoder().decode(await to.decrypt(from, m))).toBe(s);
  };
  for (let i = 0; i < 3; i++) await send(initiator, recipient, `hello ${i}`, 3);
  for (let i = 0; i < 3; i++) await send(recipient, initiator, `reply ${i}`, 2);
  for (let i = 0; i < 4; i++) {
    await send(initiator, recipient, `ping ${i}`, 2);
    await send(recipient, initiator, `pong ${i}`, 2);
  }
  // out of order: encrypt three, deliver in reverse
  const batch = [];
  for (let i = 0; i < 3; i++) batch.push(await initiator.encrypt(recipient, text(`ooo ${i}`)));
  for (let i = 2; i >= 0; i--) expect(new TextDecoder().decode(await recipient.decrypt(initiator, batch[i]))).toBe(`ooo ${i}`);
  await send(recipient, initiator, 'done', 2);
}

const cases = [
  { lib: '0.72.1', S: L072, kyber: false, version: 3 },
  { lib: '0.72.1', S: L072, kyber: true, version: 4 },
  { lib: '0.90.0', S: L090, kyber: true, version: 4 },
];

describe.each(['webcrypto', 'noble'] as const)('interop smoke (%s backend)', (backend) => {
  for (const c of cases) {
    const proto = c.kyber ? 'PQXDH' : 'X3DH';
    it(`${proto} with libsignal ${c.lib}: ours initiates`, async () => {
      P.setCryptoBackend(backend);
      await converse(ourPeer('alice'), libsignalPeer(c.S, 'bob'), c.kyber, c.version);
    });
    it(`${proto} with libsignal ${c.lib}: libsignal initiates`, async () => {
      P.setCryptoBackend(backend);
      await converse(libsignalPeer(c.S, 'alice'), ourPeer('bob'), c.kyber, c.version);
    });
  }
});

describe.each(['webcrypto', 'noble'] as const)('keys and records against libsignal 0.72.1 (%s backend)', (backend) => {
  it('XEdDSA signatures verify in both directions (both Edwards sign bits), tampered ones do not', async () => {
    P.setCryptoBackend(backend);
    const signBits = new Set<number>();
    for (let i = 0; i < 24; i++) {
      const msg = crypto.getRandomValues(new Uint8Array(33 + i));
      const ours = P.IdentityKeyPair.generate();
      const sig = await ours.privateKey.sign(msg);
      signBits.add(sig[63] >> 7);
      expect(L072.PublicKey.deserialize(Buffer.from(ours.publicKey.serialize())).verify(Buffer.from(msg), Buffer.from(sig))).toBe(true);
      const theirs = L072.IdentityKeyPair.generate();
      const tsig = new Uint8Array(theirs.privateKey.sign(Buffer.from(msg)));
      const theirPub = P.PublicKey.deserialize(theirs.publicKey.serialize());
      expect(await theirPub.verifySignature(msg, tsig)).toBe(true);
      tsig[i % 64] ^= 0x04;
      expect(await theirPub.verifySignature(msg, tsig)).toBe(false);
    }
    expect(signBits.size).toBe(2);
  });

  it('X25519 agreement, identity key pairs and prekey records match libsignal byte for byte', async () => {
    P.setCryptoBackend(backend);
    const theirs = L072.IdentityKeyPair.generate();
    const ours = P.IdentityKeyPair.deserialize(theirs.serialize());
    expect(Buffer.from(ours.serialize()).equals(Buffer.from(theirs.serialize()))).toBe(true);
    const peer = L072.PrivateKey.generate();
    const shared = await ours.privateKey.agree(P.PublicKey.deserialize(peer.getPublicKey().serialize()));
    expect(Buffer.from(shared).equals(theirs.privateKey.agree(peer.getPublicKey()))).toBe(true);

    const spk = await P.generateSignedPreKey(ours, 42, 1_700_000_000_123);
    const spkTheirs = L072.SignedPreKeyRecord.deserialize(Buffer.from(spk.serialize()));
    expect([spkTheirs.id(), spkTheirs.timestamp()]).toEqual([42, 1_700_000_000_123]);
    expect(Buffer.from(spkTheirs.serialize()).equals(Buffer.from(spk.serialize()))).toBe(true);
    const kpk = await P.generateKyberPreKey(ours, 43, 5);
    const kTheirs = L072.KyberPreKeyRecord.deserialize(Buffer.from(kpk.serialize()));
    expect(Buffer.from(kTheirs.publicKey().serialize()).equals(Buffer.from(kpk.publicKey.serialize()))).toBe(true);
    expect(theirs.publicKey.verify(kTheirs.publicKey().serialize(), kTheirs.signature())).toBe(true);
    const [pk] = P.generatePreKeys(44, 1);
    expect(L072.PreKeyRecord.deserialize(Buffer.from(pk.serialize())).id()).toBe(44);
    const back = P.KyberPreKeyRecord.deserialize(L072.KyberPreKeyRecord.new(45, 9, L072.KEMKeyPair.generate(), Buffer.alloc(64)).serialize());
    expect(back.id).toBe(45);
  });
});
