// Session state and record (libsignal rust/protocol/src/state/session.rs). A SessionState is one
// Double Ratchet session; a SessionRecord holds the current one plus up to 40 archived ones.
// Serialization follows the shape of libsignal's storage.proto (SessionStructure / RecordStructure)
// with this library's own field choices; it is not meant to be read by libsignal.
import { assertBytes } from './bytes.js';
import { ARCHIVED_STATES_MAX_LENGTH, MAX_MESSAGE_KEYS, MAX_RECEIVER_CHAINS } from './consts.js';
import { PrivateKey, PublicKey } from './curve.js';
import { ProtocolError } from './errors.js';
import { ProtoMessage, ProtoWriter } from './protobuf.js';
import { ChainKey } from './ratchet-keys.js';
import { SPQR_NONE, type SpqrState, deserializeSpqr, spqrWriter } from './spqr.js';

export interface ReceiverChain {
  ratchetKey: PublicKey;
  chainKey: ChainKey;
  /** skipped message-key seeds by counter, oldest first (Map keeps insertion order) */
  messageKeys: Map<number, Uint8Array>;
}

export interface SenderChain {
  ratchetKey: PublicKey;
  ratchetPrivateKey: PrivateKey;
  chainKey: ChainKey;
}

export interface PendingPreKey {
  preKeyId?: number;
  signedPreKeyId: number;
  baseKey: PublicKey;
  kyberPreKeyId?: number;
  kyberCiphertext?: Uint8Array;
  timestamp: number;
}

export class SessionState {
  version: number;
  localIdentity: PublicKey;
  remoteIdentity: PublicKey;
  rootKey: Uint8Array;
  previousCounter = 0;
  senderChain?: SenderChain;
  /** oldest first */
  receiverChains: ReceiverChain[] = [];
  pendingPreKey?: PendingPreKey;
  localRegistrationId = 0;
  remoteRegistrationId = 0;
  /** the initiator's base key (serialized): identifies the handshake this session came from */
  aliceBaseKey: Uint8Array;
  /** SPQR (Triple Ratchet); version 0 for sessions without it. Immutable: replaced, never edited. */
  spqr: SpqrState = SPQR_NONE;

  constructor(init: { version: number; localIdentity: PublicKey; remoteIdentity: PublicKey; rootKey: Uint8Array; aliceBaseKey: Uint8Array }) {
    this.version = init.version;
    this.localIdentity = init.localIdentity;
    this.remoteIdentity = init.remoteIdentity;
    this.rootKey = init.rootKey;
    this.aliceBaseKey = init.aliceBaseKey;
  }

  /**
   * A copy that can be mutated without touching this one. Keys, chain keys and skipped-key maps are
   * treated as immutable values (replaced, never edited), so copying the containers is enough.
   */
  clone(): SessionState {
    const s = Object.assign(Object.create(SessionState.prototype), this) as SessionState;
    s.receiverChains = this.receiverChains.map((c) => ({ ...c }));
    if (this.senderChain) s.senderChain = { ...this.senderChain };
    return s;
  }

  findReceiverChain(ratchetKey: PublicKey): ReceiverChain | undefined {
    for (let i = this.receiverChains.length - 1; i >= 0; i--) if (this.receiverChains[i].ratchetKey.equals(ratchetKey)) return this.receiverChains[i];
    return undefined;
  }

  addReceiverChain(ratchetKey: PublicKey, chainKey: ChainKey): void {
    this.receiverChains.push({ ratchetKey, chainKey, messageKeys: new Map() });
    if (this.receiverChains.length > MAX_RECEIVER_CHAINS) this.receiverChains.splice(0, this.receiverChains.length - MAX_RECEIVER_CHAINS);
  }

  /** Stores skipped message-key seeds (a fresh Map: the old one may be shared with other copies). */
  static withSkippedKeys(old: Map<number, Uint8Array>, added: [number, Uint8Array][]): Map<number, Uint8Array> {
    const m = new Map(old);
    for (const [k, v] of added) m.set(k, v);
    if (m.size > MAX_MESSAGE_KEYS) {
      let excess = m.size - MAX_MESSAGE_KEYS;
      for (const k of m.keys()) {
        if (excess-- <= 0) break;
        m.delete(k);
      }
    }
    return m;
  }

  hasSenderChain(): boolean {
    return this.senderChain !== undefined;
  }

  serialize(): Uint8Array {
    return this.writer().finish();
  }

  /** SessionStructure as a writer (the record splices it in without a copy). */
  writer(): ProtoWriter {
    const w = new ProtoWriter()
      .uint(1, this.version)
      .bytes(2, this.localIdentity.serializedView())
      .bytes(3, this.remoteIdentity.serializedView())
      .bytes(4, this.rootKey)
      .uint(5, this.previousCounter);
    if (this.senderChain) {
      const c = this.senderChain;
      w.message(
        6,
        new ProtoWriter()
          .bytes(1, c.ratchetKey.serializedView())
          .bytes(2, c.ratchetPrivateKey.serialize())
          .message(3, new ProtoWriter().uint(1, c.chainKey.index).bytes(2, c.chainKey.key)),
      );
    }
    for (const c of this.receiverChains) {
      const cw = new ProtoWriter().bytes(1, c.ratchetKey.serializedView()).message(3, new ProtoWriter().uint(1, c.chainKey.index).bytes(2, c.chainKey.key));
      for (const [index, seed] of c.messageKeys) cw.message(4, new ProtoWriter().uint(1, index).bytes(5, seed));
      w.message(7, cw);
    }
    if (this.pendingPreKey) {
      const p = this.pendingPreKey;
      w.message(9, new ProtoWriter().uint(1, p.preKeyId).bytes(2, p.baseKey.serializedView()).uint(3, p.signedPreKeyId).uint(4, p.timestamp));
      if (p.kyberPreKeyId !== undefined) w.message(14, new ProtoWriter().uint(1, p.kyberPreKeyId).bytes(2, p.kyberCiphertext));
    }
    w.uint(10, this.remoteRegistrationId).uint(11, this.localRegistrationId).bytes(13, this.aliceBaseKey);
    if (this.spqr.version !== 0 || this.spqr.negotiating) w.message(15, spqrWriter(this.spqr));
    return w;
  }

  static deserialize(bytes: Uint8Array): SessionState {
    const P = (b: Uint8Array, what: string) => ProtoMessage.parse(b, 'InvalidArgument', what);
    const m = P(bytes, 'session state');
    const s = new SessionState({
      version: m.uint32(1, 'session_version'),
      localIdentity: PublicKey.deserialize(m.bytes(2, 'local_identity_public')),
      remoteIdentity: PublicKey.deserialize(m.bytes(3, 'remote_identity_public')),
      rootKey: m.bytes(4, 'root_key').slice(),
      aliceBaseKey: (m.optBytes(13) ?? new Uint8Array(0)).slice(),
    });
    s.previousCounter = m.optUint32(5) ?? 0;
    const chainKey = (b: Uint8Array) => {
      const ck = P(b, 'chain key');
      return new ChainKey(ck.bytes(2, 'key').slice(), ck.uint32(1, 'index'));
    };
    const sc = m.optBytes(6);
    if (sc) {
      const c = P(sc, 'sender chain');
      const ratchetKey = PublicKey.deserialize(c.bytes(1, 'sender_ratchet_key'));
      s.senderChain = {
        ratchetKey,
        ratchetPrivateKey: PrivateKey.fromParts(c.bytes(2, 'sender_ratchet_key_private'), ratchetKey.rawView()),
        chainKey: chainKey(c.bytes(3, 'chain_key')),
      };
    }
    for (const rb of m.repeatedBytes(7)) {
      const c = P(rb, 'receiver chain');
      const messageKeys = new Map<number, Uint8Array>();
      for (const kb of c.repeatedBytes(4)) {
        const k = P(kb, 'message keys');
        messageKeys.set(k.uint32(1, 'index'), k.bytes(5, 'seed').slice());
      }
      s.receiverChains.push({ ratchetKey: PublicKey.deserialize(c.bytes(1, 'sender_ratchet_key')), chainKey: chainKey(c.bytes(3, 'chain_key')), messageKeys });
    }
    const pb = m.optBytes(9);
    if (pb) {
      const p = P(pb, 'pending prekey');
      s.pendingPreKey = {
        preKeyId: p.optUint32(1),
        signedPreKeyId: p.uint32(3, 'signed_pre_key_id'),
        baseKey: PublicKey.deserialize(p.bytes(2, 'base_key')),
        timestamp: p.optNumber(4) ?? 0,
      };
      const kb = m.optBytes(14);
      if (kb) {
        const k = P(kb, 'pending kyber prekey');
        s.pendingPreKey.kyberPreKeyId = k.uint32(1, 'pre_key_id');
        s.pendingPreKey.kyberCiphertext = k.bytes(2, 'ciphertext').slice();
      }
    }
    s.remoteRegistrationId = m.optUint32(10) ?? 0;
    s.localRegistrationId = m.optUint32(11) ?? 0;
    const spqr = m.optBytes(15);
    if (spqr) s.spqr = deserializeSpqr(spqr);
    return s;
  }
}

export class SessionRecord {
  /** the session used to encrypt; null after archiving */
  current: SessionState | null;
  /** archived sessions, most recent first, at most ARCHIVED_STATES_MAX_LENGTH */
  previous: SessionState[];

  constructor(current: SessionState | null = null, previous: SessionState[] = []) {
    this.current = current;
    this.previous = previous;
  }

  static newFresh(): SessionRecord {
    return new SessionRecord();
  }

  hasCurrentState(): boolean {
    return this.current !== null;
  }

  /** A shallow copy: states are shared, so callers clone a state before changing it. */
  copy(): SessionRecord {
    return new SessionRecord(this.current, this.previous.slice());
  }

  archiveCurrentState(): void {
    if (!this.current) return;
    this.previous.unshift(this.current);
    if (this.previous.length > ARCHIVED_STATES_MAX_LENGTH) this.previous.length = ARCHIVED_STATES_MAX_LENGTH;
    this.current = null;
  }

  /** Makes `state` current, archiving the present current state. */
  promoteState(state: SessionState): void {
    this.archiveCurrentState();
    this.current = state;
  }

  /** The version and base key of an existing session (libsignal promote_matching_session). */
  promoteMatchingSession(version: number, aliceBaseKey: Uint8Array): boolean {
    const same = (s: SessionState) => s.version === version && s.aliceBaseKey.length === aliceBaseKey.length && s.aliceBaseKey.every((b, i) => b === aliceBaseKey[i]);
    if (this.current && same(this.current)) return true;
    const i = this.previous.findIndex(same);
    if (i < 0) return false;
    const [state] = this.previous.splice(i, 1);
    this.promoteState(state);
    return true;
  }

  /** RecordStructure: 1 current_session, 2 previous_sessions (repeated). */
  serialize(): Uint8Array {
    const w = new ProtoWriter();
    if (this.current) w.message(1, this.current.writer());
    for (const p of this.previous) w.message(2, p.writer());
    return w.finish();
  }

  static deserialize(bytes: Uint8Array): SessionRecord {
    assertBytes(bytes, 'sessionRecord');
    try {
      const m = ProtoMessage.parse(bytes, 'InvalidArgument', 'session record');
      const cur = m.optBytes(1);
      return new SessionRecord(cur ? SessionState.deserialize(cur) : null, m.repeatedBytes(2).map((b) => SessionState.deserialize(b)));
    } catch (e) {
      if (e instanceof ProtocolError) throw new ProtocolError('InvalidArgument', `"sessionRecord" is not a valid session record: ${e.message}`, { cause: e });
      throw e;
    }
  }
}
