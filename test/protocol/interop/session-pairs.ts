// Two parties with a Double Ratchet session, to produce real PreKey (type 3) and Whisper (type 2) messages:
// both libsignal-client of one version (0.72.1, 0.90.0 or 0.103.0; each version talks to itself, SPQR
// included) or both our library. Used by the DecryptionErrorMessage tests, which need genuine messages of
// each implementation and the sender's view of its current ratchet key.
import * as L72 from 'libsignal-072';
import * as L103 from 'libsignal-0103';
import * as P from '../../../src/protocol/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Lib = any;

export interface WireMessage {
  type: 2 | 3;
  body: Uint8Array;
}

export interface SessionParty {
  readonly deviceId: number;
  encrypt(to: SessionParty, plaintext: Uint8Array): Promise<WireMessage>;
  decrypt(from: SessionParty, message: WireMessage): Promise<Uint8Array>;
  /** whether `ratchetKey` (33 bytes) is this party's current sending ratchet key with `peer` */
  currentRatchetKeyMatches(peer: SessionParty, ratchetKey: Uint8Array): Promise<boolean>;
}

/** alice has processed bob's bundle: her first message is a PreKey message, bob's reply a Whisper message. */
export async function libsignalSessionPair(S: Lib): Promise<{ alice: SessionParty; bob: SessionParty }> {
  const v103 = S === L103;
  const buf = (b: Uint8Array) => (S === L72 ? Buffer.from(b) : new Uint8Array(b));
  const make = (name: string, deviceId: number) => {
    const identity = S.IdentityKeyPair.generate();
    const registrationId = 1 + Math.floor(Math.random() * 16000);
    const sessions = new Map<string, Lib>();
    const identities = new Map<string, Lib>();
    const preKeys = new Map<number, Lib>();
    const signed = new Map<number, Lib>();
    const kyber = new Map<number, Lib>();
    const k = (a: Lib) => `${a.name()}.${a.deviceId()}`;
    const sessionStore = new (class extends S.SessionStore {
      async saveSession(a: Lib, r: Lib) {
        sessions.set(k(a), r);
      }
      async getSession(a: Lib) {
        return sessions.get(k(a)) ?? null;
      }
      async getExistingSessions(as: Lib[]) {
        return as.map((a) => sessions.get(k(a)));
      }
    })();
    const identityStore = new (class extends S.IdentityKeyStore {
      async getIdentityKey() {
        return identity.privateKey;
      }
      async getLocalRegistrationId() {
        return registrationId;
      }
      async saveIdentity(a: Lib, key: Lib) {
        const prev = identities.get(k(a));
        identities.set(k(a), key);
        const changed = prev !== undefined && Buffer.compare(Buffer.from(prev.serialize()), Buffer.from(key.serialize())) !== 0;
        return S.IdentityChange ? (changed ? S.IdentityChange.ReplacedExisting : S.IdentityChange.NewOrUnchanged) : changed;
      }
      async isTrustedIdentity(a: Lib, key: Lib) {
        const prev = identities.get(k(a));
        return prev === undefined || Buffer.compare(Buffer.from(prev.serialize()), Buffer.from(key.serialize())) === 0;
      }
      async getIdentity(a: Lib) {
        return identities.get(k(a)) ?? null;
      }
    })();
    const preKeyStore = new (class extends S.PreKeyStore {
      async savePreKey(id: number, r: Lib) {
        preKeys.set(id, r);
      }
      async getPreKey(id: number) {
        return preKeys.get(id);
      }
      async removePreKey(id: number) {
        preKeys.delete(id);
      }
    })();
    const signedStore = new (class extends S.SignedPreKeyStore {
      async saveSignedPreKey(id: number, r: Lib) {
        signed.set(id, r);
      }
      async getSignedPreKey(id: number) {
        return signed.get(id);
      }
    })();
    const kyberStore = new (class extends S.KyberPreKeyStore {
      async saveKyberPreKey(id: number, r: Lib) {
        kyber.set(id, r);
      }
      async getKyberPreKey(id: number) {
        return kyber.get(id);
      }
      async markKyberPreKeyUsed() {}
    })();
    const address = S.ProtocolAddress.new(name, deviceId);
    const party = {
      deviceId,
      address,
      async bundle() {
        const pk = S.PrivateKey.generate();
        await preKeyStore.savePreKey(11, S.PreKeyRecord.new(11, pk.getPublicKey(), pk));
        const spk = S.PrivateKey.generate();
        const spkSig = identity.privateKey.sign(spk.getPublicKey().serialize());
        await signedStore.saveSignedPreKey(22, S.SignedPreKeyRecord.new(22, Date.now(), spk.getPublicKey(), spk, spkSig));
        const kem = S.KEMKeyPair.generate();
        const kSig = identity.privateKey.sign(kem.getPublicKey().serialize());
        await kyberStore.saveKyberPreKey(33, S.KyberPreKeyRecord.new(33, Date.now(), kem, kSig));
        return S.PreKeyBundle.new(registrationId, deviceId, 11, pk.getPublicKey(), 22, spk.getPublicKey(), spkSig, identity.publicKey, 33, kem.getPublicKey(), kSig);
      },
      async processBundle(owner: Lib, bundle: Lib) {
        if (v103) await S.processPreKeyBundle(bundle, owner.address, address, sessionStore, identityStore);
        else await S.processPreKeyBundle(bundle, owner.address, sessionStore, identityStore);
      },
      async encrypt(to: Lib, plaintext: Uint8Array): Promise<WireMessage> {
        const m = v103 ? await S.signalEncrypt(buf(plaintext), to.address, address, sessionStore, identityStore) : await S.signalEncrypt(buf(plaintext), to.address, sessionStore, identityStore);
        return { type: m.type(), body: new Uint8Array(m.serialize()) };
      },
      async decrypt(from: Lib, message: WireMessage): Promise<Uint8Array> {
        if (message.type === 3) {
          const m = S.PreKeySignalMessage.deserialize(buf(message.body));
          const args = [sessionStore, identityStore, preKeyStore, signedStore, kyberStore];
          return new Uint8Array(v103 ? await S.signalDecryptPreKey(m, from.address, address, ...args) : await S.signalDecryptPreKey(m, from.address, ...args));
        }
        const m = S.SignalMessage.deserialize(buf(message.body));
        return new Uint8Array(v103 ? await S.signalDecrypt(m, from.address, address, sessionStore, identityStore) : await S.signalDecrypt(m, from.address, sessionStore, identityStore));
      },
      async currentRatchetKeyMatches(peer: Lib, ratchetKey: Uint8Array) {
        const record = await sessionStore.getSession(peer.address);
        return record.currentRatchetKeyMatches(S.PublicKey.deserialize(buf(ratchetKey)));
      },
    };
    return party;
  };
  const alice = make('alice', 1);
  const bob = make('bob', 7);
  await alice.processBundle(bob, await bob.bundle());
  return { alice, bob } as unknown as { alice: SessionParty; bob: SessionParty };
}

/** The same over our library (PQXDH). */
export async function oursSessionPair(): Promise<{ alice: SessionParty; bob: SessionParty }> {
  const make = (name: string, deviceId: number) => {
    const identity = P.IdentityKeyPair.generate();
    const registrationId = P.generateRegistrationId();
    const store = new P.InMemorySignalProtocolStore(identity, registrationId);
    return { deviceId, identity, registrationId, store, address: new P.ProtocolAddress(name, deviceId) };
  };
  type Ours = ReturnType<typeof make>;
  const a = make('alice', 1);
  const b = make('bob', 7);
  const spk = await P.generateSignedPreKey(b.identity, 22);
  await b.store.storeSignedPreKey(22, spk);
  const [pk] = P.generatePreKeys(11, 1);
  await b.store.storePreKey(pk.id, pk);
  const kpk = await P.generateKyberPreKey(b.identity, 33);
  await b.store.storeKyberPreKey(33, kpk);
  await P.processPreKeyBundle(
    {
      registrationId: b.registrationId,
      deviceId: b.deviceId,
      preKeyId: pk.id,
      preKeyPublic: pk.publicKey,
      signedPreKeyId: 22,
      signedPreKeyPublic: spk.publicKey,
      signedPreKeySignature: spk.signature,
      identityKey: b.identity.publicKey,
      kyberPreKeyId: 33,
      kyberPreKeyPublic: kpk.publicKey,
      kyberPreKeySignature: kpk.signature,
    },
    b.address,
    a.store,
  );
  const wrap = (me: Ours): SessionParty & { me: Ours } => ({
    me,
    deviceId: me.deviceId,
    encrypt: (to, plaintext) => P.signalEncrypt(plaintext, (to as unknown as { me: Ours }).me.address, me.store),
    decrypt: (from, m) => {
      const addr = (from as unknown as { me: Ours }).me.address;
      return m.type === 3 ? P.signalDecryptPreKey(m.body, addr, me.store) : P.signalDecrypt(m.body, addr, me.store);
    },
    async currentRatchetKeyMatches(peer, ratchetKey) {
      const record = await me.store.loadSession((peer as unknown as { me: Ours }).me.address);
      return P.currentRatchetKeyMatches(record!, P.PublicKey.deserialize(ratchetKey));
    },
  });
  return { alice: wrap(a), bob: wrap(b) };
}
