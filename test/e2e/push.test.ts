/**
 * The SDK's push path end to end: a device registers a Web Push target (at a local RFC 8030 push service that
 * decrypts each push with the subscription's key), goes offline, is woken by one content-free push, and a
 * "notification extension" (a second, never-started client on the same store) fetches over HTTP, decrypts
 * with the stored sessions and acknowledges what it stored.
 */
import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessagingClient } from '../../src/client/index.js';
import { createMemoryStore } from '../../src/client/stores/memory-store.js';
import { loadConfig } from '../../src/server/config.js';
import { WebPushService } from '../server/push/peers/web-push-service.js';
import { startServer, type TestServer } from '../server/harness.js';
import { clientOptions, registerClient, until } from '../client/helpers.js';

const vapid = webpush.generateVAPIDKeys();
let server: TestServer;
let service: WebPushService;
const clients: MessagingClient[] = [];

beforeAll(async () => {
  service = await new WebPushService().start();
  service.applicationServerKey = vapid.publicKey;
  const base = loadConfig({});
  server = await startServer({
    sendRateBurst: 1000,
    push: { ...base.push, vapid, vapidSubject: 'mailto:ops@relay.example', allowLoopbackEndpoints: true, debounceMs: 3_000 },
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await server?.stop();
  await service?.stop();
});

describe('push through the SDK', () => {
  it('registerPush, one push for an offline burst, then fetchAndDecrypt returns the plaintexts once', async () => {
    const alice = await registerClient({ url: server.url });
    const bobStore = createMemoryStore();
    const bob = await registerClient({ url: server.url, store: bobStore });
    clients.push(alice, bob);

    const cfg = await bob.pushConfig();
    expect(cfg).toEqual({ vapidPublicKey: vapid.publicKey, kinds: ['WEB_PUSH', 'UNIFIED_PUSH'] });
    const sub = service.subscribe();
    const target = await bob.registerPush({ kind: 'WEB_PUSH', endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } });
    expect(target).toMatchObject({ kind: 'WEB_PUSH', includeEnvelopeId: false });
    expect(await bob.pushTargets()).toEqual([target]);
    await expect(bob.registerPush({ kind: 'FCM', token: 'f'.repeat(64) })).rejects.toMatchObject({ serverCode: 'PUSH_KIND_UNAVAILABLE', details: { available: ['WEB_PUSH', 'UNIFIED_PUSH'] } });

    // bob is offline (never started: no socket); alice sends a burst
    await alice.start();
    const conv = await alice.createDirectConversation(bob.userId);
    const bodies = ['one', 'two', 'three', 'four'];
    for (const b of bodies) await alice.sendMessage(conv.id, b);
    await until(() => service.pushesFor(sub).length >= 1, 10_000, 'the push');
    await server.app.services.push.notifier.idle();
    expect(service.pushesFor(sub).map((p) => p.payload)).toEqual([{ type: 'messages' }]);

    // the notification extension: the same store, no start(), HTTP only
    const ext = await MessagingClient.open(clientOptions({ url: server.url, store: bobStore }));
    clients.push(ext);
    const first = await ext.fetchAndDecrypt({ limit: 3 });
    expect(first.fetched).toBe(3);
    expect(first.hasMore).toBe(true);
    expect(first.messages.map((m) => m.content.body)).toEqual(bodies.slice(0, 3));
    expect(first.messages.every((m) => m.conversationId === conv.id && m.senderUserId === alice.userId)).toBe(true);
    const rest = await ext.fetchAndDecrypt({ limit: 10 });
    expect(rest.messages.map((m) => m.content.body)).toEqual(['four']);
    expect(rest.hasMore).toBe(false);
    // acknowledged: nothing comes again
    expect(await ext.fetchAndDecrypt({ limit: 10 })).toEqual({ messages: [], fetched: 0, hasMore: false });
    // and the app finds them stored
    expect((await bob.messages(conv.id)).map((m) => m.content.body)).toEqual(bodies);

    expect(await bob.removePush('WEB_PUSH')).toBe(true);
    expect(await bob.pushTargets()).toEqual([]);
  });
});
