// Safety numbers: libsignal's published fingerprint vectors, equality with libsignal-client 0.72.1, 0.90.0
// and 0.103.0 (test-only oracles) for random keys and identifiers, scannable comparison, and the
// multi-device definition of docs/protocol-api.md "Safety numbers", checked against an independent
// computation from that definition with node:crypto.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as P from '../../src/protocol/index.js';
import { LIBSIGNAL_VERSIONS } from './interop/sender-key-peers.js';
import { hex, Rand } from './interop/util.js';

const vec = JSON.parse(readFileSync(new URL('../vectors/libsignal-fingerprint.json', import.meta.url), 'utf8'));
const fromHex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const utf8 = (s: string) => new TextEncoder().encode(s);
const aliceKey = P.PublicKey.deserialize(fromHex(vec.aliceIdentity));
const bobKey = P.PublicKey.deserialize(fromHex(vec.bobIdentity));
const aliceId = utf8(vec.aliceStableId);
const bobId = utf8(vec.bobStableId);

function thrownCode(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (e) {
    return P.isProtocolError(e) ? e.code : `not a ProtocolError: ${String(e)}`;
  }
}

describe("libsignal's fingerprint vectors", () => {
  it.each(vec.versions as { version: number; aliceScannable: string; bobScannable: string }[])('version $version: displayable and scannable from both sides', (v) => {
    const a = P.Fingerprint.new(vec.iterations, v.version, aliceId, aliceKey, bobId, bobKey);
    const b = P.Fingerprint.new(vec.iterations, v.version, bobId, bobKey, aliceId, aliceKey);
    expect(a.displayableFingerprint().toString()).toBe(vec.displayable);
    expect(b.displayableFingerprint().toString()).toBe(vec.displayable);
    expect(hex(a.scannableFingerprint().serialize())).toBe(v.aliceScannable);
    expect(hex(b.scannableFingerprint().serialize())).toBe(v.bobScannable);
    expect(a.scannableFingerprint().compare(b.scannableFingerprint())).toBe(true);
    expect(b.scannableFingerprint().compare(fromHex(v.aliceScannable))).toBe(true);
    expect(a.scannableFingerprint().compare(a.scannableFingerprint())).toBe(false);
  });

  it('encodes the scannable protobuf of the fingerprint_encodings vector', () => {
    const e = vec.scannableEncoding;
    const s = P.ScannableFingerprint.fromHashes(e.version, fromHex(e.local), fromHex(e.remote));
    expect(hex(s.serialize())).toBe(e.encoding);
  });

  it.each(LIBSIGNAL_VERSIONS)('are what $impl computes too (the vectors are current)', ({ lib }) => {
    for (const v of vec.versions) {
      const f = lib.Fingerprint.new(vec.iterations, v.version, Buffer.from(aliceId), lib.PublicKey.deserialize(Buffer.from(aliceKey.serialize())), Buffer.from(bobId), lib.PublicKey.deserialize(Buffer.from(bobKey.serialize())));
      expect(f.displayableFingerprint().toString()).toBe(vec.displayable);
      expect(hex(f.scannableFingerprint().toBuffer())).toBe(v.aliceScannable);
    }
  });
});

describe.each(LIBSIGNAL_VERSIONS)('safety numbers equal to $impl', ({ lib }) => {
  it('for random keys and identifiers: the same 60 digits and the same scannable bytes, and each accepts the other side\'s scan', () => {
    const rand = new Rand(5200);
    for (let n = 0; n < 6; n++) {
      const ka = P.PrivateKey.generate().getPublicKey();
      const kb = P.PrivateKey.generate().getPublicKey();
      const ia = n === 0 ? new Uint8Array(0) : rand.bytes(rand.int(1, 40));
      const ib = rand.bytes(16);
      const L = (k: P.PublicKey) => lib.PublicKey.deserialize(Buffer.from(k.serialize()));
      const theirs = lib.Fingerprint.new(P.FINGERPRINT_ITERATIONS, P.FINGERPRINT_VERSION, Buffer.from(ia), L(ka), Buffer.from(ib), L(kb));
      const mine = P.Fingerprint.new(P.FINGERPRINT_ITERATIONS, P.FINGERPRINT_VERSION, ia, ka, ib, kb);
      expect(mine.displayableFingerprint().toString()).toBe(theirs.displayableFingerprint().toString());
      expect(mine.displayableFingerprint().toString()).toMatch(/^\d{60}$/);
      expect(hex(mine.scannableFingerprint().serialize())).toBe(hex(theirs.scannableFingerprint().toBuffer()));
      // the other party's view, computed by the other implementation
      const theirsReversed = lib.Fingerprint.new(P.FINGERPRINT_ITERATIONS, P.FINGERPRINT_VERSION, Buffer.from(ib), L(kb), Buffer.from(ia), L(ka));
      expect(mine.scannableFingerprint().compare(new Uint8Array(theirsReversed.scannableFingerprint().toBuffer()))).toBe(true);
      const mineReversed = P.Fingerprint.new(P.FINGERPRINT_ITERATIONS, P.FINGERPRINT_VERSION, ib, kb, ia, ka);
      expect(theirs.scannableFingerprint().compare(lib.ScannableFingerprint._fromBuffer(Buffer.from(mineReversed.scannableFingerprint().serialize())))).toBe(true);
    }
  });

  it('for other iteration counts and versions', () => {
    const ka = P.PrivateKey.generate().getPublicKey();
    const kb = P.PrivateKey.generate().getPublicKey();
    for (const [iterations, version] of [
      [2, 0],
      [1024, 1],
      [5201, 300],
    ]) {
      const theirs = lib.Fingerprint.new(iterations, version, Buffer.from('a'), lib.PublicKey.deserialize(Buffer.from(ka.serialize())), Buffer.from('b'), lib.PublicKey.deserialize(Buffer.from(kb.serialize())));
      const mine = P.Fingerprint.new(iterations, version, utf8('a'), ka, utf8('b'), kb);
      expect(mine.displayableFingerprint().toString()).toBe(theirs.displayableFingerprint().toString());
      expect(hex(mine.scannableFingerprint().serialize())).toBe(hex(theirs.scannableFingerprint().toBuffer()));
    }
  });
});

describe('scannable fingerprint comparison', () => {
  const a = P.Fingerprint.new(1024, 2, aliceId, aliceKey, bobId, bobKey);

  it('does not match when either side saw another key (a man in the middle) or another identifier', () => {
    const mitm = P.PrivateKey.generate().getPublicKey();
    const bobSawMitm = P.Fingerprint.new(1024, 2, bobId, bobKey, aliceId, mitm);
    expect(a.scannableFingerprint().compare(bobSawMitm.scannableFingerprint())).toBe(false);
    expect(a.displayableFingerprint().toString()).not.toBe(bobSawMitm.displayableFingerprint().toString());
    const otherId = P.Fingerprint.new(1024, 2, bobId, bobKey, utf8('+141512222222'), aliceKey);
    expect(a.scannableFingerprint().compare(otherId.scannableFingerprint())).toBe(false);
  });

  it('refuses a scan of another version or one that does not parse, as libsignal does', () => {
    const v1 = P.Fingerprint.new(1024, 1, bobId, bobKey, aliceId, aliceKey);
    expect(thrownCode(() => a.scannableFingerprint().compare(v1.scannableFingerprint()))).toBe('FingerprintVersionMismatch');
    expect(thrownCode(() => a.scannableFingerprint().compare(new Uint8Array(0)))).toBe('FingerprintVersionMismatch'); // version 0
    expect(thrownCode(() => a.scannableFingerprint().compare(fromHex('0802')))).toBe('FingerprintParsingError');
    expect(thrownCode(() => a.scannableFingerprint().compare(fromHex('080212220a20' + '00'.repeat(32))))).toBe('FingerprintParsingError');
    expect(thrownCode(() => a.scannableFingerprint().compare(fromHex('ff')))).toBe('FingerprintParsingError');
    expect(thrownCode(() => a.scannableFingerprint().compare('0802' as never))).toBe('InvalidArgument');
  });

  it.each(LIBSIGNAL_VERSIONS)('classifies the same bad scans as $impl does', ({ lib }) => {
    const theirs = lib.Fingerprint.new(1024, 2, Buffer.from(aliceId), lib.PublicKey.deserialize(Buffer.from(aliceKey.serialize())), Buffer.from(bobId), lib.PublicKey.deserialize(Buffer.from(bobKey.serialize())));
    for (const [bad, want] of [
      ['', /version/],
      ['0801', /version/],
      ['0802', /parsing/],
      ['ff', /parsing/],
    ] as const) {
      expect(() => theirs.scannableFingerprint().compare(lib.ScannableFingerprint._fromBuffer(Buffer.from(bad, 'hex')))).toThrow(want);
      const code = thrownCode(() => a.scannableFingerprint().compare(fromHex(bad)));
      expect(code).toBe(want.source === 'version' ? 'FingerprintVersionMismatch' : 'FingerprintParsingError');
    }
  });

  it('refuses iteration counts libsignal-client refuses, and wrong argument types', () => {
    for (const iterations of [0, 1, 1_000_001, 1.5, -5]) expect(thrownCode(() => P.Fingerprint.new(iterations, 2, aliceId, aliceKey, bobId, bobKey)), `${iterations}`).toBe('InvalidArgument');
    expect(thrownCode(() => P.Fingerprint.new(5200, 2, 'alice' as never, aliceKey, bobId, bobKey))).toBe('InvalidArgument');
    expect(thrownCode(() => P.Fingerprint.new(5200, 2, aliceId, aliceKey.serialize() as never, bobId, bobKey))).toBe('InvalidArgument');
    expect(thrownCode(() => P.Fingerprint.new(5200, -1, aliceId, aliceKey, bobId, bobKey))).toBe('InvalidArgument');
  });
});

describe("a user's safety number over their devices (docs/protocol-api.md)", () => {
  const keys = (n: number) => Array.from({ length: n }, () => P.PrivateKey.generate().getPublicKey());
  const alice = { identifier: utf8('alice-user-id'), identityKeys: keys(3) };
  const bob = { identifier: utf8('bob-user-id'), identityKeys: keys(2) };
  const opts = { iterations: 1024 };
  const digits = (f: P.Fingerprint) => f.displayableFingerprint().toString();

  /** The definition, computed independently: SHA-512 from node:crypto over the sorted distinct keys. */
  function expectedHalf(identifier: Uint8Array, identityKeys: P.PublicKey[], iterations: number): { digits: string; content: string } {
    const sorted = [...new Set(identityKeys.map((k) => hex(k.serialize())))].sort();
    const keyBytes = Buffer.from(sorted.join(''), 'hex');
    let hash = Buffer.concat([Buffer.from([0, 0]), keyBytes, Buffer.from(identifier)]);
    for (let i = 0; i < iterations; i++) hash = createHash('sha512').update(hash).update(keyBytes).digest();
    let d = '';
    for (let c = 0; c < 6; c++) d += String(Number(hash.readUIntBE(c * 5, 5) % 100000)).padStart(5, '0');
    return { digits: d, content: hash.subarray(0, 32).toString('hex') };
  }

  it('is the fingerprint over each side\'s sorted, distinct device keys, as documented', () => {
    const f = P.Fingerprint.forUsers(alice, bob, opts);
    const a = expectedHalf(alice.identifier, alice.identityKeys, opts.iterations);
    const b = expectedHalf(bob.identifier, bob.identityKeys, opts.iterations);
    expect(digits(f)).toBe(a.digits < b.digits ? a.digits + b.digits : b.digits + a.digits);
    expect(hex(f.scannableFingerprint().serialize())).toBe(`0802` + `12220a20${a.content}` + `1a220a20${b.content}`);
  });

  it('does not depend on the order or repetition of the device keys', () => {
    const base = digits(P.Fingerprint.forUsers(alice, bob, opts));
    const shuffled = { identifier: alice.identifier, identityKeys: [alice.identityKeys[2], alice.identityKeys[0], alice.identityKeys[1], alice.identityKeys[0]] };
    expect(digits(P.Fingerprint.forUsers(shuffled, { ...bob, identityKeys: [...bob.identityKeys].reverse() }, opts))).toBe(base);
  });

  it('is the same number on both users\' screens, and their scans match', () => {
    const mine = P.Fingerprint.forUsers(alice, bob, opts);
    const theirs = P.Fingerprint.forUsers(bob, alice, opts);
    expect(digits(mine)).toBe(digits(theirs));
    expect(mine.scannableFingerprint().compare(theirs.scannableFingerprint())).toBe(true);
  });

  it('changes when any device key of either user changes, or a device is added or removed', () => {
    const base = digits(P.Fingerprint.forUsers(alice, bob, opts));
    const seen = new Set([base]);
    for (const who of ['alice', 'bob'] as const) {
      const user = who === 'alice' ? alice : bob;
      for (let i = 0; i < user.identityKeys.length; i++) {
        const changed = { ...user, identityKeys: user.identityKeys.map((k, j) => (j === i ? P.PrivateKey.generate().getPublicKey() : k)) };
        const f = who === 'alice' ? P.Fingerprint.forUsers(changed, bob, opts) : P.Fingerprint.forUsers(alice, changed, opts);
        seen.add(digits(f));
      }
    }
    seen.add(digits(P.Fingerprint.forUsers({ ...alice, identityKeys: [...alice.identityKeys, P.PrivateKey.generate().getPublicKey()] }, bob, opts)));
    seen.add(digits(P.Fingerprint.forUsers({ ...alice, identityKeys: alice.identityKeys.slice(1) }, bob, opts)));
    expect(seen.size).toBe(1 + 5 + 2);
  });

  it.each(LIBSIGNAL_VERSIONS)('with one device per user is exactly the number $impl shows for the two keys', ({ lib }) => {
    const [ka] = keys(1);
    const [kb] = keys(1);
    const L = (k: P.PublicKey) => lib.PublicKey.deserialize(Buffer.from(k.serialize()));
    const theirs = lib.Fingerprint.new(5200, 2, Buffer.from(alice.identifier), L(ka), Buffer.from(bob.identifier), L(kb));
    const mine = P.Fingerprint.forUsers({ identifier: alice.identifier, identityKeys: [ka] }, { identifier: bob.identifier, identityKeys: [kb] });
    expect(digits(mine)).toBe(theirs.displayableFingerprint().toString());
    expect(hex(mine.scannableFingerprint().serialize())).toBe(hex(theirs.scannableFingerprint().toBuffer()));
  });

  it('refuses an empty device list, too many devices and keys that are not PublicKeys', () => {
    expect(thrownCode(() => P.Fingerprint.forUsers({ ...alice, identityKeys: [] }, bob, opts))).toBe('InvalidArgument');
    expect(thrownCode(() => P.Fingerprint.forUsers({ ...alice, identityKeys: keys(P.MAX_FINGERPRINT_KEYS + 1) }, bob, opts))).toBe('InvalidArgument');
    expect(thrownCode(() => P.Fingerprint.forUsers({ ...alice, identityKeys: [alice.identityKeys[0].serialize()] as never }, bob, opts))).toBe('InvalidArgument');
    expect(thrownCode(() => P.Fingerprint.forUsers(null as never, bob, opts))).toBe('InvalidArgument');
  });
});
