// Our ML-KEM (src/protocol/mlkem.ts) against @noble/post-quantum's, byte for byte: keys from the
// same seed, ciphertexts and shared secrets from the same message, decapsulation of valid and
// corrupted ciphertexts (implicit rejection), and the encapsulation-key modulus check.
import { ml_kem1024, ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { describe, expect, it } from 'vitest';
import * as ours from '../../src/protocol/mlkem.js';
import { Rand } from './interop/util.js';

for (const [name, params, noble] of [
  ['ML-KEM-768', ours.ML_KEM_768, ml_kem768],
  ['ML-KEM-1024', ours.ML_KEM_1024, ml_kem1024],
] as const) {
  describe(name, () => {
    const rand = new Rand(params.k * 7919);
    it('key generation, encapsulation and decapsulation match noble', () => {
      for (let n = 0; n < 40; n++) {
        const seed = rand.bytes(64);
        const mine = ours.keygen(params, seed);
        const theirs = noble.keygen(seed);
        expect(mine.publicKey).toEqual(theirs.publicKey);
        expect(mine.secretKey).toEqual(theirs.secretKey);
        const m = rand.bytes(32);
        const fromKeygen = ours.encapsulate(mine.expanded.ek, m);
        const fromBytes = ours.encapsulate(ours.expandEk(params, theirs.publicKey), m);
        const ref = noble.encapsulate(theirs.publicKey, m);
        expect(fromKeygen.cipherText).toEqual(ref.cipherText);
        expect(fromKeygen.sharedSecret).toEqual(ref.sharedSecret);
        expect(fromBytes.cipherText).toEqual(ref.cipherText);
        expect(fromBytes.sharedSecret).toEqual(ref.sharedSecret);
        const dk = ours.expandDk(params, theirs.secretKey);
        expect(ours.decapsulate(dk, ref.cipherText)).toEqual(ref.sharedSecret);
        expect(ours.decapsulate(mine.expanded, ref.cipherText)).toEqual(ref.sharedSecret);
        // corrupted ciphertexts: implicit rejection gives noble's pseudo-random key
        for (let t = 0; t < 3; t++) {
          const bad = ref.cipherText.slice();
          bad[rand.int(0, bad.length - 1)] ^= 1 << rand.int(0, 7);
          const want = noble.decapsulate(bad, theirs.secretKey);
          expect(ours.decapsulate(dk, bad)).toEqual(want);
          expect(want).not.toEqual(ref.sharedSecret);
        }
        // random ciphertexts too
        const junk = rand.bytes(ref.cipherText.length);
        expect(ours.decapsulate(dk, junk)).toEqual(noble.decapsulate(junk, theirs.secretKey));
      }
    });
    it('rejects an encapsulation key with a coefficient >= q, and a decapsulation key whose hash does not match', () => {
      const { publicKey, secretKey } = noble.keygen(rand.bytes(64));
      const bad = publicKey.slice();
      bad[0] = 0xff;
      bad[1] |= 0x0f; // first coefficient 4095
      expect(() => noble.encapsulate(bad, rand.bytes(32))).toThrow();
      expect(() => ours.expandEk(params, bad)).toThrow(/not reduced/);
      const badDk = secretKey.slice();
      badDk[384 * params.k + 5] ^= 1;
      expect(() => ours.expandDk(params, badDk)).toThrow(/hash check/);
      expect(() => ours.expandEk(params, publicKey.subarray(1))).toThrow();
    });
  });
}
