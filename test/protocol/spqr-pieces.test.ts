// Unit tests of SPQR's building blocks: the GF(2^16) erasure code and incremental ML-KEM-768.
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { describe, expect, it } from 'vitest';
import { CHUNK_SIZE, ChunkDecoder, ChunkEncoder } from '../../src/protocol/spqr-erasure.js';
import * as mlkem from '../../src/protocol/mlkem-incremental.js';
import { Rand, seededByteRng } from './interop/util.js';

describe('GF(2^16) erasure code', () => {
  const rand = new Rand(42);
  for (const chunks of [1, 2, 3, 5, 30, 36]) {
    it(`rebuilds a ${chunks}-chunk value from any ${chunks} distinct chunks (data, parity, or mixed)`, () => {
      const value = rand.bytes(chunks * CHUNK_SIZE);
      const enc = new ChunkEncoder(value);
      for (let trial = 0; trial < 8; trial++) {
        const pool = Array.from({ length: chunks * 3 + 5 }, (_, i) => i);
        // trial 0: data chunks only; trial 1: parity only; then random subsets
        const pick = trial === 0 ? pool.slice(0, chunks) : trial === 1 ? pool.slice(chunks, 2 * chunks) : rand.shuffle(pool).slice(0, chunks);
        const dec = new ChunkDecoder(value.length);
        for (const [n, i] of pick.entries()) {
          expect(dec.hasValue()).toBe(false);
          expect(dec.value()).toBeUndefined();
          dec.add(i, enc.chunk(i));
          if (n === 0) dec.add(i, enc.chunk(i)); // a repeated chunk counts once
        }
        expect(dec.value()).toEqual(value);
      }
    });
  }
  it('chunks 0..N-1 are the value itself (systematic), and a parity chunk is not', () => {
    const value = rand.bytes(3 * CHUNK_SIZE);
    const enc = new ChunkEncoder(value);
    expect(enc.chunk(1)).toEqual(value.subarray(32, 64));
    expect(enc.chunk(3)).not.toEqual(value.subarray(0, 32));
  });
  it('a corrupted chunk rebuilds a different value (the code corrects erasures, not errors)', () => {
    const value = rand.bytes(4 * CHUNK_SIZE);
    const enc = new ChunkEncoder(value);
    const dec = new ChunkDecoder(value.length);
    for (const i of [1, 5, 6]) dec.add(i, enc.chunk(i));
    const bad = enc.chunk(9);
    bad[3] ^= 1;
    dec.add(9, bad);
    expect(dec.value()).not.toEqual(value);
  });
  it('refuses lengths that are not whole chunks and chunks of the wrong size', () => {
    expect(() => new ChunkEncoder(new Uint8Array(33))).toThrow(/multiple of 32/);
    expect(() => new ChunkDecoder(0)).toThrow(/multiple of 32/);
    expect(() => new ChunkDecoder(64).add(0, new Uint8Array(31))).toThrow(/chunk of 31 bytes/);
  });
});

describe('incremental ML-KEM-768', () => {
  it('encaps1 (header only) + encaps2 (vector) give the ciphertext and secret of ML-KEM-768 encapsulation, and decapsulation agrees', () => {
    for (let t = 0; t < 5; t++) {
      const rng = seededByteRng(`mlkem-${t}`);
      const kp = mlkem.generateKeyPair(rng);
      expect(kp.header).toHaveLength(mlkem.HEADER_SIZE);
      expect(kp.ekVector).toHaveLength(mlkem.EK_VECTOR_SIZE);
      const m = seededByteRng(`m-${t}`)(32);
      const e1 = mlkem.encaps1(kp.header, () => m.slice());
      expect(e1.ct1).toHaveLength(mlkem.CT1_SIZE);
      const ct2 = mlkem.encaps2(kp.header, kp.ekVector, e1.encapsSecret);
      expect(ct2).toHaveLength(mlkem.CT2_SIZE);
      const pk = new Uint8Array([...kp.ekVector, ...kp.header.subarray(0, 32)]);
      const whole = ml_kem768.encapsulate(pk, m);
      expect(new Uint8Array([...e1.ct1, ...ct2])).toEqual(whole.cipherText);
      expect(e1.sharedSecret).toEqual(whole.sharedSecret);
      expect(mlkem.decapsulate(kp.dk, e1.ct1, ct2)).toEqual(e1.sharedSecret);
    }
  });
  it('encaps2 refuses a key vector that does not hash to the header', () => {
    const rng = seededByteRng('mlkem-bad');
    const kp = mlkem.generateKeyPair(rng);
    const e1 = mlkem.encaps1(kp.header, rng);
    const v = kp.ekVector.slice();
    v[7] ^= 1;
    expect(() => mlkem.encaps2(kp.header, v, e1.encapsSecret)).toThrow(/does not match the header/);
  });
});

describe('incremental ML-KEM-768 key layout', () => {
  it('the key vector is recovered from the decapsulation key', () => {
    const kp = mlkem.generateKeyPair(seededByteRng('mlkem-layout'));
    expect(mlkem.ekVectorOf(kp.dk)).toEqual(kp.ekVector);
  });
});
