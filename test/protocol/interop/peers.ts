// Peer abstraction for the interop suite: the same small surface over libsignal-client 0.72.1,
// 0.90.0, 0.92.2 and 0.103.0 (test-only oracles, AGPL, never imported from src/) and our library
// (src/protocol, per docs/protocol-api.md). Bundles and messages cross the boundary as plain bytes.
import * as L72 from 'libsignal-072';
import * as L90 from 'libsignal-090';
import * as L0922 from 'libsignal-0922';
import * as L0103 from 'libsignal-0103';
import { seededByteRng } from './util.js';

export type LibsignalVersion = '0.72.1' | '0.90.0' | '0.92.2' | '0.103.0';
export type Impl = `libsignal-${LibsignalVersion}` | 'ours';
const LIBS: Record<LibsignalVersion, unknown> = { '0.72.1': L72, '0.90.0': L90, '0.92.2': L0922, '0.103.0': L0103 };

export interface PortableBundle {
  registrationId: number;
  deviceId: number;
  preKeyId?: number;
  preKeyPublic?: Uint8Array; // 33 bytes
  signedPreKeyId: number;
  signedPreKeyPublic: Uint8Array; // 33 bytes
  signedPreKeySignature: Uint8Array; // 64 bytes
  identityKey: Uint8Array; // 33 bytes
  kyberPreKeyId?: number;
  kyberPreKeyPublic?: Uint8Array; // 1569 bytes
  kyberPreKeySignature?: Uint8Array;
}

export interface BundleOptions {
  /** include a signed Kyber prekey (PQXDH); default true */
  kyber?: boolean;
  /** include a one-time prekey; default true */
  oneTimePreKey?: boolean;
}

export interface Wire {
  type: 2 | 3;
  body: Uint8Array;
}

/** Library-independent classes of failures, so ours and libsignal can be compared. */
export type ErrorClass =
  | 'DuplicatedMessage'
  | 'InvalidMessage'
  | 'UntrustedIdentity'
  | 'NoSession'
  | 'InvalidKey'
  | 'InvalidSignature'
  | 'InvalidPreKeyId'
  | 'InvalidSignedPreKeyId'
  | 'InvalidKyberPreKeyId'
  | 'UnsupportedVersion'
  | 'Other';

export interface Addr {
  name: string;
  deviceId: number;
}

export interface Peer {
  readonly name: string;
  readonly impl: Impl;
  readonly address: Addr;
  /** serialized identity public key (33 bytes) */
  identityKey(): Uint8Array;
  /** a fresh bundle (new prekey ids each call); private halves stay in this peer's stores */
  bundle(opts?: BundleOptions): Promise<PortableBundle>;
  processBundle(owner: Peer, bundle: PortableBundle): Promise<void>;
  encrypt(to: Peer, plaintext: Uint8Array): Promise<Wire>;
  decrypt(from: Peer, msg: Wire): Promise<Uint8Array>;
  /** map a thrown error to an ErrorClass ('Other' when unknown) */
  classify(e: unknown): ErrorClass;
  hasSession(other: Peer): Promise<boolean>;
}

export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return `${e.name}${code !== undefined ? `[${String(code)}]` : ''}: ${e.message}`;
  }
  return String(e);
}

const addrKey = (a: Addr) => `${a.name}.${a.deviceId}`;

// ------------------------------------------------------------------------------------------
// libsignal-client (all versions share the store shapes; typings differ in Buffer vs
// Uint8Array<ArrayBuffer> and in which calls take the local address (0.92.2: encrypt and PreKey
// decrypt; 0.103.0: every call), so this adapter works on the module as `any`).
// ------------------------------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Lib = any;

function libsignalStores(S: Lib, identity: Lib, registrationId: number, persistSessions = false) {
  // session records are kept as objects (libsignal copies them across the native bridge anyway);
  // serializing on every save made a 25k-message run ~2x slower. `persistSessions` keeps only
  // SessionRecord.serialize() bytes and deserializes on every load, as an app restarting would.
  const live = new Map<string, Lib>();
  const persisted = new Map<string, Uint8Array>();
  const sessions = {
    get: (key: string): Lib | undefined => {
      if (!persistSessions) return live.get(key);
      const b = persisted.get(key);
      return b ? S.SessionRecord.deserialize(buf(b)) : undefined;
    },
    set: (key: string, r: Lib) => {
      if (persistSessions) persisted.set(key, new Uint8Array(r.serialize()));
      else live.set(key, r);
    },
  };
  const identities = new Map<string, Uint8Array>();
  const preKeys = new Map<number, Uint8Array>();
  const signed = new Map<number, Uint8Array>();
  const kyber = new Map<number, Uint8Array>();
  const k = (a: Lib) => `${a.name()}.${a.deviceId()}`;
  const buf = (b: Uint8Array) => (S === L72 ? Buffer.from(b) : new Uint8Array(b));

  class Sessions extends S.SessionStore {
    async saveSession(a: Lib, r: Lib) {
      sessions.set(k(a), r);
    }
    async getSession(a: Lib) {
      return sessions.get(k(a)) ?? null;
    }
    async getExistingSessions(as: Lib[]) {
      return as.map((a) => {
        const r = sessions.get(k(a));
        if (!r) throw new Error(`no session for ${k(a)}`);
        return r;
      });
    }
  }
  class Identities extends S.IdentityKeyStore {
    async getIdentityKey() {
      return identity.privateKey;
    }
    async getLocalRegistrationId() {
      return registrationId;
    }
    async saveIdentity(a: Lib, key: Lib) {
      const prev = identities.get(k(a));
      const ser = key.serialize();
      identities.set(k(a), ser);
      return prev && Buffer.compare(Buffer.from(prev), Buffer.from(ser)) !== 0
        ? S.IdentityChange.ReplacedExisting
        : S.IdentityChange.NewOrUnchanged;
    }
    async isTrustedIdentity(a: Lib, key: Lib) {
      const prev = identities.get(k(a));
      return !prev || Buffer.compare(Buffer.from(prev), Buffer.from(key.serialize())) === 0;
    }
    async getIdentity(a: Lib) {
      const prev = identities.get(k(a));
      return prev ? S.PublicKey.deserialize(buf(prev)) : null;
    }
  }
  class PreKeys extends S.PreKeyStore {
    async savePreKey(id: number, r: Lib) {
      preKeys.set(id, r.serialize());
    }
    async getPreKey(id: number) {
      const b = preKeys.get(id);
      if (!b) throw new Error(`no prekey ${id}`);
      return S.PreKeyRecord.deserialize(buf(b));
    }
    async removePreKey(id: number) {
      preKeys.delete(id);
    }
  }
  class SignedPreKeys extends S.SignedPreKeyStore {
    async saveSignedPreKey(id: number, r: Lib) {
      signed.set(id, r.serialize());
    }
    async getSignedPreKey(id: number) {
      const b = signed.get(id);
      if (!b) throw new Error(`no signed prekey ${id}`);
      return S.SignedPreKeyRecord.deserialize(buf(b));
    }
  }
  class KyberPreKeys extends S.KyberPreKeyStore {
    async saveKyberPreKey(id: number, r: Lib) {
      kyber.set(id, r.serialize());
    }
    async getKyberPreKey(id: number) {
      const b = kyber.get(id);
      if (!b) throw new Error(`no kyber prekey ${id}`);
      return S.KyberPreKeyRecord.deserialize(buf(b));
    }
    async markKyberPreKeyUsed(id: number) {
      // every bundle here carries a fresh one-time Kyber prekey (no last-resort keys): remove it
      kyber.delete(id);
    }
  }
  return {
    session: new Sessions(),
    identity: new Identities(),
    preKey: new PreKeys(),
    signedPreKey: new SignedPreKeys(),
    kyberPreKey: new KyberPreKeys(),
    raw: { sessions, preKeys },
  };
}

let nextRegistrationId = 1000;

export class LibsignalPeer implements Peer {
  readonly impl: Impl;
  readonly address: Addr;
  private readonly S: Lib;
  private readonly identity: Lib;
  private readonly registrationId: number;
  private readonly stores: ReturnType<typeof libsignalStores>;
  private nextId = 1;

  private readonly version: LibsignalVersion;

  constructor(
    readonly name: string,
    version: LibsignalVersion,
    deviceId = 1,
    opts: { persistSessions?: boolean } = {},
  ) {
    this.S = LIBS[version];
    this.version = version;
    this.impl = `libsignal-${version}`;
    this.address = { name, deviceId };
    this.identity = this.S.IdentityKeyPair.generate();
    this.registrationId = (nextRegistrationId++ % 16000) + 1;
    this.stores = libsignalStores(this.S, this.identity, this.registrationId, opts.persistSessions);
  }

  private buf(b: Uint8Array): Lib {
    return this.S === L72 ? Buffer.from(b) : new Uint8Array(b);
  }
  private addr(a: Addr): Lib {
    return this.S.ProtocolAddress.new(a.name, a.deviceId);
  }

  identityKey(): Uint8Array {
    return new Uint8Array(this.identity.publicKey.serialize());
  }

  async bundle(opts: BundleOptions = {}): Promise<PortableBundle> {
    const S = this.S;
    const id = this.nextId++;
    const now = Date.now();
    const b: PortableBundle = {
      registrationId: this.registrationId,
      deviceId: this.address.deviceId,
      signedPreKeyId: id,
      signedPreKeyPublic: new Uint8Array(0),
      signedPreKeySignature: new Uint8Array(0),
      identityKey: this.identityKey(),
    };
    if (opts.oneTimePreKey !== false) {
      const pk = S.PrivateKey.generate();
      await this.stores.preKey.savePreKey(id, S.PreKeyRecord.new(id, pk.getPublicKey(), pk));
      b.preKeyId = id;
      b.preKeyPublic = new Uint8Array(pk.getPublicKey().serialize());
    }
    const spk = S.PrivateKey.generate();
    const spkPub = spk.getPublicKey().serialize();
    const spkSig = this.identity.privateKey.sign(spkPub);
    await this.stores.signedPreKey.saveSignedPreKey(
      id,
      S.SignedPreKeyRecord.new(id, now, spk.getPublicKey(), spk, spkSig),
    );
    b.signedPreKeyPublic = new Uint8Array(spkPub);
    b.signedPreKeySignature = new Uint8Array(spkSig);
    if (opts.kyber !== false) {
      const kem = S.KEMKeyPair.generate();
      const kpub = kem.getPublicKey().serialize();
      const ksig = this.identity.privateKey.sign(kpub);
      await this.stores.kyberPreKey.saveKyberPreKey(id, S.KyberPreKeyRecord.new(id, now, kem, ksig));
      b.kyberPreKeyId = id;
      b.kyberPreKeyPublic = new Uint8Array(kpub);
      b.kyberPreKeySignature = new Uint8Array(ksig);
    }
    return b;
  }

  async processBundle(owner: Peer, b: PortableBundle): Promise<void> {
    const S = this.S;
    const kyber = b.kyberPreKeyPublic !== undefined;
    const bundle = S.PreKeyBundle.new(
      b.registrationId,
      b.deviceId,
      b.preKeyId ?? null,
      b.preKeyPublic ? S.PublicKey.deserialize(this.buf(b.preKeyPublic)) : null,
      b.signedPreKeyId,
      S.PublicKey.deserialize(this.buf(b.signedPreKeyPublic)),
      this.buf(b.signedPreKeySignature),
      S.PublicKey.deserialize(this.buf(b.identityKey)),
      kyber ? b.kyberPreKeyId : null,
      kyber ? S.KEMPublicKey.deserialize(this.buf(b.kyberPreKeyPublic!)) : null,
      kyber ? this.buf(b.kyberPreKeySignature!) : null,
    );
    const local = this.version === '0.103.0' ? [this.addr(this.address)] : [];
    await S.processPreKeyBundle(bundle, this.addr(owner.address), ...local, this.stores.session, this.stores.identity);
  }

  /** the local address argument of the calls that take it in this version */
  private local(call: 'encrypt' | 'decrypt' | 'decryptPreKey'): Lib[] {
    const v = this.version;
    const takes = v === '0.103.0' || (v === '0.92.2' && call !== 'decrypt');
    return takes ? [this.addr(this.address)] : [];
  }

  async encrypt(to: Peer, plaintext: Uint8Array): Promise<Wire> {
    const c = await this.S.signalEncrypt(
      this.buf(plaintext),
      this.addr(to.address),
      ...this.local('encrypt'),
      this.stores.session,
      this.stores.identity,
    );
    return { type: c.type() as 2 | 3, body: new Uint8Array(c.serialize()) };
  }

  async decrypt(from: Peer, msg: Wire): Promise<Uint8Array> {
    const S = this.S;
    const a = this.addr(from.address);
    if (msg.type === 2) {
      const m = S.SignalMessage.deserialize(this.buf(msg.body));
      return new Uint8Array(await S.signalDecrypt(m, a, ...this.local('decrypt'), this.stores.session, this.stores.identity));
    }
    const m = S.PreKeySignalMessage.deserialize(this.buf(msg.body));
    return new Uint8Array(
      await S.signalDecryptPreKey(
        m,
        a,
        ...this.local('decryptPreKey'),
        this.stores.session,
        this.stores.identity,
        this.stores.preKey,
        this.stores.signedPreKey,
        this.stores.kyberPreKey,
      ),
    );
  }

  classify(e: unknown): ErrorClass {
    const err = e as { code?: number; message?: string };
    const name = typeof err?.code === 'number' ? (this.S.ErrorCode[err.code] as string) : undefined;
    const msg = String(err?.message ?? e);
    if (name === 'DuplicatedMessage') return 'DuplicatedMessage';
    if (name === 'UntrustedIdentity') return 'UntrustedIdentity';
    if (name === 'InvalidSession' || /session.*not found|no session/i.test(msg)) return 'NoSession';
    // a store callback that threw for a missing record (this harness' stores throw "no ... N")
    // (0.72.1 names the JS store method, 0.90.0 the bridge's load* method)
    if (/method call '(get|load)SignedPreKey'/.test(msg)) return 'InvalidSignedPreKeyId';
    if (/method call '(get|load)KyberPreKey'/.test(msg)) return 'InvalidKyberPreKeyId';
    if (/method call '(get|load)PreKey'/.test(msg)) return 'InvalidPreKeyId';
    if (/signature/i.test(msg)) return 'InvalidSignature';
    // LegacyCiphertextVersion, UnrecognizedMessageVersion, "X3DH no longer supported"
    if (/ciphertext version was|unrecognized message version|no longer supported/i.test(msg))
      return 'UnsupportedVersion';
    // InvalidMessage, InvalidProtobufEncoding, CiphertextMessageTooShort
    if (/invalid (PreKey |Whisper )?message|protobuf|too short|decryption failed/i.test(msg)) return 'InvalidMessage';
    if (/invalid key|bad key|public key/i.test(msg)) return 'InvalidKey';
    return 'Other';
  }

  async hasSession(other: Peer): Promise<boolean> {
    const r = await this.stores.session.getSession(this.addr(other.address));
    return !!r && r.hasCurrentState();
  }
}

// ------------------------------------------------------------------------------------------
// Ours (src/protocol, loaded lazily so the libsignal-only harness checks run without it).
// ------------------------------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OursModule = any;
let oursModule: OursModule | undefined;
let oursLoadError: unknown;

/** Loads src/protocol/index.ts; returns undefined (and remembers why) when it is not usable yet. */
export async function loadOurs(): Promise<OursModule | undefined> {
  if (oursModule) return oursModule;
  try {
    const path = '../../../src/protocol/index.js';
    const m = await import(/* @vite-ignore */ path);
    const needed = [
      'processPreKeyBundle',
      'signalEncrypt',
      'signalDecrypt',
      'signalDecryptPreKey',
      'InMemorySignalProtocolStore',
      'IdentityKeyPair',
      'PublicKey',
      'KyberPublicKey',
      'ProtocolAddress',
      'generatePreKeys',
      'generateSignedPreKey',
      'generateKyberPreKey',
      'SessionRecord',
    ];
    const missing = needed.filter((n) => !(n in m));
    if (missing.length) throw new Error(`src/protocol/index.ts does not export: ${missing.join(', ')}`);
    oursModule = m;
    return m;
  } catch (e) {
    oursLoadError = e;
    return undefined;
  }
}
export const oursUnavailableReason = () => (oursLoadError ? errorText(oursLoadError) : undefined);

export class OurPeer implements Peer {
  readonly impl: Impl = 'ours';
  readonly address: Addr;
  private readonly identity: OursModule;
  private readonly store: OursModule;
  private readonly stores: OursModule;
  private readonly rng: ((n: number) => Uint8Array) | undefined;
  private nextId = 1;

  /**
   * `seedLabel` makes every key and IV of this peer deterministic (the contract's injectable rng).
   * `persistSessions`: the session store keeps only `SessionRecord.serialize()` bytes and hands out
   * `SessionRecord.deserialize()`d copies, as an app persisting sessions does (the in-memory store
   * keeps live objects, which would hide a serialization gap).
   */
  constructor(
    private readonly P: OursModule,
    readonly name: string,
    seedLabel?: string,
    opts: { persistSessions?: boolean; deviceId?: number } = {},
  ) {
    const deviceId = opts.deviceId ?? 1;
    this.address = { name, deviceId };
    this.rng = seedLabel ? seededByteRng(seedLabel) : undefined;
    this.identity = P.IdentityKeyPair.generate(this.rng);
    const regId = P.generateRegistrationId ? P.generateRegistrationId(this.rng) : (nextRegistrationId++ % 16000) + 1;
    this.store = new P.InMemorySignalProtocolStore(this.identity, regId);
    const persisted = new Map<string, Uint8Array>();
    const sessionStore = opts.persistSessions
      ? {
          loadSession: async (a: OursModule) => {
            const b = persisted.get(a.toString());
            return b ? P.SessionRecord.deserialize(b) : null;
          },
          storeSession: async (a: OursModule, r: OursModule) => {
            persisted.set(a.toString(), r.serialize());
          },
        }
      : this.store;
    this.sessionStore = sessionStore;
    this.stores = {
      session: sessionStore,
      identity: this.store,
      preKey: this.store,
      signedPreKey: this.store,
      kyberPreKey: this.store,
    };
    this.registrationId = regId;
  }
  private readonly registrationId: number;
  private readonly sessionStore: OursModule;

  private addr(a: Addr): OursModule {
    return new this.P.ProtocolAddress(a.name, a.deviceId);
  }
  private opts() {
    return this.rng ? { rng: this.rng } : undefined;
  }

  identityKey(): Uint8Array {
    return this.identity.publicKey.serialize();
  }

  async bundle(opts: BundleOptions = {}): Promise<PortableBundle> {
    const P = this.P;
    const id = this.nextId++;
    const now = Date.now();
    const b: PortableBundle = {
      registrationId: this.registrationId,
      deviceId: this.address.deviceId,
      signedPreKeyId: id,
      signedPreKeyPublic: new Uint8Array(0),
      signedPreKeySignature: new Uint8Array(0),
      identityKey: this.identityKey(),
    };
    if (opts.oneTimePreKey !== false) {
      const [pk] = P.generatePreKeys(id, 1, this.rng);
      await this.store.storePreKey(id, pk);
      b.preKeyId = id;
      b.preKeyPublic = pk.publicKey.serialize();
    }
    const spk = await P.generateSignedPreKey(this.identity, id, now, this.rng);
    await this.store.storeSignedPreKey(id, spk);
    b.signedPreKeyPublic = spk.publicKey.serialize();
    b.signedPreKeySignature = spk.signature;
    if (opts.kyber !== false) {
      const kpk = await P.generateKyberPreKey(this.identity, id, now, this.rng);
      await this.store.storeKyberPreKey(id, kpk, false); // one-time, like the libsignal peers' keys
      b.kyberPreKeyId = id;
      b.kyberPreKeyPublic = kpk.publicKey.serialize();
      b.kyberPreKeySignature = kpk.signature;
    }
    return b;
  }

  async processBundle(owner: Peer, b: PortableBundle): Promise<void> {
    const P = this.P;
    const bundle = {
      registrationId: b.registrationId,
      deviceId: b.deviceId,
      preKeyId: b.preKeyId,
      preKeyPublic: b.preKeyPublic ? P.PublicKey.deserialize(b.preKeyPublic) : undefined,
      signedPreKeyId: b.signedPreKeyId,
      signedPreKeyPublic: P.PublicKey.deserialize(b.signedPreKeyPublic),
      signedPreKeySignature: b.signedPreKeySignature,
      identityKey: P.PublicKey.deserialize(b.identityKey),
      kyberPreKeyId: b.kyberPreKeyId,
      kyberPreKeyPublic: b.kyberPreKeyPublic ? P.KyberPublicKey.deserialize(b.kyberPreKeyPublic) : undefined,
      kyberPreKeySignature: b.kyberPreKeySignature,
    };
    await P.processPreKeyBundle(bundle, this.addr(owner.address), this.stores, this.opts());
  }

  async encrypt(to: Peer, plaintext: Uint8Array): Promise<Wire> {
    const c = await this.P.signalEncrypt(plaintext, this.addr(to.address), this.stores, this.opts());
    return { type: c.type, body: c.body };
  }

  async decrypt(from: Peer, msg: Wire): Promise<Uint8Array> {
    const a = this.addr(from.address);
    if (msg.type === 2) return await this.P.signalDecrypt(msg.body, a, this.stores);
    return await this.P.signalDecryptPreKey(msg.body, a, this.stores, this.opts());
  }

  classify(e: unknown): ErrorClass {
    const code = (e as { code?: string })?.code;
    if (this.P.isProtocolError?.(e) || typeof code === 'string') {
      switch (code) {
        case 'DuplicatedMessage':
        case 'InvalidMessage':
        case 'UntrustedIdentity':
        case 'NoSession':
        case 'InvalidKey':
        case 'InvalidSignature':
        case 'UnsupportedVersion':
          return code;
        case 'InvalidPreKeyId':
        case 'InvalidSignedPreKeyId':
        case 'InvalidKyberPreKeyId':
          return code;
      }
    }
    return 'Other';
  }

  async hasSession(other: Peer): Promise<boolean> {
    const r = await this.sessionStore.loadSession(this.addr(other.address));
    return !!r && r.hasCurrentState();
  }
}

export type PeerKind = '072' | '090' | '0922' | '0103' | 'ours';
const KIND_VERSION: Record<Exclude<PeerKind, 'ours'>, LibsignalVersion> = { '072': '0.72.1', '090': '0.90.0', '0922': '0.92.2', '0103': '0.103.0' };

export async function makePeer(
  kind: PeerKind,
  name: string,
  seedLabel?: string,
  opts: { persistSessions?: boolean } = {},
): Promise<Peer> {
  if (kind !== 'ours') return new LibsignalPeer(name, KIND_VERSION[kind], 1, opts);
  const P = await loadOurs();
  if (!P) throw new Error(`our library is not usable yet: ${oursUnavailableReason()}`);
  return new OurPeer(P, name, seedLabel, opts);
}

export { addrKey };
