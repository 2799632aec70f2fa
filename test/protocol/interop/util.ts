// Test-only helpers for the interop suite: a seeded PRNG, a seeded byte RNG, hex, and a tiny
// protobuf reader for the Signal wire messages (enough to see ratchet key / counter / field 5).
import { createHash } from 'node:crypto';

/** mulberry32: small, fast, deterministic. Returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rand {
  readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = prng(seed);
  }
  /** integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  }
}

/** Deterministic byte source `(n) => bytes` (SHA-256 in counter mode over a seed label). */
export function seededByteRng(label: string): (n: number) => Uint8Array {
  let ctr = 0;
  let buf = new Uint8Array(0);
  return (n: number) => {
    while (buf.length < n) {
      const h = createHash('sha256').update(label).update(String(ctr++)).digest();
      const nb = new Uint8Array(buf.length + h.length);
      nb.set(buf);
      nb.set(h, buf.length);
      buf = nb;
    }
    const out = buf.slice(0, n);
    buf = buf.slice(n);
    return out;
  };
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const u8 = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---- minimal protobuf reading -------------------------------------------------------------

export interface ProtoField {
  field: number;
  wireType: number;
  value: bigint | Uint8Array;
}

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
    if (shift > 63n) throw new Error('varint too long');
  }
}

export function parseProto(buf: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, p1] = readVarint(buf, pos);
    pos = p1;
    const field = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (wireType === 0) {
      const [v, p2] = readVarint(buf, pos);
      pos = p2;
      out.push({ field, wireType, value: v });
    } else if (wireType === 2) {
      const [len, p2] = readVarint(buf, pos);
      const end = p2 + Number(len);
      if (end > buf.length) throw new Error('truncated length-delimited field');
      out.push({ field, wireType, value: buf.slice(p2, end) });
      pos = end;
    } else if (wireType === 1) {
      out.push({ field, wireType, value: buf.slice(pos, pos + 8) });
      pos += 8;
    } else if (wireType === 5) {
      out.push({ field, wireType, value: buf.slice(pos, pos + 4) });
      pos += 4;
    } else {
      throw new Error(`unsupported wire type ${wireType}`);
    }
  }
  return out;
}

export function writeVarint(v: number | bigint): Uint8Array {
  let x = BigInt(v);
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) b |= 0x80;
    out.push(b);
  } while (x > 0n);
  return Uint8Array.from(out);
}

export function protoBytesField(field: number, value: Uint8Array): Uint8Array {
  const key = writeVarint((field << 3) | 2);
  const len = writeVarint(value.length);
  const out = new Uint8Array(key.length + len.length + value.length);
  out.set(key);
  out.set(len, key.length);
  out.set(value, key.length + len.length);
  return out;
}

export interface SignalMessageInfo {
  version: number; // high nibble of the version byte
  ratchetKey: Uint8Array;
  counter: number;
  previousCounter: number;
  ciphertextLength: number;
  /** field 5 (SPQR pq_ratchet) bytes when present */
  pqRatchet?: Uint8Array;
  fieldsPresent: number[];
}

export function parseSignalMessage(body: Uint8Array): SignalMessageInfo {
  const fields = parseProto(body.subarray(1, body.length - 8));
  const get = (n: number) => fields.find((f) => f.field === n);
  const rk = get(1)?.value;
  const ct = get(4)?.value;
  const pq = get(5)?.value;
  return {
    version: body[0] >> 4,
    ratchetKey: rk instanceof Uint8Array ? rk : new Uint8Array(0),
    counter: Number((get(2)?.value as bigint | undefined) ?? 0n),
    previousCounter: Number((get(3)?.value as bigint | undefined) ?? 0n),
    ciphertextLength: ct instanceof Uint8Array ? ct.length : 0,
    pqRatchet: pq instanceof Uint8Array ? pq : undefined,
    fieldsPresent: fields.map((f) => f.field),
  };
}

export interface PreKeyMessageInfo {
  version: number;
  preKeyId?: number;
  baseKey: Uint8Array;
  signedPreKeyId?: number;
  kyberPreKeyId?: number;
  kyberCiphertextLength?: number;
  inner: SignalMessageInfo;
  innerBytes: Uint8Array;
}

export function parsePreKeyMessage(body: Uint8Array): PreKeyMessageInfo {
  const fields = parseProto(body.subarray(1));
  const get = (n: number) => fields.find((f) => f.field === n);
  const num = (n: number) => {
    const v = get(n)?.value;
    return typeof v === 'bigint' ? Number(v) : undefined;
  };
  const inner = get(4)?.value as Uint8Array;
  const kct = get(8)?.value;
  return {
    version: body[0] >> 4,
    preKeyId: num(1),
    baseKey: get(2)?.value as Uint8Array,
    signedPreKeyId: num(6),
    kyberPreKeyId: num(7),
    kyberCiphertextLength: kct instanceof Uint8Array ? kct.length : undefined,
    inner: parseSignalMessage(inner),
    innerBytes: inner,
  };
}

/** The SignalMessage inside a wire message of either type. */
export function innerSignalMessage(msg: { type: number; body: Uint8Array }): SignalMessageInfo {
  return msg.type === 3 ? parsePreKeyMessage(msg.body).inner : parseSignalMessage(msg.body);
}

/** re-serialize fields from parseProto (varint and length-delimited only) */
export function serializeProto(fields: ProtoField[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields) {
    if (f.wireType === 0) {
      parts.push(writeVarint(f.field << 3), writeVarint(f.value as bigint));
    } else if (f.wireType === 2) {
      parts.push(protoBytesField(f.field, f.value as Uint8Array));
    } else {
      throw new Error(`cannot re-serialize wire type ${f.wireType}`);
    }
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** rewrite a PreKeySignalMessage's protobuf fields (version byte kept) */
export function editPreKeyMessage(body: Uint8Array, edit: (fields: ProtoField[]) => ProtoField[]): Uint8Array {
  const fields = edit(parseProto(body.subarray(1)));
  const pb = serializeProto(fields);
  const out = new Uint8Array(1 + pb.length);
  out[0] = body[0];
  out.set(pb, 1);
  return out;
}

/** The epoch of an SPQR message (field 5: version byte, then the epoch as a varint). */
export function spqrEpoch(pq: Uint8Array): number {
  const [v] = readVarint(pq, 1);
  return Number(v);
}

/** The index of an SPQR message (after version and epoch): 0 = the message has no SPQR key. */
export function spqrIndex(pq: Uint8Array): number {
  const [, p] = readVarint(pq, 1);
  const [v] = readVarint(pq, p);
  return Number(v);
}
