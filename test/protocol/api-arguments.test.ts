// Every exported function refuses wrong-type and wrong-length inputs with a ProtocolError
// ('InvalidArgument', or 'InvalidKey' for key bytes) whose message names the argument.
import { describe, expect, it } from 'vitest';
import * as P from '../../src/protocol/index.js';

const id = P.IdentityKeyPair.generate();
const pub = id.publicKey;
const priv = id.privateKey;
const addr = new P.ProtocolAddress('bob', 1);
const store = new P.InMemorySignalProtocolStore(id, 1);
const [preKey] = P.generatePreKeys(1, 1);
const spk = await P.generateSignedPreKey(id, 1, 0);
const kpk = await P.generateKyberPreKey(id, 1, 0);
const bundle: P.PreKeyBundle = {
  registrationId: 1,
  deviceId: 1,
  preKeyId: 1,
  preKeyPublic: preKey.publicKey,
  signedPreKeyId: 1,
  signedPreKeyPublic: spk.publicKey,
  signedPreKeySignature: spk.signature,
  identityKey: pub,
  kyberPreKeyId: 1,
  kyberPreKeyPublic: kpk.publicKey,
  kyberPreKeySignature: kpk.signature,
};
const bytes = (n: number, first?: number) => {
  const b = new Uint8Array(n).fill(1);
  if (first !== undefined) b[0] = first;
  return b;
};
const any = (v: unknown) => v as any;
const badRng = () => new Uint8Array(3);

type Case = [label: string, call: () => unknown, code: P.ProtocolErrorCode, names: string];
const cases: Case[] = [
  ['PublicKey.deserialize(string)', () => P.PublicKey.deserialize(any('05ab')), 'InvalidArgument', 'publicKey'],
  ['PublicKey.deserialize(32 bytes)', () => P.PublicKey.deserialize(bytes(32, 5)), 'InvalidKey', 'publicKey'],
  ['PublicKey.deserialize(34 bytes)', () => P.PublicKey.deserialize(bytes(34, 5)), 'InvalidKey', 'publicKey'],
  ['PublicKey.deserialize(type 0x08)', () => P.PublicKey.deserialize(bytes(33, 8)), 'InvalidKey', 'publicKey'],
  ['PublicKey.deserialize(number[])', () => P.PublicKey.deserialize(any(Array(33).fill(5))), 'InvalidArgument', 'publicKey'],
  ['PublicKey.fromPublicKeyBytes(31)', () => P.PublicKey.fromPublicKeyBytes(bytes(31)), 'InvalidKey', 'publicKeyBytes'],
  ['PublicKey.verifySignature(message: string)', () => pub.verifySignature(any('m'), bytes(64)), 'InvalidArgument', 'message'],
  ['PublicKey.verifySignature(signature: 63)', () => pub.verifySignature(bytes(3), bytes(63)), 'InvalidArgument', 'signature'],
  ['PublicKey.verifySignature(signature: null)', () => pub.verifySignature(bytes(3), any(null)), 'InvalidArgument', 'signature'],
  ['PublicKey.equals(bytes)', () => pub.equals(any(bytes(33, 5))), 'InvalidArgument', 'other'],
  ['PrivateKey.generate(rng: number)', () => P.PrivateKey.generate(any(5)), 'InvalidArgument', 'rng'],
  ['PrivateKey.generate(rng short)', () => P.PrivateKey.generate(badRng), 'InvalidArgument', 'rng'],
  ['PrivateKey.deserialize(31)', () => P.PrivateKey.deserialize(bytes(31)), 'InvalidKey', 'privateKey'],
  ['PrivateKey.deserialize(33)', () => P.PrivateKey.deserialize(bytes(33)), 'InvalidKey', 'privateKey'],
  ['PrivateKey.deserialize(undefined)', () => P.PrivateKey.deserialize(any(undefined)), 'InvalidArgument', 'privateKey'],
  ['PrivateKey.sign(message: object)', () => priv.sign(any({})), 'InvalidArgument', 'message'],
  ['PrivateKey.sign(rng short)', () => priv.sign(bytes(3), badRng), 'InvalidArgument', 'rng'],
  ['PrivateKey.agree(bytes)', () => priv.agree(any(bytes(33, 5))), 'InvalidArgument', 'other'],
  ['new IdentityKeyPair(bytes, priv)', () => new P.IdentityKeyPair(any(bytes(33, 5)), priv), 'InvalidArgument', 'publicKey'],
  ['new IdentityKeyPair(pub, pub)', () => new P.IdentityKeyPair(pub, any(pub)), 'InvalidArgument', 'privateKey'],
  ['IdentityKeyPair.generate(rng short)', () => P.IdentityKeyPair.generate(badRng), 'InvalidArgument', 'rng'],
  ['IdentityKeyPair.deserialize(string)', () => P.IdentityKeyPair.deserialize(any('x')), 'InvalidArgument', 'identityKeyPair'],
  ['IdentityKeyPair.deserialize(garbage)', () => P.IdentityKeyPair.deserialize(bytes(10, 0xff)), 'InvalidKey', 'identity key pair'],
  ['KyberPublicKey.deserialize(1568)', () => P.KyberPublicKey.deserialize(bytes(1568, 8)), 'InvalidKey', 'kyberPublicKey'],
  ['KyberPublicKey.deserialize(type 0x05)', () => P.KyberPublicKey.deserialize(bytes(1569, 5)), 'InvalidKey', 'kyberPublicKey'],
  ['KyberPublicKey.deserialize(null)', () => P.KyberPublicKey.deserialize(any(null)), 'InvalidArgument', 'kyberPublicKey'],
  ['KyberKeyPair.deserialize(3168)', () => P.KyberKeyPair.deserialize(bytes(3168, 8)), 'InvalidKey', 'kyberKeyPair'],
  ['KyberKeyPair.deserialize(corrupted)', () => P.KyberKeyPair.deserialize(bytes(3169, 8)), 'InvalidKey', 'kyberKeyPair'],
  ['KyberKeyPair.generate(rng short)', () => P.KyberKeyPair.generate(badRng), 'InvalidArgument', 'rng'],
  ['new ProtocolAddress("", 1)', () => new P.ProtocolAddress('', 1), 'InvalidArgument', 'name'],
  ['new ProtocolAddress(5, 1)', () => new P.ProtocolAddress(any(5), 1), 'InvalidArgument', 'name'],
  ['new ProtocolAddress("a", -1)', () => new P.ProtocolAddress('a', -1), 'InvalidArgument', 'deviceId'],
  ['new ProtocolAddress("a", 1.5)', () => new P.ProtocolAddress('a', 1.5), 'InvalidArgument', 'deviceId'],
  ['new ProtocolAddress("a", "1")', () => new P.ProtocolAddress('a', any('1')), 'InvalidArgument', 'deviceId'],
  ['PreKeyRecord.new(-1)', () => P.PreKeyRecord.new(-1), 'InvalidArgument', 'id'],
  ['PreKeyRecord.new(1, bytes)', () => P.PreKeyRecord.new(1, any(bytes(32))), 'InvalidArgument', 'keyPair'],
  ['PreKeyRecord.deserialize(string)', () => P.PreKeyRecord.deserialize(any('x')), 'InvalidArgument', 'preKeyRecord'],
  ['PreKeyRecord.deserialize(garbage)', () => P.PreKeyRecord.deserialize(bytes(4, 0xff)), 'InvalidKey', 'prekey record'],
  ['SignedPreKeyRecord.deserialize(undefined)', () => P.SignedPreKeyRecord.deserialize(any(undefined)), 'InvalidArgument', 'signedPreKeyRecord'],
  ['SignedPreKeyRecord.deserialize(garbage)', () => P.SignedPreKeyRecord.deserialize(bytes(4, 0xff)), 'InvalidKey', 'signed prekey record'],
  ['new SignedPreKeyRecord(signature 63)', () => new P.SignedPreKeyRecord(1, 0, pub, priv, bytes(63)), 'InvalidArgument', 'signature'],
  ['KyberPreKeyRecord.deserialize(number)', () => P.KyberPreKeyRecord.deserialize(any(1)), 'InvalidArgument', 'kyberPreKeyRecord'],
  ['KyberPreKeyRecord.deserialize(garbage)', () => P.KyberPreKeyRecord.deserialize(bytes(4, 0xff)), 'InvalidKey', 'kyber prekey record'],
  ['SessionRecord.deserialize(string)', () => P.SessionRecord.deserialize(any('x')), 'InvalidArgument', 'sessionRecord'],
  ['SessionRecord.deserialize(garbage)', () => P.SessionRecord.deserialize(bytes(4, 0xff)), 'InvalidArgument', 'sessionRecord'],
  ['generateRegistrationId(rng: string)', () => P.generateRegistrationId(any('r')), 'InvalidArgument', 'rng'],
  ['generatePreKeys(-1, 1)', () => P.generatePreKeys(-1, 1), 'InvalidArgument', 'startId'],
  ['generatePreKeys(1, "2")', () => P.generatePreKeys(1, any('2')), 'InvalidArgument', 'count'],
  ['generatePreKeys(1, 1, rng short)', () => P.generatePreKeys(1, 1, badRng), 'InvalidArgument', 'rng'],
  ['generateSignedPreKey(publicKey, 1)', () => P.generateSignedPreKey(any(pub), 1), 'InvalidArgument', 'identity'],
  ['generateSignedPreKey(id, 2**32)', () => P.generateSignedPreKey(id, 2 ** 32), 'InvalidArgument', 'id'],
  ['generateSignedPreKey(id, 1, now: -5)', () => P.generateSignedPreKey(id, 1, -5), 'InvalidArgument', 'now'],
  ['generateKyberPreKey(null, 1)', () => P.generateKyberPreKey(any(null), 1), 'InvalidArgument', 'identity'],
  ['generateKyberPreKey(id, 1, now: "x")', () => P.generateKyberPreKey(id, 1, any('x')), 'InvalidArgument', 'now'],
  ['setCryptoBackend("fast")', () => P.setCryptoBackend(any('fast')), 'InvalidArgument', 'backend'],
  ['new InMemorySignalProtocolStore(pub, 1)', () => new P.InMemorySignalProtocolStore(any(pub), 1), 'InvalidArgument', 'identity'],
  ['new InMemorySignalProtocolStore(id, -1)', () => new P.InMemorySignalProtocolStore(id, -1), 'InvalidArgument', 'registrationId'],
  ['InMemorySignalProtocolStore.storePreKey(1, bytes)', () => store.storePreKey(1, any(bytes(3))), 'InvalidArgument', 'record'],
  ['InMemorySignalProtocolStore.saveIdentity(addr, bytes)', () => store.saveIdentity(addr, any(bytes(33, 5))), 'InvalidArgument', 'key'],
  ['InMemorySignalProtocolStore.loadSession("bob")', () => store.loadSession(any('bob')), 'InvalidArgument', 'address'],
  ['processPreKeyBundle(null)', () => P.processPreKeyBundle(any(null), addr, store), 'InvalidArgument', 'bundle'],
  ['processPreKeyBundle(registrationId "1")', () => P.processPreKeyBundle({ ...bundle, registrationId: any('1') }, addr, store), 'InvalidArgument', 'bundle.registrationId'],
  ['processPreKeyBundle(preKeyPublic bytes)', () => P.processPreKeyBundle({ ...bundle, preKeyPublic: any(bytes(33, 5)) }, addr, store), 'InvalidArgument', 'bundle.preKeyPublic'],
  ['processPreKeyBundle(preKeyId without key)', () => P.processPreKeyBundle({ ...bundle, preKeyPublic: undefined }, addr, store), 'InvalidArgument', 'bundle.preKeyId'],
  ['processPreKeyBundle(signedPreKeyPublic missing)', () => P.processPreKeyBundle({ ...bundle, signedPreKeyPublic: any(undefined) }, addr, store), 'InvalidArgument', 'bundle.signedPreKeyPublic'],
  ['processPreKeyBundle(signature 65)', () => P.processPreKeyBundle({ ...bundle, signedPreKeySignature: bytes(65) }, addr, store), 'InvalidArgument', 'bundle.signedPreKeySignature'],
  ['processPreKeyBundle(identityKey KyberPublicKey)', () => P.processPreKeyBundle({ ...bundle, identityKey: any(kpk.publicKey) }, addr, store), 'InvalidArgument', 'bundle.identityKey'],
  ['processPreKeyBundle(kyber half given)', () => P.processPreKeyBundle({ ...bundle, kyberPreKeySignature: undefined }, addr, store), 'InvalidArgument', 'bundle.kyberPreKeyId'],
  ['processPreKeyBundle(kyberPreKeyPublic is PublicKey)', () => P.processPreKeyBundle({ ...bundle, kyberPreKeyPublic: any(pub) }, addr, store), 'InvalidArgument', 'bundle.kyberPreKeyPublic'],
  ['processPreKeyBundle(address string)', () => P.processPreKeyBundle(bundle, any('bob.1'), store), 'InvalidArgument', 'address'],
  ['processPreKeyBundle(stores missing identity)', () => P.processPreKeyBundle(bundle, addr, any({ session: store })), 'InvalidArgument', 'stores.identity'],
  ['processPreKeyBundle(opts.now NaN)', () => P.processPreKeyBundle(bundle, addr, store, { now: NaN }), 'InvalidArgument', 'opts.now'],
  ['processPreKeyBundle(opts.rng string)', () => P.processPreKeyBundle(bundle, addr, store, { rng: any('r') }), 'InvalidArgument', 'opts.rng'],
  ['signalEncrypt(string)', () => P.signalEncrypt(any('hi'), addr, store), 'InvalidArgument', 'plaintext'],
  ['signalEncrypt(address object)', () => P.signalEncrypt(bytes(3), any({ name: 'bob', deviceId: 1 }), store), 'InvalidArgument', 'address'],
  ['signalEncrypt(stores null)', () => P.signalEncrypt(bytes(3), addr, any(null)), 'InvalidArgument', 'stores'],
  ['signalEncrypt(opts number)', () => P.signalEncrypt(bytes(3), addr, store, any(5)), 'InvalidArgument', 'opts'],
  ['signalDecrypt(number[])', () => P.signalDecrypt(any([1, 2, 3]), addr, store), 'InvalidArgument', 'body'],
  ['signalDecrypt(address null)', () => P.signalDecrypt(bytes(40, 0x44), any(null), store), 'InvalidArgument', 'address'],
  ['signalDecrypt(stores without session)', () => P.signalDecrypt(bytes(40, 0x44), addr, any({ identity: store })), 'InvalidArgument', 'stores.session'],
  ['signalDecryptPreKey(ArrayBuffer)', () => P.signalDecryptPreKey(any(new ArrayBuffer(4)), addr, store), 'InvalidArgument', 'body'],
  ['signalDecryptPreKey(stores without kyberPreKey)', () => P.signalDecryptPreKey(bytes(4), addr, any({ ...pick(store) , kyberPreKey: undefined })), 'InvalidArgument', 'stores.kyberPreKey'],
];

function pick(s: P.InMemorySignalProtocolStore): P.ProtocolStores {
  return { session: s, identity: s, preKey: s, signedPreKey: s, kyberPreKey: s };
}

describe('argument validation of every exported function', () => {
  it.each(cases)('%s', async (_label, call, code, names) => {
    let err: unknown;
    try {
      await call();
    } catch (e) {
      err = e;
    }
    expect(P.isProtocolError(err), `no ProtocolError: ${String(err)}`).toBe(true);
    expect((err as P.ProtocolError).code).toBe(code);
    expect((err as Error).message).toContain(names);
  });

  it('isProtocolError tells ProtocolErrors and codes apart without throwing', () => {
    const e = new P.ProtocolError('InvalidMessage', 'x');
    expect(P.isProtocolError(e)).toBe(true);
    expect(P.isProtocolError(e, 'InvalidMessage')).toBe(true);
    expect(P.isProtocolError(e, 'InvalidKey')).toBe(false);
    expect(P.isProtocolError(new Error('x'))).toBe(false);
    expect(P.isProtocolError(undefined)).toBe(false);
  });
});
