// Storage interfaces in the shape of libsignal's (rust/protocol/src/storage/traits.rs), async so any
// backend fits, and in-memory implementations for tests and simple clients.
import { ProtocolAddress } from './address.js';
import { assertInstance, assertUint32 } from './bytes.js';
import { IdentityKeyPair, PublicKey } from './curve.js';
import { ProtocolError } from './errors.js';
import { KyberPreKeyRecord, PreKeyRecord, SignedPreKeyRecord } from './records.js';
import { SessionRecord } from './session-state.js';

export type Direction = 'sending' | 'receiving';

export interface SessionStore {
  loadSession(address: ProtocolAddress): Promise<SessionRecord | null>;
  storeSession(address: ProtocolAddress, record: SessionRecord): Promise<void>;
}

export interface IdentityKeyStore {
  getIdentityKeyPair(): Promise<IdentityKeyPair>;
  getLocalRegistrationId(): Promise<number>;
  /** Returns true if it replaced a different key. */
  saveIdentity(address: ProtocolAddress, key: PublicKey): Promise<boolean>;
  isTrustedIdentity(address: ProtocolAddress, key: PublicKey, direction: Direction): Promise<boolean>;
  getIdentity(address: ProtocolAddress): Promise<PublicKey | null>;
}

export interface PreKeyStore {
  /** Throws ProtocolError('InvalidPreKeyId') when absent. */
  loadPreKey(id: number): Promise<PreKeyRecord>;
  storePreKey(id: number, record: PreKeyRecord): Promise<void>;
  removePreKey(id: number): Promise<void>;
}

export interface SignedPreKeyStore {
  /** Throws ProtocolError('InvalidSignedPreKeyId') when absent. */
  loadSignedPreKey(id: number): Promise<SignedPreKeyRecord>;
  storeSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void>;
}

export interface KyberPreKeyStore {
  /** Throws ProtocolError('InvalidKyberPreKeyId') when absent. */
  loadKyberPreKey(id: number): Promise<KyberPreKeyRecord>;
  storeKyberPreKey(id: number, record: KyberPreKeyRecord, lastResort?: boolean): Promise<void>;
  /** A one-time Kyber prekey is consumed; a last-resort one is kept. */
  markKyberPreKeyUsed(id: number): Promise<void>;
}

export interface ProtocolStores {
  session: SessionStore;
  identity: IdentityKeyStore;
  preKey: PreKeyStore;
  signedPreKey: SignedPreKeyStore;
  kyberPreKey: KyberPreKeyStore;
}

/**
 * All five stores in memory. Trust model: trust on first use; a changed key is untrusted until
 * saveIdentity() is called with it. Usable directly as ProtocolStores (each field is the store).
 */
export class InMemorySignalProtocolStore implements SessionStore, IdentityKeyStore, PreKeyStore, SignedPreKeyStore, KyberPreKeyStore, ProtocolStores {
  readonly session: SessionStore = this;
  readonly identity: IdentityKeyStore = this;
  readonly preKey: PreKeyStore = this;
  readonly signedPreKey: SignedPreKeyStore = this;
  readonly kyberPreKey: KyberPreKeyStore = this;

  private readonly identityKeyPair: IdentityKeyPair;
  private readonly registrationId: number;
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly identities = new Map<string, PublicKey>();
  private readonly preKeys = new Map<number, PreKeyRecord>();
  private readonly signedPreKeys = new Map<number, SignedPreKeyRecord>();
  private readonly kyberPreKeys = new Map<number, { record: KyberPreKeyRecord; lastResort: boolean }>();

  constructor(identity: IdentityKeyPair, registrationId: number) {
    assertInstance(identity, IdentityKeyPair, 'identity');
    assertUint32(registrationId, 'registrationId', 0, 0xffffffff);
    this.identityKeyPair = identity;
    this.registrationId = registrationId;
    // the identity key takes part in every session set-up: import it for WebCrypto now
    identity.privateKey.warm();
  }

  // SessionStore. Records are kept as objects: the session cipher never mutates a loaded record.
  async loadSession(address: ProtocolAddress): Promise<SessionRecord | null> {
    return this.sessions.get(key(address)) ?? null;
  }
  async storeSession(address: ProtocolAddress, record: SessionRecord): Promise<void> {
    assertInstance(record, SessionRecord, 'record');
    this.sessions.set(key(address), record);
  }
  async removeSession(address: ProtocolAddress): Promise<void> {
    this.sessions.delete(key(address));
  }

  // IdentityKeyStore
  async getIdentityKeyPair(): Promise<IdentityKeyPair> {
    return this.identityKeyPair;
  }
  async getLocalRegistrationId(): Promise<number> {
    return this.registrationId;
  }
  async saveIdentity(address: ProtocolAddress, identityKey: PublicKey): Promise<boolean> {
    assertInstance(identityKey, PublicKey, 'key');
    const k = key(address);
    const old = this.identities.get(k);
    this.identities.set(k, identityKey);
    return old !== undefined && !old.equals(identityKey);
  }
  async isTrustedIdentity(address: ProtocolAddress, identityKey: PublicKey, _direction: Direction): Promise<boolean> {
    assertInstance(identityKey, PublicKey, 'key');
    const old = this.identities.get(key(address));
    return old === undefined || old.equals(identityKey);
  }
  async getIdentity(address: ProtocolAddress): Promise<PublicKey | null> {
    return this.identities.get(key(address)) ?? null;
  }

  // PreKeyStore
  async loadPreKey(id: number): Promise<PreKeyRecord> {
    const r = this.preKeys.get(id);
    if (!r) throw new ProtocolError('InvalidPreKeyId', `no prekey with id ${id}`);
    return r;
  }
  async storePreKey(id: number, record: PreKeyRecord): Promise<void> {
    assertUint32(id, 'id');
    assertInstance(record, PreKeyRecord, 'record');
    this.preKeys.set(id, record);
    // import for WebCrypto now, off the message path (a JWK import is the costliest step of a
    // recipient's set-up after Kyber)
    record.privateKey.warm();
  }
  async removePreKey(id: number): Promise<void> {
    this.preKeys.delete(id);
  }
  async containsPreKey(id: number): Promise<boolean> {
    return this.preKeys.has(id);
  }

  // SignedPreKeyStore
  async loadSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const r = this.signedPreKeys.get(id);
    if (!r) throw new ProtocolError('InvalidSignedPreKeyId', `no signed prekey with id ${id}`);
    return r;
  }
  async storeSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    assertUint32(id, 'id');
    assertInstance(record, SignedPreKeyRecord, 'record');
    this.signedPreKeys.set(id, record);
    record.privateKey.warm(); // used by every session set-up until rotated
  }

  // KyberPreKeyStore
  async loadKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const r = this.kyberPreKeys.get(id);
    if (!r) throw new ProtocolError('InvalidKyberPreKeyId', `no Kyber prekey with id ${id}`);
    return r.record;
  }
  async storeKyberPreKey(id: number, record: KyberPreKeyRecord, lastResort = false): Promise<void> {
    assertUint32(id, 'id');
    assertInstance(record, KyberPreKeyRecord, 'record');
    this.kyberPreKeys.set(id, { record, lastResort: lastResort === true });
  }
  async markKyberPreKeyUsed(id: number): Promise<void> {
    const r = this.kyberPreKeys.get(id);
    if (r && !r.lastResort) this.kyberPreKeys.delete(id);
  }
  async containsKyberPreKey(id: number): Promise<boolean> {
    return this.kyberPreKeys.has(id);
  }
}

function key(address: ProtocolAddress): string {
  assertInstance(address, ProtocolAddress, 'address');
  return `${address.name}\u0000${address.deviceId}`;
}
