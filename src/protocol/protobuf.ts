// A minimal proto2 codec for the few messages this library reads and writes (libsignal's
// wire.proto and storage.proto shapes). Varint, length-delimited and fixed64 fields; unknown
// fields are skipped; anything malformed throws a ProtocolError with the caller's code.
import { ProtocolError, type ProtocolErrorCode } from './errors.js';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

const ARENA_SIZE = 16384;
let arena = new Uint8Array(ARENA_SIZE);
let arenaPos = 0;

/**
 * Builds a message as a list of parts: varints go into small scratch buffers, payloads above a few
 * dozen bytes are referenced (not copied) until finish(), which allocates the exact length once.
 * Nested messages added with message() are spliced in without an intermediate copy. Callers must
 * not change a payload between adding it and finish().
 */
export class ProtoWriter {
  private parts: Uint8Array[] = [];
  /** the parts that are scratch (they may hold key bytes): wiped by finish() */
  private own: Uint8Array[] = [];
  /** the scratch buffer and its window [mark, pos) not yet pushed as a part, pos < end */
  private scratch: Uint8Array = arena;
  private pos = 0;
  private mark = 0;
  private end = 0;
  /** total bytes written */
  length = 0;

  /**
   * Makes room for n scratch bytes. Scratch space is carved from a shared arena that only ever
   * hands each region out once (a fresh arena replaces a full one), so parts never alias.
   */
  private room(n: number): void {
    if (this.pos + n <= this.end) return;
    this.flush();
    const want = Math.max(64, n);
    if (arenaPos + want > arena.length) {
      arena = new Uint8Array(Math.max(ARENA_SIZE, want));
      arenaPos = 0;
    }
    this.scratch = arena;
    this.pos = this.mark = arenaPos;
    this.end = arenaPos += want;
  }

  /** Returns unused scratch to the arena when this writer holds its newest region. */
  private release(): void {
    if (this.scratch === arena && this.end === arenaPos) arenaPos = this.pos;
    this.end = this.pos;
  }

  private flush(): void {
    if (this.pos > this.mark) {
      const part = this.scratch.subarray(this.mark, this.pos);
      this.parts.push(part);
      this.own.push(part);
      this.mark = this.pos;
    }
  }

  private varint(v: number): void {
    // Values up to 2^53 (timestamps); counters and ids are uint32.
    this.room(10);
    const buf = this.scratch;
    let p = this.pos;
    while (v > 0x7f) {
      buf[p++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[p++] = v;
    this.length += p - this.pos;
    this.pos = p;
  }

  uint(field: number, v: number | undefined): this {
    if (v === undefined) return this;
    this.varint((field << 3) | WIRE_VARINT);
    this.varint(v);
    return this;
  }

  bool(field: number, v: boolean | undefined): this {
    return v === undefined ? this : this.uint(field, v ? 1 : 0);
  }

  bytes(field: number, v: Uint8Array | undefined): this {
    if (v === undefined) return this;
    this.varint((field << 3) | WIRE_BYTES);
    this.varint(v.length);
    if (v.length <= 48) {
      this.room(v.length);
      this.scratch.set(v, this.pos);
      this.pos += v.length;
    } else {
      this.flush();
      this.parts.push(v);
    }
    this.length += v.length;
    return this;
  }

  /** A nested message as a length-delimited field, without copying it. `w` must not be used afterwards. */
  message(field: number, w: ProtoWriter): this {
    w.flush();
    w.release();
    this.varint((field << 3) | WIRE_BYTES);
    this.varint(w.length);
    this.flush();
    for (const part of w.parts) this.parts.push(part);
    for (const part of w.own) this.own.push(part);
    this.length += w.length;
    return this;
  }

  fixed64(field: number, v: number | undefined): this {
    if (v === undefined) return this;
    this.varint((field << 3) | WIRE_FIXED64);
    this.room(8);
    const lo = v % 0x100000000;
    const hi = Math.floor(v / 0x100000000);
    for (let i = 0; i < 4; i++) this.scratch[this.pos++] = (lo >>> (8 * i)) & 0xff;
    for (let i = 0; i < 4; i++) this.scratch[this.pos++] = (hi >>> (8 * i)) & 0xff;
    this.length += 8;
    return this;
  }

  /** The encoded message. Wipes the scratch it used and leaves the writer empty. */
  finish(): Uint8Array {
    this.flush();
    this.release();
    let out: Uint8Array;
    if (this.parts.length === 1) out = this.parts[0].slice();
    else {
      out = new Uint8Array(this.length);
      let o = 0;
      for (const part of this.parts) {
        out.set(part, o);
        o += part.length;
      }
    }
    for (const part of this.own) part.fill(0);
    this.parts = [];
    this.own = [];
    this.length = 0;
    return out;
  }
}

export interface ProtoField {
  field: number;
  wire: number;
  /** varint / fixed value (numbers up to 2^53) */
  num: number;
  /** length-delimited payload (a view into the input) */
  bytes?: Uint8Array;
}

function malformed(code: ProtocolErrorCode, what: string, why: string): never {
  throw new ProtocolError(code, `malformed ${what}: ${why}`);
}

/** Reads a varint at data[pos]; returns the value and stores the new position in varintEnd. */
let varintEnd = 0;
function readVarint(data: Uint8Array, pos: number, code: ProtocolErrorCode, what: string): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= data.length) malformed(code, what, 'truncated varint');
    const b = data[pos++];
    result += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) {
      if (result > Number.MAX_SAFE_INTEGER) malformed(code, what, 'varint out of range');
      varintEnd = pos;
      return result;
    }
  }
  return malformed(code, what, 'varint too long');
}

/** Parses a whole message into its fields, in order. Repeated fields appear repeatedly. */
export function parseProto(data: Uint8Array, code: ProtocolErrorCode = 'InvalidMessage', what = 'protobuf'): ProtoField[] {
  const out: ProtoField[] = [];
  let pos = 0;
  while (pos < data.length) {
    const key = readVarint(data, pos, code, what);
    pos = varintEnd;
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 0) malformed(code, what, 'field number 0');
    if (wire === WIRE_VARINT) {
      const num = readVarint(data, pos, code, what);
      pos = varintEnd;
      out.push({ field, wire, num, bytes: undefined });
    } else if (wire === WIRE_BYTES) {
      const len = readVarint(data, pos, code, what);
      pos = varintEnd;
      if (len > data.length - pos) malformed(code, what, 'length past end');
      out.push({ field, wire, num: len, bytes: data.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === WIRE_FIXED64) {
      if (pos + 8 > data.length) malformed(code, what, 'truncated fixed64');
      let lo = 0;
      let hi = 0;
      for (let i = 3; i >= 0; i--) lo = lo * 256 + data[pos + i];
      for (let i = 7; i >= 4; i--) hi = hi * 256 + data[pos + i];
      pos += 8;
      out.push({ field, wire, num: hi * 0x100000000 + lo, bytes: undefined });
    } else if (wire === WIRE_FIXED32) {
      if (pos + 4 > data.length) malformed(code, what, 'truncated fixed32');
      let v = 0;
      for (let i = 3; i >= 0; i--) v = v * 256 + data[pos + i];
      pos += 4;
      out.push({ field, wire, num: v, bytes: undefined });
    } else malformed(code, what, `unsupported wire type ${wire}`);
  }
  return out;
}

/** Field accessors over a parsed message: last occurrence wins for singular fields (proto2 rule). */
export class ProtoMessage {
  constructor(
    readonly fields: ProtoField[],
    private readonly code: ProtocolErrorCode,
    private readonly what: string,
  ) {}

  static parse(data: Uint8Array, code: ProtocolErrorCode = 'InvalidMessage', what = 'protobuf'): ProtoMessage {
    return new ProtoMessage(parseProto(data, code, what), code, what);
  }

  private last(field: number): ProtoField | undefined {
    for (let i = this.fields.length - 1; i >= 0; i--) if (this.fields[i].field === field) return this.fields[i];
    return undefined;
  }

  private fail(why: string): never {
    throw new ProtocolError(this.code, `malformed ${this.what}: ${why}`);
  }

  optBytes(field: number): Uint8Array | undefined {
    const f = this.last(field);
    if (!f) return undefined;
    if (f.wire !== WIRE_BYTES) this.fail(`field ${field} has wire type ${f.wire}`);
    return f.bytes;
  }

  bytes(field: number, name: string): Uint8Array {
    return this.optBytes(field) ?? this.fail(`missing ${name}`);
  }

  optUint32(field: number): number | undefined {
    const f = this.last(field);
    if (!f) return undefined;
    if (f.wire !== WIRE_VARINT) this.fail(`field ${field} has wire type ${f.wire}`);
    // proto uint32 keeps the low 32 bits of a longer varint
    return f.num % 0x100000000;
  }

  uint32(field: number, name: string): number {
    return this.optUint32(field) ?? this.fail(`missing ${name}`);
  }

  optNumber(field: number): number | undefined {
    const f = this.last(field);
    if (!f) return undefined;
    if (f.wire !== WIRE_VARINT && f.wire !== WIRE_FIXED64) this.fail(`field ${field} has wire type ${f.wire}`);
    return f.num;
  }

  repeatedBytes(field: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const f of this.fields) {
      if (f.field !== field) continue;
      if (f.wire !== WIRE_BYTES) this.fail(`field ${field} has wire type ${f.wire}`);
      out.push(f.bytes!);
    }
    return out;
  }
}
