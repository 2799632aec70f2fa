// SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869), specialised for this
// library's hot path: short messages, keys of at most 64 bytes, the HMAC pads' states computed once
// per key, no per-call object allocation beyond the output. Checked against RFC 4231 / RFC 5869
// vectors in test/protocol/kat.test.ts and against @noble/hashes there too.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const W = new Int32Array(64);
const BLOCK = new Uint8Array(64);

function compress(st: Int32Array, b: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++, off += 4) W[i] = (b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3];
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15];
    const w2 = W[i - 2];
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
  }
  let a = st[0], bb = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = bb;
    bb = a;
    a = (t1 + t2) | 0;
  }
  st[0] = (st[0] + a) | 0;
  st[1] = (st[1] + bb) | 0;
  st[2] = (st[2] + c) | 0;
  st[3] = (st[3] + d) | 0;
  st[4] = (st[4] + e) | 0;
  st[5] = (st[5] + f) | 0;
  st[6] = (st[6] + g) | 0;
  st[7] = (st[7] + h) | 0;
}

const ST = new Int32Array(8);

/** Hashes `parts` continuing from `start` after `prefixLen` bytes already absorbed (block-aligned). */
function finish(start: Int32Array, prefixLen: number, parts: Uint8Array[], out: Uint8Array, outOff = 0): void {
  const st = ST;
  st.set(start);
  let fill = 0;
  let total = prefixLen;
  for (let pi = 0; pi < parts.length; pi++) {
    const p = parts[pi];
    const len = p.length;
    total += len;
    let i = 0;
    if (fill === 0) for (; i + 64 <= len; i += 64) compress(st, p, i);
    while (i < len) {
      BLOCK[fill++] = p[i++];
      if (fill === 64) {
        compress(st, BLOCK, 0);
        fill = 0;
        for (; i + 64 <= len; i += 64) compress(st, p, i);
      }
    }
  }
  BLOCK[fill++] = 0x80;
  if (fill > 56) {
    BLOCK.fill(0, fill);
    compress(st, BLOCK, 0);
    fill = 0;
  }
  BLOCK.fill(0, fill, 56);
  const bits = total * 8;
  const hi = Math.floor(bits / 0x100000000);
  BLOCK[56] = hi >>> 24;
  BLOCK[57] = hi >>> 16;
  BLOCK[58] = hi >>> 8;
  BLOCK[59] = hi;
  BLOCK[60] = bits >>> 24;
  BLOCK[61] = bits >>> 16;
  BLOCK[62] = bits >>> 8;
  BLOCK[63] = bits;
  compress(st, BLOCK, 0);
  for (let i = 0; i < 8; i++) {
    const v = st[i];
    out[outOff + 4 * i] = v >>> 24;
    out[outOff + 4 * i + 1] = v >>> 16;
    out[outOff + 4 * i + 2] = v >>> 8;
    out[outOff + 4 * i + 3] = v;
  }
  st.fill(0);
  BLOCK.fill(0);
  W.fill(0);
}

/** An HMAC-SHA256 key with its inner and outer pad states precomputed. */
export class HmacSha256 {
  private readonly inner = new Int32Array(8);
  private readonly outer = new Int32Array(8);
  private readonly tmp = new Uint8Array(32);

  constructor(key: Uint8Array) {
    const k = key.length > 64 ? nobleSha256(key) : key;
    const pad = new Uint8Array(64);
    pad.set(k);
    for (let i = 0; i < 64; i++) pad[i] ^= 0x36;
    this.inner.set(IV);
    compress(this.inner, pad, 0);
    for (let i = 0; i < 64; i++) pad[i] ^= 0x36 ^ 0x5c;
    this.outer.set(IV);
    compress(this.outer, pad, 0);
    pad.fill(0);
  }

  /** HMAC over the concatenation of `parts`. */
  mac(parts: Uint8Array[], out: Uint8Array = new Uint8Array(32), outOff = 0): Uint8Array {
    finish(this.inner, 64, parts, this.tmp);
    finish(this.outer, 64, [this.tmp], out, outOff);
    this.tmp.fill(0);
    return out;
  }

  wipe(): void {
    this.inner.fill(0);
    this.outer.fill(0);
  }
}

export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = new HmacSha256(key);
  const out = h.mac(parts);
  h.wipe();
  return out;
}

/** HMAC keyed with the all-zero salt (message keys and the handshake use it): pads computed once. */
const ZERO_SALT_HMAC = new HmacSha256(new Uint8Array(32));

/** HKDF-SHA256; an absent, empty or all-zero 32-byte salt is HashLen zero bytes (RFC 5869 section 2.2). */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array | undefined, info: Uint8Array, length: number): Uint8Array {
  if (length > 255 * 32) throw new Error('HKDF output too long');
  const prk = salt?.length ? hmacSha256(salt, ikm) : ZERO_SALT_HMAC.mac([ikm]);
  const h = new HmacSha256(prk);
  prk.fill(0);
  const blocks = Math.ceil(length / 32);
  const okm = new Uint8Array(blocks * 32);
  const counter = new Uint8Array(1);
  for (let i = 0; i < blocks; i++) {
    counter[0] = i + 1;
    h.mac(i === 0 ? [info, counter] : [okm.subarray((i - 1) * 32, i * 32), info, counter], okm, i * 32);
  }
  h.wipe();
  return blocks * 32 === length ? okm : okm.slice(0, length);
}
