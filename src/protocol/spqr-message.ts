// SPQR's per-message payload, carried in SignalMessage field 5 (pq_ratchet). The ML-KEM Braid spec
// leaves the encoding to implementers; this is the compact format libsignal emits and accepts
// (decoded from its messages, see docs/protocol-api.md):
//   version (1 byte, 1 = V1) || epoch (varint) || index (varint) || type (1 byte)
//   [|| chunk index (varint) || chunk (32 bytes)]   for the types that carry a chunk
// An empty field 5 is version 0: no SPQR. `index` is the sender's position in its SPQR chain for
// epoch - 1 (0: no SPQR key for this message, sent while version negotiation is still open).
import { CHUNK_SIZE } from './spqr-erasure.js';
import { ProtocolError } from './errors.js';

export const SPQR_V1 = 1;

export const MessageType = { None: 0, Hdr: 1, Ek: 2, EkCt1Ack: 3, Ct1Ack: 4, Ct1: 5, Ct2: 6 } as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];
const HAS_CHUNK: readonly boolean[] = [false, true, true, true, false, true, true];

export interface Chunk {
  index: number;
  data: Uint8Array;
}

export interface SpqrMessage {
  epoch: number;
  index: number;
  type: MessageType;
  chunk?: Chunk;
}

function bad(why: string): never {
  throw new ProtocolError('InvalidMessage', `malformed SPQR message: ${why}`);
}

function putVarint(out: number[], v: number): void {
  while (v > 0x7f) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

export function encodeMessage(m: SpqrMessage): Uint8Array {
  const out: number[] = [SPQR_V1];
  putVarint(out, m.epoch);
  putVarint(out, m.index);
  out.push(m.type);
  if (HAS_CHUNK[m.type]) {
    if (!m.chunk) throw new ProtocolError('InvalidArgument', 'SPQR message type needs a chunk');
    putVarint(out, m.chunk.index);
    const bytes = new Uint8Array(out.length + CHUNK_SIZE);
    bytes.set(out);
    bytes.set(m.chunk.data, out.length);
    return bytes;
  }
  return Uint8Array.from(out);
}

/** Parses a non-empty field 5. Unknown versions are refused (there is only V1). */
export function decodeMessage(bytes: Uint8Array): SpqrMessage {
  let pos = 0;
  const varint = (max: number): number => {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= bytes.length) bad('truncated varint');
      const b = bytes[pos++];
      v += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) {
        if (v > max) bad('varint out of range');
        return v;
      }
    }
    return bad('varint too long');
  };
  if (bytes.length === 0) bad('empty');
  if (bytes[pos++] !== SPQR_V1) bad(`unknown version ${bytes[0]}`);
  const epoch = varint(Number.MAX_SAFE_INTEGER);
  const index = varint(0xffffffff);
  if (pos >= bytes.length) bad('missing type');
  const type = bytes[pos++];
  if (type >= HAS_CHUNK.length) bad(`unknown type ${type}`);
  let chunk: Chunk | undefined;
  if (HAS_CHUNK[type]) {
    const ci = varint(0xffff);
    if (bytes.length - pos !== CHUNK_SIZE) bad(`chunk of ${bytes.length - pos} bytes`);
    chunk = { index: ci, data: bytes.slice(pos) };
  } else if (pos !== bytes.length) bad('trailing bytes');
  if (epoch === 0) bad('epoch 0');
  return { epoch, index, type: type as MessageType, chunk };
}
