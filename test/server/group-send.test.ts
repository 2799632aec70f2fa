/**
 * The multi-recipient send (sendGroupMessage): one shared ciphertext stored once, a type-7 envelope with an
 * optional header for every recipient device, the same exact device-set checks and idempotency as
 * sendMessage, all or nothing; the shared payload lives exactly as long as an envelope needs it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecryptionErrorMessage, PlaintextContent } from '../../src/protocol/index.js';
import { fakeIdentityKey, gql, onRealPostgres, register, startServer, type TestServer, wsClient } from './harness.js';

interface Dev {
  userId: string;
  deviceUuid: string;
  deviceId: number;
  token: string;
}

let s: TestServer;
beforeAll(async () => {
  s = await startServer({ sendRateBurst: 1_000_000, sendRatePerSecond: 1_000_000, messageSweepIntervalMs: 0 });
});
afterAll(() => s?.stop());

const knex = () => s.app.services.knex;

async function user(): Promise<Dev> {
  const r = await register(s.url);
  return { userId: r.userId, deviceUuid: r.deviceUuid, deviceId: r.deviceId, token: r.token };
}

async function link(owner: Dev): Promise<Dev> {
  const code = (await gql(s.url, 'mutation { createDeviceLinkCode { code } }', {}, owner.token)).data.createDeviceLinkCode.code;
  const r = await gql(
    s.url,
    `mutation($c: String!, $d: NewDeviceInput!) { linkDevice(code: $c, device: $d) { ... on DeviceCredentials { accessToken device { id deviceId } } } }`,
    { c: code, d: { name: 'laptop', registrationId: 4321, identityKey: fakeIdentityKey() } },
  );
  return { userId: owner.userId, deviceUuid: r.data.linkDevice.device.id, deviceId: r.data.linkDevice.device.deviceId, token: r.data.linkDevice.accessToken };
}

async function group(owner: Dev, others: Dev[]): Promise<string> {
  const r = await gql(
    s.url,
    `mutation($i: CreateGroupInput!) { createGroup(input: $i) { __typename ... on Conversation { id } ... on Error { message } } }`,
    { i: { name: 'grp', memberIds: others.map((o) => o.userId) } },
    owner.token,
  );
  expect(r.data.createGroup.__typename, JSON.stringify(r)).toBe('Conversation');
  const id = r.data.createGroup.id;
  // members accept (a group from a stranger is a message request otherwise; it changes nothing here but receipts)
  for (const o of others) {
    await gql(s.url, `mutation($c: ID!) { respondToMessageRequest(conversationId: $c, action: ACCEPT) { __typename } }`, { c: id }, o.token);
  }
  return id;
}

async function targets(sender: Dev, conversationId: string): Promise<{ id: string; registrationId: number }[]> {
  const r = await gql(
    s.url,
    `query($id: ID!) { conversation(id: $id) { ... on Conversation { participants { user { devices { id registrationId } } } } } }`,
    { id: conversationId },
    sender.token,
  );
  return r.data.conversation.participants.flatMap((p: any) => p.user.devices).filter((d: any) => d.id !== sender.deviceUuid);
}

const SEND_GROUP = `mutation($i: SendGroupMessageInput!) { sendGroupMessage(input: $i) {
  __typename
  ... on Message { id clientMessageId status conversationId }
  ... on MismatchedDevicesError { missing { id userId } extra { id } }
  ... on StaleDevicesError { stale { id registrationId } }
  ... on LimitExceededError { field max actual }
  ... on InvalidInputError { field }
  ... on Error { code message } } }`;

function recipients(devs: { id: string; registrationId?: number }[], headerFor: (id: string) => boolean = () => false) {
  return devs.map((d) => ({
    deviceId: d.id,
    registrationId: d.registrationId,
    header: headerFor(d.id) ? { type: 3, ciphertext: Buffer.from(`skdm for ${d.id}`).toString('base64') } : null,
  }));
}

async function sendGroup(sender: Dev, conversationId: string, recips: unknown[], extra: Record<string, unknown> = {}) {
  const i = { conversationId, clientMessageId: randomUUID(), contentType: 'TEXT', type: 7, ciphertext: randomBytes(200).toString('base64'), recipients: recips, ...extra };
  const r = await gql(s.url, SEND_GROUP, { i }, sender.token);
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return { result: r.data.sendGroupMessage, input: i };
}

const PENDING = `query { pendingEnvelopes(first: 50) { ... on EnvelopePage { items { id messageId senderUserId senderDeviceUuid type ciphertext headerType header } } } }`;
async function pending(dev: Dev): Promise<any[]> {
  const r = await gql(s.url, PENDING, {}, dev.token);
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return r.data.pendingEnvelopes.items;
}

async function ack(dev: Dev, ids: string[]): Promise<string[]> {
  const r = await gql(s.url, `mutation($ids: [ID!]!) { acknowledgeEnvelopes(ids: $ids) { ... on AcknowledgeResult { acknowledged } } }`, { ids }, dev.token);
  return r.data.acknowledgeEnvelopes.acknowledged;
}

async function payloads(messageId: string): Promise<{ remaining: number; bytes: number }[]> {
  return (await knex().raw('select remaining, length(ciphertext)::int as bytes from message_payloads where message_id = ?', [messageId])).rows;
}

async function counts(conversationId: string) {
  const r = await knex().raw(
    `select (select count(*)::int from messages where conversation_id = ?) as messages,
            (select count(*)::int from envelopes e join messages m on m.id = e.message_id where m.conversation_id = ?) as envelopes,
            (select count(*)::int from message_payloads p join messages m on m.id = p.message_id where m.conversation_id = ?) as payloads`,
    [conversationId, conversationId, conversationId],
  );
  return r.rows[0] as { messages: number; envelopes: number; payloads: number };
}

/** A group of three users, the sender and the third with two devices each. */
async function setup() {
  const a1 = await user();
  const a2 = await link(a1);
  const b = await user();
  const c1 = await user();
  const c2 = await link(c1);
  const g = await group(a1, [b, c1]);
  return { a1, a2, b, c1, c2, g };
}

describe('sendGroupMessage', () => {
  it('stores the shared ciphertext once and queues it for every recipient device, each with its own header', async () => {
    const { a1, a2, b, c1, c2, g } = await setup();
    const devs = await targets(a1, g);
    expect(devs.map((d) => d.id).sort()).toEqual([a2, b, c1, c2].map((d) => d.deviceUuid).sort());
    const { result, input } = await sendGroup(a1, g, recipients(devs, (id) => id !== c2.deviceUuid));
    expect(result.__typename, JSON.stringify(result)).toBe('Message');
    // storage: one payload, envelopes without ciphertext of their own
    expect(await payloads(result.id)).toEqual([{ remaining: 4, bytes: 200 }]);
    const rows = (await knex().raw('select type, ciphertext is null as shared, header_type as "headerType" from envelopes where message_id = ?', [result.id])).rows;
    expect(rows).toHaveLength(4);
    expect(rows.every((r: any) => r.type === 7 && r.shared)).toBe(true);
    for (const d of [a2, b, c1, c2]) {
      const items = await pending(d);
      expect(items).toHaveLength(1);
      const [e] = items;
      expect(e).toMatchObject({ messageId: result.id, senderUserId: a1.userId, senderDeviceUuid: a1.deviceUuid, type: 7, ciphertext: input.ciphertext });
      if (d === c2) expect([e.headerType, e.header]).toEqual([null, null]);
      else expect([e.headerType, Buffer.from(e.header, 'base64').toString()]).toEqual([3, `skdm for ${d.deviceUuid}`]);
    }
    expect((await pending(a1)).length).toBe(0);
  });

  it('a device-set mismatch (missing, extra) or a stale device stores nothing for anyone', async () => {
    const { a1, a2, b, c1, c2, g } = await setup();
    const devs = await targets(a1, g);
    const before = await counts(g);
    const missing = await sendGroup(a1, g, recipients(devs.filter((d) => d.id !== c2.deviceUuid)));
    expect(missing.result.__typename).toBe('MismatchedDevicesError');
    expect(missing.result.missing.map((m: any) => m.id)).toEqual([c2.deviceUuid]);
    const stranger = await user();
    const extra = await sendGroup(a1, g, recipients([...devs, { id: stranger.deviceUuid }]));
    expect(extra.result.__typename).toBe('MismatchedDevicesError');
    expect(extra.result.extra.map((m: any) => m.id)).toEqual([stranger.deviceUuid]);
    const own = await sendGroup(a1, g, recipients([...devs, { id: a1.deviceUuid }]));
    expect(own.result.__typename).toBe('MismatchedDevicesError');
    const stale = await sendGroup(a1, g, recipients(devs.map((d) => (d.id === b.deviceUuid ? { ...d, registrationId: d.registrationId + 1 } : d))));
    expect(stale.result.__typename).toBe('StaleDevicesError');
    expect(stale.result.stale.map((m: any) => m.id)).toEqual([b.deviceUuid]);
    expect(await counts(g)).toEqual(before);
    for (const d of [a2, b, c1, c2]) expect(await pending(d)).toEqual([]);
  });

  it('a retry with the same clientMessageId stores nothing new (also against a sendMessage with that id)', async () => {
    const { a1, a2, b, c1, c2, g } = await setup();
    const recips = recipients(await targets(a1, g));
    const first = await sendGroup(a1, g, recips);
    const again = await gql(s.url, SEND_GROUP, { i: { ...first.input, ciphertext: randomBytes(50).toString('base64') } }, a1.token);
    expect(again.data.sendGroupMessage).toMatchObject({ __typename: 'Message', id: first.result.id });
    expect(await counts(g)).toEqual({ messages: 1, envelopes: 4, payloads: 1 });
    for (const d of [a2, b, c1, c2]) expect((await pending(d)).map((e) => e.ciphertext)).toEqual([first.input.ciphertext]);
  });

  it.skipIf(!onRealPostgres())('concurrent sends (distinct and repeated ids, several senders): each recipient device gets each message exactly once [needs real concurrent transactions]', async () => {
    const { a1, a2, b, c1, c2, g } = await setup();
    const fromA = recipients(await targets(a1, g));
    const fromB = recipients(await targets(b, g));
    const sameId = randomUUID();
    const sends = [
      ...Array.from({ length: 8 }, () => sendGroup(a1, g, fromA)),
      ...Array.from({ length: 8 }, () => sendGroup(b, g, fromB)),
      ...Array.from({ length: 6 }, () => sendGroup(a1, g, fromA, { clientMessageId: sameId })),
    ];
    const out = await Promise.all(sends);
    expect(out.every((o) => o.result.__typename === 'Message')).toBe(true);
    const ids = new Set(out.map((o) => o.result.id));
    expect(ids.size).toBe(17);
    expect(new Set(out.slice(16).map((o) => o.result.id)).size).toBe(1);
    expect(await counts(g)).toEqual({ messages: 17, envelopes: 17 * 4, payloads: 17 });
    for (const d of [a1, a2, b, c1, c2]) {
      const items = await pending(d);
      // 9 messages from a1 (to every device but a1 itself), 8 from b (to every device but b)
      const expected = d === a1 ? 8 : d === b ? 9 : 17;
      expect(items).toHaveLength(expected);
      expect(new Set(items.map((e) => e.messageId)).size).toBe(expected);
    }
  });

  it('a non-member cannot send (NotFoundError), nor to an unknown conversation; nothing is stored', async () => {
    const { a1, g } = await setup();
    const outsider = await user();
    const recips = recipients(await targets(a1, g));
    const r = await sendGroup(outsider, g, recips);
    expect(r.result).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    expect((await sendGroup(outsider, randomUUID(), recips)).result.__typename).toBe('NotFoundError');
    expect((await sendGroup(outsider, 'not-a-uuid', recips)).result.__typename).toBe('NotFoundError');
    expect(await counts(g)).toEqual({ messages: 0, envelopes: 0, payloads: 0 });
  });

  it('refuses bad input with typed errors before anything is stored', async () => {
    const { a1, g } = await setup();
    const devs = await targets(a1, g);
    const recips = recipients(devs);
    const code = async (extra: Record<string, unknown>) => (await sendGroup(a1, g, (extra.recipients as unknown[]) ?? recips, extra)).result;
    expect(await code({ type: 2 })).toMatchObject({ __typename: 'InvalidInputError', field: 'type' });
    expect(await code({ ciphertext: '' })).toMatchObject({ __typename: 'InvalidInputError', field: 'ciphertext' });
    expect(await code({ ciphertext: randomBytes(s.config.maxEnvelopeBytes + 1).toString('base64') })).toMatchObject({ __typename: 'LimitExceededError', field: 'ciphertext' });
    const withHeader = (h: unknown) => [{ ...recips[0], header: h }, ...recips.slice(1)];
    expect(await code({ recipients: withHeader({ type: 7, ciphertext: 'AAAA' }) })).toMatchObject({ __typename: 'InvalidInputError', field: 'recipients[0].header.type' });
    expect(await code({ recipients: withHeader({ type: 2, ciphertext: '' }) })).toMatchObject({ __typename: 'InvalidInputError', field: 'recipients[0].header.ciphertext' });
    expect(await code({ recipients: withHeader({ type: 2, ciphertext: randomBytes(4097).toString('base64') }) })).toMatchObject({
      __typename: 'LimitExceededError',
      field: 'recipients[0].header.ciphertext',
    });
    expect(await code({ recipients: [...recips, recips[0]] })).toMatchObject({ __typename: 'InvalidInputError', field: 'recipients[4].deviceId' });
    expect(await code({ recipients: [{ deviceId: 'nope' }] })).toMatchObject({ __typename: 'InvalidInputError', field: 'recipients[0].deviceId' });
    expect(await code({ recipients: [{ ...recips[0], registrationId: -1 }, ...recips.slice(1)] })).toMatchObject({ __typename: 'InvalidInputError' });
    expect(await code({ clientMessageId: '' })).toMatchObject({ __typename: 'InvalidInputError', field: 'clientMessageId' });
    expect(await code({ expiresIn: 0 })).toMatchObject({ __typename: 'InvalidInputError', field: 'expiresIn' });
    expect(await counts(g)).toEqual({ messages: 0, envelopes: 0, payloads: 0 });
  });

  it('acknowledging keeps the shared payload while any device still needs it and deletes it with the last', async () => {
    const { a1, a2, b, c1, c2, g } = await setup();
    const { result, input } = await sendGroup(a1, g, recipients(await targets(a1, g)));
    const devs = [a2, b, c1, c2];
    for (const [i, d] of devs.entries()) {
      const [e] = await pending(d);
      expect(e.ciphertext).toBe(input.ciphertext);
      expect(await ack(d, [e.id])).toEqual([e.id]);
      expect(await ack(d, [e.id])).toEqual([]); // twice: counted once
      const left = devs.length - i - 1;
      expect(await payloads(result.id)).toEqual(left ? [{ remaining: left, bytes: 200 }] : []);
      // the devices still waiting read it whole
      for (const other of devs.slice(i + 1)) expect((await pending(other))[0].ciphertext).toBe(input.ciphertext);
    }
    // a delivery receipt per recipient user, as for sendMessage
    const st = await gql(s.url, `query($id: ID!) { message(id: $id) { ... on Message { status } } }`, { id: result.id }, a1.token);
    expect(st.data.message.status).toBe('DELIVERED');
  });

  it('the sweeper deletes payloads whose envelopes went by other paths (retention); expiry and delete-for-everyone take them along', async () => {
    const { MessageSweeper } = await import('../../src/server/messages/sweeper.js');
    const { a1, g } = await setup();
    const recips = recipients(await targets(a1, g));
    const old = await sendGroup(a1, g, recips);
    const kept = await sendGroup(a1, g, recips);
    const expiring = await sendGroup(a1, g, recips, { expiresIn: 60 });
    const deleted = await sendGroup(a1, g, recips);
    await knex().raw(`update envelopes set created_at = now() - interval '31 days' where message_id = ?`, [old.result.id]);
    await knex().raw(`update messages set expires_at = now() - interval '1 second' where id = ?`, [expiring.result.id]);
    const del = await gql(s.url, `mutation($m: ID!) { deleteMessage(messageId: $m) { __typename } }`, { m: deleted.result.id }, a1.token);
    expect(del.data.deleteMessage.__typename).toBe('Message');
    expect(await payloads(deleted.result.id)).toEqual([]);
    const r = await new MessageSweeper(knex(), s.app.services.bus, { retentionDays: 30, batchSize: 1 }).sweepOnce();
    expect(r.staleEnvelopes).toBe(4);
    expect(r.orphanPayloads).toBeGreaterThanOrEqual(1);
    expect(await payloads(old.result.id)).toEqual([]);
    expect(await payloads(expiring.result.id)).toEqual([]);
    expect(await payloads(kept.result.id)).toEqual([{ remaining: 4, bytes: 200 }]);
  });

  it('blocked recipients get nothing and are not counted; a send to nobody stores no payload', async () => {
    const a = await user();
    const b = await user();
    const g = await group(a, [b]);
    const blocked = await gql(s.url, `mutation($u: ID!) { blockUser(userId: $u) { __typename } }`, { u: a.userId }, b.token);
    expect(blocked.data?.blockUser?.__typename, JSON.stringify(blocked)).toBeDefined();
    const { result } = await sendGroup(a, g, recipients(await targets(a, g)));
    expect(result.__typename).toBe('Message');
    expect(await pending(b)).toEqual([]);
    expect(await payloads(result.id)).toEqual([]);
  });

  it('the live inbox stream delivers the shared ciphertext and the header to each device', async () => {
    const { a1, a2, b, c1, c2, g } = await setup();
    const got = new Map<string, any[]>();
    const clients = [a2, b, c1, c2].map((d) => {
      const c = wsClient(s.wsUrl, d.token);
      got.set(d.deviceUuid, []);
      c.subscribe(
        { query: 'subscription { inbox { __typename ... on Envelope { id messageId type ciphertext headerType header } } }' },
        { next: (v: any) => got.get(d.deviceUuid)!.push(v.data.inbox), error: () => {}, complete: () => {} },
      );
      return c;
    });
    try {
      const ready = () => [...got.values()].every((l) => l.some((x) => x.__typename === 'InboxDrained'));
      for (let t = 0; !ready() && t < 100; t++) await new Promise((r) => setTimeout(r, 50));
      expect(ready()).toBe(true);
      const { result, input } = await sendGroup(a1, g, recipients(await targets(a1, g), (id) => id === b.deviceUuid));
      const envs = () => [...got.values()].map((l) => l.filter((x) => x.__typename === 'Envelope'));
      for (let t = 0; envs().some((l) => l.length < 1) && t < 100; t++) await new Promise((r) => setTimeout(r, 50));
      for (const [device, list] of got) {
        const e = list.filter((x) => x.__typename === 'Envelope');
        expect(e).toHaveLength(1);
        expect(e[0]).toMatchObject({ messageId: result.id, type: 7, ciphertext: input.ciphertext });
        expect(e[0].headerType).toBe(device === b.deviceUuid ? 3 : null);
      }
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
  });

  it('a decryption-error reply to a type-7 envelope consumes it like an acknowledgement (the payload count follows) and reaches the sender', async () => {
    const { a1, a2, b, c1, c2, g } = await setup();
    const { result } = await sendGroup(a1, g, recipients(await targets(a1, g)));
    const [env] = await pending(b);
    const content = Buffer.from(PlaintextContent.from(DecryptionErrorMessage.forOriginal(Buffer.from(env.ciphertext, 'base64'), 7, Date.now(), a1.deviceId)).serialize()).toString('base64');
    const r = await gql(
      s.url,
      `mutation($e: ID!, $c: Bytes!) { reportDecryptionError(envelopeId: $e, content: $c) { __typename ... on DecryptionErrorReported { envelopeId messageId } ... on Error { code } } }`,
      { e: env.id, c: content },
      b.token,
    );
    expect(r.data.reportDecryptionError).toEqual({ __typename: 'DecryptionErrorReported', envelopeId: env.id, messageId: result.id });
    expect(await pending(b)).toEqual([]);
    expect(await payloads(result.id)).toEqual([{ remaining: 3, bytes: 200 }]);
    expect((await pending(a1)).map((e) => [e.type, e.messageId])).toEqual([[8, result.id]]);
    for (const d of [a2, c1, c2]) await ack(d, (await pending(d)).map((e) => e.id));
    expect(await payloads(result.id)).toEqual([]);
  });
});
