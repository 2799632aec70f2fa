import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createContent } from '../../src/client/content.js';
import { createFileStore } from '../../src/client/stores/file-store.js';
import type { KeyValueClientStore } from '../../src/client/stores/kv-store.js';
import { createMemoryStore } from '../../src/client/stores/memory-store.js';
import type { StoredMessage } from '../../src/client/stores/types.js';
import {
  generateKyberPreKey,
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

const dirs: string[] = [];
async function tempDir() {
  const d = await mkdtemp(join(tmpdir(), 'client-store-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const te = new TextEncoder();
const td = new TextDecoder();

/** A device with keys in `store`, and its bundle. */
async function device(store: KeyValueClientStore) {
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

describe.each([
  ['memory', async () => createMemoryStore()],
  ['file', async () => createFileStore(await tempDir())],
])('%s store', (_name, make) => {
  it('implements the protocol stores: a session set up through it carries messages both ways', async () => {
    const a = await make();
    const b = await make();
    await device(a);
    const bob = await device(b);
    const toBob = new ProtocolAddress('bob', 1);
    const toAlice = new ProtocolAddress('alice', 1);
    await processPreKeyBundle(bob.bundle, toBob, a);
    const m1 = await signalEncrypt(te.encode('one'), toBob, a);
    expect(m1.type).toBe(3);
    expect(td.decode(await signalDecryptPreKey(m1.body, toAlice, b))).toBe('one');
    await expect(b.loadPreKey(1)).rejects.toSatisfy((e) => isProtocolError(e, 'InvalidPreKeyId'));
    const r1 = await signalEncrypt(te.encode('two'), toAlice, b);
    expect(td.decode(await signalDecrypt(r1.body, toBob, a))).toBe('two');
    expect(await a.sessionDeviceIds('bob')).toEqual([1]);
  });

  it('trusts an identity on first use and refuses a changed one until trustIdentity()', async () => {
    const s = await make();
    await device(s);
    const addr = new ProtocolAddress('carol', 2);
    const k1 = IdentityKeyPair.generate().publicKey;
    const k2 = IdentityKeyPair.generate().publicKey;
    expect(await s.isTrustedIdentity(addr, k1, 'sending')).toBe(true);
    expect(await s.saveIdentity(addr, k1)).toBe(false);
    expect(await s.isTrustedIdentity(addr, k2, 'sending')).toBe(false);
    expect(await s.saveIdentity(addr, k2)).toBe(true); // reports the change...
    expect((await s.getIdentity(addr))!.equals(k1)).toBe(true); // ...but does not record it
    await s.trustIdentity(addr, k2.serialize());
    expect(await s.isTrustedIdentity(addr, k2, 'receiving')).toBe(true);
  });

  it('keeps a message once per id and remembers processed envelopes', async () => {
    const s = await make();
    expect(await s.saveMessage(msg('m1'))).toBe(true);
    expect(await s.saveMessage(msg('m1', 'c1', 'e-other'))).toBe(false);
    expect(await s.saveMessage(msg('m2'))).toBe(true);
    expect(await s.saveMessage(msg('m3', 'c2'))).toBe(true);
    expect((await s.listMessages('c1')).map((m) => m.id)).toEqual(['m1', 'm2']);
    expect((await s.getMessage('m3'))!.conversationId).toBe('c2');
    expect(await s.hasProcessedEnvelope('e-m1')).toBe(true);
    expect(await s.hasProcessedEnvelope('e-nope')).toBe(false);
  });

  it('holds session writes back until commit in withDeferredSessions', async () => {
    const s = await make();
    await device(s);
    const other = await make();
    const peer = await device(other);
    const addr = new ProtocolAddress('peer', 1);
    await s.withDeferredSessions(async (stores) => {
      await processPreKeyBundle(peer.bundle, addr, stores);
      expect(await stores.session.loadSession(addr)).not.toBeNull();
    });
    expect(await s.loadSession(addr)).toBeNull(); // not committed
    await s.withDeferredSessions(async (stores, commit) => {
      await processPreKeyBundle(peer.bundle, addr, stores);
      await commit();
    });
    expect(await s.loadSession(addr)).not.toBeNull();
  });
});

describe('file store', () => {
  it('survives a restart: identity, sessions, prekeys, credentials and messages are read back from disk', async () => {
    const dir = await tempDir();
    const a = createFileStore(dir);
    const b = createMemoryStore();
    const alice = await device(a);
    const bob = await device(b);
    const toBob = new ProtocolAddress('bob', 1);
    const toAlice = new ProtocolAddress('alice', 1);
    await processPreKeyBundle(bob.bundle, toBob, a);
    const m1 = await signalEncrypt(te.encode('before'), toBob, a);
    await signalDecryptPreKey(m1.body, toAlice, b);
    await a.setCredentials({ userId: 'alice', username: 'alice', deviceUuid: 'x', deviceId: 1, deviceSecret: 's' });
    await a.saveMessage(msg('m1'));

    const reopened = createFileStore(dir);
    expect((await reopened.getIdentityKeyPair()).publicKey.equals(alice.identity.publicKey)).toBe(true);
    expect((await reopened.getCredentials())!.deviceSecret).toBe('s');
    expect((await reopened.listMessages('c1')).map((m) => m.id)).toEqual(['m1']);
    const r = await signalEncrypt(te.encode('after restart'), toAlice, b);
    expect(td.decode(await signalDecrypt(r.body, toBob, reopened))).toBe('after restart');
    const m2 = await signalEncrypt(te.encode('and back'), toBob, reopened);
    expect(td.decode(await signalDecrypt(m2.body, toAlice, b))).toBe('and back');
  });

  it('writes atomically: concurrent writes to one key leave the last value and no temporary files', async () => {
    const dir = await tempDir();
    const s = createFileStore(dir);
    await Promise.all(Array.from({ length: 30 }, (_, i) => s.setCredentials({ userId: `u${i}`, username: 'x', deviceUuid: 'd', deviceId: 1, deviceSecret: 's' })));
    expect((await s.getCredentials())!.userId).toBe('u29');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
