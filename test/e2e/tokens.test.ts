import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessagingClient } from '../../src/client/index.js';
import { startServer, type TestServer } from '../server/harness.js';
import { registerClient, until, waitForMessages } from '../client/helpers.js';

let server: TestServer;
const clients: MessagingClient[] = [];

beforeAll(async () => {
  server = await startServer({ accessTokenTtlSeconds: 4 });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await server?.stop();
});

describe('access tokens', () => {
  it('refreshes the access token before it expires and keeps the socket and HTTP working past the first expiry', async () => {
    const alice = await registerClient({ url: server.url, tokenRefreshMarginMs: 1_500 });
    const bob = await registerClient({ url: server.url, tokenRefreshMarginMs: 1_500 });
    clients.push(alice, bob);
    await Promise.all([alice.start(), bob.start()]);
    const first = await bob.accessToken();
    const conv = await alice.createDirectConversation(bob.userId);
    await new Promise((r) => setTimeout(r, 5_000)); // past the first token's expiry
    expect(await bob.accessToken()).not.toBe(first);
    await alice.sendMessage(conv.id, 'still here after the token expired');
    expect((await waitForMessages(bob, conv.id, 1))[0].content.body).toBe('still here after the token expired');
    // a new subscription on the (reconnected) socket is accepted
    const events: string[] = [];
    const stop = bob.watchConversation(conv.id, (e) => void events.push(e.kind));
    await until(
      async () => {
        await alice.setTyping(conv.id, true);
        await new Promise((r) => setTimeout(r, 200));
        return events.includes('TYPING');
      },
      15_000,
      'typing event on the renewed socket',
    );
    stop();
    expect(events).toContain('TYPING');
  });
});
