// libsignal's "Kyber1024" KEM (rust/protocol/src/kem/kyber1024.rs): round-3 CRYSTALS-Kyber, key type
// byte 0x08. Built over noble's FIPS-203 ML-KEM-1024, whose key formats and inner encryption are the
// same; only the shared-secret derivation differs (docs/signal-wire.md):
//   encapsulate: m = SHA3-256(random32); (ct, K) = ML-KEM.Encaps(pk; m); ss = SHAKE256(K || SHA3-256(ct), 32)
//   decapsulate: ss = SHAKE256(ML-KEM.Decaps(ct, sk) || SHA3-256(ct), 32)
import { ml_kem1024, type KEMPrepared } from '@noble/post-quantum/ml-kem.js';
import { sha3_256, shake256 } from '@noble/hashes/sha3.js';
import { assertBytes, assertRng, concatBytes, type Rng } from './bytes.js';
import { ProtocolError } from './errors.js';

export const KYBER_TYPE = 0x08;
export const KYBER_PUBLIC_KEY_LENGTH = 1568;
export const KYBER_SECRET_KEY_LENGTH = 3168;
export const KYBER_CIPHERTEXT_LENGTH = 1568;

type Prepared = KEMPrepared;

/**
 * Prepared keys: noble expands the public matrix from the key's seed (K^2 SHAKE128 samplings, the
 * bulk of an encapsulation) once per key object instead of on every call. Public data only.
 */
function prepare(raw: Uint8Array): Prepared {
  try {
    return ml_kem1024.prepare(raw);
  } catch (e) {
    throw new ProtocolError('InvalidKey', 'Kyber public key rejected', { cause: e });
  }
}

export class KyberPublicKey {
  private readonly raw: Uint8Array;
  private serialized?: Uint8Array;
  private prepared?: Prepared;

  private constructor(raw: Uint8Array) {
    this.raw = raw;
  }

  /** 0x08 || 1568 bytes */
  static deserialize(bytes: Uint8Array): KyberPublicKey {
    assertBytes(bytes, 'kyberPublicKey');
    if (bytes.length !== KYBER_PUBLIC_KEY_LENGTH + 1)
      throw new ProtocolError('InvalidKey', `"kyberPublicKey" expected Uint8Array of length 1569, got length=${bytes.length}`);
    if (bytes[0] !== KYBER_TYPE) throw new ProtocolError('InvalidKey', `"kyberPublicKey" has unknown key type 0x${bytes[0].toString(16)}`);
    return new KyberPublicKey(bytes.slice(1));
  }

  /** Internal */
  static fromRaw(raw: Uint8Array): KyberPublicKey {
    return new KyberPublicKey(raw);
  }

  serialize(): Uint8Array {
    return this.serializedView().slice();
  }

  serializedView(): Uint8Array {
    this.serialized ??= concatBytes(Uint8Array.of(KYBER_TYPE), this.raw);
    return this.serialized;
  }

  equals(other: KyberPublicKey): boolean {
    if (!(other instanceof KyberPublicKey)) return false;
    const a = this.raw;
    const b = other.raw;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /** Returns the serialized ciphertext (0x08 || 1568) and the 32-byte shared secret. */
  encapsulate(rng?: Rng): { ciphertext: Uint8Array; sharedSecret: Uint8Array } {
    const m = sha3_256(assertRng(rng)(32));
    this.prepared ??= prepare(this.raw);
    const res = this.prepared.encapsulate(m);
    const sharedSecret = shake256(concatBytes(res.sharedSecret, sha3_256(res.cipherText)), { dkLen: 32 });
    res.sharedSecret.fill(0);
    return { ciphertext: concatBytes(Uint8Array.of(KYBER_TYPE), res.cipherText), sharedSecret };
  }
}

export class KyberKeyPair {
  readonly publicKey: KyberPublicKey;
  private readonly secretKey: Uint8Array;
  private prepared?: Prepared;

  private constructor(publicKey: KyberPublicKey, secretKey: Uint8Array) {
    this.publicKey = publicKey;
    this.secretKey = secretKey;
  }

  static generate(rng?: Rng): KyberKeyPair {
    const { publicKey, secretKey } = ml_kem1024.keygen(assertRng(rng)(64));
    return new KyberKeyPair(KyberPublicKey.fromRaw(publicKey), secretKey);
  }

  /**
   * Expands the key's public matrix now rather than on the first decapsulation (prekey generation
   * is off the message path). The expansion is cached on this object either way.
   */
  prepare(): this {
    this.prepared ??= prepare(this.publicKey.serializedView().subarray(1));
    return this;
  }

  /** Serialized secret key, 0x08 || 3168 bytes (it embeds the public key, as in Kyber). */
  serialize(): Uint8Array {
    return concatBytes(Uint8Array.of(KYBER_TYPE), this.secretKey);
  }

  static deserialize(bytes: Uint8Array): KyberKeyPair {
    assertBytes(bytes, 'kyberKeyPair');
    if (bytes.length !== KYBER_SECRET_KEY_LENGTH + 1)
      throw new ProtocolError('InvalidKey', `"kyberKeyPair" expected Uint8Array of length 3169, got length=${bytes.length}`);
    if (bytes[0] !== KYBER_TYPE) throw new ProtocolError('InvalidKey', `"kyberKeyPair" has unknown key type 0x${bytes[0].toString(16)}`);
    const sk = bytes.slice(1);
    // dk = dk_pke (1536) || ek (1568) || H(ek) (32) || z (32)
    const pk = sk.slice(1536, 1536 + KYBER_PUBLIC_KEY_LENGTH);
    const h = sk.subarray(1536 + KYBER_PUBLIC_KEY_LENGTH, 1536 + KYBER_PUBLIC_KEY_LENGTH + 32);
    const want = sha3_256(pk);
    for (let i = 0; i < 32; i++) if (h[i] !== want[i]) throw new ProtocolError('InvalidKey', '"kyberKeyPair" embedded public key hash mismatch');
    return new KyberKeyPair(KyberPublicKey.fromRaw(pk), sk);
  }

  /** ciphertext: serialized 0x08 || 1568. Bad length/type -> InvalidMessage (it arrives in a message). */
  decapsulate(ciphertext: Uint8Array): Uint8Array {
    assertBytes(ciphertext, 'kyberCiphertext');
    if (ciphertext.length !== KYBER_CIPHERTEXT_LENGTH + 1 || ciphertext[0] !== KYBER_TYPE)
      throw new ProtocolError('InvalidMessage', `"kyberCiphertext" expected 0x08 || 1568 bytes, got length=${ciphertext.length}`);
    const ct = ciphertext.subarray(1);
    const k = this.prepare().prepared!.decapsulate(ct, this.secretKey);
    const ss = shake256(concatBytes(k, sha3_256(ct)), { dkLen: 32 });
    k.fill(0);
    return ss;
  }
}
