// Curve25519 keys as libsignal serializes them (rust/core/src/curve.rs, curve25519.rs):
// public keys are 0x05 || 32-byte X25519 u-coordinate, private keys 32 clamped bytes.
// Signatures are libsignal's XEdDSA variant (see docs/signal-wire.md "Keys and signatures").
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import {
  backendEpoch,
  importEd25519Public,
  importX25519Private,
  importX25519Public,
  nobleEd25519Verify,
  nobleX25519,
  useWebCrypto,
  webcryptoEd25519Verify,
  takePooledX25519,
  webcryptoX25519,
} from './backend.js';
import { assertBytes, assertInstance, assertRng, concatBytes, type Rng } from './bytes.js';
import { ProtocolError } from './errors.js';
import { ProtoMessage, ProtoWriter } from './protobuf.js';

export const DJB_TYPE = 0x05;
export const PUBLIC_KEY_LENGTH = 33;
export const PRIVATE_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

const Fp = ed25519.Point.Fp;
const L = ed25519.Point.Fn.ORDER;
const P = Fp.ORDER;

function bytesToNumberLE(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
  return n;
}

function numberToBytesLE(n: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

function clamp(k: Uint8Array): Uint8Array {
  const c = Uint8Array.from(k);
  c[0] &= 248;
  c[31] &= 127;
  c[31] |= 64;
  return c;
}

/**
 * Montgomery u -> Edwards y = (u - 1) / (u + 1), with the sign bit XEdDSA carries in the signature.
 * Returns null for u = -1 (no Edwards image).
 */
function montgomeryToEdwardsY(u32: Uint8Array): Uint8Array | null {
  const u = Fp.create(bytesToNumberLE(u32) & ((1n << 255n) - 1n));
  const denom = Fp.add(u, 1n);
  if (denom === 0n) return null;
  return numberToBytesLE(Fp.mul(Fp.sub(u, 1n), Fp.inv(denom)), 32);
}

type EdPoint = InstanceType<typeof ed25519.Point>;

/** Montgomery u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y) of an Edwards point other than the identity. */
function montgomeryU(p: EdPoint): Uint8Array {
  return numberToBytesLE(Fp.mul(Fp.add(p.Z, p.Y), Fp.inv(Fp.sub(p.Z, p.Y))), 32);
}

export class PublicKey {
  /** 32-byte u-coordinate */
  private readonly raw: Uint8Array;
  private serialized?: Uint8Array;
  private wcKey?: Promise<CryptoKey>;
  private wcResolved?: CryptoKey;
  private wcEpoch = -1;
  private edKeys: (Promise<CryptoKey | null> | undefined)[] = [undefined, undefined];
  private edEpoch = -1;
  /** Edwards y of this key (XEdDSA), computed once: a field inversion */
  private edY?: Uint8Array | null;

  private constructor(raw: Uint8Array) {
    this.raw = raw;
  }

  /** 0x05 || 32 bytes. Wrong type byte or length -> InvalidKey. */
  static deserialize(bytes: Uint8Array): PublicKey {
    assertBytes(bytes, 'publicKey');
    if (bytes.length !== PUBLIC_KEY_LENGTH)
      throw new ProtocolError('InvalidKey', `"publicKey" expected Uint8Array of length 33, got length=${bytes.length}`);
    if (bytes[0] !== DJB_TYPE) throw new ProtocolError('InvalidKey', `"publicKey" has unknown key type 0x${bytes[0].toString(16)}`);
    return new PublicKey(bytes.slice(1));
  }

  /** From the bare 32-byte X25519 u-coordinate. */
  static fromPublicKeyBytes(bytes: Uint8Array): PublicKey {
    assertBytes(bytes, 'publicKeyBytes', 32, 'InvalidKey');
    return new PublicKey(Uint8Array.from(bytes));
  }

  serialize(): Uint8Array {
    this.serialized ??= concatBytes(Uint8Array.of(DJB_TYPE), this.raw);
    return this.serialized.slice();
  }

  /** Internal: serialized form without a defensive copy (callers must not mutate). */
  serializedView(): Uint8Array {
    this.serialized ??= concatBytes(Uint8Array.of(DJB_TYPE), this.raw);
    return this.serialized;
  }

  getPublicKeyBytes(): Uint8Array {
    return this.raw.slice();
  }

  /** Internal: raw bytes without a copy. */
  rawView(): Uint8Array {
    return this.raw;
  }

  equals(other: PublicKey): boolean {
    assertInstance(other, PublicKey, 'other');
    const a = this.raw;
    const b = other.raw;
    for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /** Canonical: high bit clear and u < p (libsignal rejects non-canonical base keys). */
  isCanonical(): boolean {
    if (this.raw[31] & 0x80) return false;
    return bytesToNumberLE(this.raw) < P;
  }

  /** Internal: cached WebCrypto X25519 public key. */
  webcryptoKey(): Promise<CryptoKey> {
    if (!this.wcKey || this.wcEpoch !== backendEpoch) {
      const epoch = (this.wcEpoch = backendEpoch);
      this.wcResolved = undefined;
      this.wcKey = importX25519Public(this.raw).then(
        (k) => {
          if (this.wcEpoch === epoch) this.wcResolved = k;
          return k;
        },
        (e) => {
          this.wcKey = undefined;
          throw new ProtocolError('InvalidKey', 'X25519 public key rejected', { cause: e });
        },
      );
    }
    return this.wcKey;
  }

  /** Internal: the imported key if the import has completed under the current backend. */
  webcryptoKeyNow(): CryptoKey | undefined {
    return this.wcEpoch === backendEpoch ? this.wcResolved : undefined;
  }

  private edwardsKey(signBit: number): Uint8Array | null {
    if (this.edY === undefined) this.edY = montgomeryToEdwardsY(this.raw);
    if (!this.edY) return null;
    const out = this.edY.slice();
    out[31] |= signBit;
    return out;
  }

  /** libsignal XEdDSA verification. Wrong-type arguments throw; a bad signature returns false. */
  async verifySignature(message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    assertBytes(message, 'message');
    assertBytes(signature, 'signature', SIGNATURE_LENGTH);
    const signBit = signature[63] & 0x80;
    if (signature[63] & 0x60) return false; // s must be < 2^253
    const sig = Uint8Array.from(signature);
    sig[63] &= 0x7f;
    const wc = useWebCrypto();
    if (wc === true || (wc !== false && (await wc))) {
      if (this.edEpoch !== backendEpoch) {
        this.edEpoch = backendEpoch;
        this.edKeys = [undefined, undefined];
      }
      const slot = signBit ? 1 : 0;
      let keyP = this.edKeys[slot];
      if (!keyP) {
        const ed = this.edwardsKey(signBit);
        keyP = ed ? importEd25519Public(ed).catch(() => null) : Promise.resolve(null);
        this.edKeys[slot] = keyP;
      }
      const key = await keyP;
      if (!key) return false;
      return webcryptoEd25519Verify(key, message, sig);
    }
    const ed = this.edwardsKey(signBit);
    if (!ed) return false;
    return nobleEd25519Verify(ed, message, sig);
  }
}

export class PrivateKey {
  /** 32 clamped bytes */
  private readonly scalar: Uint8Array;
  private pub?: PublicKey;
  private wcKey?: Promise<CryptoKey>;
  private wcResolved?: CryptoKey;
  private wcEpoch = -1;
  /** a = k mod L and A = aB on Edwards25519 (XEdDSA); A's encoding is computed on first use */
  private xeddsa?: { a: bigint; point: EdPoint; A?: Uint8Array };

  private constructor(scalar: Uint8Array, pub?: PublicKey, cryptoKey?: CryptoKey) {
    this.scalar = scalar;
    this.pub = pub;
    if (cryptoKey) {
      this.wcKey = Promise.resolve(cryptoKey);
      this.wcResolved = cryptoKey;
      this.wcEpoch = backendEpoch;
    }
  }

  static generate(rng?: Rng): PrivateKey {
    const r = assertRng(rng);
    return new PrivateKey(clamp(r(32)));
  }

  static deserialize(bytes: Uint8Array): PrivateKey {
    assertBytes(bytes, 'privateKey');
    if (bytes.length !== PRIVATE_KEY_LENGTH)
      throw new ProtocolError('InvalidKey', `"privateKey" expected Uint8Array of length 32, got length=${bytes.length}`);
    return new PrivateKey(clamp(bytes));
  }

  /** Internal: a private key with its public key already known (saves a scalar multiplication). */
  static fromParts(priv: Uint8Array, pub: Uint8Array, cryptoKey?: CryptoKey): PrivateKey {
    return new PrivateKey(clamp(priv), PublicKey.fromPublicKeyBytes(pub), cryptoKey);
  }

  serialize(): Uint8Array {
    return this.scalar.slice();
  }

  getPublicKey(): PublicKey {
    // X25519(k, 9) is the Montgomery u of kB: the Edwards fixed-base multiplication (precomputed
    // table, constant time) is ~1.5x faster than noble's Montgomery ladder, and XEdDSA reuses it.
    this.pub ??= PublicKey.fromPublicKeyBytes(montgomeryU(this.edwards().point));
    return this.pub;
  }

  private edwards(): { a: bigint; point: EdPoint; A?: Uint8Array } {
    if (!this.xeddsa) {
      // B has order L, so kB = (k mod L)B; a clamped k is never a multiple of L (8L > 2^255)
      const a = bytesToNumberLE(this.scalar) % L;
      this.xeddsa = { a, point: ed25519.Point.BASE.multiply(a) };
    }
    return this.xeddsa;
  }

  /** Starts the WebCrypto import now (identity and signed prekeys are used for every set-up). */
  warm(): void {
    const wc = useWebCrypto();
    if (wc === true) this.webcryptoKey().catch(() => {});
    else if (wc !== false)
      wc.then((ok) => {
        if (ok) this.webcryptoKey().catch(() => {});
      });
  }

  /** Internal: cached WebCrypto X25519 private key. */
  webcryptoKey(): Promise<CryptoKey> {
    if (!this.wcKey || this.wcEpoch !== backendEpoch) {
      const epoch = (this.wcEpoch = backendEpoch);
      this.wcResolved = undefined;
      this.wcKey = importX25519Private(this.scalar, this.getPublicKey().rawView()).then((k) => {
        if (this.wcEpoch === epoch) this.wcResolved = k;
        return k;
      });
    }
    return this.wcKey;
  }

  /** X25519 shared secret; an all-zero result (small-order peer key) throws InvalidKey. */
  async agree(other: PublicKey): Promise<Uint8Array> {
    assertInstance(other, PublicKey, 'other');
    const wc = useWebCrypto();
    if (wc === true || (wc !== false && (await wc))) {
      // With both keys imported already, the job is dispatched before this call returns, so
      // callers can start several agreements and then compute (Kyber) while they run.
      const privNow = this.wcEpoch === backendEpoch ? this.wcResolved : undefined;
      const pubNow = other.webcryptoKeyNow();
      if (privNow && pubNow) return webcryptoX25519(privNow, pubNow);
      const [priv, pub] = await Promise.all([this.webcryptoKey(), other.webcryptoKey()]);
      return webcryptoX25519(priv, pub);
    }
    return nobleX25519(this.scalar, other.rawView());
  }

  /** libsignal XEdDSA: 64 bytes, the Edwards sign bit of A in bit 7 of the last byte. */
  async sign(message: Uint8Array, rng?: Rng): Promise<Uint8Array> {
    assertBytes(message, 'message');
    const r64 = assertRng(rng)(64);
    const ed = this.edwards();
    ed.A ??= ed.point.toBytes();
    const { a, A } = ed;
    const prefix = new Uint8Array(32).fill(0xff);
    prefix[0] = 0xfe;
    const r = bytesToNumberLE(sha512(concatBytes(prefix, this.scalar, message, r64))) % L;
    const R = ed25519.Point.BASE.multiply(r === 0n ? 1n : r).toBytes();
    const h = bytesToNumberLE(sha512(concatBytes(R, A, message))) % L;
    const s = (h * a + (r === 0n ? 1n : r)) % L;
    const sig = concatBytes(R, numberToBytesLE(s, 32));
    sig[63] |= A[31] & 0x80;
    return sig;
  }
}

/**
 * Resolves once every key is imported for WebCrypto (no-op on noble), so that agree() calls made
 * afterwards dispatch their jobs synchronously.
 */
export async function importForAgreement(keys: (PublicKey | PrivateKey)[]): Promise<void> {
  const wc = useWebCrypto();
  if (wc === false || (wc !== true && !(await wc))) return;
  await Promise.all(keys.map((k) => k.webcryptoKey()));
}

/** An X25519 key pair as used for ratchet and base keys. */
export interface KeyPair {
  publicKey: PublicKey;
  privateKey: PrivateKey;
}

/**
 * Fresh key pair, async: WebCrypto generation when it is the backend and no rng is injected
 * (injected randomness must decide the key, so that path uses noble).
 */
export async function generateKeyPair(rng?: Rng): Promise<KeyPair> {
  if (rng === undefined) {
    const wc = useWebCrypto();
    if (wc === true || (wc !== false && (await wc))) {
      const g = await takePooledX25519();
      const privateKey = PrivateKey.fromParts(g.priv, g.pub, g.cryptoKey);
      return { publicKey: privateKey.getPublicKey(), privateKey };
    }
  }
  const privateKey = PrivateKey.generate(rng);
  return { publicKey: privateKey.getPublicKey(), privateKey };
}

export class IdentityKeyPair {
  readonly publicKey: PublicKey;
  readonly privateKey: PrivateKey;

  constructor(publicKey: PublicKey, privateKey: PrivateKey) {
    assertInstance(publicKey, PublicKey, 'publicKey');
    assertInstance(privateKey, PrivateKey, 'privateKey');
    this.publicKey = publicKey;
    this.privateKey = privateKey;
  }

  static generate(rng?: Rng): IdentityKeyPair {
    const privateKey = PrivateKey.generate(rng);
    return new IdentityKeyPair(privateKey.getPublicKey(), privateKey);
  }

  /** libsignal IdentityKeyPairStructure: 1 public_key (33), 2 private_key (32). */
  serialize(): Uint8Array {
    return new ProtoWriter().bytes(1, this.publicKey.serializedView()).bytes(2, this.privateKey.serialize()).finish();
  }

  static deserialize(bytes: Uint8Array): IdentityKeyPair {
    assertBytes(bytes, 'identityKeyPair');
    const m = ProtoMessage.parse(bytes, 'InvalidKey', 'identity key pair');
    const pub = PublicKey.deserialize(m.bytes(1, 'public_key'));
    const priv = PrivateKey.deserialize(m.bytes(2, 'private_key'));
    if (!priv.getPublicKey().equals(pub)) throw new ProtocolError('InvalidKey', 'identity key pair: public key does not match private key');
    return new IdentityKeyPair(pub, priv);
  }
}
