import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessagingClient, RateLimitError, type ConversationEvent } from '../../src/client/index.js';
import { startServer, type TestServer } from '../server/harness.js';
import { clientOptions, registerClient, until, waitForMessages } from '../client/helpers.js';

let server: TestServer;
const clients: MessagingClient[] = [];
let alice: MessagingClient;
let alice2: MessagingClient;
let bob: MessagingClient;
let conversationId: string;

beforeAll(async () => {
  server = await startServer();
  alice = await registerClient({ url: server.url });
  bob = await registerClient({ url: server.url });
  const code = await alice.createLinkCode();
  alice2 = await MessagingClient.link(clientOptions({ url: server.url }), code.code, 'laptop');
  clients.push(alice, bob, alice2);
  await Promise.all(clients.map((c) => c.start()));
  conversationId = (await alice.createDirectConversation(bob.userId)).id;
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await server?.stop();
});

describe('two users, three devices', () => {
  it('exchanges messages both ways; every device of both users holds the whole conversation in plaintext', async () => {
    await alice.sendMessage(conversationId, 'hello bob');
    const [first] = await waitForMessages(bob, conversationId, 1);
    expect(first.content.body).toBe('hello bob');
    expect(first.senderUserId).toBe(alice.userId);
    await bob.sendMessage(conversationId, 'hi alice', { replyTo: first.id });
    await alice2.sendMessage(conversationId, 'from my laptop');

    const onBob = await waitForMessages(bob, conversationId, 2);
    expect(onBob.map((m) => m.content.body)).toEqual(['hello bob', 'from my laptop']);
    const onAlice = (await waitForMessages(alice, conversationId, 2)).map((m) => m.content.body);
    expect(onAlice).toEqual(['hi alice', 'from my laptop']);
    const onAlice2 = await waitForMessages(alice2, conversationId, 2);
    expect(onAlice2.map((m) => m.content.body)).toEqual(['hello bob', 'hi alice']);
    expect(onAlice2[1].content.replyTo).toBe(first.id);
    // the sender's own stored copy
    expect((await alice.messages(conversationId)).filter((m) => m.outgoing && m.senderDeviceId === alice.deviceId).map((m) => m.content.body)).toEqual(['hello bob']);
  });

  it('the server stores only ciphertext: no envelope contains the plaintext', async () => {
    const secret = `attack at dawn ${Math.random()}`;
    const rows: { ciphertext: Buffer }[] = [];
    const stopCapture = await captureEnvelopes(rows);
    try {
      await bob.stop(); // leave bob's envelopes queued
      await alice.sendMessage(conversationId, secret);
      // every ciphertext the server holds: per-device envelopes, their headers, and shared group payloads
      const { rows: queued } = await server.app.services.knex.raw(
        'select ciphertext from envelopes where ciphertext is not null union all select header from envelopes where header is not null union all select ciphertext from message_payloads',
      );
      expect(queued.length).toBeGreaterThan(0);
      for (const r of queued as { ciphertext: Buffer }[]) expect(Buffer.from(r.ciphertext).includes(Buffer.from(secret))).toBe(false);
    } finally {
      stopCapture();
      await bob.start();
    }
    const got = await waitForMessages(bob, conversationId, 3);
    expect(got.at(-1)!.content.body).toBe(secret);
  });

  it('receipts, reactions, deletes and typing reach the other side as conversation events', async () => {
    const events: ConversationEvent[] = [];
    const unwatch = alice.watchConversation(conversationId, (e) => events.push(e));
    await new Promise((r) => setTimeout(r, 300));
    const sent = await alice.sendMessage(conversationId, 'react to this');
    const onBob = await waitForMessages(bob, conversationId, 4);
    const target = onBob.find((m) => m.content.body === 'react to this')!;
    await bob.markRead(conversationId, target.id);
    await bob.react(target.id, '👍');
    await bob.setTyping(conversationId, true);
    await until(() => ['RECEIPT', 'REACTION', 'TYPING'].every((k) => events.some((e) => e.kind === k)), 10_000, 'events');
    const meta = await alice.messageMeta(sent.id);
    expect(meta.reactions.map((r) => r.emoji)).toEqual(['👍']);
    expect(meta.status).toBe('READ');
    await alice.deleteMessage(sent.id);
    await until(() => events.some((e) => e.kind === 'DELETED' && e.messageId === sent.id), 10_000, 'delete event');
    expect((await bob.messageMeta(sent.id)).deleted).toBe(true);
    expect(events.find((e) => e.kind === 'TYPING')!.userId).toBe(bob.userId);
    unwatch();
  });

  it('both sides sending at once while receiving: every message arrives once, in each sender’s order', async () => {
    await Promise.all([
      ...Array.from({ length: 15 }, (_, i) => alice.sendMessage(conversationId, `a${i}`)),
      ...Array.from({ length: 15 }, (_, i) => bob.sendMessage(conversationId, `b${i}`)),
    ]);
    const from = async (c: MessagingClient, p: string) =>
      (await c.messages(conversationId)).map((m) => m.content.body).filter((b) => new RegExp(`^${p}\\d+$`).test(b));
    const expected = (p: string) => Array.from({ length: 15 }, (_, i) => `${p}${i}`);
    for (const [c, p] of [[bob, 'a'], [alice, 'b'], [alice2, 'a'], [alice2, 'b']] as const) {
      await until(async () => (await from(c, p)).length >= 15, 20_000, `${p} on ${c.credentials.username}.${c.deviceId}`);
      expect(await from(c, p)).toEqual(expected(p));
    }
  });

  it('presence: a user sharing a conversation is seen online', async () => {
    const [p] = await alice.presence([bob.userId]);
    expect(p).toMatchObject({ userId: bob.userId, online: true });
  });
});

/** No-op capture hook kept for symmetry with the demo (the envelopes table is read directly). */
async function captureEnvelopes(_rows: unknown[]) {
  return () => {};
}

describe('rate limits', () => {
  it('a send refused by the rate limit surfaces as RateLimitError with retryAfterSeconds', async () => {
    const limited = await startServer({ sendRateBurst: 1, sendRatePerSecond: 1 });
    try {
      const a = await registerClient({ url: limited.url, maxRateLimitWaitSeconds: 0 });
      const b = await registerClient({ url: limited.url });
      const conv = await a.createDirectConversation(b.userId);
      await a.sendMessage(conv.id, 'one');
      const err = await a.sendMessage(conv.id, 'two').catch((e) => e);
      expect(err).toBeInstanceOf(RateLimitError);
      expect(err.code).toBe('RateLimited');
      expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      await Promise.all([a.stop(), b.stop()]);
    } finally {
      await limited.stop();
    }
  });
});

describe('groups', () => {
  it('a group message is encrypted for every device of every member and each decrypts it', async () => {
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => registerClient({ url: server.url })));
    clients.push(a, b, c);
    await Promise.all([a, b, c].map((x) => x.start()));
    const group = await a.createGroup('lunch', [b.userId, c.userId]);
    await a.sendMessage(group.id, 'group hello');
    await b.sendMessage(group.id, 'hello from b');
    for (const x of [b, c]) expect((await waitForMessages(x, group.id, 1)).map((m) => m.content.body)).toContain('group hello');
    expect((await waitForMessages(c, group.id, 2)).map((m) => m.content.body)).toEqual(['group hello', 'hello from b']);
    expect((await waitForMessages(a, group.id, 1)).map((m) => m.content.body)).toEqual(['hello from b']);
  });
});
