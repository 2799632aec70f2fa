// The sender key record kept per (sender device, distribution id): up to MAX_SENDER_KEY_STATES chains,
// newest first, each with its chain key, signing key and skipped message keys. Serialized in the layout
// libsignal-client's SenderKeyRecord.serialize() emits (proto3 rules: zero values and empty bytes left out),
// so records move between this library and libsignal both ways:
//
//   SenderKeyRecord { repeated State states = 1 }
//   State { 1 chain_id, 2 ChainKey { 1 iteration, 2 seed }, 3 SigningKey { 1 public (33), 2 private (32) },
//           repeated 4 MessageKey { 1 iteration, 2 seed }, 5 message_version }
//
// The chain step is the Double Ratchet's (ChainKey: message-key seed HMAC(CK, 0x01), next HMAC(CK, 0x02)).
import { assertBytes } from './bytes.js';
import { MAX_SENDER_KEY_STATES, SENDERKEY_MESSAGE_CURRENT_VERSION } from './consts.js';
import { PrivateKey, PublicKey } from './curve.js';
import { ProtocolError } from './errors.js';
import { ProtoMessage, ProtoWriter } from './protobuf.js';
import { ChainKey } from './ratchet-keys.js';
import { SENDER_KEY_CHAIN_KEY_LENGTH } from './sender-key-messages.js';
import { SessionState } from './session-state.js';

/** proto3 leaves zero out of the encoding; libsignal's records are written that way. */
const nonZero = (v: number) => (v === 0 ? undefined : v);

export class SenderKeyState {
  constructor(
    readonly messageVersion: number,
    readonly chainId: number,
    /** the key for the next iteration to send or receive */
    public chainKey: ChainKey,
    readonly signingKey: PublicKey,
    /** present on the sender's own state only */
    readonly signingPrivateKey: PrivateKey | undefined,
    /** skipped message-key seeds by iteration, oldest first; replaced, never edited (copies share it) */
    public messageKeys: Map<number, Uint8Array> = new Map(),
  ) {}

  clone(): SenderKeyState {
    return new SenderKeyState(this.messageVersion, this.chainId, this.chainKey, this.signingKey, this.signingPrivateKey, this.messageKeys);
  }

  /** Keeps skipped seeds, dropping the oldest past MAX_MESSAGE_KEYS (the Double Ratchet's rule and limit). */
  addSkippedKeys(added: [number, Uint8Array][]): void {
    this.messageKeys = SessionState.withSkippedKeys(this.messageKeys, added);
  }

  /** Removes and returns (a copy of) the seed kept for `iteration`, if any: the caller may wipe it. */
  takeSkippedKey(iteration: number): Uint8Array | undefined {
    const seed = this.messageKeys.get(iteration);
    if (seed === undefined) return undefined;
    const m = new Map(this.messageKeys);
    m.delete(iteration);
    this.messageKeys = m;
    return seed.slice();
  }

  serialize(): Uint8Array {
    const signing = new ProtoWriter().bytes(1, this.signingKey.serializedView()).bytes(2, this.signingPrivateKey?.serialize()).finish();
    const w = new ProtoWriter()
      .uint(1, nonZero(this.chainId))
      .bytes(2, new ProtoWriter().uint(1, nonZero(this.chainKey.index)).bytes(2, this.chainKey.key).finish())
      .bytes(3, signing);
    for (const [iteration, seed] of this.messageKeys) w.bytes(4, new ProtoWriter().uint(1, nonZero(iteration)).bytes(2, seed).finish());
    return w.uint(5, nonZero(this.messageVersion)).finish();
  }

  static deserialize(bytes: Uint8Array): SenderKeyState {
    const P = (b: Uint8Array, what: string) => ProtoMessage.parse(b, 'InvalidArgument', what);
    const m = P(bytes, 'sender key state');
    const ck = P(m.bytes(2, 'sender_chain_key'), 'sender chain key');
    const seed = ck.bytes(2, 'seed');
    if (seed.length !== SENDER_KEY_CHAIN_KEY_LENGTH) throw new ProtocolError('InvalidArgument', `sender chain key: expected 32 bytes, got ${seed.length}`);
    const sk = P(m.bytes(3, 'sender_signing_key'), 'sender signing key');
    const signingKey = PublicKey.deserialize(sk.bytes(1, 'public'));
    const priv = sk.optBytes(2);
    const signingPrivateKey = priv && priv.length > 0 ? PrivateKey.fromParts(priv, signingKey.rawView()) : undefined;
    const messageKeys = new Map<number, Uint8Array>();
    for (const kb of m.repeatedBytes(4)) {
      const k = P(kb, 'sender message key');
      messageKeys.set(k.optUint32(1) ?? 0, k.bytes(2, 'seed').slice());
    }
    return new SenderKeyState(
      m.optUint32(5) ?? 0,
      m.optUint32(1) ?? 0,
      new ChainKey(seed.slice(), ck.optUint32(1) ?? 0),
      signingKey,
      signingPrivateKey,
      messageKeys,
    );
  }
}

export class SenderKeyRecord {
  /** newest first, at most MAX_SENDER_KEY_STATES */
  states: SenderKeyState[];

  constructor(states: SenderKeyState[] = []) {
    this.states = states;
  }

  /** A shallow copy: states are shared, so callers clone a state before changing it. */
  copy(): SenderKeyRecord {
    return new SenderKeyRecord(this.states.slice());
  }

  isEmpty(): boolean {
    return this.states.length === 0;
  }

  /** The state a sender encrypts with: the newest. */
  currentState(): SenderKeyState | undefined {
    return this.states[0];
  }

  stateForChainId(chainId: number): SenderKeyState | undefined {
    return this.states.find((s) => s.chainId === chainId);
  }

  /** Puts `state` in place of the state with its chain id (after a decryption advanced a clone of it). */
  replaceState(state: SenderKeyState): void {
    const i = this.states.findIndex((s) => s.chainId === state.chainId);
    if (i < 0) throw new ProtocolError('InvalidArgument', `no sender key state with chain id ${state.chainId}`);
    this.states[i] = state;
  }

  /**
   * Adds a chain as the newest state, as libsignal does (observed black-box): a state already held for the
   * same chain id and signing key is kept as it is (its position and skipped keys are worth more than a
   * repeated distribution) and moved to the front; a state with the same chain id but another signing key
   * is dropped; past MAX_SENDER_KEY_STATES the oldest go.
   */
  addState(chainId: number, iteration: number, chainKey: Uint8Array, signingKey: PublicKey, signingPrivateKey?: PrivateKey): void {
    const same = this.states.find((s) => s.chainId === chainId && s.signingKey.equals(signingKey));
    const state =
      same ?? new SenderKeyState(SENDERKEY_MESSAGE_CURRENT_VERSION, chainId, new ChainKey(chainKey.slice(), iteration), signingKey, signingPrivateKey);
    this.states = [state, ...this.states.filter((s) => s.chainId !== chainId)].slice(0, MAX_SENDER_KEY_STATES);
  }

  serialize(): Uint8Array {
    const w = new ProtoWriter();
    for (const s of this.states) w.bytes(1, s.serialize());
    return w.finish();
  }

  static deserialize(bytes: Uint8Array): SenderKeyRecord {
    assertBytes(bytes, 'senderKeyRecord');
    try {
      const m = ProtoMessage.parse(bytes, 'InvalidArgument', 'sender key record');
      return new SenderKeyRecord(m.repeatedBytes(1).map((b) => SenderKeyState.deserialize(b)));
    } catch (e) {
      if (e instanceof ProtocolError) throw new ProtocolError('InvalidArgument', `"senderKeyRecord" is not a valid sender key record: ${e.message}`, { cause: e });
      throw e;
    }
  }
}
