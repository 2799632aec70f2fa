// The Sender Keys, safety number and decryption-error entry points refuse wrong-type and wrong-length
// inputs with a ProtocolError 'InvalidArgument' whose message names the argument (as every other exported
// function does: api-arguments.test.ts).
import { describe, expect, it } from 'vitest';
import * as P from '../../src/protocol/index.js';

const DIST = 'd1d1d1d1-7000-11eb-b32a-33b8a8a487a6';
const addr = new P.ProtocolAddress('alice', 1);
const store = new P.InMemorySenderKeyStore();
const priv = P.PrivateKey.generate();
const pub = priv.getPublicKey();
const other = P.PrivateKey.generate().getPublicKey();
const any = (v: unknown) => v as any;
const bytes = (n: number) => new Uint8Array(n).fill(1);
const id = new TextEncoder().encode('alice');
const user = { identifier: id, identityKeys: [pub] };
const skm = await P.SenderKeyMessage.create(DIST, 1, 0, bytes(16), priv);
const scannable = P.Fingerprint.new(2, 2, id, pub, id, other).scannableFingerprint();

type Case = [label: string, call: () => unknown, names: string];
const cases: Case[] = [
  ['groupEncrypt(sender: plain object)', () => P.groupEncrypt(any({ name: 'a', deviceId: 1 }), DIST, bytes(1), store), 'sender'],
  ['groupEncrypt(distributionId: not a UUID)', () => P.groupEncrypt(addr, 'not-a-uuid', bytes(1), store), 'distributionId'],
  ['groupEncrypt(distributionId: number)', () => P.groupEncrypt(addr, any(42), bytes(1), store), 'distributionId'],
  ['groupEncrypt(plaintext: string)', () => P.groupEncrypt(addr, DIST, any('x'), store), 'plaintext'],
  ['groupEncrypt(store: {})', () => P.groupEncrypt(addr, DIST, bytes(1), any({})), 'store'],
  ['groupEncrypt(opts: string)', () => P.groupEncrypt(addr, DIST, bytes(1), store, any('x')), 'opts'],
  ['groupEncrypt(opts.rng: number)', () => P.groupEncrypt(addr, DIST, bytes(1), store, any({ rng: 5 })), 'opts.rng'],
  ['groupDecrypt(ciphertext: null)', () => P.groupDecrypt(any(null), addr, store), 'ciphertext'],
  ['groupDecrypt(sender: string)', () => P.groupDecrypt(skm.serialize(), any('alice'), store), 'sender'],
  ['groupDecrypt(store: null)', () => P.groupDecrypt(skm.serialize(), addr, any(null)), 'store'],
  ['createSenderKeyDistributionMessage(store: null)', () => P.createSenderKeyDistributionMessage(addr, DIST, any(null)), 'store'],
  ['createSenderKeyDistributionMessage(opts.rng short)', () => P.createSenderKeyDistributionMessage(addr, DIST, new P.InMemorySenderKeyStore(), { rng: () => bytes(3) }), 'opts.rng'],
  ['processSenderKeyDistributionMessage(message: string)', () => P.processSenderKeyDistributionMessage(addr, any('x'), store), 'message'],
  ['processSenderKeyDistributionMessage(sender: undefined)', () => P.processSenderKeyDistributionMessage(any(undefined), bytes(3), store), 'sender'],
  ['rotateSenderKey(distributionId: bad digit)', () => P.rotateSenderKey(addr, 'g1d1d1d1-7000-11eb-b32a-33b8a8a487a6', store), 'distributionId'],
  ['InMemorySenderKeyStore.storeSenderKey(record: {})', () => store.storeSenderKey(addr, DIST, any({})), 'record'],
  ['InMemorySenderKeyStore.loadSenderKey(sender: {})', () => store.loadSenderKey(any({}), DIST), 'sender'],
  ['SenderKeyDistributionMessage.create(chainKey: 31)', () => P.SenderKeyDistributionMessage.create(DIST, 1, 0, bytes(31), pub), 'chainKey'],
  ['SenderKeyDistributionMessage.create(chainId: -1)', () => P.SenderKeyDistributionMessage.create(DIST, -1, 0, bytes(32), pub), 'chainId'],
  ['SenderKeyDistributionMessage.create(iteration: 2^32)', () => P.SenderKeyDistributionMessage.create(DIST, 1, 2 ** 32, bytes(32), pub), 'iteration'],
  ['SenderKeyDistributionMessage.create(signingKey: bytes)', () => P.SenderKeyDistributionMessage.create(DIST, 1, 0, bytes(32), any(pub.serialize())), 'signingKey'],
  ['SenderKeyDistributionMessage.deserialize(string)', () => P.SenderKeyDistributionMessage.deserialize(any('33')), 'senderKeyDistributionMessage'],
  ['SenderKeyMessage.create(signingKey: PublicKey)', () => P.SenderKeyMessage.create(DIST, 1, 0, bytes(16), any(pub)), 'signingKey'],
  ['SenderKeyMessage.create(ciphertext: string)', () => P.SenderKeyMessage.create(DIST, 1, 0, any('x'), priv), 'ciphertext'],
  ['SenderKeyMessage.create(distributionId: braces)', () => P.SenderKeyMessage.create(`{${DIST}}`, 1, 0, bytes(16), priv), 'distributionId'],
  ['SenderKeyMessage.deserialize(number)', () => P.SenderKeyMessage.deserialize(any(7)), 'senderKeyMessage'],
  ['SenderKeyMessage.verifySignature(bytes)', () => skm.verifySignature(any(pub.serialize())), 'signingKey'],
  ['SenderKeyRecord.deserialize(string)', () => P.SenderKeyRecord.deserialize(any('0a')), 'senderKeyRecord'],
  ['Fingerprint.new(iterations: 1)', () => P.Fingerprint.new(1, 2, id, pub, id, other), 'iterations'],
  ['Fingerprint.new(version: -1)', () => P.Fingerprint.new(2, -1, id, pub, id, other), 'version'],
  ['Fingerprint.new(localIdentifier: string)', () => P.Fingerprint.new(2, 2, any('alice'), pub, id, other), 'localIdentifier'],
  ['Fingerprint.new(remoteIdentifier: null)', () => P.Fingerprint.new(2, 2, id, pub, any(null), other), 'remoteIdentifier'],
  ['Fingerprint.new(localKey: bytes)', () => P.Fingerprint.new(2, 2, id, any(pub.serialize()), id, other), 'localKey'],
  ['Fingerprint.new(remoteKey: PrivateKey)', () => P.Fingerprint.new(2, 2, id, pub, id, any(priv)), 'remoteKey'],
  ['Fingerprint.forUsers(local: null)', () => P.Fingerprint.forUsers(any(null), user), 'local'],
  ['Fingerprint.forUsers(local.identityKeys: [])', () => P.Fingerprint.forUsers({ identifier: id, identityKeys: [] }, user), 'local.identityKeys'],
  ['Fingerprint.forUsers(remote.identityKeys[1]: bytes)', () => P.Fingerprint.forUsers(user, { identifier: id, identityKeys: [pub, any(bytes(33))] }), 'remote.identityKeys[1]'],
  ['Fingerprint.forUsers(remote.identifier: string)', () => P.Fingerprint.forUsers(user, { identifier: any('bob'), identityKeys: [other] }), 'remoteIdentifier'],
  ['Fingerprint.forUsers(opts: string)', () => P.Fingerprint.forUsers(user, user, any('x')), 'opts'],
  ['Fingerprint.forUsers(opts.iterations: 0)', () => P.Fingerprint.forUsers(user, user, { iterations: 0 }), 'iterations'],
  ['ScannableFingerprint.compare(string)', () => scannable.compare(any('0802')), 'theirs'],
  ['DecryptionErrorMessage.forOriginal(originalBytes: string)', () => P.DecryptionErrorMessage.forOriginal(any('x'), 7, 1, 1), 'originalBytes'],
  ['DecryptionErrorMessage.forOriginal(timestamp: -1)', () => P.DecryptionErrorMessage.forOriginal(bytes(3), 7, -1, 1), 'timestamp'],
  ['DecryptionErrorMessage.forOriginal(timestamp: 1.5)', () => P.DecryptionErrorMessage.forOriginal(bytes(3), 7, 1.5, 1), 'timestamp'],
  ['DecryptionErrorMessage.forOriginal(originalSenderDeviceId: 2^32)', () => P.DecryptionErrorMessage.forOriginal(bytes(3), 7, 1, 2 ** 32), 'originalSenderDeviceId'],
  ['DecryptionErrorMessage.forOriginal(type: 8, plaintext)', () => P.DecryptionErrorMessage.forOriginal(bytes(3), any(8), 1, 1), 'type'],
  ['DecryptionErrorMessage.forOriginal(type: 1)', () => P.DecryptionErrorMessage.forOriginal(bytes(3), any(1), 1, 1), 'type'],
  ['DecryptionErrorMessage.deserialize(null)', () => P.DecryptionErrorMessage.deserialize(any(null)), 'decryptionErrorMessage'],
  ['DecryptionErrorMessage.extractFromSerializedBody(string)', () => P.DecryptionErrorMessage.extractFromSerializedBody(any('80')), 'body'],
  ['PlaintextContent.from({})', () => P.PlaintextContent.from(any({})), 'message'],
  ['PlaintextContent.deserialize(number[])', () => P.PlaintextContent.deserialize(any([0xc0])), 'plaintextContent'],
  ['currentRatchetKeyMatches(record: {})', () => P.currentRatchetKeyMatches(any({}), pub), 'record'],
  ['currentRatchetKeyMatches(ratchetKey: bytes)', () => P.currentRatchetKeyMatches(new P.SessionRecord(), any(pub.serialize())), 'ratchetKey'],
];

describe('argument validation of the Sender Keys, safety number and decryption-error functions', () => {
  it.each(cases)('%s', async (_label, call, names) => {
    let err: unknown;
    try {
      await call();
    } catch (e) {
      err = e;
    }
    expect(P.isProtocolError(err), `no ProtocolError: ${String(err)}`).toBe(true);
    expect((err as P.ProtocolError).code).toBe('InvalidArgument');
    expect((err as Error).message).toContain(`"${names}"`);
  });
});
