import * as net from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessagingClient } from '../../src/client/index.js';
import { startServer, type TestServer } from '../server/harness.js';
import { clientOptions, registerClient, until, waitForMessages } from '../client/helpers.js';

let server: TestServer;
const clients: MessagingClient[] = [];

beforeAll(async () => {
  server = await startServer({ sendRateBurst: 1000 });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await server?.stop();
});

/** A TCP proxy in front of the server whose connections can be cut, like a network outage. */
async function cuttableProxy(target: URL): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let port = 0;
  let srv: Server;
  const listen = () =>
    new Promise<void>((resolve) => {
      srv = createServer((c) => {
        const up = new net.Socket();
        up.connect(Number(target.port), target.hostname);
        sockets.add(c).add(up);
        c.pipe(up).pipe(c);
        const done = () => {
          c.destroy();
          up.destroy();
          sockets.delete(c);
          sockets.delete(up);
        };
        c.on('error', done).on('close', done);
        up.on('error', done).on('close', done);
      });
      srv.listen(port, '127.0.0.1', () => {
        port = (srv.address() as { port: number }).port;
        resolve();
      });
    });
  await listen();
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    async cut() {
      await new Promise<void>((r) => {
        srv.close(() => r());
        for (const s of sockets) s.destroy();
      });
    },
    restore: listen,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

describe('offline and reconnects', () => {
  it('a device offline during 100 sends catches up with all 100, in order, each once', async () => {
    const alice = await registerClient({ url: server.url });
    const bob = await registerClient({ url: server.url });
    clients.push(alice, bob);
    await alice.start();
    const conv = await alice.createDirectConversation(bob.userId);
    // bob is registered but offline (not started)
    for (let i = 0; i < 100; i++) await alice.sendMessage(conv.id, `message ${i}`);
    const drained = new Promise<void>((r) => bob.events.on('drained', () => r()));
    await bob.start();
    await drained;
    const got = await waitForMessages(bob, conv.id, 100);
    expect(got.map((m) => m.content.body)).toEqual(Array.from({ length: 100 }, (_, i) => `message ${i}`));
    // everything was acknowledged: nothing is queued for bob any more
    await bob.whenIdle();
    expect(await bob.fetchPending()).toBe(0);
  });

  it('resumes after a network cut: the socket reconnects, the inbox is re-subscribed, nothing is lost or doubled', async () => {
    const proxy = await cuttableProxy(new URL(server.url));
    try {
      const alice = await registerClient({ url: server.url });
      const bob = await registerClient({ url: proxy.url });
      clients.push(alice, bob);
      await Promise.all([alice.start(), bob.start()]);
      const conv = await alice.createDirectConversation(bob.userId);
      await alice.sendMessage(conv.id, 'before the cut');
      await waitForMessages(bob, conv.id, 1);
      const closed = new Promise<void>((r) => bob.events.on('connection', (s) => s === 'closed' && r()));
      await proxy.cut();
      await closed;
      for (let i = 0; i < 5; i++) await alice.sendMessage(conv.id, `during the cut ${i}`);
      await proxy.restore();
      const got = await waitForMessages(bob, conv.id, 6);
      expect(got.map((m) => m.content.body)).toEqual(['before the cut', ...Array.from({ length: 5 }, (_, i) => `during the cut ${i}`)]);
      await alice.sendMessage(conv.id, 'after');
      await waitForMessages(bob, conv.id, 7);
      await bob.whenIdle();
      expect(new Set((await bob.messages(conv.id)).map((m) => m.id)).size).toBe(7);
    } finally {
      await proxy.close();
    }
  });

  it('envelopes processed but not yet acknowledged come again and are not shown twice', async () => {
    const alice = await registerClient({ url: server.url });
    const bob = await registerClient({ url: server.url });
    clients.push(alice, bob);
    await alice.start();
    const conv = await alice.createDirectConversation(bob.userId);
    for (let i = 0; i < 3; i++) await alice.sendMessage(conv.id, `m${i}`);
    // process without acknowledging: a client that crashed right after storing
    const seen: string[] = [];
    bob.events.on('message', (m) => void seen.push(m.content.body));
    const originalFlush = (bob as unknown as { flushAcks: () => Promise<void> }).flushAcks;
    (bob as unknown as { flushAcks: () => Promise<void> }).flushAcks = async () => {};
    await bob.start();
    await waitForMessages(bob, conv.id, 3);
    await bob.stop();
    (bob as unknown as { flushAcks: () => Promise<void> }).flushAcks = originalFlush;
    await bob.start(); // the queue still holds the 3 envelopes
    await until(async () => (await bob.fetchPending()) === 0, 10_000, 'queue empty');
    expect(seen).toEqual(['m0', 'm1', 'm2']);
    expect((await bob.messages(conv.id)).length).toBe(3);
  });
});

void MessagingClient;
void clientOptions;
