// Wire messages (libsignal rust/protocol/src/protocol.rs, proto/wire.proto; docs/signal-wire.md
// "Wire messages"). SignalMessage = version || protobuf || 8-byte MAC; PreKeySignalMessage =
// version || protobuf wrapping a whole SignalMessage. Anything malformed is InvalidMessage.
import { concatBytes, equalBytes } from './bytes.js';
import { CIPHERTEXT_MESSAGE_CURRENT_VERSION, KYBER_AWARE_VERSION, MAC_LENGTH, PRE_KYBER_VERSION } from './consts.js';
import { PublicKey } from './curve.js';
import { isProtocolError, ProtocolError } from './errors.js';
import { hmacSha256 } from './kdf.js';
import { ProtoMessage, ProtoWriter } from './protobuf.js';

function invalid(why: string): never {
  throw new ProtocolError('InvalidMessage', why);
}

function messageVersion(bytes: Uint8Array): number {
  if (bytes.length === 0) invalid('empty message');
  const v = bytes[0] >> 4;
  // libsignal: below 3 is a legacy version (LegacyCiphertextVersion), above 4 an unrecognized one
  // (UnrecognizedMessageVersion)
  if (v < PRE_KYBER_VERSION) throw new ProtocolError('UnsupportedVersion', `message version ${v} is too old`);
  if (v > KYBER_AWARE_VERSION) throw new ProtocolError('UnsupportedVersion', `message version ${v} is unrecognized`);
  return v;
}

function parseKey(bytes: Uint8Array, name: string): PublicKey {
  try {
    return PublicKey.deserialize(bytes);
  } catch (e) {
    if (isProtocolError(e)) invalid(`invalid ${name}: ${e.message}`);
    throw e;
  }
}

const versionByte = (v: number) => ((v << 4) | CIPHERTEXT_MESSAGE_CURRENT_VERSION) & 0xff;

export function computeMac(macKey: Uint8Array, senderIdentity: PublicKey, receiverIdentity: PublicKey, body: Uint8Array): Uint8Array {
  return hmacSha256(macKey, senderIdentity.serializedView(), receiverIdentity.serializedView(), body).subarray(0, MAC_LENGTH);
}

export class SignalMessage {
  private constructor(
    readonly messageVersion: number,
    readonly senderRatchetKey: PublicKey,
    readonly counter: number,
    readonly previousCounter: number,
    readonly ciphertext: Uint8Array,
    readonly serialized: Uint8Array,
    /** field 5, SPQR's message (empty when absent) */
    readonly pqRatchet: Uint8Array = new Uint8Array(0),
  ) {}

  static create(
    version: number,
    macKey: Uint8Array,
    senderRatchetKey: PublicKey,
    counter: number,
    previousCounter: number,
    ciphertext: Uint8Array,
    senderIdentity: PublicKey,
    receiverIdentity: PublicKey,
    pqRatchet: Uint8Array = new Uint8Array(0),
  ): SignalMessage {
    const proto = new ProtoWriter()
      .bytes(1, senderRatchetKey.serializedView())
      .uint(2, counter)
      .uint(3, previousCounter)
      .bytes(4, ciphertext)
      .bytes(5, pqRatchet.length > 0 ? pqRatchet : undefined)
      .finish();
    const body = new Uint8Array(1 + proto.length + MAC_LENGTH);
    body[0] = versionByte(version);
    body.set(proto, 1);
    const mac = computeMac(macKey, senderIdentity, receiverIdentity, body.subarray(0, 1 + proto.length));
    body.set(mac, 1 + proto.length);
    return new SignalMessage(version, senderRatchetKey, counter, previousCounter, ciphertext, body, pqRatchet);
  }

  static deserialize(bytes: Uint8Array): SignalMessage {
    if (bytes.length < MAC_LENGTH + 1) invalid('SignalMessage too short');
    const version = messageVersion(bytes);
    const m = ProtoMessage.parse(bytes.subarray(1, bytes.length - MAC_LENGTH), 'InvalidMessage', 'SignalMessage');
    const ratchetKey = parseKey(m.bytes(1, 'ratchet_key'), 'ratchet key');
    const counter = m.uint32(2, 'counter');
    const previousCounter = m.optUint32(3) ?? 0;
    const ciphertext = m.bytes(4, 'ciphertext');
    return new SignalMessage(version, ratchetKey, counter, previousCounter, ciphertext, bytes, m.optBytes(5));
  }

  /** MAC over the bytes as received, compared in constant time. */
  verifyMac(senderIdentity: PublicKey, receiverIdentity: PublicKey, macKey: Uint8Array): boolean {
    const n = this.serialized.length - MAC_LENGTH;
    const want = computeMac(macKey, senderIdentity, receiverIdentity, this.serialized.subarray(0, n));
    return equalBytes(want, this.serialized.subarray(n));
  }
}

export interface KyberPayload {
  preKeyId: number;
  /** serialized, 0x08 || 1568 */
  ciphertext: Uint8Array;
}

export class PreKeySignalMessage {
  private constructor(
    readonly messageVersion: number,
    readonly registrationId: number,
    readonly preKeyId: number | undefined,
    readonly signedPreKeyId: number,
    readonly kyber: KyberPayload | undefined,
    readonly baseKey: PublicKey,
    readonly identityKey: PublicKey,
    readonly message: SignalMessage,
    readonly serialized: Uint8Array,
  ) {}

  static create(
    version: number,
    registrationId: number,
    preKeyId: number | undefined,
    signedPreKeyId: number,
    kyber: KyberPayload | undefined,
    baseKey: PublicKey,
    identityKey: PublicKey,
    message: SignalMessage,
  ): PreKeySignalMessage {
    const proto = new ProtoWriter()
      .uint(1, preKeyId)
      .bytes(2, baseKey.serializedView())
      .bytes(3, identityKey.serializedView())
      .bytes(4, message.serialized)
      .uint(5, registrationId)
      .uint(6, signedPreKeyId)
      .uint(7, kyber?.preKeyId)
      .bytes(8, kyber?.ciphertext)
      .finish();
    const body = concatBytes(Uint8Array.of(versionByte(version)), proto);
    return new PreKeySignalMessage(version, registrationId, preKeyId, signedPreKeyId, kyber, baseKey, identityKey, message, body);
  }

  static deserialize(bytes: Uint8Array): PreKeySignalMessage {
    const version = messageVersion(bytes);
    const m = ProtoMessage.parse(bytes.subarray(1), 'InvalidMessage', 'PreKeySignalMessage');
    const baseKey = parseKey(m.bytes(2, 'base_key'), 'base key');
    const identityKey = parseKey(m.bytes(3, 'identity_key'), 'identity key');
    const message = SignalMessage.deserialize(m.bytes(4, 'message'));
    const signedPreKeyId = m.uint32(6, 'signed_pre_key_id');
    const kyberId = m.optUint32(7);
    const kyberCt = m.optBytes(8);
    let kyber: KyberPayload | undefined;
    if (kyberId !== undefined && kyberCt !== undefined) kyber = { preKeyId: kyberId, ciphertext: kyberCt };
    else if (kyberId !== undefined || kyberCt !== undefined) invalid('both or neither of kyber_pre_key_id and kyber_ciphertext must be present');
    else if (version >= KYBER_AWARE_VERSION) invalid('a version 4 PreKeySignalMessage must carry a Kyber ciphertext');
    return new PreKeySignalMessage(version, m.optUint32(5) ?? 0, m.optUint32(1), signedPreKeyId, kyber, baseKey, identityKey, message, bytes);
  }
}
