// Our SHA-3 / SHAKE (src/protocol/keccak.ts) against @noble/hashes on many lengths and split points.
import { sha3_256 as nSha3_256, sha3_512 as nSha3_512, shake128 as nShake128, shake256 as nShake256 } from '@noble/hashes/sha3.js';
import { describe, expect, it } from 'vitest';
import { sha3_256, sha3_512, shake128, shake256 } from '../../src/protocol/keccak.js';
import { Rand } from './interop/util.js';

describe('keccak', () => {
  const rand = new Rand(202);
  it('SHA3-256, SHA3-512 and SHAKE256 match noble for lengths 0..600, whole or split', () => {
    for (let n = 0; n <= 600; n++) {
      const data = rand.bytes(n);
      const cut = rand.int(0, n);
      expect(sha3_256(data)).toEqual(nSha3_256(data));
      expect(sha3_256(data.subarray(0, cut), data.subarray(cut))).toEqual(nSha3_256(data));
      expect(sha3_512(data.subarray(0, cut), data.subarray(cut))).toEqual(nSha3_512(data));
      const len = rand.int(1, 400);
      expect(shake256(len, data.subarray(0, cut), data.subarray(cut))).toEqual(nShake256(data, { dkLen: len }));
    }
  });
  it('SHAKE128 squeezed in pieces matches one long noble output', () => {
    for (let n = 0; n < 100; n++) {
      const data = rand.bytes(rand.int(0, 400));
      const total = rand.int(1, 1200);
      const want = nShake128(data, { dkLen: total });
      const sp = shake128().update(data);
      const got = new Uint8Array(total);
      for (let o = 0; o < total; ) {
        const k = Math.min(total - o, rand.int(1, 300));
        got.set(sp.squeeze(k), o);
        o += k;
      }
      expect(got).toEqual(want);
    }
  });
});
