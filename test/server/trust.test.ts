/**
 * Trust and abuse on the server (docs/trust.md), over real HTTP and WebSockets: what a block withholds,
 * message requests and their answers, reporting tokens and operator-only reports, the directory's privacy
 * rules, and the checks around decryption-error replies and resends.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecryptionErrorMessage, generateKyberPreKey, generatePreKeys, generateSignedPreKey, IdentityKeyPair, PlaintextContent } from '../../src/protocol/index.js';
import { loadConfig } from '../../src/server/config.js';
import { gql, register, type Registered, startServer, type TestServer, uniqueName, wsClient, wsQuery } from './harness.js';
import { ACK, acceptConversation, collect, directConversation, send } from './realtime-helpers.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer({ sendRateBurst: 1_000_000, sendRatePerSecond: 1_000_000 });
});
afterAll(() => s?.stop());

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const db = () => s.app.services.knex;

async function q(who: Registered, query: string, variables: Record<string, unknown> = {}) {
  const r = await gql(s.url, query, variables, who.token);
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return r.data;
}

const PENDING = `{ pendingEnvelopes(first: 100) { ... on EnvelopePage { items { id messageId type ciphertext createdAt request reportingToken senderUserId senderDeviceId senderDeviceUuid } } } }`;
const pending = async (who: Registered) => (await q(who, PENDING)).pendingEnvelopes.items as any[];
const ack = async (who: Registered, ids: string[]) => (await q(who, ACK, { ids })).acknowledgeEnvelopes.acknowledged as string[];

const block = (who: Registered, userId: string) => q(who, 'mutation($u: ID!) { blockUser(userId: $u) { __typename ... on BlockList { users { userId } } } }', { u: userId });
const unblock = (who: Registered, userId: string) => q(who, 'mutation($u: ID!) { unblockUser(userId: $u) { __typename } }', { u: userId });
const respond = (who: Registered, c: string, action: string, reportingTokens?: string[]) =>
  q(
    who,
    `mutation($c: ID!, $a: MessageRequestAction!, $t: [String!]) { respondToMessageRequest(conversationId: $c, action: $a, reportingTokens: $t) {
       __typename ... on MessageRequestResponse { reported blockedUserId conversation { id messageRequest unreadCount } } ... on Error { code }
       ... on InvalidReportingTokenError { index } } }`,
    { c, a: action, t: reportingTokens },
  ).then((d) => d.respondToMessageRequest);

const CONV = `query($id: ID!) { conversation(id: $id) { ... on Conversation { messageRequest unreadCount lastMessageAt participants { userId lastReadAt } } } }`;
const conversation = async (who: Registered, id: string) => (await q(who, CONV, { id })).conversation;
const listed = async (who: Registered) =>
  ((await q(who, '{ conversations(first: 100) { ... on ConversationPage { items { id } } } }')).conversations.items as { id: string }[]).map((c) => c.id);
const history = async (who: Registered, c: string) =>
  ((await q(who, 'query($c: ID!) { messages(conversationId: $c) { ... on MessagePage { items { id status } } } }', { c })).messages.items as { id: string; status: string | null }[]);

async function group(owner: Registered, members: Registered[]) {
  const r = await q(owner, 'mutation($i: CreateGroupInput!) { createGroup(input: $i) { __typename ... on Conversation { id messageRequest } ... on Error { code } } }', {
    i: { name: 'g', memberIds: members.map((m) => m.userId) },
  });
  return r.createGroup;
}

/** Two users who both accepted their direct conversation (one started it, the other answered ACCEPT). */
async function friends(): Promise<{ a: Registered; b: Registered; conv: string }> {
  const a = await register(s.url);
  const b = await register(s.url);
  const conv = await directConversation(s.url, a, b);
  await acceptConversation(s.url, b, conv);
  return { a, b, conv };
}

describe('blocking', () => {
  it("stores nothing for the blocker's devices, still succeeds for the sender, keeps the sender's own copies, and withholds the message from the blocker's history and unread count", async () => {
    const { a, b, conv } = await friends();
    const aLaptop = await linkDevice(a);
    await block(b, a.userId);
    const m = await send(s.url, a, conv, [b.deviceUuid, aLaptop.deviceUuid]);
    const rows = await db().raw('select recipient_device::text as d from envelopes where message_id = ?', [m]);
    expect(rows.rows.map((r: { d: string }) => r.d)).toEqual([aLaptop.deviceUuid]);
    expect(await pending(b)).toEqual([]);
    expect((await history(b, conv)).map((x) => x.id)).not.toContain(m);
    expect((await history(a, conv)).map((x) => x.id)).toContain(m);
    expect((await conversation(b, conv)).unreadCount).toBe(0);
    // lifting the block does not deliver what was sent while it stood
    await unblock(b, a.userId);
    expect((await history(b, conv)).map((x) => x.id)).not.toContain(m);
    const after = await send(s.url, a, conv, [b.deviceUuid, aLaptop.deviceUuid]);
    expect((await pending(b)).map((e) => e.messageId)).toEqual([after]);
  });

  it('hands a blocked requester no one-time prekeys (the signed and last-resort keys only), so the stock is not drained', async () => {
    const a = await register(s.url);
    const b = await keyedUser(3);
    await block(b, a.userId);
    const bundles = async () =>
      (
        await q(
          a,
          'mutation($u: ID!) { preKeyBundles(userId: $u) { ... on PreKeyBundles { bundles { preKey { keyId } signedPreKey { keyId } kyberPreKey { keyId lastResort } } } } }',
          { u: b.userId },
        )
      ).preKeyBundles.bundles;
    const [blocked] = await bundles();
    expect(blocked).toEqual({ preKey: null, signedPreKey: { keyId: 1 }, kyberPreKey: { keyId: 10_001, lastResort: true } });
    expect((await q(b, '{ preKeyCounts { oneTime kyberOneTime } }')).preKeyCounts).toEqual({ oneTime: 3, kyberOneTime: 3 });
    await unblock(b, a.userId);
    const [open] = await bundles();
    expect(open).toMatchObject({ preKey: { keyId: 1 }, kyberPreKey: { keyId: 1, lastResort: false } });
  });

  it('strangers share one budget of one-time prekeys per target device (PREKEY_STRANGER_BURST); past it they get none, contacts still do', async () => {
    const t = await startServer({ preKeyStrangerBurst: 2, preKeyStrangerRefillSeconds: 3600, jwtSecret: s.config.jwtSecret });
    try {
      const target = await keyedUser(5);
      const claim = async (who: Registered) =>
        (
          await gql(t.url, 'mutation($u: ID!) { preKeyBundles(userId: $u) { ... on PreKeyBundles { bundles { preKey { keyId } kyberPreKey { lastResort } } } } }', { u: target.userId }, who.token)
        ).data.preKeyBundles.bundles[0];
      const strangers = [await register(s.url), await register(s.url), await register(s.url)];
      const got = [];
      for (const st of strangers) got.push(await claim(st));
      expect(got).toEqual([
        { preKey: { keyId: 1 }, kyberPreKey: { lastResort: false } },
        { preKey: { keyId: 2 }, kyberPreKey: { lastResort: false } },
        { preKey: null, kyberPreKey: { lastResort: true } },
      ]);
      // a contact (someone the target accepted a conversation with) is not counted against strangers
      const friend = await register(s.url);
      await directConversation(s.url, target, friend);
      expect(await claim(friend)).toEqual({ preKey: { keyId: 3 }, kyberPreKey: { lastResort: false } });
    } finally {
      await t.stop();
    }
  });

  it('a user who blocked someone cannot be added by them to a group (ForbiddenError), at creation or later', async () => {
    const { a, b } = await friends();
    const c = await register(s.url);
    await block(b, a.userId);
    expect(await group(a, [b, c])).toEqual({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    const g = await group(a, [c]);
    const add = await q(a, 'mutation($c: ID!, $u: [ID!]!) { addGroupMembers(conversationId: $c, userIds: $u) { __typename } }', { c: g.id, u: [b.userId] });
    expect(add.addGroupMembers.__typename).toBe('ForbiddenError');
    // the blocker may still add the blocked user
    expect((await group(b, [a])).__typename).toBe('Conversation');
  });

  it("tells only the blocker's devices (trustEvents), never the blocked user, and hides presence and typing from the blocked user", async () => {
    const { a, b, conv } = await friends();
    const b2 = await linkDevice(b);
    const events = 'subscription { trustEvents { kind userId } }';
    const onB2 = wsClient(s.wsUrl, b2.token);
    const onA = wsClient(s.wsUrl, a.token);
    const bOnline = wsClient(s.wsUrl, b.token);
    try {
      const mine = collect<any>(onB2, events);
      const theirs = collect<any>(onA, events);
      const typing = collect<any>(onA, 'subscription($c: ID!) { conversationEvents(conversationId: $c) { kind userId typing } }', { c: conv });
      await new Promise((r) => setTimeout(r, 200));
      await wsQuery(bOnline, '{ me { id } }');
      const seen = await q(a, 'query($u: [ID!]!) { presence(userIds: $u) { userId online } }', { u: [b.userId] });
      expect(seen.presence).toEqual([{ userId: b.userId, online: true }]);

      await block(b, a.userId);
      await mine.until((it) => it.some((e) => e.kind === 'BLOCKED' && e.userId === a.userId));
      expect((await q(a, 'query($u: [ID!]!) { presence(userIds: $u) { userId } }', { u: [b.userId] })).presence).toEqual([]);
      expect((await q(a, 'query($u: ID!) { user(id: $u) { presence { online } } }', { u: b.userId })).user.presence).toBeNull();
      await q(b, 'mutation($c: ID!) { setTyping(conversationId: $c, typing: true) }', { c: conv });
      await unblock(b, a.userId);
      await q(b, 'mutation($c: ID!) { setTyping(conversationId: $c, typing: false) }', { c: conv });
      await typing.until((it) => it.some((e) => e.kind === 'TYPING'));
      expect(typing.items.filter((e) => e.kind === 'TYPING')).toEqual([{ kind: 'TYPING', userId: b.userId, typing: false }]);
      await mine.until((it) => it.some((e) => e.kind === 'UNBLOCKED'));
      expect(theirs.items).toEqual([]);
    } finally {
      await Promise.all([onB2.dispose(), onA.dispose(), bOnline.dispose()]);
    }
  });
});

describe('calls', () => {
  const START = 'mutation($c: ID!) { startCall(conversationId: $c, media: AUDIO) { __typename ... on Call { id status } ... on Error { code } } }';
  const CALL = 'query($id: ID!) { call(id: $id) { __typename } }';

  it('a call from a blocked user, or from a stranger whose request is unanswered, rings nobody and tells them nothing; the caller sees it ring unanswered', async () => {
    const { a, b, conv } = await friends();
    const stranger = await register(s.url);
    const request = await directConversation(s.url, stranger, b);
    await send(s.url, stranger, request, [b.deviceUuid]);
    const onB = wsClient(s.wsUrl, b.token);
    try {
      const events = collect<any>(onB, 'subscription { callEvents { kind callId } }');
      await new Promise((r) => setTimeout(r, 200));
      await block(b, a.userId);
      const blockedCall = (await q(a, START, { c: conv })).startCall;
      const requestCall = (await q(stranger, START, { c: request })).startCall;
      expect(blockedCall).toMatchObject({ __typename: 'Call', status: 'RINGING' });
      expect(requestCall).toMatchObject({ __typename: 'Call', status: 'RINGING' });
      expect((await q(b, CALL, { id: blockedCall.id })).call.__typename).toBe('NotFoundError');
      expect((await q(b, CALL, { id: requestCall.id })).call.__typename).toBe('NotFoundError');
      // after the block is lifted, a new call rings as before: the subscription was listening all along
      await unblock(b, a.userId);
      const call = (await q(a, START, { c: conv })).startCall;
      await events.until((it) => it.length > 0);
      expect(events.items).toEqual([{ kind: 'RINGING', callId: call.id }]);
    } finally {
      await onB.dispose();
    }
  });
});

describe('message requests', () => {
  it("a stranger's conversation is a request: unlisted until it has a message, envelopes marked, no delivery or read receipts, no typing, lastReadAt hidden", async () => {
    const stranger = await register(s.url);
    const b = await register(s.url);
    const conv = await directConversation(s.url, stranger, b);
    expect(await listed(b)).not.toContain(conv);
    expect(await listed(stranger)).toContain(conv);
    const m = await send(s.url, stranger, conv, [b.deviceUuid]);
    expect(await listed(b)).toContain(conv);
    expect((await conversation(b, conv)).messageRequest).toBe(true);
    const [env] = await pending(b);
    expect(env).toMatchObject({ messageId: m, request: true });
    await ack(b, [env.id]);
    await q(b, 'mutation($c: ID!, $m: ID!) { markRead(conversationId: $c, upToMessageId: $m) { __typename } }', { c: conv, m });
    expect((await history(stranger, conv))[0]).toEqual({ id: m, status: 'SENT' });
    expect((await conversation(stranger, conv)).participants.find((p: { userId: string }) => p.userId === b.userId).lastReadAt).toBeNull();

    expect((await respond(b, conv, 'ACCEPT')).conversation.messageRequest).toBe(false);
    const m2 = await send(s.url, stranger, conv, [b.deviceUuid]);
    const [env2] = await pending(b);
    expect(env2).toMatchObject({ messageId: m2, request: false });
    await ack(b, [env2.id]);
    expect((await history(stranger, conv))[0]).toEqual({ id: m2, status: 'DELIVERED' });
  });

  it("the requester's live presence stream shows the recipient once they accept, not before", async () => {
    const stranger = await register(s.url);
    const b = await register(s.url);
    const conv = await directConversation(s.url, stranger, b);
    await send(s.url, stranger, conv, [b.deviceUuid]);
    const onStranger = wsClient(s.wsUrl, stranger.token);
    const bOnline = wsClient(s.wsUrl, b.token);
    try {
      await wsQuery(bOnline, '{ me { id } }');
      const seen = collect<any>(onStranger, 'subscription($u: [ID!]!) { presence(userIds: $u) { userId online } }', { u: [b.userId] });
      await new Promise((r) => setTimeout(r, 300));
      expect(seen.items).toEqual([]);
      await respond(b, conv, 'ACCEPT');
      await seen.until((it) => it.length > 0);
      expect(seen.items).toEqual([{ userId: b.userId, online: true }]);
    } finally {
      await Promise.all([onStranger.dispose(), bOnline.dispose()]);
    }
  });

  it('replying accepts; a group from a stranger is a request, one from a contact (sharing an accepted conversation) is not', async () => {
    const a = await register(s.url);
    const b = await register(s.url);
    const conv = await directConversation(s.url, a, b);
    await send(s.url, b, conv, [a.deviceUuid]);
    expect((await conversation(b, conv)).messageRequest).toBe(false);
    const stranger = await register(s.url);
    const fromContact = await group(a, [b]);
    const fromStranger = await group(stranger, [b]);
    expect((await conversation(b, fromContact.id)).messageRequest).toBe(false);
    expect((await conversation(b, fromStranger.id)).messageRequest).toBe(true);
    // and a direct conversation started by a group contact is no request either
    const c = await register(s.url);
    const g = await group(b, [c]);
    expect((await conversation(c, g.id)).messageRequest).toBe(true);
    await acceptConversation(s.url, c, g.id);
    const d = await directConversation(s.url, b, c);
    expect((await conversation(c, d)).messageRequest).toBe(false);
  });

  it('DELETE empties a direct request for the caller (queue and history) and unlists it until a new message; BLOCK on a group leaves it and blocks the inviter', async () => {
    const stranger = await register(s.url);
    const b = await register(s.url);
    const conv = await directConversation(s.url, stranger, b);
    await send(s.url, stranger, conv, [b.deviceUuid]);
    const r = await respond(b, conv, 'DELETE');
    expect(r.conversation).toEqual({ id: conv, messageRequest: true, unreadCount: 0 });
    expect(await pending(b)).toEqual([]);
    expect(await history(b, conv)).toEqual([]);
    expect(await listed(b)).not.toContain(conv);
    const again = await send(s.url, stranger, conv, [b.deviceUuid]);
    expect(await listed(b)).toContain(conv);
    expect((await history(b, conv)).map((m) => m.id)).toEqual([again]);

    const inviter = await register(s.url);
    const g = await group(inviter, [b]);
    const left = await respond(b, g.id, 'BLOCK');
    expect(left).toMatchObject({ __typename: 'MessageRequestResponse', conversation: null, blockedUserId: inviter.userId });
    expect((await q(b, '{ blockedUsers { userId } }')).blockedUsers).toEqual([{ userId: inviter.userId }]);
    expect((await q(b, 'query($c: ID!) { conversation(id: $c) { __typename } }', { c: g.id })).conversation.__typename).toBe('NotFoundError');
  });
});

describe('spam reports', () => {
  it('a report names delivered messages by their tokens; forged, altered or borrowed tokens are refused; only operators read reports', async () => {
    const spammer = await register(s.url);
    const b = await register(s.url);
    const c = await register(s.url);
    const conv = await directConversation(s.url, spammer, b);
    const m = await send(s.url, spammer, conv, [b.deviceUuid]);
    const [env] = await pending(b);
    expect(typeof env.reportingToken).toBe('string');
    const altered = `${env.reportingToken.slice(0, -2)}${env.reportingToken.endsWith('AA') ? 'AB' : 'AA'}`;
    for (const bad of [altered, 'not-a-token', b64(randomBytes(49))]) {
      expect(await respond(b, conv, 'SPAM', [bad])).toEqual({ __typename: 'InvalidReportingTokenError', code: 'INVALID_REPORTING_TOKEN', index: 0 });
    }
    // another user cannot use b's token
    const stolen = await q(c, 'mutation($t: [String!]!) { reportSpam(reportingTokens: $t) { __typename ... on Error { code } } }', { t: [env.reportingToken] });
    expect(stolen.reportSpam).toEqual({ __typename: 'InvalidReportingTokenError', code: 'INVALID_REPORTING_TOKEN' });
    // the spammer's own copy has no token
    const own = await directConversation(s.url, spammer, c);
    const spammerLaptop = await linkDevice(spammer);
    await send(s.url, spammer, own, [c.deviceUuid, spammerLaptop.deviceUuid]);
    expect((await pending(spammerLaptop))[0].reportingToken).toBeNull();

    expect(await respond(b, conv, 'SPAM', [env.reportingToken])).toMatchObject({ reported: 1, conversation: { messageRequest: true } });
    const twice = await q(b, 'mutation($t: [String!]!) { reportSpam(reportingTokens: $t) { ... on SpamReported { reported } } }', { t: [env.reportingToken] });
    expect(twice.reportSpam.reported).toBe(0);

    const REPORTS = `query($u: ID) { spamReports(senderUserId: $u) { __typename ... on SpamReportPage { items { reporterUserId senderUserId messageId conversationId messageSentAt } } ... on Error { code } } }`;
    expect((await q(b, REPORTS, { u: spammer.userId })).spamReports).toEqual({ __typename: 'NotOperatorError', code: 'NOT_OPERATOR' });
    const ops = await startServer({ operatorUserIds: [c.userId], jwtSecret: s.config.jwtSecret });
    try {
      const r = await gql(ops.url, REPORTS, { u: spammer.userId }, c.token);
      expect(r.data, JSON.stringify(r.errors)).toBeTruthy();
      expect(r.data.spamReports.items).toEqual([{ reporterUserId: b.userId, senderUserId: spammer.userId, messageId: m, conversationId: conv, messageSentAt: expect.any(String) }]);
    } finally {
      await ops.stop();
    }
  });

  it('OPERATOR_USER_IDS takes user ids separated by commas or spaces and refuses anything else', () => {
    const [u1, u2] = [randomUUID(), randomUUID()];
    expect(loadConfig({ OPERATOR_USER_IDS: `${u1}, ${u2.toUpperCase()}` }).operatorUserIds).toEqual([u1, u2]);
    expect(loadConfig({}).operatorUserIds).toEqual([]);
    expect(() => loadConfig({ OPERATOR_USER_IDS: 'alice' })).toThrow(/OPERATOR_USER_IDS/);
  });
});

describe('directory privacy', () => {
  it('exact username lookup for anyone (case-insensitive), substring search only among contacts, discoverability off hides from strangers', async () => {
    const { a, b } = await friends();
    const stranger = await register(s.url);
    const LOOKUP = 'query($n: String!) { userByUsername(username: $n) { __typename ... on User { id discoverable } ... on Error { code } } }';
    expect((await q(stranger, LOOKUP, { n: b.username.toUpperCase() })).userByUsername).toEqual({ __typename: 'User', id: b.userId, discoverable: null });
    expect((await q(b, LOOKUP, { n: b.username })).userByUsername).toEqual({ __typename: 'User', id: b.userId, discoverable: true });
    const SEARCH = 'query($s: String!) { users(search: $s) { ... on UserPage { items { id } } } }';
    expect((await q(stranger, SEARCH, { s: '_' })).users.items).toEqual([]);
    expect((await q(a, SEARCH, { s: b.username.slice(2, 8) })).users.items).toEqual([{ id: b.userId }]);

    await q(b, 'mutation { setDiscoverable(discoverable: false) { discoverable } }');
    expect((await q(stranger, LOOKUP, { n: b.username })).userByUsername).toBeNull();
    expect((await q(a, LOOKUP, { n: b.username })).userByUsername.id).toBe(b.userId);
    // blocking someone removes them from the contacts
    await block(a, b.userId);
    expect((await q(a, '{ contacts { ... on UserPage { items { id } } } }')).contacts.items).toEqual([]);
  });

  it('rate limits exact lookups per device (LOOKUP_BURST), so usernames cannot be guessed at speed', async () => {
    const who = await register(s.url);
    const LOOKUP = 'query($n: String!) { userByUsername(username: $n) { __typename ... on RateLimitedError { retryAfterSeconds } } }';
    const results = [];
    for (let i = 0; i < 21; i++) results.push((await q(who, LOOKUP, { n: uniqueName() })).userByUsername);
    expect(results.slice(0, 20).every((r) => r === null)).toBe(true);
    expect(results[20]).toMatchObject({ __typename: 'RateLimitedError', retryAfterSeconds: expect.any(Number) });
  });
});

describe('decryption-error replies and resends', () => {
  /** A DecryptionErrorMessage (about a SenderKey message: no ratchet key to parse) naming `deviceId`. */
  const reply = (deviceId: number, ts = Date.now()) => b64(PlaintextContent.from(DecryptionErrorMessage.forOriginal(randomBytes(40), 7, ts, deviceId)).serialize());
  const REPORT = `mutation($e: ID!, $c: Bytes!) { reportDecryptionError(envelopeId: $e, content: $c) {
    __typename ... on DecryptionErrorReported { envelopeId messageId } ... on Error { code } ... on InvalidInputError { field } } }`;
  const RESEND = `mutation($m: ID!, $e: EnvelopeInput!) { resendMessage(messageId: $m, envelope: $e) { __typename ... on Error { code } } }`;

  it('relays one reply per queued envelope to the device that sent it, as a type-8 envelope from the replier, with no delivery receipt', async () => {
    const { a, b, conv } = await friends();
    const m = await send(s.url, a, conv, [b.deviceUuid]);
    const [env] = await pending(b);
    expect((await q(b, REPORT, { e: env.id, c: b64(randomBytes(30)) })).reportDecryptionError).toEqual({ __typename: 'InvalidInputError', code: 'INVALID_INPUT', field: 'content' });
    expect((await q(b, REPORT, { e: env.id, c: reply(a.deviceId + 1) })).reportDecryptionError.__typename).toBe('InvalidInputError');
    expect((await q(a, REPORT, { e: env.id, c: reply(a.deviceId) })).reportDecryptionError.__typename).toBe('NotFoundError');
    expect((await q(b, REPORT, { e: env.id, c: reply(a.deviceId) })).reportDecryptionError).toEqual({ __typename: 'DecryptionErrorReported', envelopeId: env.id, messageId: m });
    expect(await pending(b)).toEqual([]);
    expect((await q(b, REPORT, { e: env.id, c: reply(a.deviceId) })).reportDecryptionError.__typename).toBe('NotFoundError');
    const [got] = await pending(a);
    expect(got).toMatchObject({ type: 8, messageId: m, senderUserId: b.userId, senderDeviceId: b.deviceId, senderDeviceUuid: b.deviceUuid, reportingToken: null });
    expect(PlaintextContent.deserialize(Buffer.from(got.ciphertext, 'base64')).decryptionErrorMessage().deviceId).toBe(a.deviceId);
    expect((await q(a, REPORT, { e: got.id, c: reply(b.deviceId) })).reportDecryptionError.__typename).toBe('InvalidInputError');
    expect((await history(a, conv))[0]).toEqual({ id: m, status: 'SENT' });
    await ack(a, [got.id]);

    const resend = (e: Record<string, unknown>) => q(a, RESEND, { m, e: { deviceId: b.deviceUuid, type: 3, ciphertext: b64(randomBytes(64)), ...e } });
    expect((await resend({ registrationId: 999 })).resendMessage.__typename).toBe('StaleDevicesError');
    expect((await resend({})).resendMessage.__typename).toBe('ResendResult');
    expect((await resend({})).resendMessage.__typename).toBe('NotFoundError');
    const [again] = await pending(b);
    expect(again).toMatchObject({ messageId: m, type: 3, createdAt: env.createdAt });
    // only the message's sending device may resend it
    expect((await q(b, RESEND, { m, e: { deviceId: a.deviceUuid, type: 2, ciphertext: b64(randomBytes(8)) } })).resendMessage.__typename).toBe('NotFoundError');
  });

  it('a user who blocked the replier gets nothing (the reply still succeeds)', async () => {
    const { a, b, conv } = await friends();
    await send(s.url, a, conv, [b.deviceUuid]);
    const [env] = await pending(b);
    await block(a, b.userId);
    expect((await q(b, REPORT, { e: env.id, c: reply(a.deviceId) })).reportDecryptionError.__typename).toBe('DecryptionErrorReported');
    expect(await pending(a)).toEqual([]);
  });
});

// ---- helpers

async function linkDevice(owner: Registered): Promise<Registered> {
  const code = (await q(owner, 'mutation { createDeviceLinkCode { code } }')).createDeviceLinkCode.code;
  const r = await gql(
    s.url,
    `mutation($c: String!, $d: NewDeviceInput!) { linkDevice(code: $c, device: $d) { ... on DeviceCredentials { accessToken device { id deviceId } } } }`,
    { c: code, d: { name: 'laptop', registrationId: 4321, identityKey: b64(IdentityKeyPair.generate().publicKey.serialize()) } },
  );
  const d = r.data.linkDevice;
  return { ...owner, deviceUuid: d.device.id, deviceId: d.device.deviceId, token: d.accessToken };
}

/** A user whose device has a real identity and uploaded `n` one-time EC and Kyber prekeys, a signed prekey (id 1) and a last-resort Kyber key (id 10001). */
async function keyedUser(n: number): Promise<Registered> {
  const identity = IdentityKeyPair.generate();
  const who = await register(s.url, { identityKey: b64(identity.publicKey.serialize()) });
  const spk = await generateSignedPreKey(identity, 1);
  const kyber = await Promise.all(Array.from({ length: n }, (_, i) => generateKyberPreKey(identity, i + 1)));
  const lastResort = await generateKyberPreKey(identity, 10_001);
  const r = await q(who, 'mutation($i: UploadPreKeysInput!) { uploadPreKeys(input: $i) { __typename } }', {
    i: {
      signedPreKey: { keyId: 1, publicKey: b64(spk.publicKey.serialize()), signature: b64(spk.signature) },
      oneTimePreKeys: generatePreKeys(1, n).map((k) => ({ keyId: k.id, publicKey: b64(k.publicKey.serialize()) })),
      oneTimeKyberPreKeys: kyber.map((k) => ({ keyId: k.id, publicKey: b64(k.publicKey.serialize()), signature: b64(k.signature) })),
      lastResortKyberPreKey: { keyId: 10_001, publicKey: b64(lastResort.publicKey.serialize()), signature: b64(lastResort.signature) },
    },
  });
  expect(r.uploadPreKeys.__typename).toBe('PreKeyCounts');
  return who;
}
