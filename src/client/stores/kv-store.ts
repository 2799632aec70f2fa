/**
 * ClientStore over any KeyValueBackend: protocol records are stored as their serialize() bytes, the
 * client's own state as UTF-8 JSON. Deserialized records are cached in memory (write-through), so
 * the backend is read once per key per process.
 *
 * Identity trust model: trust on first use. A different key for a known address is untrusted (in both
 * directions) until the app calls trustIdentity(); saveIdentity() from the protocol only records a key
 * for an address that has none or the same one, so a changed key is never silently accepted.
 */
import {
  IdentityKeyPair,
  KyberPreKeyRecord,
  PreKeyRecord,
  type ProtocolAddress,
  ProtocolError,
  PublicKey,
  SenderKeyRecord,
  SessionRecord,
  SignedPreKeyRecord,
  type Direction,
  type IdentityKeyStore,
  type KyberPreKeyStore,
  type PreKeyStore,
  type ProtocolStores,
  type SessionStore,
  type SignedPreKeyStore,
} from '../../protocol/index.js';
import type { ClientStore, Credentials, GroupSendState, KeyState, KeyValueBackend, StoredMessage } from './types.js';
import { Serial } from '../serial.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const json = (v: unknown) => enc.encode(JSON.stringify(v));
const parse = <T>(b: Uint8Array | null): T | null => (b ? (JSON.parse(dec.decode(b)) as T) : null);

/** Keys are made of safe characters only, so any backend (file names included) can hold them. */
const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, (c) => `~${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const addrKey = (a: ProtocolAddress) => `${safe(a.name)}.${a.deviceId}`;
const senderKeyKey = (a: ProtocolAddress, distributionId: string) => `${addrKey(a)}.${safe(distributionId.toLowerCase())}`;
const pad10 = (n: number) => String(n).padStart(10, '0');

export class KeyValueClientStore implements ClientStore {
  readonly session: SessionStore = this;
  readonly identity: IdentityKeyStore = this;
  readonly preKey: PreKeyStore = this;
  readonly signedPreKey: SignedPreKeyStore = this;
  readonly kyberPreKey: KyberPreKeyStore = this;

  private identityCache: { pair: IdentityKeyPair; registrationId: number } | null = null;
  private readonly sessions = new Map<string, SessionRecord | null>();
  private readonly identities = new Map<string, PublicKey | null>();
  private readonly senderKeys = new Map<string, SenderKeyRecord | null>();
  private messageSeq: number | null = null;
  /** Serializes read-modify-write sequences (message sequence numbers, kyber usage). */
  private readonly lock = new Serial();

  constructor(protected readonly kv: KeyValueBackend) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock.run(fn);
  }

  // ---- local identity
  async initializeIdentity(identity: IdentityKeyPair, registrationId: number): Promise<void> {
    await this.kv.set('identity', identity.serialize());
    await this.kv.set('registrationId', json(registrationId));
    this.identityCache = { pair: identity, registrationId };
  }
  async hasIdentity(): Promise<boolean> {
    return (await this.kv.get('identity')) !== null;
  }
  private async local() {
    if (!this.identityCache) {
      const bytes = await this.kv.get('identity');
      const reg = parse<number>(await this.kv.get('registrationId'));
      if (!bytes || reg === null) throw new Error('store has no local identity: register or link the device first');
      this.identityCache = { pair: IdentityKeyPair.deserialize(bytes), registrationId: reg };
    }
    return this.identityCache;
  }
  async getIdentityKeyPair(): Promise<IdentityKeyPair> {
    return (await this.local()).pair;
  }
  async getLocalRegistrationId(): Promise<number> {
    return (await this.local()).registrationId;
  }

  // ---- remote identities
  async getIdentity(address: ProtocolAddress): Promise<PublicKey | null> {
    const k = addrKey(address);
    if (!this.identities.has(k)) {
      const b = await this.kv.get(`idk/${k}`);
      this.identities.set(k, b ? PublicKey.deserialize(b) : null);
    }
    return this.identities.get(k)!;
  }
  async saveIdentity(address: ProtocolAddress, key: PublicKey): Promise<boolean> {
    const old = await this.getIdentity(address);
    if (old && !old.equals(key)) return true; // only trustIdentity() replaces a recorded key
    if (!old) {
      await this.kv.set(`idk/${addrKey(address)}`, key.serialize());
      this.identities.set(addrKey(address), key);
    }
    return false;
  }
  async isTrustedIdentity(address: ProtocolAddress, key: PublicKey, _direction: Direction): Promise<boolean> {
    const old = await this.getIdentity(address);
    return old === null || old.equals(key);
  }
  async trustIdentity(address: ProtocolAddress, key: Uint8Array): Promise<void> {
    const pk = PublicKey.deserialize(key);
    await this.kv.set(`idk/${addrKey(address)}`, pk.serialize());
    this.identities.set(addrKey(address), pk);
  }

  // ---- sessions
  async loadSession(address: ProtocolAddress): Promise<SessionRecord | null> {
    const k = addrKey(address);
    if (!this.sessions.has(k)) {
      const b = await this.kv.get(`ses/${k}`);
      this.sessions.set(k, b ? SessionRecord.deserialize(b) : null);
    }
    return this.sessions.get(k)!;
  }
  async storeSession(address: ProtocolAddress, record: SessionRecord): Promise<void> {
    const k = addrKey(address);
    await this.kv.set(`ses/${k}`, record.serialize());
    this.sessions.set(k, record);
  }
  async removeSession(address: ProtocolAddress): Promise<void> {
    const k = addrKey(address);
    await this.kv.delete(`ses/${k}`);
    this.sessions.set(k, null);
  }
  async sessionDeviceIds(userId: string): Promise<number[]> {
    const prefix = `ses/${safe(userId)}.`;
    return (await this.kv.keys(prefix)).map((k) => Number(k.slice(prefix.length))).sort((a, b) => a - b);
  }

  /**
   * Session writes made inside `fn` are held in memory and only written when `commit()` is called (or
   * dropped if it is not). Used on receive: the plaintext is stored first, then the advanced session,
   * so a crash in between leaves a session that can still decrypt the redelivered envelope instead of
   * one that has consumed its key without the message being saved.
   */
  async withDeferredSessions<T>(fn: (stores: ProtocolStores, commit: () => Promise<void>) => Promise<T>): Promise<T> {
    const pending = new Map<string, { address: ProtocolAddress; record: SessionRecord }>();
    const session: SessionStore = {
      loadSession: async (a) => pending.get(addrKey(a))?.record ?? this.loadSession(a),
      storeSession: async (a, r) => {
        pending.set(addrKey(a), { address: a, record: r });
      },
    };
    const commit = async () => {
      for (const { address, record } of pending.values()) await this.storeSession(address, record);
      pending.clear();
    };
    return fn({ session, identity: this, preKey: this, signedPreKey: this, kyberPreKey: this }, commit);
  }

  // ---- one-time prekeys
  async loadPreKey(id: number): Promise<PreKeyRecord> {
    const b = await this.kv.get(`pk/${pad10(id)}`);
    if (!b) throw new ProtocolError('InvalidPreKeyId', `no prekey with id ${id}`);
    return PreKeyRecord.deserialize(b);
  }
  async storePreKey(id: number, record: PreKeyRecord): Promise<void> {
    await this.kv.set(`pk/${pad10(id)}`, record.serialize());
  }
  async removePreKey(id: number): Promise<void> {
    await this.kv.delete(`pk/${pad10(id)}`);
  }
  async preKeyIds(): Promise<number[]> {
    return (await this.kv.keys('pk/')).map((k) => Number(k.slice(3)));
  }

  // ---- signed prekeys
  async loadSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const b = await this.kv.get(`spk/${pad10(id)}`);
    if (!b) throw new ProtocolError('InvalidSignedPreKeyId', `no signed prekey with id ${id}`);
    return SignedPreKeyRecord.deserialize(b);
  }
  async storeSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    await this.kv.set(`spk/${pad10(id)}`, record.serialize());
  }
  async removeSignedPreKey(id: number): Promise<void> {
    await this.kv.delete(`spk/${pad10(id)}`);
  }

  // ---- Kyber prekeys (one-time and last resort)
  async loadKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const b = await this.kv.get(`kpk/${pad10(id)}`);
    if (!b) throw new ProtocolError('InvalidKyberPreKeyId', `no Kyber prekey with id ${id}`);
    return KyberPreKeyRecord.deserialize(b);
  }
  async storeKyberPreKey(id: number, record: KyberPreKeyRecord, lastResort = false): Promise<void> {
    await this.kv.set(`kpk/${pad10(id)}`, record.serialize());
    if (lastResort) await this.kv.set(`kpklr/${pad10(id)}`, json(true));
  }
  async markKyberPreKeyUsed(id: number): Promise<void> {
    if ((await this.kv.get(`kpklr/${pad10(id)}`)) === null) await this.kv.delete(`kpk/${pad10(id)}`);
  }
  async removeKyberPreKey(id: number): Promise<void> {
    await this.kv.delete(`kpk/${pad10(id)}`);
    await this.kv.delete(`kpklr/${pad10(id)}`);
  }

  // ---- sender keys (Sender Keys groups: src/client/groups.ts), one record per sender device and distribution id
  async loadSenderKey(sender: ProtocolAddress, distributionId: string): Promise<SenderKeyRecord | null> {
    const k = senderKeyKey(sender, distributionId);
    if (!this.senderKeys.has(k)) {
      const b = await this.kv.get(`skey/${k}`);
      this.senderKeys.set(k, b ? SenderKeyRecord.deserialize(b) : null);
    }
    return this.senderKeys.get(k)!;
  }
  async storeSenderKey(sender: ProtocolAddress, distributionId: string, record: SenderKeyRecord): Promise<void> {
    const k = senderKeyKey(sender, distributionId);
    await this.kv.set(`skey/${k}`, record.serialize());
    this.senderKeys.set(k, record);
  }
  async getGroupSendState(conversationId: string): Promise<GroupSendState | null> {
    return parse<GroupSendState>(await this.kv.get(`gsend/${safe(conversationId)}`));
  }
  async setGroupSendState(conversationId: string, state: GroupSendState | null): Promise<void> {
    if (state === null) await this.kv.delete(`gsend/${safe(conversationId)}`);
    else await this.kv.set(`gsend/${safe(conversationId)}`, json(state));
  }
  async getSenderKeyConversation(sender: ProtocolAddress, distributionId: string): Promise<string | null> {
    return parse<string>(await this.kv.get(`skconv/${senderKeyKey(sender, distributionId)}`));
  }
  async setSenderKeyConversation(sender: ProtocolAddress, distributionId: string, conversationId: string): Promise<void> {
    await this.kv.set(`skconv/${senderKeyKey(sender, distributionId)}`, json(conversationId));
  }

  // ---- client state
  async getCredentials(): Promise<Credentials | null> {
    return parse<Credentials>(await this.kv.get('credentials'));
  }
  async setCredentials(c: Credentials): Promise<void> {
    await this.kv.set('credentials', json(c));
  }
  async getKeyState(): Promise<KeyState | null> {
    return parse<KeyState>(await this.kv.get('keystate'));
  }
  async setKeyState(s: KeyState): Promise<void> {
    await this.kv.set('keystate', json(s));
  }

  // ---- verified safety numbers (src/client/verification.ts)
  async getVerifiedKeys(userId: string): Promise<string[] | null> {
    return parse<string[]>(await this.kv.get(`ver/${safe(userId)}`));
  }
  async setVerifiedKeys(userId: string, keys: string[] | null): Promise<void> {
    if (keys === null) await this.kv.delete(`ver/${safe(userId)}`);
    else await this.kv.set(`ver/${safe(userId)}`, json([...keys].sort()));
  }
  async removeConversationMessages(conversationId: string): Promise<number> {
    return this.serial(async () => {
      const keys = await this.kv.keys(`msg/${safe(conversationId)}/`);
      for (const k of keys) {
        const m = parse<StoredMessage>(await this.kv.get(k));
        if (m) await this.kv.delete(`msgid/${safe(m.id)}`);
        await this.kv.delete(k);
      }
      return keys.length;
    });
  }

  // ---- messages
  async saveMessage(m: StoredMessage): Promise<boolean> {
    return this.serial(async () => {
      const idKey = `msgid/${safe(m.id)}`;
      if ((await this.kv.get(idKey)) !== null) return false;
      if (this.messageSeq === null) {
        this.messageSeq = parse<number>(await this.kv.get('msgseq')) ?? 0;
      }
      const seq = ++this.messageSeq;
      await this.kv.set(`msg/${safe(m.conversationId)}/${pad10(seq)}`, json(m));
      await this.kv.set('msgseq', json(seq));
      await this.kv.set(idKey, json(`${safe(m.conversationId)}/${pad10(seq)}`));
      if (m.envelopeId) await this.markEnvelopeProcessed(m.envelopeId);
      return true;
    });
  }
  async getMessage(id: string): Promise<StoredMessage | null> {
    const where = parse<string>(await this.kv.get(`msgid/${safe(id)}`));
    return where ? parse<StoredMessage>(await this.kv.get(`msg/${where}`)) : null;
  }
  async listMessages(conversationId: string): Promise<StoredMessage[]> {
    const keys = (await this.kv.keys(`msg/${safe(conversationId)}/`)).sort();
    const out: StoredMessage[] = [];
    for (const k of keys) {
      const m = parse<StoredMessage>(await this.kv.get(k));
      if (m) out.push(m);
    }
    return out;
  }
  async latestMessage(conversationId: string): Promise<StoredMessage | null> {
    const keys = (await this.kv.keys(`msg/${safe(conversationId)}/`)).sort();
    for (let i = keys.length - 1; i >= 0; i--) {
      const m = parse<StoredMessage>(await this.kv.get(keys[i]));
      if (m) return m;
    }
    return null;
  }
  async replaceMessage(m: StoredMessage): Promise<boolean> {
    return this.serial(async () => {
      const where = parse<string>(await this.kv.get(`msgid/${safe(m.id)}`));
      if (!where) return false;
      await this.kv.set(`msg/${where}`, json(m));
      return true;
    });
  }
  async hasProcessedEnvelope(envelopeId: string): Promise<boolean> {
    return (await this.kv.get(`env/${safe(envelopeId)}`)) !== null;
  }
  async markEnvelopeProcessed(envelopeId: string): Promise<void> {
    await this.kv.set(`env/${safe(envelopeId)}`, json(1));
  }
}
