// libsignal's "Kyber1024" KEM (rust/protocol/src/kem/kyber1024.rs): round-3 CRYSTALS-Kyber, key type
// byte 0x08. Built over FIPS-203 ML-KEM-1024 (mlkem.ts, byte-identical to noble's), whose key formats and inner encryption are the
// same; only the shared-secret derivation differs (docs/signal-wire.md):
//   encapsulate: m = SHA3-256(random32); (ct, K) = ML-KEM.Encaps(pk; m); ss = SHAKE256(K || SHA3-256(ct), 32)
//   decapsulate: ss = SHAKE256(ML-KEM.Decaps(ct, sk) || SHA3-256(ct), 32)
import { assertBytes, assertRng, concatBytes, type Rng } from './bytes.js';
import { ProtocolError } from './errors.js';
import { sha3_256, shake256 } from './keccak.js';
import * as mlkem from './mlkem.js';

export const KYBER_TYPE = 0x08;
export const KYBER_PUBLIC_KEY_LENGTH = 1568;
export const KYBER_SECRET_KEY_LENGTH = 3168;
export const KYBER_CIPHERTEXT_LENGTH = 1568;

/**
 * Expanded keys: the public matrix from the key's seed (K^2 SHAKE128 samplings, the bulk of an
 * encapsulation), t_hat and H(ek), once per key object instead of on every call. Public data only.
 */
function prepare(raw: Uint8Array): mlkem.ExpandedEk {
  try {
    return mlkem.expandEk(mlkem.ML_KEM_1024, raw);
  } catch (e) {
    throw new ProtocolError('InvalidKey', 'Kyber public key rejected', { cause: e });
  }
}

export class KyberPublicKey {
  private readonly raw: Uint8Array;
  private serialized?: Uint8Array;
  private prepared?: mlkem.ExpandedEk;

  private constructor(raw: Uint8Array, prepared?: mlkem.ExpandedEk) {
    this.raw = raw;
    this.prepared = prepared;
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
  static fromRaw(raw: Uint8Array, prepared?: mlkem.ExpandedEk): KyberPublicKey {
    return new KyberPublicKey(raw, prepared);
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
    const res = mlkem.encapsulate(this.prepared, m);
    const sharedSecret = shake256(32, res.sharedSecret, sha3_256(res.cipherText));
    res.sharedSecret.fill(0);
    return { ciphertext: concatBytes(Uint8Array.of(KYBER_TYPE), res.cipherText), sharedSecret };
  }
}

export class KyberKeyPair {
  readonly publicKey: KyberPublicKey;
  private readonly secretKey: Uint8Array;
  private prepared?: mlkem.ExpandedDk;

  private constructor(publicKey: KyberPublicKey, secretKey: Uint8Array, prepared?: mlkem.ExpandedDk) {
    this.publicKey = publicKey;
    this.secretKey = secretKey;
    this.prepared = prepared;
  }

  /** Key generation keeps the expanded matrix it computes, so decapsulation needs no second expansion. */
  static generate(rng?: Rng): KyberKeyPair {
    const { publicKey, secretKey, expanded } = mlkem.keygen(mlkem.ML_KEM_1024, assertRng(rng)(64));
    return new KyberKeyPair(KyberPublicKey.fromRaw(publicKey, expanded.ek), secretKey, expanded);
  }

  /**
   * Expands the key (matrix, t_hat, s_hat) now rather than on the first decapsulation (a no-op for
   * a generated key, which keeps its expansion). Cached on this object either way.
   */
  prepare(): this {
    this.prepared ??= mlkem.expandDk(mlkem.ML_KEM_1024, this.secretKey);
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
    const k = mlkem.decapsulate(this.prepare().prepared!, ct);
    const ss = shake256(32, k, sha3_256(ct));
    k.fill(0);
    return ss;
  }
}
