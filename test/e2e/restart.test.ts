import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessagingClient } from '../../src/client/index.js';
import { createFileStore } from '../../src/client/stores/file-store.js';
import { startServer, type TestServer } from '../server/harness.js';
import { clientOptions, registerClient, waitForMessages } from '../client/helpers.js';

let server: TestServer;
let dir: string;
const clients: MessagingClient[] = [];

beforeAll(async () => {
  server = await startServer();
  dir = await mkdtemp(join(tmpdir(), 'client-restart-'));
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('restart from the file store', () => {
  it('a client restarted from its file store keeps its identity and sessions and keeps decrypting both ways', async () => {
    const alice = await registerClient({ url: server.url, store: createFileStore(dir) });
    const bob = await registerClient({ url: server.url });
    clients.push(bob);
    await Promise.all([alice.start(), bob.start()]);
    const conv = await alice.createDirectConversation(bob.userId);
    await alice.sendMessage(conv.id, 'before restart');
    await waitForMessages(bob, conv.id, 1);
    await bob.sendMessage(conv.id, 'reply before restart');
    await waitForMessages(alice, conv.id, 1);
    await alice.stop();

    // while alice is down
    await bob.sendMessage(conv.id, 'while you were away 1');
    await bob.sendMessage(conv.id, 'while you were away 2');

    const again = await MessagingClient.open(clientOptions({ url: server.url, store: createFileStore(dir) }));
    clients.push(again);
    expect(again.userId).toBe(alice.userId);
    expect(again.deviceId).toBe(alice.deviceId);
    await again.start();
    const got = await waitForMessages(again, conv.id, 3);
    expect(got.map((m) => m.content.body)).toEqual(['reply before restart', 'while you were away 1', 'while you were away 2']);
    // the existing session is reused (a Whisper message, no new prekey fetch), and bob decrypts it
    await again.sendMessage(conv.id, 'after restart');
    const onBob = await waitForMessages(bob, conv.id, 2);
    expect(onBob.map((m) => m.content.body)).toEqual(['before restart', 'after restart']);
  });

  it('open() refuses an empty store', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'client-empty-'));
    await expect(MessagingClient.open(clientOptions({ url: server.url, store: createFileStore(empty) }))).rejects.toMatchObject({ code: 'NotRegistered' });
    await rm(empty, { recursive: true, force: true });
  });
});
