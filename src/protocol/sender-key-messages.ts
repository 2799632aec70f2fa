// Sender Keys wire messages, byte-compatible with libsignal-client (established by parsing what 0.72.1,
// 0.90.0 and 0.103.0 emit; see docs/protocol-api.md "Sender Keys"):
//
//   SenderKeyDistributionMessage = version || protobuf {1 distribution_uuid (16), 2 chain_id, 3 iteration,
//                                  4 chain_key (32), 5 signing_key (33)}
//   SenderKeyMessage             = version || protobuf {1 distribution_uuid (16), 2 chain_id, 3 iteration,
//                                  4 ciphertext} || 64-byte XEdDSA signature by the signing key over all before it
//
// The version byte is 0x33 (current version 3 in both nibbles). As libsignal does, parsers look at the high
// nibble only: below 3 is too old, above 3 unrecognized (both UnsupportedVersion). Every field is required;
// zero values are written explicitly. Anything else malformed is InvalidMessage.
import { assertBytes, assertInstance, assertUint32, concatBytes, type Rng } from './bytes.js';
import { SENDERKEY_MESSAGE_CURRENT_VERSION } from './consts.js';
import { PrivateKey, PublicKey, SIGNATURE_LENGTH } from './curve.js';
import { isProtocolError, ProtocolError } from './errors.js';
import { ProtoMessage, ProtoWriter } from './protobuf.js';
import { uuidFromBytes, uuidToBytes } from './uuid.js';

/** The message type a SenderKeyMessage travels with (libsignal CiphertextMessageType.SenderKey). */
export const SENDER_KEY_MESSAGE_TYPE = 7;
export const SENDER_KEY_CHAIN_KEY_LENGTH = 32;

function invalid(why: string): never {
  throw new ProtocolError('InvalidMessage', why);
}

const versionByte = (v: number) => ((v << 4) | SENDERKEY_MESSAGE_CURRENT_VERSION) & 0xff;

function messageVersion(bytes: Uint8Array, what: string): number {
  if (bytes.length === 0) invalid(`empty ${what}`);
  const v = bytes[0] >> 4;
  if (v < SENDERKEY_MESSAGE_CURRENT_VERSION) throw new ProtocolError('UnsupportedVersion', `${what} version ${v} is too old`);
  if (v > SENDERKEY_MESSAGE_CURRENT_VERSION) throw new ProtocolError('UnsupportedVersion', `${what} version ${v} is unrecognized`);
  return v;
}

export class SenderKeyDistributionMessage {
  private constructor(
    readonly messageVersion: number,
    /** lower-case UUID string */
    readonly distributionId: string,
    readonly chainId: number,
    readonly iteration: number,
    /** the chain key at `iteration` (32 bytes) */
    readonly chainKey: Uint8Array,
    readonly signingKey: PublicKey,
    private readonly bytes: Uint8Array,
  ) {}

  static create(distributionId: string, chainId: number, iteration: number, chainKey: Uint8Array, signingKey: PublicKey): SenderKeyDistributionMessage {
    const dist = uuidToBytes(distributionId, 'distributionId');
    assertUint32(chainId, 'chainId');
    assertUint32(iteration, 'iteration');
    assertBytes(chainKey, 'chainKey', SENDER_KEY_CHAIN_KEY_LENGTH);
    assertInstance(signingKey, PublicKey, 'signingKey');
    const proto = new ProtoWriter().bytes(1, dist).uint(2, chainId).uint(3, iteration).bytes(4, chainKey).bytes(5, signingKey.serializedView()).finish();
    const bytes = concatBytes(Uint8Array.of(versionByte(SENDERKEY_MESSAGE_CURRENT_VERSION)), proto);
    return new SenderKeyDistributionMessage(
      SENDERKEY_MESSAGE_CURRENT_VERSION,
      uuidFromBytes(dist, 'InvalidArgument', 'distributionId'),
      chainId,
      iteration,
      chainKey.slice(),
      signingKey,
      bytes,
    );
  }

  static deserialize(bytes: Uint8Array): SenderKeyDistributionMessage {
    assertBytes(bytes, 'senderKeyDistributionMessage');
    const version = messageVersion(bytes, 'SenderKeyDistributionMessage');
    const m = ProtoMessage.parse(bytes.subarray(1), 'InvalidMessage', 'SenderKeyDistributionMessage');
    const distributionId = uuidFromBytes(m.bytes(1, 'distribution_uuid'), 'InvalidMessage', 'SenderKeyDistributionMessage distribution_uuid');
    const chainId = m.uint32(2, 'chain_id');
    const iteration = m.uint32(3, 'iteration');
    const chainKey = m.bytes(4, 'chain_key');
    if (chainKey.length !== SENDER_KEY_CHAIN_KEY_LENGTH) invalid(`SenderKeyDistributionMessage chain_key: expected 32 bytes, got ${chainKey.length}`);
    let signingKey: PublicKey;
    try {
      signingKey = PublicKey.deserialize(m.bytes(5, 'signing_key'));
    } catch (e) {
      if (isProtocolError(e, 'InvalidKey')) invalid(`SenderKeyDistributionMessage signing_key: ${e.message}`);
      throw e;
    }
    return new SenderKeyDistributionMessage(version, distributionId, chainId, iteration, chainKey.slice(), signingKey, bytes.slice());
  }

  serialize(): Uint8Array {
    return this.bytes.slice();
  }
}

export class SenderKeyMessage {
  private constructor(
    readonly messageVersion: number,
    /** lower-case UUID string */
    readonly distributionId: string,
    readonly chainId: number,
    readonly iteration: number,
    readonly ciphertext: Uint8Array,
    private readonly bytes: Uint8Array,
  ) {}

  /** Builds and signs a message (XEdDSA by the sender's signing key over version || protobuf). */
  static async create(
    distributionId: string,
    chainId: number,
    iteration: number,
    ciphertext: Uint8Array,
    signingKey: PrivateKey,
    rng?: Rng,
  ): Promise<SenderKeyMessage> {
    const dist = uuidToBytes(distributionId, 'distributionId');
    assertUint32(chainId, 'chainId');
    assertUint32(iteration, 'iteration');
    assertBytes(ciphertext, 'ciphertext');
    assertInstance(signingKey, PrivateKey, 'signingKey');
    const proto = new ProtoWriter().bytes(1, dist).uint(2, chainId).uint(3, iteration).bytes(4, ciphertext).finish();
    const body = concatBytes(Uint8Array.of(versionByte(SENDERKEY_MESSAGE_CURRENT_VERSION)), proto);
    const signature = await signingKey.sign(body, rng);
    return new SenderKeyMessage(
      SENDERKEY_MESSAGE_CURRENT_VERSION,
      uuidFromBytes(dist, 'InvalidArgument', 'distributionId'),
      chainId,
      iteration,
      ciphertext.slice(),
      concatBytes(body, signature),
    );
  }

  static deserialize(bytes: Uint8Array): SenderKeyMessage {
    assertBytes(bytes, 'senderKeyMessage');
    if (bytes.length < 1 + SIGNATURE_LENGTH) invalid(`SenderKeyMessage too short (${bytes.length} bytes)`);
    const version = messageVersion(bytes, 'SenderKeyMessage');
    const m = ProtoMessage.parse(bytes.subarray(1, bytes.length - SIGNATURE_LENGTH), 'InvalidMessage', 'SenderKeyMessage');
    const distributionId = uuidFromBytes(m.bytes(1, 'distribution_uuid'), 'InvalidMessage', 'SenderKeyMessage distribution_uuid');
    const chainId = m.uint32(2, 'chain_id');
    const iteration = m.uint32(3, 'iteration');
    const ciphertext = m.bytes(4, 'ciphertext').slice();
    return new SenderKeyMessage(version, distributionId, chainId, iteration, ciphertext, bytes.slice());
  }

  /** The signature over the bytes as received, checked against the sender's signing key. */
  verifySignature(signingKey: PublicKey): Promise<boolean> {
    assertInstance(signingKey, PublicKey, 'signingKey');
    const n = this.bytes.length - SIGNATURE_LENGTH;
    return signingKey.verifySignature(this.bytes.subarray(0, n), this.bytes.subarray(n));
  }

  serialize(): Uint8Array {
    return this.bytes.slice();
  }
}
