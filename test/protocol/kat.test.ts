// Known-answer tests: RFC 7748 X25519, RFC 5869 HKDF, RFC 4231 HMAC, libsignal's chain-key vector.
import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { afterAll, describe, expect, it } from 'vitest';
import { PrivateKey, PublicKey, setCryptoBackend } from '../../src/protocol/index.js';
import { hkdfSha256, hmacSha256 } from '../../src/protocol/kdf.js';
import { ChainKey } from '../../src/protocol/ratchet-keys.js';

const vec = (name: string) => JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8'));
const x = vec('x25519-rfc7748.json');
const hk = vec('hkdf-rfc5869.json');
const hm = vec('hmac-rfc4231.json');
const ck = vec('libsignal-chain-key.json');

afterAll(() => setCryptoBackend('auto'));

describe.each(['webcrypto', 'noble'] as const)('X25519 (RFC 7748) on the %s backend', (backend) => {
  it('computes the section 5.2 scalar multiplication', async () => {
    setCryptoBackend(backend);
    for (const v of x.scalarMult) {
      const out = await PrivateKey.deserialize(hexToBytes(v.scalar)).agree(PublicKey.fromPublicKeyBytes(hexToBytes(v.u)));
      expect(bytesToHex(out)).toBe(v.output);
    }
  });

  it('derives the section 6.1 public keys and shared secret from both sides', async () => {
    setCryptoBackend(backend);
    const a = PrivateKey.deserialize(hexToBytes(x.dh.alicePrivate));
    const b = PrivateKey.deserialize(hexToBytes(x.dh.bobPrivate));
    expect(bytesToHex(a.getPublicKey().getPublicKeyBytes())).toBe(x.dh.alicePublic);
    expect(bytesToHex(b.getPublicKey().getPublicKeyBytes())).toBe(x.dh.bobPublic);
    expect(bytesToHex(await a.agree(PublicKey.fromPublicKeyBytes(hexToBytes(x.dh.bobPublic))))).toBe(x.dh.shared);
    expect(bytesToHex(await b.agree(PublicKey.fromPublicKeyBytes(hexToBytes(x.dh.alicePublic))))).toBe(x.dh.shared);
  });
});

describe('HKDF-SHA256 (RFC 5869)', () => {
  it.each<[string, any]>(hk.vectors.map((v: any) => [v.name, v]))('matches test case %s', (_n, v) => {
    const out = hkdfSha256(hexToBytes(v.ikm), v.salt ? hexToBytes(v.salt) : undefined, hexToBytes(v.info), v.length);
    expect(bytesToHex(out)).toBe(v.okm);
  });
});

describe('HMAC-SHA256 (RFC 4231)', () => {
  it.each<[string, any]>(hm.vectors.map((v: any) => [v.name, v]))('matches section %s', (_n, v) => {
    expect(bytesToHex(hmacSha256(hexToBytes(v.key), hexToBytes(v.data)))).toBe(v.hmacSha256);
  });
});

describe("libsignal's chain key derivation (ratchet/keys.rs)", () => {
  it('derives the message keys and next chain key of the reference vector', () => {
    const chain = new ChainKey(hexToBytes(ck.chainKey), ck.index);
    const keys = chain.messageKeys();
    expect(bytesToHex(keys.cipherKey)).toBe(ck.cipherKey);
    expect(bytesToHex(keys.macKey)).toBe(ck.macKey);
    expect(keys.counter).toBe(ck.index);
    const next = chain.next();
    expect(bytesToHex(next.key)).toBe(ck.nextChainKey);
    expect(next.index).toBe(ck.nextIndex);
  });
});

describe('the specialised SHA-256/HMAC/HKDF agree with @noble/hashes', () => {
  it('on random keys and messages of every length up to 300 bytes', async () => {
    const { hmac } = await import('@noble/hashes/hmac.js');
    const { hkdf } = await import('@noble/hashes/hkdf.js');
    const { sha256 } = await import('@noble/hashes/sha2.js');
    const rnd = (n: number) => crypto.getRandomValues(new Uint8Array(n));
    for (let len = 0; len <= 300; len++) {
      const key = rnd(len % 100);
      const msg = rnd(len);
      expect(bytesToHex(hmacSha256(key, msg))).toBe(bytesToHex(hmac(sha256, key, msg)));
      const salt = len % 3 === 0 ? undefined : rnd(len % 70);
      const info = rnd(len % 40);
      const L = 1 + (len % 100);
      expect(bytesToHex(hkdfSha256(msg, salt, info, L))).toBe(bytesToHex(hkdf(sha256, msg, salt, info, L)));
    }
  });
});
