// A minimal proto2 codec for the few messages this library reads and writes (libsignal's
// wire.proto and storage.proto shapes). Varint, length-delimited and fixed64 fields; unknown
// fields are skipped; anything malformed throws a ProtocolError with the caller's code.
import { ProtocolError, type ProtocolErrorCode } from './errors.js';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

export class ProtoWriter {
  private buf = new Uint8Array(64);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private varint(v: number): void {
    // Values up to 2^53 (timestamps); counters and ids are uint32.
    this.ensure(10);
    while (v > 0x7f) {
      this.buf[this.len++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
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
    this.ensure(v.length);
    this.buf.set(v, this.len);
    this.len += v.length;
    return this;
  }

  fixed64(field: number, v: number | undefined): this {
    if (v === undefined) return this;
    this.varint((field << 3) | WIRE_FIXED64);
    this.ensure(8);
    const lo = v % 0x100000000;
    const hi = Math.floor(v / 0x100000000);
    for (let i = 0; i < 4; i++) this.buf[this.len++] = (lo >>> (8 * i)) & 0xff;
    for (let i = 0; i < 4; i++) this.buf[this.len++] = (hi >>> (8 * i)) & 0xff;
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
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

/** Parses a whole message into its fields, in order. Repeated fields appear repeatedly. */
export function parseProto(data: Uint8Array, code: ProtocolErrorCode = 'InvalidMessage', what = 'protobuf'): ProtoField[] {
  const fail = (why: string): never => {
    throw new ProtocolError(code, `malformed ${what}: ${why}`);
  };
  const out: ProtoField[] = [];
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= data.length) fail('truncated varint');
      const b = data[pos++];
      result += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) {
        if (result > Number.MAX_SAFE_INTEGER) fail('varint out of range');
        return result;
      }
    }
    return fail('varint too long');
  };
  while (pos < data.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 0) fail('field number 0');
    if (wire === WIRE_VARINT) out.push({ field, wire, num: varint() });
    else if (wire === WIRE_BYTES) {
      const len = varint();
      if (len > data.length - pos) fail('length past end');
      out.push({ field, wire, num: len, bytes: data.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === WIRE_FIXED64) {
      if (pos + 8 > data.length) fail('truncated fixed64');
      let lo = 0;
      let hi = 0;
      for (let i = 3; i >= 0; i--) lo = lo * 256 + data[pos + i];
      for (let i = 7; i >= 4; i--) hi = hi * 256 + data[pos + i];
      pos += 8;
      out.push({ field, wire, num: hi * 0x100000000 + lo });
    } else if (wire === WIRE_FIXED32) {
      if (pos + 4 > data.length) fail('truncated fixed32');
      let v = 0;
      for (let i = 3; i >= 0; i--) v = v * 256 + data[pos + i];
      pos += 4;
      out.push({ field, wire, num: v });
    } else fail(`unsupported wire type ${wire}`);
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
