import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessagingClient } from '../../src/client/index.js';
import { gql, register, startServer, type TestServer } from '../server/harness.js';
import { registerClient, until, waitForMessages } from '../client/helpers.js';

let server: TestServer;
const clients: MessagingClient[] = [];

beforeAll(async () => {
  // many strangers drain the stock on purpose here: lift the budget strangers share (docs/trust.md)
  server = await startServer({ preKeyFetchBurst: 100_000, preKeyStrangerBurst: 100_000 });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await server?.stop();
});

const CLAIM = `mutation($userId: ID!) { preKeyBundles(userId: $userId) { __typename ... on PreKeyBundles { bundles { preKey { keyId } kyberPreKey { keyId lastResort } } } ... on Error { code message } } }`;
const COUNTS = `{ preKeyCounts { oneTime kyberOneTime signedPreKeyId lastResortKyberPreKeyId } }`;

/** Another user's device that only claims bundles (as many senders starting sessions would). */
async function claimer() {
  const r = await register(server.url);
  return async (userId: string) => {
    const res = await gql(server.url, CLAIM, { userId }, r.token);
    const p = res.data?.preKeyBundles;
    if (p?.__typename !== 'PreKeyBundles') throw new Error(JSON.stringify(res));
    return p.bundles[0] as { preKey: { keyId: number } | null; kyberPreKey: { keyId: number; lastResort: boolean } };
  };
}

const countsOf = async (c: MessagingClient) => (await gql(server.url, COUNTS, {}, await c.accessToken())).data.preKeyCounts;

describe('prekeys', () => {
  it('uploads 100 one-time EC and 100 one-time Kyber prekeys plus a signed prekey and a last-resort key at registration', async () => {
    const c = await registerClient({ url: server.url });
    clients.push(c);
    const counts = await countsOf(c);
    expect(counts).toMatchObject({ oneTime: 100, kyberOneTime: 100 });
    expect(counts.signedPreKeyId).not.toBeNull();
    expect(counts.lastResortKyberPreKeyId).not.toBeNull();
  });

  it('refills by itself when the stock runs low (preKeysLow) while 100 senders exhaust it, and the new keys work', async () => {
    const bob = await registerClient({ url: server.url });
    clients.push(bob);
    await bob.start();
    const uploadsBefore = bob.keys.uploads;
    const claim = await claimer();
    const handedOut = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const b = await claim(bob.userId);
      expect(b.preKey).not.toBeNull(); // never ran dry: the refill came before the stock was gone
      handedOut.add(b.preKey!.keyId);
    }
    expect(handedOut.size).toBe(100);
    await until(() => bob.keys.uploads > uploadsBefore, 20_000, 'refill upload');
    await until(async () => (await countsOf(bob)).oneTime >= 90, 20_000, 'stock back up');
    // a new sender gets a fresh one-time key from the refill, and bob decrypts with it
    const alice = await registerClient({ url: server.url });
    clients.push(alice);
    await alice.start();
    const conv = await alice.createDirectConversation(bob.userId);
    await alice.sendMessage(conv.id, 'after the refill');
    expect((await waitForMessages(bob, conv.id, 1))[0].content.body).toBe('after the refill');
  });

  it('refills at start-up (preKeyCounts) after the stock was exhausted while the device was offline', async () => {
    const bob = await registerClient({ url: server.url });
    clients.push(bob);
    const claim = await claimer();
    let last;
    for (let i = 0; i < 101; i++) last = await claim(bob.userId);
    expect(last!.preKey).toBeNull(); // exhausted: only the signed prekey and the last-resort Kyber key are left
    expect(last!.kyberPreKey.lastResort).toBe(true);
    expect(await countsOf(bob)).toMatchObject({ oneTime: 0, kyberOneTime: 0 });
    await bob.start();
    expect(await countsOf(bob)).toMatchObject({ oneTime: 100, kyberOneTime: 100 });
  });

  it('rotates the signed prekey and the last-resort key on schedule (injected clock); sessions still start', async () => {
    let now = Date.now();
    const bob = await registerClient({ url: server.url, now: () => now });
    clients.push(bob);
    const before = await countsOf(bob);
    expect(await bob.keys.rotateIfDue()).toEqual({ signed: false, lastResort: false });
    now += 8 * 86_400_000;
    expect(await bob.keys.rotateIfDue()).toEqual({ signed: true, lastResort: true });
    const after = await countsOf(bob);
    expect(after.signedPreKeyId).not.toBe(before.signedPreKeyId);
    expect(after.lastResortKyberPreKeyId).not.toBe(before.lastResortKyberPreKeyId);
    // the retired signed prekey is still held locally for set-ups already in flight...
    await expect(bob.store.loadSignedPreKey(before.signedPreKeyId)).resolves.toBeDefined();
    now += 15 * 86_400_000;
    await bob.keys.rotateIfDue();
    // ...and purged after the grace period
    await expect(bob.store.loadSignedPreKey(before.signedPreKeyId)).rejects.toThrow();
    await bob.start();
    const alice = await registerClient({ url: server.url });
    clients.push(alice);
    await alice.start();
    const conv = await alice.createDirectConversation(bob.userId);
    await alice.sendMessage(conv.id, 'with the rotated keys');
    expect((await waitForMessages(bob, conv.id, 1))[0].content.body).toBe('with the rotated keys');
  });
});
