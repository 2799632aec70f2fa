import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, register, startServer, type TestServer, uniqueName } from './harness.js';

interface Dev {
  userId: string;
  deviceUuid: string;
  token: string;
  username: string;
}

let s: TestServer;
beforeAll(async () => {
  s = await startServer({ sendRateBurst: 1_000_000, sendRatePerSecond: 1_000_000, messageSweepIntervalMs: 0 });
});
afterAll(() => s?.stop());

async function user(username?: string): Promise<Dev> {
  const r = await register(s.url, { username });
  return { userId: r.userId, deviceUuid: r.deviceUuid, token: r.token, username: r.username };
}

const CONV_FIELDS = `id kind name avatarUrl unreadCount muted lastMessageAt lastActivityAt disappearingSeconds participants { userId user { username } joinedAt }`;
const DIRECT = `mutation($u: ID!) { createDirectConversation(userId: $u) { __typename ... on Conversation { ${CONV_FIELDS} } ... on Error { code } } }`;
const GROUP = `mutation($i: CreateGroupInput!) { createGroup(input: $i) { __typename ... on Conversation { ${CONV_FIELDS} } ... on Error { code message } } }`;
const LIST = `query($first: Int, $after: String) { conversations(first: $first, after: $after) {
  ... on ConversationPage { items { ${CONV_FIELDS} } pageInfo { endCursor hasNextPage } } } }`;

async function direct(a: Dev, b: Dev): Promise<string> {
  const r = await gql(s.url, DIRECT, { u: b.userId }, a.token);
  expect(r.data.createDirectConversation.__typename, JSON.stringify(r)).toBe('Conversation');
  return r.data.createDirectConversation.id;
}

async function group(owner: Dev, others: Dev[], name = 'grp'): Promise<string> {
  const r = await gql(s.url, GROUP, { i: { name, memberIds: others.map((o) => o.userId) } }, owner.token);
  expect(r.data.createGroup.__typename, JSON.stringify(r)).toBe('Conversation');
  return r.data.createGroup.id;
}

async function sendTo(sender: Dev, conversationId: string, deviceUuids: string[]): Promise<string> {
  const r = await gql(
    s.url,
    `mutation($i: SendMessageInput!) { sendMessage(input: $i) { __typename ... on Message { id } ... on Error { code message } } }`,
    {
      i: {
        conversationId,
        clientMessageId: randomUUID(),
        contentType: 'TEXT',
        envelopes: deviceUuids.map((d) => ({ deviceId: d, type: 2, ciphertext: randomBytes(16).toString('base64') })),
      },
    },
    sender.token,
  );
  expect(r.data.sendMessage.__typename, JSON.stringify(r)).toBe('Message');
  return r.data.sendMessage.id;
}

async function list(dev: Dev, first = 50, after: string | null = null) {
  return (await gql(s.url, LIST, { first, after }, dev.token)).data.conversations;
}

describe('direct conversations', () => {
  it('creating one that exists returns it, from either side and under concurrent creation', async () => {
    const [a, b] = [await user(), await user()];
    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => gql(s.url, DIRECT, { u: b.userId }, a.token)),
      ...Array.from({ length: 5 }, () => gql(s.url, DIRECT, { u: a.userId }, b.token)),
    ]);
    const ids = new Set(results.map((r) => r.data.createDirectConversation.id));
    expect(ids.size).toBe(1);
    const c = results[0].data.createDirectConversation;
    expect(c).toMatchObject({ kind: 'DIRECT', name: null, unreadCount: 0, muted: false, lastMessageAt: null });
    expect(c.participants.map((p: any) => p.userId).sort()).toEqual([a.userId, b.userId].sort());
    const rows = await s.app.services.knex.raw('select count(*)::int as n from conversation_members where conversation_id = ?', [[...ids][0]]);
    expect(rows.rows[0].n).toBe(2);
  });

  it('refuses a conversation with oneself or an unknown user', async () => {
    const a = await user();
    expect((await gql(s.url, DIRECT, { u: a.userId }, a.token)).data.createDirectConversation.__typename).toBe('InvalidInputError');
    expect((await gql(s.url, DIRECT, { u: randomUUID() }, a.token)).data.createDirectConversation.__typename).toBe('NotFoundError');
  });
});

describe('groups', () => {
  it('members add and remove members; a removed member stops receiving at once and sees nothing', async () => {
    const [a, b, c, d] = [await user(), await user(), await user(), await user()];
    const g = await group(a, [b, c], 'Friends');
    const add = await gql(
      s.url,
      `mutation($c: ID!, $u: [ID!]!) { addGroupMembers(conversationId: $c, userIds: $u) { ... on Conversation { participants { userId } } } }`,
      { c: g, u: [d.userId] },
      b.token,
    );
    expect(add.data.addGroupMembers.participants).toHaveLength(4);
    const rm = await gql(
      s.url,
      `mutation($c: ID!, $u: ID!) { removeGroupMember(conversationId: $c, userId: $u) { __typename ... on MemberRemoved { userId } ... on Error { code } } }`,
      { c: g, u: c.userId },
      d.token,
    );
    expect(rm.data.removeGroupMember).toEqual({ __typename: 'MemberRemoved', userId: c.userId });
    // a send that still includes the removed member's device is refused; without it, it goes through
    const r = await gql(
      s.url,
      `mutation($i: SendMessageInput!) { sendMessage(input: $i) { __typename ... on MismatchedDevicesError { extra { id } } } }`,
      {
        i: {
          conversationId: g,
          clientMessageId: 'x',
          contentType: 'TEXT',
          envelopes: [b, c, d].map((u) => ({ deviceId: u.deviceUuid, type: 2, ciphertext: 'AAAA' })),
        },
      },
      a.token,
    );
    expect(r.data.sendMessage).toEqual({ __typename: 'MismatchedDevicesError', extra: [{ id: c.deviceUuid }] });
    await sendTo(a, g, [b.deviceUuid, d.deviceUuid]);
    const conv = await gql(s.url, `query($id: ID!) { conversation(id: $id) { __typename } }`, { id: g }, c.token);
    expect(conv.data.conversation.__typename).toBe('NotFoundError');
    expect((await list(c)).items.map((x: any) => x.id)).not.toContain(g);
    // leaving: a member removes itself
    const leave = await gql(s.url, `mutation($c: ID!, $u: ID!) { removeGroupMember(conversationId: $c, userId: $u) { __typename } }`, { c: g, u: d.userId }, d.token);
    expect(leave.data.removeGroupMember.__typename).toBe('MemberRemoved');
  });

  it('renames a group and sets its avatar; validates names', async () => {
    const [a, b] = [await user(), await user()];
    const g = await group(a, [b]);
    const r = await gql(
      s.url,
      `mutation($c: ID!) { updateGroup(conversationId: $c, name: "New name", avatarUrl: "https://example.com/a.png") { ... on Conversation { name avatarUrl } } }`,
      { c: g },
      b.token,
    );
    expect(r.data.updateGroup).toEqual({ name: 'New name', avatarUrl: 'https://example.com/a.png' });
    const bad = await gql(s.url, GROUP, { i: { name: '  ', memberIds: [b.userId] } }, a.token);
    expect(bad.data.createGroup.__typename).toBe('InvalidInputError');
    const unknown = await gql(s.url, GROUP, { i: { name: 'x', memberIds: [randomUUID()] } }, a.token);
    expect(unknown.data.createGroup.__typename).toBe('NotFoundError');
  });
});

describe('conversation list', () => {
  it('is sorted by last activity with unread counts, last message time, participants and muted flag, paginated by cursor', async () => {
    const me = await user();
    const others = [await user(), await user(), await user(), await user(), await user()];
    const convs: string[] = [];
    for (const o of others) convs.push(await direct(me, o));
    // activity: messages into conversations 3, 0, 4 (in that order); 1 and 2 have none
    await sendTo(others[3], convs[3], [me.deviceUuid]);
    await sendTo(others[0], convs[0], [me.deviceUuid]);
    await sendTo(others[0], convs[0], [me.deviceUuid]);
    await sendTo(others[4], convs[4], [me.deviceUuid]);
    await sendTo(me, convs[4], [others[4].deviceUuid]); // my own message is not unread
    await gql(s.url, `mutation($c: ID!) { setMuted(conversationId: $c, muted: true) { __typename } }`, { c: convs[0] }, me.token);

    const seen: any[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await list(me, 2, after);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen.map((c) => c.id)).toEqual([convs[4], convs[0], convs[3], convs[2], convs[1]]);
    expect(seen.map((c) => c.unreadCount)).toEqual([1, 2, 1, 0, 0]);
    expect(seen.map((c) => c.muted)).toEqual([false, true, false, false, false]);
    expect(seen[0].lastMessageAt).toBeTruthy();
    expect(seen[3].lastMessageAt).toBeNull();
    expect(seen[1].participants.map((p: any) => p.userId).sort()).toEqual([me.userId, others[0].userId].sort());
    const bad = await gql(s.url, `{ conversations(after: "nope") { __typename } }`, {}, me.token);
    expect(bad.data.conversations.__typename).toBe('InvalidInputError');
  });

  it('search finds conversations by group name or participant name', async () => {
    const tag = uniqueName('zed');
    const me = await user();
    const friend = await user(`${tag}_friend`);
    const other = await user();
    const d = await direct(me, friend);
    const g = await group(me, [other], `Hiking ${tag}`);
    const plain = await group(me, [other], 'Unrelated');
    const search = async (q: string) =>
      (await gql(s.url, `query($q: String!) { searchConversations(query: $q) { ... on ConversationPage { items { id } } } }`, { q }, me.token)).data.searchConversations.items.map(
        (c: any) => c.id,
      );
    expect((await search(tag.toUpperCase())).sort()).toEqual([d, g].sort());
    expect(await search('hiking')).toEqual([g]);
    expect(await search('unrelated')).toEqual([plain]);
    // others' conversations never show up
    const stranger = await user();
    const r = await gql(s.url, `query($q: String!) { searchConversations(query: $q) { ... on ConversationPage { items { id } } } }`, { q: tag }, stranger.token);
    expect(r.data.searchConversations.items).toEqual([]);
  });
});

describe('authorization', () => {
  it('a non-member gets NotFoundError from every conversation operation (same as for a conversation that does not exist)', async () => {
    const [a, b, outsider] = [await user(), await user(), await user()];
    const g = await group(a, [b]);
    const m = await sendTo(a, g, [b.deviceUuid]);
    const ops: [string, string, Record<string, unknown>][] = [
      ['conversation', `query($c: ID!) { conversation(id: $c) { __typename } }`, { c: g }],
      ['messages', `query($c: ID!) { messages(conversationId: $c) { __typename } }`, { c: g }],
      ['message', `query($m: ID!) { message(id: $m) { __typename } }`, { m }],
      [
        'sendMessage',
        `mutation($c: ID!, $d: ID!) { sendMessage(input: { conversationId: $c, clientMessageId: "x", contentType: TEXT, envelopes: [{ deviceId: $d, type: 2, ciphertext: "AAAA" }] }) { __typename } }`,
        { c: g, d: a.deviceUuid },
      ],
      ['markRead', `mutation($c: ID!, $m: ID!) { markRead(conversationId: $c, upToMessageId: $m) { __typename } }`, { c: g, m }],
      ['setMuted', `mutation($c: ID!) { setMuted(conversationId: $c, muted: true) { __typename } }`, { c: g }],
      ['setDisappearingTimer', `mutation($c: ID!) { setDisappearingTimer(conversationId: $c, seconds: 60) { __typename } }`, { c: g }],
      ['updateGroup', `mutation($c: ID!) { updateGroup(conversationId: $c, name: "pwned") { __typename } }`, { c: g }],
      ['addGroupMembers', `mutation($c: ID!, $u: [ID!]!) { addGroupMembers(conversationId: $c, userIds: $u) { __typename } }`, { c: g, u: [randomUUID()] }],
      ['removeGroupMember', `mutation($c: ID!, $u: ID!) { removeGroupMember(conversationId: $c, userId: $u) { __typename } }`, { c: g, u: b.userId }],
      ['deleteMessage', `mutation($m: ID!) { deleteMessage(messageId: $m) { __typename } }`, { m }],
      ['setReaction', `mutation($m: ID!) { setReaction(messageId: $m, emoji: "👍") { __typename } }`, { m }],
    ];
    for (const [name, q, vars] of ops) {
      const r = await gql(s.url, q, vars, outsider.token);
      const field = Object.values(r.data ?? {})[0] as { __typename: string };
      expect(field?.__typename, `${name}: ${JSON.stringify(r)}`).toBe('NotFoundError');
      // the same answer as for ids that do not exist
      const missing = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, k === 'c' || k === 'm' ? randomUUID() : v]));
      const r2 = await gql(s.url, q, missing, outsider.token);
      expect((Object.values(r2.data ?? {})[0] as { __typename: string })?.__typename, `${name} (missing)`).toBe('NotFoundError');
    }
    // nothing changed
    const conv = await gql(s.url, `query($c: ID!) { conversation(id: $c) { ... on Conversation { name participants { userId } } } }`, { c: g }, a.token);
    expect(conv.data.conversation.name).toBe('grp');
    expect(conv.data.conversation.participants).toHaveLength(2);
    expect((await list(outsider)).items).toEqual([]);
    // and the outsider's device queue holds nothing of it
    const p = await gql(s.url, `{ pendingEnvelopes { ... on EnvelopePage { items { id } } } }`, {}, outsider.token);
    expect(p.data.pendingEnvelopes.items).toEqual([]);
  });
});
