// Prekey records and their generation (libsignal state/prekey.rs, signed_prekey.rs, kyber_prekey.rs).
// Serialized with libsignal's storage.proto shapes: PreKeyRecordStructure {1 id, 2 public_key,
// 3 private_key} and SignedPreKeyRecordStructure {1 id, 2 public_key, 3 private_key, 4 signature,
// 5 timestamp (fixed64)}, the latter also for Kyber prekeys.
import { assertBytes, assertInstance, assertRng, assertTimestamp, assertUint32, type Rng } from './bytes.js';
import { generateKeyPair, IdentityKeyPair, PrivateKey, PublicKey, type KeyPair, SIGNATURE_LENGTH } from './curve.js';
import { ProtocolError } from './errors.js';
import { KyberKeyPair, KyberPublicKey } from './kyber.js';
import { ProtoMessage, ProtoWriter } from './protobuf.js';

/** libsignal's registration ids are 14 bits, 1..16380. */
export const MAX_REGISTRATION_ID = 16380;
/** Prekey ids are 24 bits in Signal's clients (Medium.MAX_VALUE). */
export const MAX_PREKEY_ID = 0xffffff;

export function generateRegistrationId(rng?: Rng): number {
  const r = assertRng(rng);
  const b = r(2);
  return (((b[0] << 8) | b[1]) % MAX_REGISTRATION_ID) + 1;
}

export class PreKeyRecord {
  readonly id: number;
  readonly publicKey: PublicKey;
  readonly privateKey: PrivateKey;

  constructor(id: number, publicKey: PublicKey, privateKey: PrivateKey) {
    assertUint32(id, 'id');
    assertInstance(publicKey, PublicKey, 'publicKey');
    assertInstance(privateKey, PrivateKey, 'privateKey');
    this.id = id;
    this.publicKey = publicKey;
    this.privateKey = privateKey;
  }

  static new(id: number, keyPair?: KeyPair | PrivateKey, rng?: Rng): PreKeyRecord {
    assertUint32(id, 'id');
    const priv = keyPair === undefined ? PrivateKey.generate(rng) : keyPair instanceof PrivateKey ? keyPair : keyPair?.privateKey;
    assertInstance(priv, PrivateKey, 'keyPair');
    return new PreKeyRecord(id, priv.getPublicKey(), priv);
  }

  serialize(): Uint8Array {
    return new ProtoWriter().uint(1, this.id).bytes(2, this.publicKey.serializedView()).bytes(3, this.privateKey.serialize()).finish();
  }

  static deserialize(bytes: Uint8Array): PreKeyRecord {
    assertBytes(bytes, 'preKeyRecord');
    const m = ProtoMessage.parse(bytes, 'InvalidKey', 'prekey record');
    return new PreKeyRecord(m.uint32(1, 'id'), PublicKey.deserialize(m.bytes(2, 'public_key')), PrivateKey.deserialize(m.bytes(3, 'private_key')));
  }
}

export class SignedPreKeyRecord {
  readonly id: number;
  readonly timestamp: number;
  readonly publicKey: PublicKey;
  readonly privateKey: PrivateKey;
  readonly signature: Uint8Array;

  constructor(id: number, timestamp: number, publicKey: PublicKey, privateKey: PrivateKey, signature: Uint8Array) {
    assertUint32(id, 'id');
    assertTimestamp(timestamp, 'timestamp');
    assertInstance(publicKey, PublicKey, 'publicKey');
    assertInstance(privateKey, PrivateKey, 'privateKey');
    assertBytes(signature, 'signature', SIGNATURE_LENGTH);
    this.id = id;
    this.timestamp = timestamp;
    this.publicKey = publicKey;
    this.privateKey = privateKey;
    this.signature = signature;
  }

  static new(id: number, timestamp: number, keyPair: KeyPair | PrivateKey, signature: Uint8Array): SignedPreKeyRecord {
    const priv = keyPair instanceof PrivateKey ? keyPair : keyPair?.privateKey;
    assertInstance(priv, PrivateKey, 'keyPair');
    return new SignedPreKeyRecord(id, timestamp, priv.getPublicKey(), priv, signature);
  }

  serialize(): Uint8Array {
    return new ProtoWriter()
      .uint(1, this.id)
      .bytes(2, this.publicKey.serializedView())
      .bytes(3, this.privateKey.serialize())
      .bytes(4, this.signature)
      .fixed64(5, this.timestamp)
      .finish();
  }

  static deserialize(bytes: Uint8Array): SignedPreKeyRecord {
    assertBytes(bytes, 'signedPreKeyRecord');
    const m = ProtoMessage.parse(bytes, 'InvalidKey', 'signed prekey record');
    return new SignedPreKeyRecord(
      m.uint32(1, 'id'),
      m.optNumber(5) ?? 0,
      PublicKey.deserialize(m.bytes(2, 'public_key')),
      PrivateKey.deserialize(m.bytes(3, 'private_key')),
      m.bytes(4, 'signature').slice(),
    );
  }
}

export class KyberPreKeyRecord {
  readonly id: number;
  readonly timestamp: number;
  readonly keyPair: KyberKeyPair;
  readonly signature: Uint8Array;

  constructor(id: number, timestamp: number, keyPair: KyberKeyPair, signature: Uint8Array) {
    assertUint32(id, 'id');
    assertTimestamp(timestamp, 'timestamp');
    assertInstance(keyPair, KyberKeyPair, 'keyPair');
    assertBytes(signature, 'signature', SIGNATURE_LENGTH);
    this.id = id;
    this.timestamp = timestamp;
    this.keyPair = keyPair;
    this.signature = signature;
  }

  get publicKey(): KyberPublicKey {
    return this.keyPair.publicKey;
  }

  serialize(): Uint8Array {
    return new ProtoWriter()
      .uint(1, this.id)
      .bytes(2, this.keyPair.publicKey.serializedView())
      .bytes(3, this.keyPair.serialize())
      .bytes(4, this.signature)
      .fixed64(5, this.timestamp)
      .finish();
  }

  static deserialize(bytes: Uint8Array): KyberPreKeyRecord {
    assertBytes(bytes, 'kyberPreKeyRecord');
    const m = ProtoMessage.parse(bytes, 'InvalidKey', 'kyber prekey record');
    const keyPair = KyberKeyPair.deserialize(m.bytes(3, 'private_key'));
    if (!keyPair.publicKey.equals(KyberPublicKey.deserialize(m.bytes(2, 'public_key'))))
      throw new ProtocolError('InvalidKey', 'kyber prekey record: public key does not match secret key');
    return new KyberPreKeyRecord(m.uint32(1, 'id'), m.optNumber(5) ?? 0, keyPair, m.bytes(4, 'signature').slice());
  }
}

export function generatePreKeys(startId: number, count: number, rng?: Rng): PreKeyRecord[] {
  assertUint32(startId, 'startId', 0, MAX_PREKEY_ID);
  assertUint32(count, 'count', 0, 100_000);
  const r = assertRng(rng);
  const out: PreKeyRecord[] = [];
  // ids wrap within 1..MAX_PREKEY_ID as Signal's clients do
  for (let i = 0; i < count; i++) out.push(PreKeyRecord.new(((startId - 1 + i) % MAX_PREKEY_ID) + 1, PrivateKey.generate(r)));
  return out;
}

export async function generateSignedPreKey(identity: IdentityKeyPair, id: number, now: number = Date.now(), rng?: Rng): Promise<SignedPreKeyRecord> {
  assertInstance(identity, IdentityKeyPair, 'identity');
  assertUint32(id, 'id');
  assertTimestamp(now, 'now');
  const r = assertRng(rng);
  // WebCrypto key generation when available and no rng is injected (faster than noble's)
  const { privateKey: priv } = await generateKeyPair(rng === undefined ? undefined : r);
  const signature = await identity.privateKey.sign(priv.getPublicKey().serializedView(), r);
  return new SignedPreKeyRecord(id, now, priv.getPublicKey(), priv, signature);
}

export async function generateKyberPreKey(identity: IdentityKeyPair, id: number, now: number = Date.now(), rng?: Rng): Promise<KyberPreKeyRecord> {
  assertInstance(identity, IdentityKeyPair, 'identity');
  assertUint32(id, 'id');
  assertTimestamp(now, 'now');
  const r = assertRng(rng);
  const keyPair = KyberKeyPair.generate(r).prepare();
  const signature = await identity.privateKey.sign(keyPair.publicKey.serializedView(), r);
  return new KyberPreKeyRecord(id, now, keyPair, signature);
}
