import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeIdentityKey, gql, onRealPostgres, register, startServer, type TestServer } from './harness.js';

// ---- helpers (fake ciphertext: the server cannot tell) ----
interface Dev {
  userId: string;
  deviceUuid: string;
  token: string;
  deviceCredential?: string;
}

let s: TestServer;
beforeAll(async () => {
  s = await startServer({ sendRateBurst: 1_000_000, sendRatePerSecond: 1_000_000, messageSweepIntervalMs: 0 });
});
afterAll(() => s?.stop());

async function user(srv = s): Promise<Dev> {
  const r = await register(srv.url);
  return { userId: r.userId, deviceUuid: r.deviceUuid, token: r.token, deviceCredential: r.deviceCredential };
}

async function link(owner: Dev, srv = s): Promise<Dev> {
  const code = (await gql(srv.url, 'mutation { createDeviceLinkCode { code } }', {}, owner.token)).data.createDeviceLinkCode.code;
  const r = await gql(
    srv.url,
    `mutation($c: String!, $d: NewDeviceInput!) { linkDevice(code: $c, device: $d) { ... on DeviceCredentials { accessToken device { id } } } }`,
    { c: code, d: { name: 'laptop', registrationId: 4321, identityKey: fakeIdentityKey() } },
  );
  return { userId: owner.userId, deviceUuid: r.data.linkDevice.device.id, token: r.data.linkDevice.accessToken };
}

async function group(owner: Dev, others: Dev[], srv = s): Promise<string> {
  const r = await gql(
    srv.url,
    `mutation($i: CreateGroupInput!) { createGroup(input: $i) { __typename ... on Conversation { id } ... on Error { message } } }`,
    { i: { name: 'grp', memberIds: others.map((o) => o.userId) } },
    owner.token,
  );
  expect(r.data.createGroup.__typename, JSON.stringify(r)).toBe('Conversation');
  return r.data.createGroup.id;
}

async function direct(a: Dev, b: Dev, srv = s): Promise<string> {
  const r = await gql(srv.url, `mutation($u: ID!) { createDirectConversation(userId: $u) { ... on Conversation { id } } }`, { u: b.userId }, a.token);
  return r.data.createDirectConversation.id;
}

/** Accepts a conversation for `dev`'s user (a stranger's conversation is a message request: no receipts until accepted). */
async function accept(dev: Dev, conversationId: string, srv = s): Promise<void> {
  const r = await gql(
    srv.url,
    `mutation($c: ID!) { respondToMessageRequest(conversationId: $c, action: ACCEPT) { __typename } }`,
    { c: conversationId },
    dev.token,
  );
  expect(r.data?.respondToMessageRequest.__typename, JSON.stringify(r)).toBe('MessageRequestResponse');
}

/** Every device the sender must encrypt for: other participants' devices and its own other devices. */
async function targets(sender: Dev, conversationId: string, srv = s): Promise<{ id: string; registrationId: number }[]> {
  const r = await gql(
    srv.url,
    `query($id: ID!) { conversation(id: $id) { ... on Conversation { participants { user { devices { id registrationId } } } } } }`,
    { id: conversationId },
    sender.token,
  );
  return r.data.conversation.participants.flatMap((p: any) => p.user.devices).filter((d: any) => d.id !== sender.deviceUuid);
}

function envelopes(devs: { id: string; registrationId?: number }[], bytes = 64) {
  return devs.map((d) => ({ deviceId: d.id, type: 2, ciphertext: randomBytes(bytes).toString('base64'), registrationId: d.registrationId }));
}

const SEND = `mutation($i: SendMessageInput!) { sendMessage(input: $i) {
  __typename
  ... on Message { id clientMessageId status conversationId expiresAt }
  ... on MismatchedDevicesError { missing { id userId deviceId } extra { id } }
  ... on StaleDevicesError { stale { id registrationId } }
  ... on LimitExceededError { field max actual }
  ... on RateLimitedError { retryAfterSeconds }
  ... on Error { code message } } }`;

async function send(sender: Dev, conversationId: string, envs: unknown[], extra: Record<string, unknown> = {}, srv = s) {
  const r = await gql(srv.url, SEND, { i: { conversationId, clientMessageId: randomUUID(), contentType: 'TEXT', envelopes: envs, ...extra } }, sender.token);
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return r.data.sendMessage;
}

async function sendAll(sender: Dev, conversationId: string, extra: Record<string, unknown> = {}) {
  const m = await send(sender, conversationId, envelopes(await targets(sender, conversationId)), extra);
  expect(m.__typename, JSON.stringify(m)).toBe('Message');
  return m;
}

const PENDING = `query($first: Int, $after: ID) { pendingEnvelopes(first: $first, after: $after) {
  ... on EnvelopePage { items { id messageId conversationId senderUserId senderDeviceId senderDeviceUuid type ciphertext createdAt } pageInfo { endCursor hasNextPage } } } }`;

async function pending(dev: Dev, first = 100, after: string | null = null) {
  const r = await gql(s.url, PENDING, { first, after }, dev.token);
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return r.data.pendingEnvelopes as { items: any[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } };
}

async function ack(dev: Dev, ids: string[]): Promise<string[]> {
  const r = await gql(s.url, `mutation($ids: [ID!]!) { acknowledgeEnvelopes(ids: $ids) { ... on AcknowledgeResult { acknowledged } } }`, { ids }, dev.token);
  return r.data.acknowledgeEnvelopes.acknowledged;
}

const HISTORY = `query($c: ID!, $first: Int, $after: String) { messages(conversationId: $c, first: $first, after: $after) {
  __typename ... on MessagePage { items { id deleted status receipts { userId deliveredAt readAt } reactions { userId emoji } } pageInfo { endCursor hasNextPage } }
  ... on Error { code } } }`;

async function history(dev: Dev, c: string, first = 50, after: string | null = null) {
  return (await gql(s.url, HISTORY, { c, first, after }, dev.token)).data.messages;
}

async function drain(dev: Dev): Promise<any[]> {
  const all: any[] = [];
  for (;;) {
    const p = await pending(dev, 100);
    if (!p.items.length) return all;
    all.push(...p.items);
    await ack(dev, p.items.map((e) => e.id));
  }
}

// ---- tests ----
describe('sendMessage: device coverage, idempotency, limits', () => {
  it('a three-device group send with one envelope missing gets MismatchedDevicesError and stores nothing', async () => {
    const a = await user();
    const a2 = await link(a);
    const [b, c] = [await user(), await user()];
    const g = await group(a, [b, c]);
    const all = await targets(a, g);
    expect(all.map((d) => d.id).sort()).toEqual([a2.deviceUuid, b.deviceUuid, c.deviceUuid].sort());
    const r = await send(a, g, envelopes(all.filter((d) => d.id !== c.deviceUuid)));
    expect(r).toMatchObject({ __typename: 'MismatchedDevicesError', code: 'MISMATCHED_DEVICES', missing: [{ id: c.deviceUuid, userId: c.userId, deviceId: 1 }], extra: [] });
    // an extra (unknown) device and the sender's own device are refused too
    const unknown = randomUUID();
    const r2 = await send(a, g, envelopes([...all, { id: unknown }, { id: a.deviceUuid }]));
    expect(r2.__typename).toBe('MismatchedDevicesError');
    expect(r2.extra.map((e: any) => e.id).sort()).toEqual([unknown, a.deviceUuid].sort());
    for (const d of [a2, b, c]) expect((await pending(d)).items).toEqual([]);
    expect((await history(a, g)).items).toEqual([]);
    // the complete set goes through, to all three devices
    const ok = await send(a, g, envelopes(all));
    expect(ok.__typename).toBe('Message');
    for (const d of [a2, b, c]) expect((await pending(d)).items.map((e) => e.messageId)).toEqual([ok.id]);
  });

  it('refuses envelopes encrypted for an old registration id with StaleDevicesError', async () => {
    const [a, b] = [await user(), await user()];
    const d = await direct(a, b);
    const r = await send(a, d, [{ deviceId: b.deviceUuid, type: 3, ciphertext: randomBytes(10).toString('base64'), registrationId: 999 }]);
    expect(r).toMatchObject({ __typename: 'StaleDevicesError', stale: [{ id: b.deviceUuid, registrationId: 1234 }] });
    expect((await pending(b)).items).toEqual([]);
  });

  it('a retried send with the same clientMessageId stores once and returns the first message (also concurrent duplicates)', async () => {
    const [a, b] = [await user(), await user()];
    const d = await direct(a, b);
    const input = { conversationId: d, clientMessageId: 'm-1', contentType: 'TEXT', envelopes: envelopes([{ id: b.deviceUuid }]) };
    const first = (await gql(s.url, SEND, { i: input }, a.token)).data.sendMessage;
    const again = (await gql(s.url, SEND, { i: input }, a.token)).data.sendMessage;
    expect(again.id).toBe(first.id);
    const conc = await Promise.all(
      Array.from({ length: 6 }, () => gql(s.url, SEND, { i: { ...input, clientMessageId: 'm-2' } }, a.token)),
    );
    const ids = new Set(conc.map((r) => r.data.sendMessage.id));
    expect(ids.size).toBe(1);
    const q = await pending(b);
    expect(q.items.map((e) => e.messageId)).toEqual([first.id, [...ids][0]]);
  });

  it('concurrent sends from many devices share store statements, and each meets its own outcome', async () => {
    const pairs = await Promise.all(Array.from({ length: 16 }, async () => [await user(), await user()] as const));
    const convs = await Promise.all(pairs.map(([a, b]) => direct(a, b)));
    const [x, y, stranger] = [await user(), await user(), await user()];
    const xy = await direct(x, y);
    const before = { ...s.app.services.messages.sends.stats };
    const [good, mismatched, stale, foreign] = await Promise.all([
      Promise.all(pairs.map(([a, b], i) => send(a, convs[i], envelopes([{ id: b.deviceUuid }])))),
      send(x, xy, []),
      send(y, xy, [{ deviceId: x.deviceUuid, type: 2, ciphertext: randomBytes(10).toString('base64'), registrationId: 999 }]),
      send(stranger, xy, envelopes([{ id: x.deviceUuid }, { id: y.deviceUuid }])),
    ]);
    const after = s.app.services.messages.sends.stats;
    expect(after.items - before.items).toBe(19);
    expect(after.batches - before.batches).toBeLessThan(19);
    expect(good.map((m) => m.__typename)).toEqual(pairs.map(() => 'Message'));
    expect(mismatched).toMatchObject({ __typename: 'MismatchedDevicesError', missing: [{ id: y.deviceUuid }] });
    expect(stale).toMatchObject({ __typename: 'StaleDevicesError', stale: [{ id: x.deviceUuid }] });
    expect(foreign).toMatchObject({ __typename: 'NotFoundError' });
    for (const [i, [, b]] of pairs.entries()) {
      expect((await pending(b)).items.map((e) => e.messageId)).toEqual([good[i].id]);
    }
    expect((await pending(x)).items).toEqual([]);
    expect((await pending(y)).items).toEqual([]);
  });

  it('refuses an oversize ciphertext with LimitExceededError and stores nothing', async () => {
    const [a, b] = [await user(), await user()];
    const d = await direct(a, b);
    const max = s.config.maxEnvelopeBytes;
    expect(max).toBe(96 * 1024);
    const r = await send(a, d, [{ deviceId: b.deviceUuid, type: 2, ciphertext: randomBytes(max + 1).toString('base64') }]);
    expect(r).toMatchObject({ __typename: 'LimitExceededError', code: 'LIMIT_EXCEEDED', field: 'envelopes[0].ciphertext', max, actual: max + 1 });
    expect((await pending(b)).items).toEqual([]);
    expect((await history(a, d)).items).toEqual([]);
    const okSize = await send(a, d, [{ deviceId: b.deviceUuid, type: 2, ciphertext: randomBytes(max).toString('base64') }]);
    expect(okSize.__typename).toBe('Message');
  });

  it('refuses bad envelope types, duplicate devices, bad reply targets and bad timers', async () => {
    const [a, b] = [await user(), await user()];
    const d = await direct(a, b);
    expect((await send(a, d, [{ deviceId: b.deviceUuid, type: 1, ciphertext: 'AAAA' }])).__typename).toBe('InvalidInputError');
    const env = envelopes([{ id: b.deviceUuid }])[0];
    expect((await send(a, d, [env, env])).__typename).toBe('InvalidInputError');
    expect((await send(a, d, [env], { replyTo: randomUUID() })).__typename).toBe('NotFoundError');
    expect((await send(a, d, [env], { expiresIn: 0 })).__typename).toBe('InvalidInputError');
    expect((await pending(b)).items).toEqual([]);
  });
});

describe('rate and count limits', () => {
  let small: TestServer;
  beforeAll(async () => {
    small = await startServer({ sendRateBurst: 3, sendRatePerSecond: 1, maxEnvelopesPerSend: 1, messageSweepIntervalMs: 0 });
  });
  afterAll(() => small?.stop());

  it('a device over its send budget gets RateLimitedError with retryAfterSeconds', async () => {
    const [a, b] = [await user(small), await user(small)];
    const d = await direct(a, b, small);
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await send(a, d, envelopes([{ id: b.deviceUuid }]), {}, small));
    expect(results.slice(0, 3).map((r) => r.__typename)).toEqual(['Message', 'Message', 'Message']);
    const limited = results[3];
    expect(limited).toMatchObject({ __typename: 'RateLimitedError', code: 'RATE_LIMITED' });
    expect(limited.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // another device of another user has its own budget
    const c = await user(small);
    expect((await send(c, await direct(c, b, small), envelopes([{ id: b.deviceUuid }]), {}, small)).__typename).toBe('Message');
  });

  it('refuses more envelopes than MAX_ENVELOPES_PER_SEND', async () => {
    const [a, b] = [await user(small), await user(small)];
    const b2 = await link(b, small);
    const d = await direct(a, b, small);
    const r = await send(a, d, envelopes([{ id: b.deviceUuid }, { id: b2.deviceUuid }]), {}, small);
    expect(r).toMatchObject({ __typename: 'LimitExceededError', field: 'envelopes', max: 1, actual: 2 });
  });
});

describe('delivery queue', () => {
  it('delivers envelopes in order with sender and conversation, and an acknowledged envelope never again', async () => {
    const [a, b] = [await user(), await user()];
    const d = await direct(a, b);
    const m1 = await sendAll(a, d);
    const m2 = await sendAll(a, d);
    const p = await pending(b, 1);
    expect(p.items).toHaveLength(1);
    expect(p.pageInfo.hasNextPage).toBe(true);
    expect(p.items[0]).toMatchObject({ messageId: m1.id, conversationId: d, senderUserId: a.userId, senderDeviceId: 1, senderDeviceUuid: a.deviceUuid, type: 2 });
    const p2 = await pending(b, 10, p.pageInfo.endCursor);
    expect(p2.items.map((e) => e.messageId)).toEqual([m2.id]);
    expect(BigInt(p2.items[0].id) > BigInt(p.items[0].id)).toBe(true);
    expect(await ack(b, [p.items[0].id])).toEqual([p.items[0].id]);
    expect(await ack(b, [p.items[0].id])).toEqual([]);
    expect((await pending(b)).items.map((e) => e.messageId)).toEqual([m2.id]);
  });

  it('redelivers what was read but not acknowledged (a crashed reader) to the next reader', async () => {
    const a = await user();
    let b = await user();
    const d = await direct(a, b);
    const sent = [await sendAll(a, d), await sendAll(a, d), await sendAll(a, d)];
    const firstRead = await pending(b);
    expect(firstRead.items.map((e) => e.messageId)).toEqual(sent.map((m) => m.id));
    // the reader "crashes" before acknowledging; the device comes back with a fresh token
    const tok = await gql(s.url, `mutation($s: String!) { createAccessToken(credential: $s) { ... on AccessToken { token } } }`, {
      s: b.deviceCredential,
    });
    b = { ...b, token: tok.data.createAccessToken.token };
    const again = await pending(b);
    expect(again.items.map((e) => e.id)).toEqual(firstRead.items.map((e) => e.id));
    expect(again.items.map((e) => e.ciphertext)).toEqual(firstRead.items.map((e) => e.ciphertext));
    await ack(b, again.items.map((e) => e.id));
    expect((await pending(b)).items).toEqual([]);
  });

  it("ignores acknowledgements of another device's envelopes", async () => {
    const [a, b, c] = [await user(), await user(), await user()];
    const d = await direct(a, b);
    await sendAll(a, d);
    const ids = (await pending(b)).items.map((e) => e.id);
    expect(await ack(c, ids)).toEqual([]);
    expect(await ack(a, ids)).toEqual([]);
    expect((await pending(b)).items.map((e) => e.id)).toEqual(ids);
    const bad = await gql(s.url, `mutation { acknowledgeEnvelopes(ids: ["x"]) { __typename } }`, {}, b.token);
    expect(bad.data.acknowledgeEnvelopes.__typename).toBe('InvalidInputError');
  });

  it.skipIf(!onRealPostgres())(
    '200 concurrent sends, then concurrent readers and acks deliver every envelope exactly once (needs real concurrent transactions)',
    async () => {
      const [a, b] = [await user(), await user()];
      const d = await direct(a, b);
      const sent = await Promise.all(Array.from({ length: 200 }, () => send(a, d, envelopes([{ id: b.deviceUuid }]))));
      expect(sent.every((m) => m.__typename === 'Message')).toBe(true);
      const sentIds = new Set(sent.map((m) => m.id));
      const ackedEnvelopeIds: string[] = [];
      const ackedMessageIds: string[] = [];
      const reader = async () => {
        for (;;) {
          const p = await pending(b, 25);
          if (!p.items.length) return;
          const byId = new Map(p.items.map((e) => [e.id, e.messageId]));
          const got = await ack(b, [...byId.keys()]);
          for (const id of got) {
            ackedEnvelopeIds.push(id);
            ackedMessageIds.push(byId.get(id)!);
          }
        }
      };
      await Promise.all(Array.from({ length: 6 }, reader));
      expect(ackedEnvelopeIds.length).toBe(200);
      expect(new Set(ackedEnvelopeIds).size).toBe(200);
      expect(new Set(ackedMessageIds)).toEqual(sentIds);
      expect((await pending(b)).items).toEqual([]);
      const count = await s.app.services.knex.raw('select count(*)::int as n from envelopes where recipient_device = ?', [b.deviceUuid]);
      expect(count.rows[0].n).toBe(0);
    },
  );

  it('envelopes of a removed device are purged with it', async () => {
    const [a, b] = [await user(), await user()];
    const b2 = await link(b);
    const d = await direct(a, b);
    await sendAll(a, d);
    const count = async () => (await s.app.services.knex.raw('select count(*)::int as n from envelopes where recipient_device = ?', [b2.deviceUuid])).rows[0].n;
    expect(await count()).toBe(1);
    await gql(s.url, `mutation($id: ID!) { removeDevice(id: $id) { __typename } }`, { id: b2.deviceUuid }, b.token);
    expect(await count()).toBe(0);
    // and a send that still includes it is told it is extra
    const r = await send(a, d, envelopes([{ id: b.deviceUuid }, { id: b2.deviceUuid }]));
    expect(r).toMatchObject({ __typename: 'MismatchedDevicesError', missing: [], extra: [{ id: b2.deviceUuid }] });
  });
});

describe('receipts and unread counts', () => {
  it('acks make messages DELIVERED, markRead makes them READ, and unread counts follow', async () => {
    const [a, b] = [await user(), await user()];
    const d = await direct(a, b);
    await accept(b, d);
    const ms = [await sendAll(a, d), await sendAll(a, d), await sendAll(a, d)];
    const conv = async (dev: Dev) =>
      (await gql(s.url, `query($id: ID!) { conversation(id: $id) { ... on Conversation { unreadCount lastReadAt } } }`, { id: d }, dev.token)).data.conversation;
    expect((await conv(b)).unreadCount).toBe(3);
    expect((await conv(a)).unreadCount).toBe(0);
    const statuses = async () => (await history(a, d)).items.map((m: any) => m.status).reverse();
    expect(await statuses()).toEqual(['SENT', 'SENT', 'SENT']);
    await drain(b);
    expect(await statuses()).toEqual(['DELIVERED', 'DELIVERED', 'DELIVERED']);
    const h = await history(a, d);
    expect(h.items[0].receipts).toMatchObject([{ userId: b.userId, readAt: null }]);
    expect(h.items[0].receipts[0].deliveredAt).toBeTruthy();
    // the recipient sees no receipts or status on messages it did not send
    expect((await history(b, d)).items[0]).toMatchObject({ status: null, receipts: [] });

    const read = await gql(s.url, `mutation($c: ID!, $m: ID!) { markRead(conversationId: $c, upToMessageId: $m) { ... on Conversation { unreadCount lastReadAt } } }`, { c: d, m: ms[1].id }, b.token);
    expect(read.data.markRead.unreadCount).toBe(1);
    expect(read.data.markRead.lastReadAt).toBeTruthy();
    expect(await statuses()).toEqual(['READ', 'READ', 'DELIVERED']);
    // marking an older message read never moves the mark back
    await gql(s.url, `mutation($c: ID!, $m: ID!) { markRead(conversationId: $c, upToMessageId: $m) { __typename } }`, { c: d, m: ms[0].id }, b.token);
    expect((await conv(b)).unreadCount).toBe(1);
    await gql(s.url, `mutation($c: ID!, $m: ID!) { markRead(conversationId: $c, upToMessageId: $m) { __typename } }`, { c: d, m: ms[2].id }, b.token);
    expect((await conv(b)).unreadCount).toBe(0);
    expect(await statuses()).toEqual(['READ', 'READ', 'READ']);
  });

  it('in a group a message is DELIVERED only when every recipient user has it; own-device sync copies make no receipt', async () => {
    const a = await user();
    const a2 = await link(a);
    const [b, c] = [await user(), await user()];
    const g = await group(a, [b, c]);
    await accept(b, g);
    await accept(c, g);
    await sendAll(a, g);
    await drain(a2);
    await drain(b);
    expect((await history(a, g)).items[0]).toMatchObject({ status: 'SENT', receipts: [{ userId: b.userId }] });
    await drain(c);
    expect((await history(a, g)).items[0].status).toBe('DELIVERED');
  });
});

describe('history', () => {
  it('returns every message exactly once, newest first, while new messages are being sent', async () => {
    const [a, b] = [await user(), await user()];
    const d = await direct(a, b);
    const before: string[] = [];
    for (let i = 0; i < 30; i++) before.push((await sendAll(a, d)).id);
    const sending = (async () => {
      const out: string[] = [];
      for (let i = 0; i < 20; i++) out.push((await sendAll(b, d)).id);
      return out;
    })();
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await history(b, d, 7, after);
      seen.push(...page.items.map((m: any) => m.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    const during = await sending;
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen.filter((x) => x === id)).toHaveLength(1);
    // the pre-existing messages come newest first
    expect(seen.filter((x) => before.includes(x))).toEqual([...before].reverse());
    for (const id of seen) expect([...before, ...during]).toContain(id);
  });
});

describe('delete for everyone, disappearing messages, reactions', () => {
  it('the sender deletes for everyone: a tombstone remains and undelivered envelopes are purged', async () => {
    const [a, b] = [await user(), await user()];
    const d = await direct(a, b);
    const m = await sendAll(a, d);
    const del = `mutation($m: ID!) { deleteMessage(messageId: $m) { __typename ... on Message { id deleted } ... on Error { code } } }`;
    expect((await gql(s.url, del, { m: m.id }, b.token)).data.deleteMessage).toEqual({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect((await gql(s.url, del, { m: m.id }, a.token)).data.deleteMessage).toEqual({ __typename: 'Message', id: m.id, deleted: true });
    expect((await pending(b)).items).toEqual([]);
    expect((await history(b, d)).items).toMatchObject([{ id: m.id, deleted: true }]);
    // deleting again is harmless
    expect((await gql(s.url, del, { m: m.id }, a.token)).data.deleteMessage.deleted).toBe(true);
  });

  it('expired messages and their envelopes disappear within one sweep (per message and per conversation timer)', async () => {
    const [a, b] = [await user(), await user()];
    const d = await direct(a, b);
    const keep = await sendAll(a, d);
    const m = await sendAll(a, d, { expiresIn: 1 });
    expect(m.expiresAt).toBeTruthy();
    const t = await gql(s.url, `mutation($c: ID!) { setDisappearingTimer(conversationId: $c, seconds: 1) { ... on Conversation { disappearingSeconds } } }`, { c: d }, b.token);
    expect(t.data.setDisappearingTimer.disappearingSeconds).toBe(1);
    const m2 = await sendAll(a, d);
    expect(m2.expiresAt).toBeTruthy();
    // their timers run out on the database clock
    await s.app.services.knex.raw(`update messages set expires_at = now() - interval '1 second' where id = any(?::uuid[])`, [[m.id, m2.id]]);
    // already invisible before the sweep
    expect((await history(a, d)).items.map((x: any) => x.id)).toEqual([keep.id]);
    const swept = await s.app.services.messageSweeper.runOnce();
    expect(swept.expiredMessages).toBeGreaterThanOrEqual(2);
    expect((await pending(b)).items.map((e) => e.messageId)).toEqual([keep.id]);
    const rows = await s.app.services.knex.raw('select count(*)::int as n from messages where id = any(?::uuid[])', [[m.id, m2.id]]);
    expect(rows.rows[0].n).toBe(0);
  });

  it('the sweeper runs on its own schedule while the app runs (MESSAGE_SWEEP_INTERVAL_MS)', async () => {
    const fast = await startServer({ sendRateBurst: 1000, messageSweepIntervalMs: 200 });
    try {
      const [a, b] = [await user(fast), await user(fast)];
      const d = await direct(a, b, fast);
      const m = await send(a, d, envelopes([{ id: b.deviceUuid }]), { expiresIn: 1 }, fast);
      expect(m.__typename).toBe('Message');
      const count = async () => (await fast.app.services.knex.raw('select count(*)::int as n from messages where id = ?', [m.id])).rows[0].n;
      expect(await count()).toBe(1);
      const deadline = Date.now() + 5_000;
      while ((await count()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await count()).toBe(0);
    } finally {
      await fast.stop();
    }
  });

  it('purges envelopes nobody acknowledged within the retention period, in batches', async () => {
    const { MessageSweeper } = await import('../../src/server/messages/sweeper.js');
    const [a, b] = [await user(), await user()];
    const d = await direct(a, b);
    for (let i = 0; i < 5; i++) await sendAll(a, d);
    const knex = s.app.services.knex;
    await knex.raw(`update envelopes set created_at = now() - interval '31 days' where recipient_device = ?`, [b.deviceUuid]);
    await sendAll(b, d); // a fresh one, kept
    const sweeper = new MessageSweeper(knex, s.app.services.bus, { retentionDays: 30, batchSize: 2 });
    const r = await sweeper.sweepOnce();
    expect(r.staleEnvelopes).toBeGreaterThanOrEqual(5);
    expect((await pending(b)).items).toEqual([]);
    expect((await pending(a)).items).toHaveLength(1);
  });

  it('one reaction per user: set, change, remove; only single emoji accepted', async () => {
    const [a, b] = [await user(), await user()];
    const d = await direct(a, b);
    const m = await sendAll(a, d);
    const react = (dev: Dev, emoji: string | null) =>
      gql(s.url, `mutation($m: ID!, $e: String) { setReaction(messageId: $m, emoji: $e) { __typename ... on Message { reactions { userId emoji } } ... on Error { code } } }`, { m: m.id, e: emoji }, dev.token).then((r) => r.data.setReaction);
    expect((await react(b, '👍')).reactions).toEqual([{ userId: b.userId, emoji: '👍' }]);
    expect((await react(b, '❤️')).reactions).toEqual([{ userId: b.userId, emoji: '❤️' }]);
    expect((await react(a, '🇫🇷')).reactions).toHaveLength(2);
    for (const e of ['👨‍👩‍👧', '👍🏽', '1️⃣']) expect((await react(a, e)).__typename, e).toBe('Message');
    for (const bad of ['a', '👍👍', 'ok', '', ' 👍x']) expect((await react(b, bad)).__typename, bad).toBe('InvalidInputError');
    expect((await react(b, null)).reactions).toEqual([{ userId: a.userId, emoji: '1️⃣' }]);
  });
});

describe("one device's bad acknowledgements never fail another device's", () => {
  it.skipIf(!onRealPostgres())(
    'an attacker acknowledging malformed and out-of-range ids among 200 honest acknowledgements from 20 devices: every honest one succeeds (needs real concurrent connections)',
    async () => {
      const sender = await user();
      const honest = await Promise.all(Array.from({ length: 20 }, () => user()));
      const attacker = await user();
      const convs = await Promise.all(honest.map((h) => direct(sender, h)));
      for (let round = 0; round < 10; round++) await Promise.all(convs.map((c) => sendAll(sender, c)));
      const queues = await Promise.all(honest.map(async (h) => ({ h, ids: (await pending(h)).items.map((e: any) => e.id as string) })));
      expect(queues.every((q) => q.ids.length === 10)).toBe(true);
      const BAD = ['9999999999999999999', '-1', '1e3', '0x10', '', ' 1', '１２'];
      const attacks = Array.from({ length: 40 }, (_, i) =>
        gql(s.url, `mutation($ids: [ID!]!) { acknowledgeEnvelopes(ids: $ids) { __typename ... on Error { code } } }`, { ids: [BAD[i % BAD.length]] }, attacker.token),
      );
      const honestAcks = queues.flatMap(({ h, ids }) =>
        ids.map((id) => gql(s.url, `mutation($ids: [ID!]!) { acknowledgeEnvelopes(ids: $ids) { __typename ... on AcknowledgeResult { acknowledged } } }`, { ids: [id] }, h.token)),
      );
      const [attacked, acked] = await Promise.all([Promise.all(attacks), Promise.all(honestAcks)]);
      for (const r of attacked) expect(r.data.acknowledgeEnvelopes).toMatchObject({ __typename: 'InvalidInputError', code: 'INVALID_INPUT' });
      expect(acked.filter((r) => r.data?.acknowledgeEnvelopes?.acknowledged?.length === 1)).toHaveLength(200);
      for (const { h } of queues) expect((await pending(h)).items).toEqual([]);
    },
  );
});
