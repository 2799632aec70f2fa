/**
 * What an app builds its screens on: the conversation list (unread counts, last activity, a locally decrypted
 * preview), the local history reader, and delete for everyone, which removes the message from the local store of
 * every device that holds it (the recipient's and the sender's other devices), not only on the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessagingClient } from '../../src/client/index.js';
import { clientOptions, registerClient, until, waitForMessages } from '../client/helpers.js';
import { startServer, type TestServer } from '../server/harness.js';

let server: TestServer;
const clients: MessagingClient[] = [];
let alice: MessagingClient;
let alice2: MessagingClient;
let bob: MessagingClient;

beforeAll(async () => {
  server = await startServer();
  alice = await registerClient({ url: server.url });
  bob = await registerClient({ url: server.url });
  alice2 = await MessagingClient.link(clientOptions({ url: server.url }), (await alice.createLinkCode()).code, 'laptop');
  clients.push(alice, bob, alice2);
  await Promise.all(clients.map((c) => c.start()));
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await server?.stop();
});

describe('the everyday surface of the SDK', () => {
  it('lists conversations newest first with unread counts and a preview decrypted on the device', async () => {
    const carol = await registerClient({ url: server.url });
    clients.push(carol);
    await carol.start();
    const withAlice = await bob.createDirectConversation(alice.userId);
    const withCarol = await bob.createDirectConversation(carol.userId);
    await alice.sendMessage(withAlice.id, 'first from alice');
    await carol.sendMessage(withCarol.id, 'hello from carol');
    await waitForMessages(bob, withCarol.id, 1);
    await waitForMessages(bob, withAlice.id, 1);
    await alice.sendMessage(withAlice.id, 'second from alice');
    await waitForMessages(bob, withAlice.id, 2);

    const list = await bob.conversationList();
    const ids = list.items.map((i) => i.conversation.id);
    expect(ids.indexOf(withAlice.id)).toBeLessThan(ids.indexOf(withCarol.id)); // most recent activity first
    const row = list.items.find((i) => i.conversation.id === withAlice.id)!;
    expect(row.unreadCount).toBe(2);
    expect(row.lastMessage?.content.body).toBe('second from alice');
    expect(Date.parse(row.lastActivityAt)).toBeGreaterThan(0);
    const last = (await bob.messages(withAlice.id)).at(-1)!;
    await bob.markRead(withAlice.id, last.id);
    expect((await bob.conversationList()).items.find((i) => i.conversation.id === withAlice.id)!.unreadCount).toBe(0);
  });

  it('reads the local history in pages, newest last', async () => {
    const conv = await alice.createDirectConversation(bob.userId);
    const before = (await bob.messages(conv.id)).length;
    for (let i = 0; i < 5; i++) await alice.sendMessage(conv.id, `page ${i}`);
    await waitForMessages(bob, conv.id, before + 5);
    const newest = await bob.history(conv.id, { limit: 2 });
    expect(newest.messages.map((m) => m.content.body)).toEqual(['page 3', 'page 4']);
    expect(newest.hasMore).toBe(true);
    const older = await bob.history(conv.id, { limit: 2, before: newest.messages[0].id });
    expect(older.messages.map((m) => m.content.body)).toEqual(['page 1', 'page 2']);
  });

  it("delete for everyone empties the message in the recipient's store and in the sender's other devices, and tells the app", async () => {
    const conv = await alice.createDirectConversation(bob.userId);
    const sent = await alice.sendMessage(conv.id, 'oops, wrong chat');
    await waitForMessages(bob, conv.id, (await bob.messages(conv.id)).filter((m) => m.id === sent.id).length ? 0 : 1);
    await until(async () => (await alice2.messages(conv.id)).some((m) => m.id === sent.id), 20_000, 'alice2 has the message');
    const seen: string[] = [];
    bob.events.on('messageDeleted', (d) => void seen.push(d.messageId));
    const meta = await alice.deleteMessage(sent.id);
    expect(meta.deleted).toBe(true);
    for (const device of [bob, alice2, alice]) {
      await until(async () => (await device.messages(conv.id)).find((m) => m.id === sent.id)?.deleted === true, 20_000, 'tombstone');
      const local = (await device.messages(conv.id)).find((m) => m.id === sent.id)!;
      expect(local.content.body).toBe('');
      expect(local.content.attachments).toEqual([]);
    }
    expect(seen).toContain(sent.id);
    // the control message itself is not a message anyone sees
    expect((await bob.messages(conv.id)).filter((m) => m.content.body === '' && !m.deleted)).toEqual([]);
  });

  it("a delete from someone who did not send the message changes nothing", async () => {
    const conv = await alice.createDirectConversation(bob.userId);
    const sent = await alice.sendMessage(conv.id, 'mine to delete');
    await until(async () => (await bob.messages(conv.id)).some((m) => m.id === sent.id), 20_000, 'bob has it');
    // bob cannot delete alice's message on the server, and the SDK refuses before sending anything
    await expect(bob.deleteMessage(sent.id)).rejects.toMatchObject({ serverCode: 'FORBIDDEN' });
    expect((await alice.messages(conv.id)).find((m) => m.id === sent.id)?.deleted).toBeFalsy();
  });
});
