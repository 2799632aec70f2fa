// Decryption-error recovery messages, byte-compatible with libsignal-client (established black-box against
// 0.72.1, 0.90.0 and 0.103.0; see docs/protocol-api.md "Decryption errors"):
//
//   DecryptionErrorMessage  protobuf { 1 ratchet_key (33, optional), 2 timestamp (uint64, required),
//                           3 device_id (uint32) }; both numbers always written. The ratchet key is the
//                           sender ratchet key of the message that failed (absent for a SenderKeyMessage),
//                           so its sender can tell whether the failure is on its current session.
//   PlaintextContent        0xC0 || body, body = Content { 8 decryptionErrorMessage (bytes) } || 0x80. It
//                           travels unencrypted with message type 8: a device that cannot decrypt has no
//                           session to encrypt with. 0xC0 is a "version" no encrypted message uses; 0x80 is
//                           the padding boundary Signal's content padding ends with.
import { assertBytes, assertInstance, assertTimestamp, assertUint32, concatBytes } from './bytes.js';
import { PublicKey } from './curve.js';
import { isProtocolError, ProtocolError } from './errors.js';
import { PreKeySignalMessage, SignalMessage } from './messages.js';
import { ProtoMessage, ProtoWriter } from './protobuf.js';
import { SENDER_KEY_MESSAGE_TYPE } from './sender-key-messages.js';
import { SessionRecord } from './session-state.js';

/** The message type PlaintextContent travels with (libsignal CiphertextMessageType.Plaintext). */
export const PLAINTEXT_CONTENT_TYPE = 8;
/** Message types of the messages a DecryptionErrorMessage can be about: Whisper, PreKey, SenderKey. */
export type OriginalMessageType = 2 | 3 | typeof SENDER_KEY_MESSAGE_TYPE;

const PLAINTEXT_CONTENT_IDENTIFIER_BYTE = 0xc0;
const PADDING_BOUNDARY_BYTE = 0x80;
/** Signal's Content.decryptionErrorMessage field */
const CONTENT_DECRYPTION_ERROR_MESSAGE = 8;

export class DecryptionErrorMessage {
  private constructor(
    readonly ratchetKey: PublicKey | undefined,
    /** ms since epoch: the failed message's timestamp, which names it to its sender */
    readonly timestamp: number,
    /** the device that sent the failed message */
    readonly deviceId: number,
    private readonly bytes: Uint8Array,
  ) {}

  private static create(ratchetKey: PublicKey | undefined, timestamp: number, deviceId: number): DecryptionErrorMessage {
    const bytes = new ProtoWriter().bytes(1, ratchetKey?.serializedView()).uint(2, timestamp).uint(3, deviceId).finish();
    return new DecryptionErrorMessage(ratchetKey, timestamp, deviceId, bytes);
  }

  /**
   * The error message about a message we could not decrypt, from its bytes and type as received
   * (libsignal's DecryptionErrorMessage.forOriginal). Whisper and PreKey messages are parsed for their
   * ratchet key (malformed ones are InvalidMessage); a SenderKeyMessage is not parsed.
   */
  static forOriginal(originalBytes: Uint8Array, type: OriginalMessageType, timestamp: number, originalSenderDeviceId: number): DecryptionErrorMessage {
    assertBytes(originalBytes, 'originalBytes');
    assertTimestamp(timestamp, 'timestamp');
    assertUint32(originalSenderDeviceId, 'originalSenderDeviceId');
    let ratchetKey: PublicKey | undefined;
    if (type === 2) ratchetKey = SignalMessage.deserialize(originalBytes).senderRatchetKey;
    else if (type === 3) ratchetKey = PreKeySignalMessage.deserialize(originalBytes).message.senderRatchetKey;
    else if ((type as number) === PLAINTEXT_CONTENT_TYPE)
      throw new ProtocolError('InvalidArgument', '"type" 8: plaintext content is not encrypted, so it cannot fail to decrypt');
    else if (type !== SENDER_KEY_MESSAGE_TYPE) throw new ProtocolError('InvalidArgument', `"type" expected 2, 3 or 7, got ${String(type)}`);
    return DecryptionErrorMessage.create(ratchetKey, timestamp, originalSenderDeviceId);
  }

  static deserialize(bytes: Uint8Array): DecryptionErrorMessage {
    assertBytes(bytes, 'decryptionErrorMessage');
    const m = ProtoMessage.parse(bytes, 'InvalidMessage', 'DecryptionErrorMessage');
    const rk = m.optBytes(1);
    let ratchetKey: PublicKey | undefined;
    if (rk !== undefined) {
      try {
        ratchetKey = PublicKey.deserialize(rk);
      } catch (e) {
        if (isProtocolError(e, 'InvalidKey')) throw new ProtocolError('InvalidMessage', `malformed DecryptionErrorMessage: ratchet_key: ${e.message}`, { cause: e });
        throw e;
      }
    }
    const ts = m.fields.findLast((f) => f.field === 2);
    if (ts === undefined) throw new ProtocolError('InvalidMessage', 'malformed DecryptionErrorMessage: missing timestamp');
    if (ts.wire !== 0) throw new ProtocolError('InvalidMessage', `malformed DecryptionErrorMessage: timestamp has wire type ${ts.wire}`);
    const timestamp = ts.num;
    return new DecryptionErrorMessage(ratchetKey, timestamp, m.optUint32(3) ?? 0, bytes.slice());
  }

  /** The DecryptionErrorMessage inside a PlaintextContent body (libsignal's extractFromSerializedBody). */
  static extractFromSerializedBody(body: Uint8Array): DecryptionErrorMessage {
    assertBytes(body, 'body');
    if (body.length === 0 || body[body.length - 1] !== PADDING_BOUNDARY_BYTE)
      throw new ProtocolError('InvalidMessage', 'malformed plaintext content: body does not end with the padding boundary 0x80');
    const content = ProtoMessage.parse(body.subarray(0, body.length - 1), 'InvalidMessage', 'plaintext Content');
    const dem = content.optBytes(CONTENT_DECRYPTION_ERROR_MESSAGE);
    if (dem === undefined) throw new ProtocolError('InvalidMessage', 'plaintext Content does not contain a DecryptionErrorMessage');
    return DecryptionErrorMessage.deserialize(dem);
  }

  serialize(): Uint8Array {
    return this.bytes.slice();
  }
}

export class PlaintextContent {
  private constructor(private readonly bytes: Uint8Array) {}

  static from(message: DecryptionErrorMessage): PlaintextContent {
    assertInstance(message, DecryptionErrorMessage, 'message');
    const content = new ProtoWriter().bytes(CONTENT_DECRYPTION_ERROR_MESSAGE, message.serialize()).finish();
    return new PlaintextContent(concatBytes(Uint8Array.of(PLAINTEXT_CONTENT_IDENTIFIER_BYTE), content, Uint8Array.of(PADDING_BOUNDARY_BYTE)));
  }

  /** Checks the leading 0xC0 only, as libsignal does; the body is read by extractFromSerializedBody. */
  static deserialize(bytes: Uint8Array): PlaintextContent {
    assertBytes(bytes, 'plaintextContent');
    if (bytes.length === 0) throw new ProtocolError('InvalidMessage', 'empty plaintext content');
    if (bytes[0] !== PLAINTEXT_CONTENT_IDENTIFIER_BYTE)
      throw new ProtocolError('UnsupportedVersion', `plaintext content must start with 0xc0, got 0x${bytes[0].toString(16).padStart(2, '0')}`);
    return new PlaintextContent(bytes.slice());
  }

  serialize(): Uint8Array {
    return this.bytes.slice();
  }

  /** The padded Content protobuf (everything after the 0xC0). */
  body(): Uint8Array {
    return this.bytes.slice(1);
  }

  decryptionErrorMessage(): DecryptionErrorMessage {
    return DecryptionErrorMessage.extractFromSerializedBody(this.bytes.subarray(1));
  }
}

/**
 * Whether `ratchetKey` (from a DecryptionErrorMessage) is our current sending ratchet key in `record`
 * (libsignal's SessionRecord.currentRatchetKeyMatches): if so the failure concerns the session we are
 * using, and the sender should archive it and start a new one before resending.
 */
export function currentRatchetKeyMatches(record: SessionRecord, ratchetKey: PublicKey): boolean {
  assertInstance(record, SessionRecord, 'record');
  assertInstance(ratchetKey, PublicKey, 'ratchetKey');
  const chain = record.current?.senderChain;
  return chain?.ratchetKey.equals(ratchetKey) ?? false;
}
