/** Live delivery over real WebSockets: the inbox stream, conversation events, typing and presence. */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboxStreamCount } from '../../src/server/realtime/inbox.js';
import { gql, METRICS_TOKEN, register, type Registered, startServer, type TestServer, wsClient, wsQuery } from './harness.js';
import { ACK, acceptConversation, collect, directConversation, INBOX, SEND, send } from './realtime-helpers.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer({ typingTtlMs: 400 });
});
afterAll(() => s?.stop());

type Item = { __typename: string; id?: string; messageId?: string; ciphertext?: string; reason?: string };
const envelopes = (items: Item[]) => items.filter((i) => i.__typename === 'Envelope');
const drainedAt = (items: Item[]) => items.findIndex((i) => i.__typename === 'InboxDrained');

async function pair(): Promise<{ a: Registered; b: Registered; conv: string }> {
  const a = await register(s.url);
  const b = await register(s.url);
  return { a, b, conv: await directConversation(s.url, a, b) };
}

describe('inbox', () => {
  it('gives an offline device its whole backlog in order, then a drained marker, then live messages', async () => {
    const { a, b, conv } = await pair();
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) sent.push(await send(s.url, a, conv, [b.deviceUuid], `m${i}`));
    const client = wsClient(s.wsUrl, b.token);
    try {
      const inbox = collect<Item>(client, INBOX);
      await inbox.until((it) => drainedAt(it) >= 0);
      expect(drainedAt(inbox.items)).toBe(30);
      expect(envelopes(inbox.items).map((e) => e.messageId)).toEqual(sent);
      const ids = envelopes(inbox.items).map((e) => BigInt(e.id!));
      expect([...ids].sort((x, y) => (x < y ? -1 : 1))).toEqual(ids);
      const live = await send(s.url, a, conv, [b.deviceUuid], 'live');
      await inbox.until((it) => envelopes(it).length === 31);
      expect(inbox.items.at(-1)).toMatchObject({ __typename: 'Envelope', messageId: live });
      inbox.stop();
    } finally {
      await client.dispose();
    }
  });

  it('delivers live envelopes of every size intact and in send order (small ones ride on their event, large ones are read back)', async () => {
    const { a, b, conv } = await pair();
    const client = wsClient(s.wsUrl, b.token);
    try {
      const inbox = collect<Item>(client, INBOX);
      await inbox.until((it) => drainedAt(it) >= 0);
      const sizes = [100, 40_000, 200, 17_000, 16_384, 50];
      const sent: { id: string; ciphertext: string }[] = [];
      for (const size of sizes) {
        const ciphertext = randomBytes(size).toString('base64');
        const r = await gql(
          s.url,
          SEND,
          { input: { conversationId: conv, clientMessageId: randomUUID(), contentType: 'FILE', envelopes: [{ deviceId: b.deviceUuid, type: 2, ciphertext }] } },
          a.token,
        );
        expect(r.data.sendMessage.__typename).toBe('Message');
        sent.push({ id: r.data.sendMessage.id, ciphertext });
      }
      await inbox.until((it) => envelopes(it).length === sizes.length);
      expect(envelopes(inbox.items).map((e) => ({ id: e.messageId, ciphertext: e.ciphertext }))).toEqual(sent);
      inbox.stop();
    } finally {
      await client.dispose();
    }
  });

  it('delivers an unacknowledged envelope again after a reconnect, and an acknowledged one never', async () => {
    const { a, b, conv } = await pair();
    const m1 = await send(s.url, a, conv, [b.deviceUuid]);
    const m2 = await send(s.url, a, conv, [b.deviceUuid]);
    let client = wsClient(s.wsUrl, b.token);
    let inbox = collect<Item>(client, INBOX);
    await inbox.until((it) => drainedAt(it) >= 0);
    const [e1] = envelopes(inbox.items);
    expect(e1.messageId).toBe(m1);
    const ack = await wsQuery(client, ACK, { ids: [e1.id] });
    expect(ack.data.acknowledgeEnvelopes.acknowledged).toEqual([e1.id]);
    await client.dispose(); // a network cut before m2 was acknowledged

    client = wsClient(s.wsUrl, b.token);
    inbox = collect<Item>(client, INBOX);
    await inbox.until((it) => drainedAt(it) >= 0);
    expect(envelopes(inbox.items).map((e) => e.messageId)).toEqual([m2]);
    await client.dispose();
  });

  it('a second inbox stream of the same device ends the first with CONNECTED_ELSEWHERE', async () => {
    const { a, b, conv } = await pair();
    const first = wsClient(s.wsUrl, b.token);
    const second = wsClient(s.wsUrl, b.token);
    try {
      const one = collect<Item>(first, INBOX);
      await one.until((it) => drainedAt(it) >= 0);
      const two = collect<Item>(second, INBOX);
      await two.until((it) => drainedAt(it) >= 0);
      await one.done;
      expect(one.items.at(-1)).toEqual({ __typename: 'InboxEnded', reason: 'CONNECTED_ELSEWHERE' });
      const m = await send(s.url, a, conv, [b.deviceUuid]);
      await two.until((it) => envelopes(it).some((e) => e.messageId === m));
      expect(envelopes(one.items)).toHaveLength(0);
    } finally {
      await first.dispose();
      await second.dispose();
    }
  });

  it("never shows one device another device's envelopes", async () => {
    const { a, b, conv } = await pair();
    const c = await register(s.url);
    await send(s.url, a, conv, [b.deviceUuid]);
    const client = wsClient(s.wsUrl, c.token);
    try {
      const inbox = collect<Item>(client, INBOX);
      await inbox.until((it) => drainedAt(it) >= 0);
      expect(envelopes(inbox.items)).toHaveLength(0);
      // acknowledging someone else's envelope ids does nothing
      const pending = await gql(s.url, '{ pendingEnvelopes { ... on EnvelopePage { items { id } } } }', {}, b.token);
      const ids = pending.data.pendingEnvelopes.items.map((e: { id: string }) => e.id);
      expect(ids).toHaveLength(1);
      const ack = await wsQuery(client, ACK, { ids });
      expect(ack.data.acknowledgeEnvelopes.acknowledged).toEqual([]);
    } finally {
      await client.dispose();
    }
  });

  it('releases every stream and listener after many connect/disconnect cycles', async () => {
    const { b } = await pair();
    const before = inboxStreamCount();
    for (let i = 0; i < 40; i++) {
      const client = wsClient(s.wsUrl, b.token);
      const inbox = collect<Item>(client, INBOX);
      await inbox.until((it) => drainedAt(it) >= 0);
      if (i % 2) inbox.stop();
      await client.dispose();
    }
    const end = Date.now() + 5_000;
    while (inboxStreamCount() !== before && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(inboxStreamCount()).toBe(before);
    const metrics = await (await fetch(s.url.replace('/graphql', '/metrics'), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    expect(metrics).toMatch(/^graphql_active_subscriptions 0$/m);
  });

  it('works over SSE as well', async () => {
    const { a, b, conv } = await pair();
    const m = await send(s.url, a, conv, [b.deviceUuid]);
    const ctrl = new AbortController();
    const res = await fetch(s.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${b.token}` },
      body: JSON.stringify({ query: INBOX }),
      signal: ctrl.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('InboxDrained')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain(m);
    ctrl.abort();
  });
});

describe('conversation events and typing', () => {
  const EVENTS = `subscription($c: ID!) { conversationEvents(conversationId: $c) { kind userId messageId typing message { id } } }`;

  it('streams new messages and receipts to participants, and typing only to the others, which lapses by itself', async () => {
    const { a, b, conv } = await pair();
    const ca = wsClient(s.wsUrl, a.token);
    const cb = wsClient(s.wsUrl, b.token);
    try {
      const ea = collect<any>(ca, EVENTS, { c: conv });
      const eb = collect<any>(cb, EVENTS, { c: conv });
      await new Promise((r) => setTimeout(r, 100));
      const m = await send(s.url, a, conv, [b.deviceUuid]);
      await eb.until((it) => it.some((e) => e.kind === 'MESSAGE' && e.messageId === m && e.message?.id === m));
      await gql(s.url, 'mutation($c: ID!) { setTyping(conversationId: $c, typing: true) }', { c: conv }, a.token);
      await eb.until((it) => it.some((e) => e.kind === 'TYPING' && e.typing === true && e.userId === a.userId));
      await eb.until((it) => it.some((e) => e.kind === 'TYPING' && e.typing === false && e.userId === a.userId), 3_000);
      expect(ea.items.filter((e) => e.kind === 'TYPING')).toEqual([]);
    } finally {
      await ca.dispose();
      await cb.dispose();
    }
  });

  it("refuses a stranger's subscription and typing in someone else's conversation as not found (as for one that does not exist)", async () => {
    const { conv } = await pair();
    const stranger = await register(s.url);
    const client = wsClient(s.wsUrl, stranger.token);
    try {
      const ev = collect<any>(client, EVENTS, { c: conv });
      await ev.done;
      expect((ev.error as { extensions?: { code?: string } }[])[0].extensions?.code).toBe('NOT_FOUND');
      const t = await gql(s.url, 'mutation($c: ID!) { setTyping(conversationId: $c, typing: true) }', { c: conv }, stranger.token);
      expect(t.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    } finally {
      await client.dispose();
    }
  });
});

describe('presence', () => {
  const PRESENCE = `subscription($u: [ID!]!) { presence(userIds: $u) { userId online lastSeenAt } }`;

  it('shows a user online while a device is connected and offline with last seen after, only to conversation partners they accepted', async () => {
    const { a, b, conv } = await pair();
    await acceptConversation(s.url, b, conv);
    const stranger = await register(s.url);
    const watcher = wsClient(s.wsUrl, a.token);
    const snoop = wsClient(s.wsUrl, stranger.token);
    try {
      const seen = collect<any>(watcher, PRESENCE, { u: [b.userId] });
      const snooped = collect<any>(snoop, PRESENCE, { u: [b.userId] });
      await seen.until((it) => it.length === 1);
      expect(seen.items[0]).toMatchObject({ userId: b.userId, online: false });
      const bc = wsClient(s.wsUrl, b.token);
      await wsQuery(bc, '{ me { id } }');
      await seen.until((it) => it.some((p) => p.online));
      await bc.dispose();
      await seen.until((it) => it.at(-1).online === false && it.at(-1).lastSeenAt);
      const q = await gql(s.url, 'query($u: [ID!]!) { presence(userIds: $u) { userId } }', { u: [b.userId] }, stranger.token);
      expect(q.data.presence).toEqual([]);
      expect(snooped.items).toEqual([]);
      const viaUser = await gql(s.url, 'query($u: ID!) { user(id: $u) { presence { online } } }', { u: b.userId }, stranger.token);
      expect(viaUser.data.user.presence).toBeNull();
    } finally {
      await watcher.dispose();
      await snoop.dispose();
    }
  });
});
