// Public keys from private keys go through the Edwards fixed-base multiplication; they must be
// exactly X25519(k, 9), and XEdDSA signatures made after (or before) deriving the public key verify.
import { x25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { PrivateKey } from '../../src/protocol/curve.js';
import { Rand } from './interop/util.js';

describe('PrivateKey.getPublicKey', () => {
  const rand = new Rand(25519);
  it('equals X25519(k, 9) for random keys and edge-case scalars', () => {
    const keys = Array.from({ length: 200 }, () => rand.bytes(32));
    keys.push(new Uint8Array(32), new Uint8Array(32).fill(0xff), Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 0x40 : 0)));
    for (const k of keys) {
      const priv = PrivateKey.deserialize(k);
      expect(priv.getPublicKey().getPublicKeyBytes()).toEqual(x25519.scalarMultBase(k));
    }
  });
  it('XEdDSA signatures verify whether the public key was derived before or after signing', async () => {
    for (let i = 0; i < 20; i++) {
      const k = rand.bytes(32);
      const msg = rand.bytes(i * 7);
      const a = PrivateKey.deserialize(k);
      const pubFirst = a.getPublicKey();
      const sigA = await a.sign(msg);
      const b = PrivateKey.deserialize(k);
      const sigB = await b.sign(msg);
      expect(await pubFirst.verifySignature(msg, sigA)).toBe(true);
      expect(await b.getPublicKey().verifySignature(msg, sigB)).toBe(true);
      expect(await pubFirst.verifySignature(rand.bytes(8), sigA)).toBe(false);
    }
  });
});
