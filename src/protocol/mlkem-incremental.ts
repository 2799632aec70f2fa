// Incremental ML-KEM-768 (ML-KEM Braid spec, "ML-KEM incremental interface"), written from FIPS 203
// over @noble's SHA-3. The encapsulation key ek = ByteEncode12(t_hat) || rho splits into a 64-byte
// header (rho || H(ek)) and the 1152-byte vector t_hat; the ciphertext splits into ct1 (960 bytes,
// the compressed u, which needs only rho and the encapsulator's randomness) and ct2 (128 bytes, the
// compressed v, which needs t_hat). ct1 || ct2 is an ordinary ML-KEM-768 ciphertext, so key
// generation and decapsulation are noble's ml_kem768, and the test suite checks that
// encaps1 + encaps2 equal noble's encapsulate for the same message.
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { sha3_256, sha3_512, shake128, shake256 } from '@noble/hashes/sha3.js';
import { concatBytes, type Rng } from './bytes.js';
import { ProtocolError } from './errors.js';

const N = 256;
const Q = 3329;
const K = 3;
const ETA = 2; // eta1 = eta2 = 2 for ML-KEM-768
const DU = 10;
const DV = 4;

export const EK_SEED_SIZE = 32;
export const EK_VECTOR_SIZE = 384 * K; // 1152
export const HEADER_SIZE = 64; // rho || H(ek)
export const CT1_SIZE = (N * DU * K) / 8; // 960
export const CT2_SIZE = (N * DV) / 8; // 128
export const DK_SIZE = 2400;
/** What encaps2 needs from encaps1: the 32-byte message m (r and the noise are re-derived from it). */
export const ENCAPS_SECRET_SIZE = 32;

type Poly = Int32Array;

// zetas[i] = 17^brv7(i) mod q
const ZETAS = new Int32Array(128);
{
  const brv7 = (x: number) => {
    let r = 0;
    for (let i = 0; i < 7; i++) r |= ((x >> i) & 1) << (6 - i);
    return r;
  };
  const pow = (b: number, e: number) => {
    let r = 1;
    for (let i = 0; i < e; i++) r = (r * b) % Q;
    return r;
  };
  for (let i = 0; i < 128; i++) ZETAS[i] = pow(17, brv7(i));
}
const mod = (a: number) => ((a % Q) + Q) % Q;

function ntt(f: Poly): Poly {
  const a = f.slice();
  let i = 1;
  for (let len = 128; len >= 2; len >>= 1) {
    for (let start = 0; start < N; start += 2 * len) {
      const z = ZETAS[i++];
      for (let j = start; j < start + len; j++) {
        const t = (z * a[j + len]) % Q;
        a[j + len] = mod(a[j] - t);
        a[j] = (a[j] + t) % Q;
      }
    }
  }
  return a;
}

function nttInverse(f: Poly): Poly {
  const a = f.slice();
  let i = 127;
  for (let len = 2; len <= 128; len <<= 1) {
    for (let start = 0; start < N; start += 2 * len) {
      const z = ZETAS[i--];
      for (let j = start; j < start + len; j++) {
        const t = a[j];
        a[j] = (t + a[j + len]) % Q;
        a[j + len] = (z * mod(a[j + len] - t)) % Q;
      }
    }
  }
  for (let j = 0; j < N; j++) a[j] = (a[j] * 3303) % Q; // 3303 = 128^-1 mod q
  return a;
}

/** acc += a * b in the NTT domain (pairs of degree-1 products mod X^2 - zeta^(2 brv7(i) + 1)). */
function multiplyAdd(acc: Poly, a: Poly, b: Poly): void {
  for (let i = 0; i < 64; i++) {
    const z = ZETAS[64 + i];
    for (const [k, g] of [
      [4 * i, z],
      [4 * i + 2, Q - z],
    ] as const) {
      const a0 = a[k];
      const a1 = a[k + 1];
      const b0 = b[k];
      const b1 = b[k + 1];
      acc[k] = (acc[k] + a0 * b0 + ((a1 * b1) % Q) * g) % Q;
      acc[k + 1] = (acc[k + 1] + a0 * b1 + a1 * b0) % Q;
    }
  }
}

function sampleNtt(rho: Uint8Array, j: number, i: number): Poly {
  const a = new Int32Array(N);
  let len = 168 * 5;
  for (;;) {
    const buf = shake128(concatBytes(rho, Uint8Array.of(j, i)), { dkLen: len });
    let n = 0;
    for (let p = 0; p + 3 <= buf.length && n < N; p += 3) {
      const d1 = buf[p] | ((buf[p + 1] & 0x0f) << 8);
      const d2 = (buf[p + 1] >> 4) | (buf[p + 2] << 4);
      if (d1 < Q) a[n++] = d1;
      if (d2 < Q && n < N) a[n++] = d2;
    }
    if (n === N) return a;
    len *= 2;
  }
}

function cbd(seed: Uint8Array, nonce: number): Poly {
  const b = shake256(concatBytes(seed, Uint8Array.of(nonce)), { dkLen: 64 * ETA });
  const f = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    // eta = 2: 4 bits per coefficient
    const byte = b[i >> 1] >> (4 * (i & 1));
    const x = (byte & 1) + ((byte >> 1) & 1);
    const y = ((byte >> 2) & 1) + ((byte >> 3) & 1);
    f[i] = mod(x - y);
  }
  return f;
}

function byteEncode(polys: Poly[], d: number): Uint8Array {
  const out = new Uint8Array((polys.length * N * d) / 8);
  let bit = 0;
  for (const f of polys) {
    for (let i = 0; i < N; i++) {
      const v = f[i];
      for (let b = 0; b < d; b++, bit++) if ((v >> b) & 1) out[bit >> 3] |= 1 << (bit & 7);
    }
  }
  return out;
}

function byteDecode12(bytes: Uint8Array): Poly[] {
  const polys: Poly[] = [];
  for (let p = 0; p < bytes.length / 384; p++) {
    const f = new Int32Array(N);
    for (let i = 0; i < N / 2; i++) {
      const o = 384 * p + 3 * i;
      f[2 * i] = bytes[o] | ((bytes[o + 1] & 0x0f) << 8);
      f[2 * i + 1] = (bytes[o + 1] >> 4) | (bytes[o + 2] << 4);
      if (f[2 * i] >= Q || f[2 * i + 1] >= Q) throw new ProtocolError('InvalidMessage', 'ML-KEM encapsulation key vector is not reduced mod q');
    }
    polys.push(f);
  }
  return polys;
}

function compress(f: Poly, d: number): Poly {
  const out = new Int32Array(N);
  for (let i = 0; i < N; i++) out[i] = Math.floor((f[i] * (1 << d) + (Q >> 1)) / Q) & ((1 << d) - 1);
  return out;
}

export interface IncrementalKeyPair {
  /** FIPS 203 decapsulation key (2400 bytes) */
  dk: Uint8Array;
  /** rho || H(ek) */
  header: Uint8Array;
  /** ByteEncode12(t_hat) */
  ekVector: Uint8Array;
}

export function generateKeyPair(rng: Rng): IncrementalKeyPair {
  const { publicKey, secretKey } = ml_kem768.keygen(rng(64));
  const rho = publicKey.subarray(EK_VECTOR_SIZE);
  return { dk: secretKey, header: concatBytes(rho, sha3_256(publicKey)), ekVector: publicKey.slice(0, EK_VECTOR_SIZE) };
}

function derive(header: Uint8Array, m: Uint8Array): { sharedSecret: Uint8Array; y: Poly[]; r: Uint8Array } {
  const g = sha3_512(concatBytes(m, header.subarray(EK_SEED_SIZE)));
  const r = g.slice(32);
  const y: Poly[] = [];
  for (let i = 0; i < K; i++) y.push(ntt(cbd(r, i)));
  return { sharedSecret: g.slice(0, 32), y, r };
}

/** From the header alone: ct1, the shared secret, and what encaps2 needs. */
export function encaps1(header: Uint8Array, rng: Rng): { ct1: Uint8Array; sharedSecret: Uint8Array; encapsSecret: Uint8Array } {
  if (header.length !== HEADER_SIZE) throw new ProtocolError('InvalidMessage', `ML-KEM header of ${header.length} bytes`);
  const m = rng(32).slice();
  const { sharedSecret, y, r } = derive(header, m);
  const rho = header.subarray(0, EK_SEED_SIZE);
  const u: Poly[] = [];
  for (let i = 0; i < K; i++) {
    const acc = new Int32Array(N);
    for (let j = 0; j < K; j++) multiplyAdd(acc, sampleNtt(rho, i, j), y[j]); // A^T[i][j] = A[j][i] = SampleNTT(rho || i || j)
    const e1 = cbd(r, K + i);
    const ui = nttInverse(acc);
    for (let c = 0; c < N; c++) ui[c] = (ui[c] + e1[c]) % Q;
    u.push(compress(ui, DU));
  }
  return { ct1: byteEncode(u, DU), sharedSecret, encapsSecret: m };
}

/** Once the vector has arrived: ct2. Throws InvalidMessage if the vector does not match the header's hash. */
export function encaps2(header: Uint8Array, ekVector: Uint8Array, encapsSecret: Uint8Array): Uint8Array {
  if (ekVector.length !== EK_VECTOR_SIZE) throw new ProtocolError('InvalidMessage', `ML-KEM key vector of ${ekVector.length} bytes`);
  const ek = concatBytes(ekVector, header.subarray(0, EK_SEED_SIZE));
  const h = sha3_256(ek);
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= h[i] ^ header[EK_SEED_SIZE + i];
  if (diff !== 0) throw new ProtocolError('InvalidMessage', 'ML-KEM key vector does not match the header');
  const tHat = byteDecode12(ekVector);
  const { y, r } = derive(header, encapsSecret);
  const acc = new Int32Array(N);
  for (let j = 0; j < K; j++) multiplyAdd(acc, tHat[j], y[j]);
  const v = nttInverse(acc);
  const e2 = cbd(r, 2 * K);
  for (let c = 0; c < N; c++) {
    const mu = ((encapsSecret[c >> 3] >> (c & 7)) & 1) * 1665;
    v[c] = (v[c] + e2[c] + mu) % Q;
  }
  return byteEncode([compress(v, DV)], DV);
}

/** The key vector of a key pair, from its decapsulation key (dk = dk_pke || ek || H(ek) || z, ek = vector || rho). */
export function ekVectorOf(dk: Uint8Array): Uint8Array {
  return dk.slice(EK_VECTOR_SIZE, 2 * EK_VECTOR_SIZE);
}

export function decapsulate(dk: Uint8Array, ct1: Uint8Array, ct2: Uint8Array): Uint8Array {
  return ml_kem768.decapsulate(concatBytes(ct1, ct2), dk);
}
