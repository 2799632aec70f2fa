// The protobuf writer splices nested messages and references large payloads; its output must be
// the plain proto2 encoding whatever the sizes, nesting and arena state.
import { describe, expect, it } from 'vitest';
import { ProtoMessage, ProtoWriter, parseProto } from '../../src/protocol/protobuf.js';

/** Reference encoder: every field written out in order, nested messages as bytes. */
function varint(v: number): number[] {
  const out: number[] = [];
  while (v > 0x7f) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function bytesOf(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  return b;
}

describe('ProtoWriter', () => {
  it('matches a reference encoding for nested messages, small and large payloads', () => {
    for (let round = 0; round < 200; round++) {
      const sizes = [0, 1, 32, 48, 49, 100, 3000, 20000].map((n) => (n + round) % 25000);
      const ref: number[] = [];
      const w = new ProtoWriter();
      for (let i = 0; i < sizes.length; i++) {
        const payload = bytesOf(sizes[i], round + i);
        const inner = new ProtoWriter().uint(1, round * 1000 + i).bytes(2, payload).fixed64(3, 2 ** 40 + i);
        const innerRef = [...varint(8), ...varint(round * 1000 + i), ...varint(18), ...varint(payload.length), ...payload, ...varint(25)];
        const f = 2 ** 40 + i;
        for (let k = 0; k < 8; k++) innerRef.push(Math.floor(f / 2 ** (8 * k)) & 0xff);
        if (i % 2) w.message(5, inner);
        else w.bytes(5, inner.finish());
        ref.push(...varint(42), ...varint(innerRef.length), ...innerRef);
        w.uint(6, i);
        ref.push(...varint(48), ...varint(i));
      }
      const out = w.finish();
      expect(Array.from(out)).toEqual(ref);
      const m = new ProtoMessage(parseProto(out), 'InvalidArgument', 'test');
      expect(m.repeatedBytes(5).length).toBe(sizes.length);
    }
  });

  it('returns a fresh copy from finish(), unaffected by later writers, and leaves the writer empty', () => {
    const payload = new Uint8Array(100).fill(5);
    const a = new ProtoWriter().bytes(1, new Uint8Array([1, 2, 3])).bytes(2, payload);
    const first = a.finish();
    const b = new ProtoWriter().bytes(1, new Uint8Array([9, 9, 9, 9]));
    expect(Array.from(b.finish())).toEqual([10, 4, 9, 9, 9, 9]);
    expect(Array.from(first.subarray(0, 7))).toEqual([10, 3, 1, 2, 3, 18, 100]);
    expect(first.subarray(7)).toEqual(payload);
    expect(payload.every((x) => x === 5)).toBe(true); // referenced payloads are not wiped
    expect(Array.from(a.uint(2, 7).finish())).toEqual([16, 7]);
  });
});
