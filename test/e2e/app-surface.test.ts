/**
 * The SDK additions the web client builds its screens on: the user directory (new message), the
 * conversation's disappearing-message timer, one request for the metadata of a screen of messages (ticks,
 * reactions, expiry), and upload progress for attachments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessagingClient } from '../../src/client/index.js';
import { registerClient, until, waitForMessages } from '../client/helpers.js';
import { startServer, type TestServer, uniqueName } from '../server/harness.js';

let server: TestServer;
let alice: MessagingClient;
let bob: MessagingClient;
const bobName = uniqueName('bobsurface');

beforeAll(async () => {
  server = await startServer();
  alice = await registerClient({ url: server.url });
  bob = await registerClient({ url: server.url }, bobName);
  await Promise.all([alice.start(), bob.start()]);
});
afterAll(async () => {
  await Promise.all([alice?.stop(), bob?.stop()]);
  await server?.stop();
});

describe('the SDK surface of the web client', () => {
  it('finds a stranger by exact username only, and a contact by part of it', async () => {
    expect(await alice.findUser(bobName.toUpperCase())).toMatchObject({ id: bob.userId, username: bobName, displayName: bobName.toUpperCase(), avatarUrl: null });
    expect((await alice.searchContacts(bobName.slice(0, 8))).items).toEqual([]);
    const c = await alice.createDirectConversation(bob.userId);
    await alice.sendMessage(c.id, 'hello');
    const found = (await alice.searchContacts(bobName.slice(0, 8))).items;
    expect(found.map((u) => u.id)).toEqual([bob.userId]);
  });

  it('sets and clears the disappearing-message timer, which new messages then carry', async () => {
    const c = await alice.createDirectConversation(bob.userId);
    expect((await alice.setDisappearingTimer(c.id, 300)).disappearingSeconds).toBe(300);
    const sent = await alice.sendMessage(c.id, 'gone in five minutes');
    const meta = await alice.messageMeta(sent.id);
    const lifetime = Date.parse(meta.expiresAt!) - Date.parse(meta.createdAt);
    expect(lifetime).toBeGreaterThan(299_000);
    expect(lifetime).toBeLessThan(301_000);
    expect((await alice.setDisappearingTimer(c.id, null)).disappearingSeconds).toBeNull();
  });

  it('reads the metadata of a conversation’s newest messages in one request: status, reactions', async () => {
    const c = await alice.createDirectConversation(bob.userId);
    const first = await alice.sendMessage(c.id, 'one');
    const second = await alice.sendMessage(c.id, 'two');
    await waitForMessages(bob, c.id, 2);
    await bob.sendMessage(c.id, 'accepted');
    await bob.react(first.id, '👍');
    await bob.markRead(c.id, second.id);
    await until(async () => (await alice.messageMetas(c.id)).items.find((m) => m.id === second.id)?.status === 'READ');
    const page = await alice.messageMetas(c.id, 10);
    const ids = page.items.map((m) => m.id);
    expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id)); // newest first
    expect(ids.indexOf(first.id)).toBeGreaterThan(-1);
    expect(page.items.find((m) => m.id === first.id)!.reactions).toMatchObject([{ userId: bob.userId, emoji: '👍' }]);
    expect(page.hasNextPage).toBe(false);
  });

  it('reports upload progress of an attachment, ending at the ciphertext size', async () => {
    const c = await alice.createDirectConversation(bob.userId);
    const seen: [number, number][] = [];
    const bytes = new Uint8Array(50_000).fill(1);
    await alice.sendAttachment(c.id, bytes, { contentType: 'FILE', mimeType: 'application/octet-stream', onUploadProgress: (s, t) => void seen.push([s, t]) });
    expect(seen.at(-1)).toEqual([50_028, 50_028]); // iv (12) + ciphertext + tag (16)
  });
});
