// Erasure code for SPQR's chunked messages (ML-KEM Braid spec, "Encode/Decode": a Reed-Solomon code
// over GF(2^16) with 32-byte chunks). A value of N*32 bytes is N chunks of 16 big-endian 16-bit
// symbols; symbol position j of every chunk lies on one polynomial p_j of degree < N with
// p_j(i) = symbol j of data chunk i. Chunk k of the stream is (p_0(k), ..., p_15(k)): chunks 0..N-1
// are the data itself, later ones are parity, and any N distinct chunks rebuild the value.
// The field polynomial (x^16 + x^12 + x^3 + x + 1), the symbol byte order and the evaluation points
// (x = chunk index) were established by decoding libsignal's parity chunks (see docs/protocol-api.md).
import { ProtocolError } from './errors.js';

export const CHUNK_SIZE = 32;
const SYMBOLS = CHUNK_SIZE / 2;
const FIELD_POLY = 0x1100b;
/** Chunk indices are 16-bit field elements. */
export const MAX_CHUNK_INDEX = 0xffff;

const EXP = new Uint16Array(2 * 65536);
const LOG = new Uint16Array(65536);
{
  // x (= 2) generates the multiplicative group for this polynomial.
  let v = 1;
  for (let i = 0; i < 65535; i++) {
    EXP[i] = v;
    LOG[v] = i;
    v <<= 1;
    if (v & 0x10000) v ^= FIELD_POLY;
  }
  for (let i = 65535; i < EXP.length; i++) EXP[i] = EXP[i - 65535];
}

function mul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
}

function div(a: number, b: number): number {
  return a === 0 ? 0 : EXP[LOG[a] + 65535 - LOG[b]];
}

/** Lagrange weights w_i with p(x) = sum_i w_i * p(xs[i]) for any p of degree < xs.length. */
function lagrangeWeights(xs: readonly number[], x: number): Uint16Array {
  const n = xs.length;
  const w = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    if (xs[i] === x) {
      w.fill(0);
      w[i] = 1;
      return w;
    }
  }
  for (let i = 0; i < n; i++) {
    let num = 1;
    let den = 1;
    for (let m = 0; m < n; m++) {
      if (m === i) continue;
      num = mul(num, x ^ xs[m]);
      den = mul(den, xs[i] ^ xs[m]);
    }
    w[i] = div(num, den);
  }
  return w;
}

function symbolsOf(chunk: Uint8Array): Uint16Array {
  const s = new Uint16Array(SYMBOLS);
  for (let j = 0; j < SYMBOLS; j++) s[j] = (chunk[2 * j] << 8) | chunk[2 * j + 1];
  return s;
}

function combine(rows: readonly Uint16Array[], w: Uint16Array): Uint8Array {
  const out = new Uint8Array(CHUNK_SIZE);
  for (let j = 0; j < SYMBOLS; j++) {
    let acc = 0;
    for (let i = 0; i < rows.length; i++) acc ^= mul(rows[i][j], w[i]);
    out[2 * j] = acc >> 8;
    out[2 * j + 1] = acc & 0xff;
  }
  return out;
}

function checkLength(length: number): number {
  if (length <= 0 || length % CHUNK_SIZE !== 0 || length / CHUNK_SIZE > MAX_CHUNK_INDEX)
    throw new ProtocolError('InvalidArgument', `erasure code: length ${length} is not a positive multiple of ${CHUNK_SIZE}`);
  return length / CHUNK_SIZE;
}

/** Produces chunk k of the stream for a value (a multiple of 32 bytes). */
export class ChunkEncoder {
  readonly chunks: number;
  private readonly rows: Uint16Array[];
  private readonly xs: number[];

  constructor(readonly value: Uint8Array) {
    this.chunks = checkLength(value.length);
    this.rows = [];
    this.xs = [];
    for (let i = 0; i < this.chunks; i++) {
      this.rows.push(symbolsOf(value.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE)));
      this.xs.push(i);
    }
  }

  chunk(index: number): Uint8Array {
    if (!Number.isInteger(index) || index < 0 || index > MAX_CHUNK_INDEX) throw new ProtocolError('InvalidArgument', `erasure code: chunk index ${index} out of range`);
    if (index < this.chunks) return this.value.slice(index * CHUNK_SIZE, (index + 1) * CHUNK_SIZE);
    return combine(this.rows, lagrangeWeights(this.xs, index));
  }
}

/** Collects chunks of one value until any `chunks` distinct ones are in, then rebuilds it. */
export class ChunkDecoder {
  readonly chunks: number;
  /** received chunks by index (first copy wins) */
  readonly received = new Map<number, Uint8Array>();

  constructor(readonly length: number) {
    this.chunks = checkLength(length);
  }

  add(index: number, data: Uint8Array): void {
    if (data.length !== CHUNK_SIZE) throw new ProtocolError('InvalidMessage', `erasure code: chunk of ${data.length} bytes`);
    if (!Number.isInteger(index) || index < 0 || index > MAX_CHUNK_INDEX) throw new ProtocolError('InvalidMessage', `erasure code: chunk index ${index} out of range`);
    if (this.received.size >= this.chunks || this.received.has(index)) return;
    this.received.set(index, data.slice());
  }

  hasValue(): boolean {
    return this.received.size >= this.chunks;
  }

  /** The rebuilt value, or undefined while fewer than `chunks` distinct chunks have arrived. */
  value(): Uint8Array | undefined {
    if (!this.hasValue()) return undefined;
    const xs = [...this.received.keys()].slice(0, this.chunks);
    const rows = xs.map((x) => symbolsOf(this.received.get(x)!));
    const out = new Uint8Array(this.length);
    for (let i = 0; i < this.chunks; i++) {
      const have = this.received.get(i);
      out.set(have ?? combine(rows, lagrangeWeights(xs, i)), i * CHUNK_SIZE);
    }
    return out;
  }
}
