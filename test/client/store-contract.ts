/**
 * The ClientStore contract, written once and run against every store: the memory and file stores under
 * vitest (stores.test.ts) and the IndexedDB store inside Chromium (test/browser/indexeddb-store.test.ts
 * bundles this module into a page). It imports neither vitest nor node:*, so it runs in both places; the
 * caller supplies the assertions (`Check`).
 */
import { createContent } from '../../src/client/content.js';
import type { ClientStore, StoredMessage } from '../../src/client/stores/types.js';
import {
  createSenderKeyDistributionMessage,
  generateKyberPreKey,
  groupDecrypt,
  groupEncrypt,
  processSenderKeyDistributionMessage,
  generatePreKeys,
  generateRegistrationId,
  generateSignedPreKey,
  IdentityKeyPair,
  isProtocolError,
  ProtocolAddress,
  processPreKeyBundle,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
} from '../../src/protocol/index.js';

export interface Check {
  /** Deep equality. */
  equal(actual: unknown, expected: unknown, what: string): void;
  ok(condition: boolean, what: string): void;
  rejects(promise: Promise<unknown>, predicate: (e: unknown) => boolean, what: string): Promise<void>;
}

export interface StoreFactory {
  /** A fresh, empty store. */
  make(): Promise<ClientStore>;
  /** For persistent stores: the same store as a restarted app opens it (closing the first where that applies). */
  reopen?(store: ClientStore): Promise<ClientStore>;
}

export interface ContractCase {
  name: string;
  /** Only for stores that persist (`reopen`). */
  persistent?: boolean;
  run(f: StoreFactory, check: Check): Promise<void>;
}

const te = new TextEncoder();
const td = new TextDecoder();

/** A device with keys in `store`, and its bundle. */
async function device(store: ClientStore) {
  const identity = IdentityKeyPair.generate();
  const reg = generateRegistrationId();
  await store.initializeIdentity(identity, reg);
  const [pk] = generatePreKeys(1, 1);
  const spk = await generateSignedPreKey(identity, 1);
  const kpk = await generateKyberPreKey(identity, 1);
  await store.storePreKey(1, pk);
  await store.storeSignedPreKey(1, spk);
  await store.storeKyberPreKey(1, kpk);
  return {
    identity,
    bundle: {
      registrationId: reg,
      deviceId: 1,
      preKeyId: 1,
      preKeyPublic: pk.publicKey,
      signedPreKeyId: 1,
      signedPreKeyPublic: spk.publicKey,
      signedPreKeySignature: spk.signature,
      identityKey: identity.publicKey,
      kyberPreKeyId: 1,
      kyberPreKeyPublic: kpk.publicKey,
      kyberPreKeySignature: kpk.signature,
    },
  };
}

const msg = (id: string, conversationId = 'c1', envelopeId: string | null = `e-${id}`): StoredMessage => ({
  id,
  conversationId,
  senderUserId: 'u',
  senderDeviceId: 1,
  envelopeId,
  serverMessageId: id,
  content: createContent(`body ${id}`, { sentAt: 1 }),
  timestamp: new Date(0).toISOString(),
  outgoing: false,
});

export const storeContract: ContractCase[] = [
  {
    name: 'implements the protocol stores: a session set up through it carries messages both ways',
    async run({ make }, check) {
      const a = await make();
      const b = await make();
      await device(a);
      const bob = await device(b);
      const toBob = new ProtocolAddress('bob', 1);
      const toAlice = new ProtocolAddress('alice', 1);
      await processPreKeyBundle(bob.bundle, toBob, a);
      const m1 = await signalEncrypt(te.encode('one'), toBob, a);
      check.equal(m1.type, 3, 'first message type (PreKey)');
      check.equal(td.decode(await signalDecryptPreKey(m1.body, toAlice, b)), 'one', 'first plaintext');
      await check.rejects(b.loadPreKey(1), (e) => isProtocolError(e, 'InvalidPreKeyId'), 'the used one-time prekey is gone');
      const r1 = await signalEncrypt(te.encode('two'), toAlice, b);
      check.equal(td.decode(await signalDecrypt(r1.body, toBob, a)), 'two', 'reply plaintext');
      check.equal(await a.sessionDeviceIds('bob'), [1], 'session device ids');
    },
  },
  {
    name: 'trusts an identity on first use and refuses a changed one until trustIdentity()',
    async run({ make }, check) {
      const s = await make();
      await device(s);
      const addr = new ProtocolAddress('carol', 2);
      const k1 = IdentityKeyPair.generate().publicKey;
      const k2 = IdentityKeyPair.generate().publicKey;
      check.equal(await s.isTrustedIdentity(addr, k1, 'sending'), true, 'an unknown key is trusted');
      check.equal(await s.saveIdentity(addr, k1), false, 'first save reports no change');
      check.equal(await s.isTrustedIdentity(addr, k2, 'sending'), false, 'a changed key is not trusted');
      check.equal(await s.saveIdentity(addr, k2), true, 'saving a changed key reports the change');
      check.ok((await s.getIdentity(addr))!.equals(k1), 'the changed key is not recorded');
      await s.trustIdentity(addr, k2.serialize());
      check.equal(await s.isTrustedIdentity(addr, k2, 'receiving'), true, 'trusted after trustIdentity()');
    },
  },
  {
    name: 'keeps a message once per id and remembers processed envelopes',
    async run({ make }, check) {
      const s = await make();
      check.equal(await s.saveMessage(msg('m1')), true, 'first save');
      check.equal(await s.saveMessage(msg('m1', 'c1', 'e-other')), false, 'second save of the same id');
      check.equal(await s.saveMessage(msg('m2')), true, 'another message');
      check.equal(await s.saveMessage(msg('m3', 'c2')), true, 'a message of another conversation');
      check.equal((await s.listMessages('c1')).map((m) => m.id), ['m1', 'm2'], 'messages of c1 in order');
      check.equal((await s.getMessage('m3'))!.conversationId, 'c2', 'message found by id');
      check.equal(await s.hasProcessedEnvelope('e-m1'), true, 'envelope of a stored message is processed');
      check.equal(await s.hasProcessedEnvelope('e-nope'), false, 'unknown envelope');
    },
  },
  {
    name: 'forgets the messages of one conversation, and only those (a message request answered with DELETE)',
    async run({ make }, check) {
      const s = await make();
      await s.saveMessage(msg('m1'));
      await s.saveMessage(msg('m2'));
      await s.saveMessage(msg('m3', 'c2'));
      check.equal(await s.removeConversationMessages('c1'), 2, 'two removed');
      check.equal(await s.listMessages('c1'), [], 'c1 is empty');
      check.equal(await s.getMessage('m1'), null, 'not found by id either');
      check.equal((await s.listMessages('c2')).map((m) => m.id), ['m3'], 'c2 kept');
      check.equal(await s.hasProcessedEnvelope('e-m1'), true, 'its envelopes stay processed (a redelivery is not shown again)');
    },
  },
  {
    name: 'keeps the verified identity keys of a user, sorted, until forgotten',
    persistent: true,
    async run({ make, reopen }, check) {
      const s = await make();
      check.equal(await s.getVerifiedKeys('bob'), null, 'nothing verified');
      await s.setVerifiedKeys('bob', ['BQk=', 'BQE=']);
      await s.setVerifiedKeys('carol', ['BQI=']);
      const again = await reopen!(s);
      check.equal(await again.getVerifiedKeys('bob'), ['BQE=', 'BQk='], 'read back after a restart, sorted');
      await again.setVerifiedKeys('bob', null);
      check.equal(await again.getVerifiedKeys('bob'), null, 'forgotten');
      check.equal(await again.getVerifiedKeys('carol'), ['BQI='], 'another user kept');
    },
  },
  {
    name: 'holds session writes back until commit in withDeferredSessions',
    async run({ make }, check) {
      const s = await make();
      await device(s);
      const other = await make();
      const peer = await device(other);
      const addr = new ProtocolAddress('peer', 1);
      await s.withDeferredSessions(async (stores) => {
        await processPreKeyBundle(peer.bundle, addr, stores);
        check.ok((await stores.session.loadSession(addr)) !== null, 'visible inside');
      });
      check.equal(await s.loadSession(addr), null, 'dropped without commit');
      await s.withDeferredSessions(async (stores, commit) => {
        await processPreKeyBundle(peer.bundle, addr, stores);
        await commit();
      });
      check.ok((await s.loadSession(addr)) !== null, 'kept after commit');
    },
  },
  {
    name: 'survives a restart: identity, sessions, credentials and messages are read back',
    persistent: true,
    async run({ make, reopen }, check) {
      const a = await make();
      const b = await make();
      const alice = await device(a);
      const bob = await device(b);
      const toBob = new ProtocolAddress('bob', 1);
      const toAlice = new ProtocolAddress('alice', 1);
      await processPreKeyBundle(bob.bundle, toBob, a);
      const m1 = await signalEncrypt(te.encode('before'), toBob, a);
      await signalDecryptPreKey(m1.body, toAlice, b);
      await a.setCredentials({ userId: 'alice', username: 'alice', deviceUuid: 'x', deviceId: 1, deviceCredential: 's' });
      await a.saveMessage(msg('m1'));

      const reopened = await reopen!(a);
      check.ok((await reopened.getIdentityKeyPair()).publicKey.equals(alice.identity.publicKey), 'identity read back');
      check.equal((await reopened.getCredentials())!.deviceCredential, 's', 'credentials read back');
      check.equal((await reopened.listMessages('c1')).map((m) => m.id), ['m1'], 'messages read back');
      const r = await signalEncrypt(te.encode('after restart'), toAlice, b);
      check.equal(td.decode(await signalDecrypt(r.body, toBob, reopened)), 'after restart', 'decrypts with the stored session');
      const m2 = await signalEncrypt(te.encode('and back'), toBob, reopened);
      check.equal(td.decode(await signalDecrypt(m2.body, toAlice, b)), 'and back', 'encrypts with the stored session');
    },
  },
  {
    name: 'keeps the last of concurrent writes to one key',
    async run({ make }, check) {
      const s = await make();
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => s.setCredentials({ userId: `u${i}`, username: 'x', deviceUuid: 'd', deviceId: 1, deviceCredential: 's' })),
      );
      check.equal((await s.getCredentials())!.userId, 'u29', 'last write wins');
    },
  },
  {
    name: 'persists sender keys, group send state and sender key bindings: a group chain survives a restart on both sides',
    persistent: true,
    async run({ make, reopen }, check) {
      const a = await make();
      const b = await make();
      const alice = new ProtocolAddress('alice', 1);
      const dist = '0b9b0c8e-6a5e-4d2b-9b38-3f1f0c0e7a11';
      check.equal(await a.loadSenderKey(alice, dist), null, 'no sender key yet');
      const skdm = await createSenderKeyDistributionMessage(alice, dist, a);
      await processSenderKeyDistributionMessage(alice, skdm.serialize(), b);
      const m1 = await groupEncrypt(alice, dist, te.encode('one'), a);
      await a.setGroupSendState('conv-1', { distributionId: dist, distributedTo: { 'dev-b': 42 } });
      await b.setSenderKeyConversation(alice, dist, 'conv-1');
      const a2 = await reopen!(a);
      const b2 = await reopen!(b);
      const m2 = await groupEncrypt(alice, dist, te.encode('two'), a2);
      check.equal(td.decode(await groupDecrypt(m2.body, alice, b2)), 'two', 'the sender continues its chain after a restart');
      check.equal(td.decode(await groupDecrypt(m1.body, alice, b2)), 'one', 'the receiver kept the chain (and the skipped key)');
      check.equal(await a2.getGroupSendState('conv-1'), { distributionId: dist, distributedTo: { 'dev-b': 42 } }, 'group send state');
      check.equal(await b2.getSenderKeyConversation(alice, dist), 'conv-1', 'binding');
      check.equal(await b2.getSenderKeyConversation(new ProtocolAddress('alice', 2), dist), null, 'per sender device');
      await a2.setGroupSendState('conv-1', null);
      check.equal(await a2.getGroupSendState('conv-1'), null, 'forgotten');
    },
  },
];
