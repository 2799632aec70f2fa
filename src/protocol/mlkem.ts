// ML-KEM-768 and ML-KEM-1024 (FIPS 203), written from the standard over keccak.ts, for speed:
// a straight-line NTT and base-case multiplication on Int32Array polynomials (accumulated
// unreduced, reduced once), whole-block SHAKE128 sampling, and key generation that keeps the
// expanded matrix A, so a freshly generated key pair needs no second expansion to decapsulate.
// Byte-for-byte the same keys, ciphertexts and shared secrets as @noble/post-quantum's ml_kem768 /
// ml_kem1024 (keygen(d || z), encapsulate(ek, m), decapsulate(c, dk)); test/protocol/mlkem.test.ts
// checks that against noble for many seeds, messages and corrupted ciphertexts.
import { sha3_256, sha3_512, shake128, shake256 } from './keccak.js';
import { ProtocolError } from './errors.js';

const N = 256;
const Q = 3329;

export interface MlKemParams {
  k: 3 | 4;
  du: 10 | 11;
  dv: 4 | 5;
}
export const ML_KEM_768: MlKemParams = { k: 3, du: 10, dv: 4 };
export const ML_KEM_1024: MlKemParams = { k: 4, du: 11, dv: 5 };

/** Working polynomials; kept ones (matrix, t_hat, s_hat) are stored as Uint16Array (values < q). */
type Poly = Int32Array;
type Stored = Uint16Array;

// ZETAS[i] = 17^BitRev7(i) mod q; GAMMAS[i] = 17^(2 BitRev7(i) + 1) mod q
const ZETAS = new Int32Array(128);
const GAMMAS = new Int32Array(128);
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
  for (let i = 0; i < 128; i++) {
    ZETAS[i] = pow(17, brv7(i));
    GAMMAS[i] = pow(17, 2 * brv7(i) + 1);
  }
}

/** In place (FIPS 203 Algorithm 9); coefficients in [0, q). */
function ntt(a: Poly): void {
  let k = 1;
  for (let len = 128; len >= 2; len >>= 1) {
    for (let start = 0; start < N; start += 2 * len) {
      const z = ZETAS[k++];
      for (let j = start; j < start + len; j++) {
        const t = (z * a[j + len]) % Q;
        const x = a[j];
        let d = x - t;
        d += (d >> 31) & Q;
        a[j + len] = d;
        let s = x + t - Q;
        s += (s >> 31) & Q;
        a[j] = s;
      }
    }
  }
}

/** In place (Algorithm 10); coefficients in [0, q). */
function nttInverse(a: Poly): void {
  let k = 127;
  for (let len = 2; len <= 128; len <<= 1) {
    for (let start = 0; start < N; start += 2 * len) {
      const z = ZETAS[k--];
      for (let j = start; j < start + len; j++) {
        const t = a[j];
        const u = a[j + len];
        let s = t + u - Q;
        s += (s >> 31) & Q;
        a[j] = s;
        let d = u - t;
        d += (d >> 31) & Q;
        a[j + len] = (z * d) % Q;
      }
    }
  }
  for (let j = 0; j < N; j++) a[j] = (a[j] * 3303) % Q; // 3303 = 128^-1 mod q
}

/** acc += f * g in T_q (Algorithm 11), unreduced: every term is < 2^25, sums of up to 4 stay far below 2^31. */
function multiplyAcc(acc: Poly, f: Stored, g: Poly): void {
  for (let i = 0; i < 128; i++) {
    const a0 = f[2 * i];
    const a1 = f[2 * i + 1];
    const b0 = g[2 * i];
    const b1 = g[2 * i + 1];
    acc[2 * i] += a0 * b0 + ((a1 * b1) % Q) * GAMMAS[i];
    acc[2 * i + 1] += a0 * b1 + a1 * b0;
  }
}

function reduce(a: Poly): void {
  for (let j = 0; j < N; j++) a[j] %= Q;
}

/** Algorithm 7: SampleNTT(rho || x || y). */
function sampleNtt(rho: Uint8Array, x: number, y: number): Stored {
  const seed = new Uint8Array(34);
  seed.set(rho);
  seed[32] = x;
  seed[33] = y;
  const xof = shake128().update(seed);
  const a = new Uint16Array(N);
  let buf = xof.squeeze(504); // three blocks: enough almost always
  let n = 0;
  for (;;) {
    for (let p = 0; p + 3 <= buf.length && n < N; p += 3) {
      const d1 = buf[p] | ((buf[p + 1] & 0x0f) << 8);
      const d2 = (buf[p + 1] >> 4) | (buf[p + 2] << 4);
      if (d1 < Q) a[n++] = d1;
      if (d2 < Q && n < N) a[n++] = d2;
    }
    if (n === N) return a;
    buf = xof.squeeze(168);
  }
}

/** Algorithm 8 for eta = 2 over PRF_2(s, b) = SHAKE256(s || b, 128): coefficients mod q. */
function cbd2(s: Uint8Array, b: number): Poly {
  const input = new Uint8Array(33);
  input.set(s);
  input[32] = b;
  const buf = shake256(128, input);
  const f = new Int32Array(N);
  for (let i = 0; i < 128; i++) {
    const byte = buf[i];
    const lo = (byte & 1) + ((byte >> 1) & 1) - ((byte >> 2) & 1) - ((byte >> 3) & 1);
    const hi = ((byte >> 4) & 1) + ((byte >> 5) & 1) - ((byte >> 6) & 1) - ((byte >> 7) & 1);
    f[2 * i] = lo + ((lo >> 31) & Q);
    f[2 * i + 1] = hi + ((hi >> 31) & Q);
  }
  return f;
}

function encode12(polys: ArrayLike<number>[], out: Uint8Array, offset: number): void {
  let o = offset;
  for (const f of polys) {
    for (let i = 0; i < N; i += 2) {
      const a = f[i];
      const b = f[i + 1];
      out[o++] = a & 0xff;
      out[o++] = (a >> 8) | ((b & 0x0f) << 4);
      out[o++] = b >> 4;
    }
  }
}

/** ByteDecode12 of k polynomials; `check`: throw if any coefficient is >= q (the ek modulus check), else reduce. */
function decode12(bytes: Uint8Array, offset: number, k: number, check: boolean): Stored[] {
  const out: Stored[] = [];
  let o = offset;
  let bad = 0;
  for (let p = 0; p < k; p++) {
    const f = new Uint16Array(N);
    for (let i = 0; i < N; i += 2) {
      const b0 = bytes[o++];
      const b1 = bytes[o++];
      const b2 = bytes[o++];
      let x = b0 | ((b1 & 0x0f) << 8);
      let y = (b1 >> 4) | (b2 << 4);
      bad |= ((Q - 1 - x) | (Q - 1 - y)) >> 31;
      x -= Q;
      x += (x >> 31) & Q;
      y -= Q;
      y += (y >> 31) & Q;
      f[i] = x;
      f[i + 1] = y;
    }
    out.push(f);
  }
  if (check && bad) throw new ProtocolError('InvalidKey', 'ML-KEM encapsulation key is not reduced mod q');
  return out;
}

/** ByteEncode_d(Compress_d(f)) appended at out[offset]. */
function compressEncode(f: Poly, d: number, out: Uint8Array, offset: number): number {
  let acc = 0;
  let bits = 0;
  let o = offset;
  const mask = (1 << d) - 1;
  for (let i = 0; i < N; i++) {
    // round(2^d x / q) = floor((2^d x + (q - 1) / 2) / q), q odd
    const c = Math.floor(((f[i] << d) + 1664) / Q) & mask;
    acc |= c << bits;
    bits += d;
    while (bits >= 8) {
      out[o++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
  return o;
}

/** Decompress_d(ByteDecode_d(bytes[offset..])). */
function decodeDecompress(bytes: Uint8Array, offset: number, d: number): Poly {
  const f = new Int32Array(N);
  let acc = 0;
  let bits = 0;
  let o = offset;
  const mask = (1 << d) - 1;
  const half = 1 << (d - 1);
  for (let i = 0; i < N; i++) {
    while (bits < d) {
      acc |= bytes[o++] << bits;
      bits += 8;
    }
    const y = acc & mask;
    acc >>>= d;
    bits -= d;
    f[i] = (y * Q + half) >> d;
  }
  return f;
}

/** The public half, expanded: t_hat, the transposed matrix (AT[i][j] = A[j][i]) and H(ek). */
export interface ExpandedEk {
  params: MlKemParams;
  ek: Uint8Array;
  tHat: Stored[];
  AT: Stored[][];
  h: Uint8Array;
}

function expandMatrixT(rho: Uint8Array, k: number): Stored[][] {
  // A_hat[i][j] = SampleNTT(rho || j || i), so A^T[i][j] = A_hat[j][i] = SampleNTT(rho || i || j)
  const AT: Stored[][] = [];
  for (let i = 0; i < k; i++) {
    const row: Stored[] = [];
    for (let j = 0; j < k; j++) row.push(sampleNtt(rho, i, j));
    AT.push(row);
  }
  return AT;
}

/** Validates (modulus check) and expands an encapsulation key. Throws InvalidKey. */
export function expandEk(params: MlKemParams, ek: Uint8Array): ExpandedEk {
  const { k } = params;
  if (ek.length !== 384 * k + 32) throw new ProtocolError('InvalidKey', `ML-KEM encapsulation key of ${ek.length} bytes`);
  const tHat = decode12(ek, 0, k, true);
  return { params, ek, tHat, AT: expandMatrixT(ek.subarray(384 * k), k), h: sha3_256(ek) };
}

function yHat(r: Uint8Array, k: number): Poly[] {
  const y: Poly[] = [];
  for (let i = 0; i < k; i++) {
    const p = cbd2(r, i);
    ntt(p);
    y.push(p);
  }
  return y;
}

/** Compressed u (the first 32 du k bytes of the ciphertext) into out[0..]. */
function encryptU(params: MlKemParams, AT: Stored[][], y: Poly[], r: Uint8Array, out: Uint8Array): void {
  const { k, du } = params;
  let o = 0;
  for (let i = 0; i < k; i++) {
    const u = new Int32Array(N);
    const row = AT[i];
    for (let j = 0; j < k; j++) multiplyAcc(u, row[j], y[j]);
    reduce(u);
    nttInverse(u);
    const e1 = cbd2(r, k + i);
    for (let c = 0; c < N; c++) u[c] = (u[c] + e1[c]) % Q;
    o = compressEncode(u, du, out, o);
  }
}

/** Compressed v (the last 32 dv bytes) into out[offset..]. */
function encryptV(params: MlKemParams, tHat: Stored[], y: Poly[], m: Uint8Array, r: Uint8Array, out: Uint8Array, offset: number): void {
  const { k, dv } = params;
  const v = new Int32Array(N);
  for (let j = 0; j < k; j++) multiplyAcc(v, tHat[j], y[j]);
  reduce(v);
  nttInverse(v);
  const e2 = cbd2(r, 2 * k);
  for (let c = 0; c < N; c++) {
    const mu = ((m[c >> 3] >> (c & 7)) & 1) * 1665;
    v[c] = (v[c] + e2[c] + mu) % Q;
  }
  compressEncode(v, dv, out, offset);
}

/** K-PKE.Encrypt (Algorithm 14) with an expanded key. */
function pkeEncrypt(x: ExpandedEk, m: Uint8Array, r: Uint8Array): Uint8Array {
  const { k, du, dv } = x.params;
  const y = yHat(r, k);
  const out = new Uint8Array(32 * (du * k + dv));
  encryptU(x.params, x.AT, y, r, out);
  encryptV(x.params, x.tHat, y, m, r, out, 32 * du * k);
  return out;
}

/**
 * The two halves of K-PKE.Encrypt on their own, for incremental ML-KEM (SPQR): u needs only the
 * matrix seed rho, v only t_hat (ByteDecode12 of the key vector, modulus-checked: throws InvalidKey).
 */
export function encryptFirstHalf(params: MlKemParams, rho: Uint8Array, r: Uint8Array): Uint8Array {
  const out = new Uint8Array(32 * params.du * params.k);
  encryptU(params, expandMatrixT(rho, params.k), yHat(r, params.k), r, out);
  return out;
}

export function encryptSecondHalf(params: MlKemParams, ekVector: Uint8Array, m: Uint8Array, r: Uint8Array): Uint8Array {
  const tHat = decode12(ekVector, 0, params.k, true);
  const out = new Uint8Array(32 * params.dv);
  encryptV(params, tHat, yHat(r, params.k), m, r, out, 0);
  return out;
}

/** ML-KEM.Encaps_internal (Algorithm 17) with the 32-byte message m. */
export function encapsulate(x: ExpandedEk, m: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
  if (m.length !== 32) throw new ProtocolError('InvalidArgument', 'ML-KEM message must be 32 bytes');
  const g = sha3_512(m, x.h);
  const cipherText = pkeEncrypt(x, m, g.subarray(32, 64));
  return { cipherText, sharedSecret: g.slice(0, 32) };
}

/** A decapsulation key with its expanded public half and decoded s_hat. */
export interface ExpandedDk {
  dk: Uint8Array;
  sHat: Stored[];
  ek: ExpandedEk;
}

/**
 * Decodes a decapsulation key dk = dk_pke || ek || H(ek) || z, with FIPS 203's input checks:
 * length and the hash of the embedded ek. Throws InvalidKey.
 */
export function expandDk(params: MlKemParams, dk: Uint8Array): ExpandedDk {
  const { k } = params;
  if (dk.length !== 768 * k + 96) throw new ProtocolError('InvalidKey', `ML-KEM decapsulation key of ${dk.length} bytes`);
  const ekBytes = dk.subarray(384 * k, 768 * k + 32);
  const h = sha3_256(ekBytes);
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= h[i] ^ dk[768 * k + 32 + i];
  if (diff !== 0) throw new ProtocolError('InvalidKey', 'ML-KEM decapsulation key: hash check failed');
  const tHat = decode12(ekBytes, 0, k, false);
  return { dk, sHat: decode12(dk, 0, k, false), ek: { params, ek: ekBytes, tHat, AT: expandMatrixT(ekBytes.subarray(384 * k), k), h } };
}

/** ML-KEM.KeyGen_internal(d, z) (Algorithms 13, 16) from seed = d || z; also returns the expanded key. */
export function keygen(params: MlKemParams, seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array; expanded: ExpandedDk } {
  const { k } = params;
  if (seed.length !== 64) throw new ProtocolError('InvalidArgument', 'ML-KEM key generation seed must be 64 bytes');
  const dk1 = new Uint8Array(33);
  dk1.set(seed.subarray(0, 32));
  dk1[32] = k;
  const g = sha3_512(dk1);
  dk1.fill(0);
  const rho = g.slice(0, 32);
  const sigma = g.subarray(32, 64);
  const sHat: Poly[] = [];
  for (let i = 0; i < k; i++) {
    const s = cbd2(sigma, i);
    ntt(s);
    sHat.push(s);
  }
  // t_hat[i] = sum_j A_hat[i][j] s_hat[j] + e_hat[i] = sum_j AT[j][i] s_hat[j] + e_hat[i]
  const AT = expandMatrixT(rho, k);
  const sStored = sHat.map((s) => Uint16Array.from(s));
  const tHat: Stored[] = [];
  for (let i = 0; i < k; i++) {
    const e = cbd2(sigma, k + i);
    ntt(e);
    for (let j = 0; j < k; j++) multiplyAcc(e, AT[j][i], sHat[j]);
    reduce(e);
    tHat.push(Uint16Array.from(e));
    e.fill(0);
  }
  g.fill(0);
  const ek = new Uint8Array(384 * k + 32);
  encode12(tHat, ek, 0);
  ek.set(rho, 384 * k);
  const h = sha3_256(ek);
  const dk = new Uint8Array(768 * k + 96);
  encode12(sHat, dk, 0);
  dk.set(ek, 384 * k);
  dk.set(h, 768 * k + 32);
  dk.set(seed.subarray(32, 64), 768 * k + 64);
  const ekView = dk.subarray(384 * k, 768 * k + 32);
  for (const s of sHat) s.fill(0);
  return { publicKey: ek, secretKey: dk, expanded: { dk, sHat: sStored, ek: { params, ek: ekView, tHat, AT, h } } };
}

/** ML-KEM.Decaps_internal (Algorithm 18), with implicit rejection. */
export function decapsulate(x: ExpandedDk, c: Uint8Array): Uint8Array {
  const { k, du, dv } = x.ek.params;
  if (c.length !== 32 * (du * k + dv)) throw new ProtocolError('InvalidMessage', `ML-KEM ciphertext of ${c.length} bytes`);
  // K-PKE.Decrypt (Algorithm 15)
  const w = new Int32Array(N);
  for (let i = 0; i < k; i++) {
    const u = decodeDecompress(c, 32 * du * i, du);
    ntt(u);
    multiplyAcc(w, x.sHat[i], u);
  }
  reduce(w);
  nttInverse(w);
  const v = decodeDecompress(c, 32 * du * k, dv);
  const m = new Uint8Array(32);
  for (let i = 0; i < N; i++) {
    let d = v[i] - w[i];
    d += (d >> 31) & Q;
    // Compress_1: 1 iff d is closer to q/2 than to 0, i.e. 833 <= d <= 2496
    const bit = (((832 - d) & (d - 2497)) >>> 31) & 1;
    m[i >> 3] |= bit << (i & 7);
  }
  const dk = x.dk;
  const g = sha3_512(m, dk.subarray(768 * k + 32, 768 * k + 64));
  const kBar = shake256(32, dk.subarray(768 * k + 64), c);
  const c2 = pkeEncrypt(x.ek, m, g.subarray(32, 64));
  let diff = 0;
  for (let i = 0; i < c.length; i++) diff |= c[i] ^ c2[i];
  // constant-time select: mask = 0xff if the ciphertexts match, else 0
  const mask = ((diff - 1) >> 8) & 0xff;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = (g[i] & mask) | (kBar[i] & ~mask);
  m.fill(0);
  g.fill(0);
  return out;
}
