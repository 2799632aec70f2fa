/**
 * Groups through the real server with real clients: Sender Keys by default (one SenderKeyMessage per
 * message, sent with sendGroupMessage; the distribution message in the header only for devices that need
 * it), rotation when a member is removed (the removed member cannot decrypt what follows even holding the
 * ciphertext), a new device of a member receiving what follows; direct conversations stay on the Double
 * Ratchet.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Envelope, MessagingClient } from '../../src/client/index.js';
import { fromBase64 } from '../../src/client/base64.js';
import { groupDecrypt, isProtocolError, ProtocolAddress, SenderKeyMessage } from '../../src/protocol/index.js';
import { clientOptions, registerClient, until, waitForMessages } from '../client/helpers.js';
import { startServer, type TestServer } from '../server/harness.js';

let server: TestServer;
const clients: MessagingClient[] = [];
let a1: MessagingClient;
let a2: MessagingClient;
let b: MessagingClient;
let c: MessagingClient;
/** Every envelope each client received, before decryption. */
const seen = new Map<MessagingClient, Envelope[]>();
const errors = new Map<MessagingClient, unknown[]>();

function watch(x: MessagingClient): MessagingClient {
  seen.set(x, []);
  errors.set(x, []);
  x.events.on('envelope', (e) => void seen.get(x)!.push(e));
  x.events.on('error', (e) => void errors.get(x)!.push(e));
  clients.push(x);
  return x;
}

const bodies = async (x: MessagingClient, conversationId: string, n: number) => (await waitForMessages(x, conversationId, n)).map((m) => m.content.body);
let b2Uuid = () => '';
const envelopesOf = (x: MessagingClient, conversationId: string) => seen.get(x)!.filter((e) => e.conversationId === conversationId);

beforeAll(async () => {
  server = await startServer({ sendRateBurst: 10_000, sendRatePerSecond: 10_000 });
  a1 = watch(await registerClient({ url: server.url }));
  b = watch(await registerClient({ url: server.url }));
  c = watch(await registerClient({ url: server.url }));
  a2 = watch(await MessagingClient.link(clientOptions({ url: server.url }), (await a1.createLinkCode()).code, 'laptop'));
  await Promise.all(clients.map((x) => x.start()));
});
afterAll(async () => {
  await Promise.all(clients.map((x) => x.stop()));
  await server?.stop();
});

describe('groups use Sender Keys', () => {
  let group: string;

  it('three users, one with two devices: every message is one SenderKeyMessage stored once; the key travels once per device', async () => {
    group = (await a1.createGroup('team', [b.userId, c.userId])).id;
    await a1.sendMessage(group, 'one from a1');
    await a1.sendMessage(group, 'two from a1');
    await b.sendMessage(group, 'one from b');
    await a2.sendMessage(group, 'one from a2');
    await c.sendMessage(group, 'one from c');
    expect(await bodies(b, group, 4)).toEqual(['one from a1', 'two from a1', 'one from a2', 'one from c']);
    expect(await bodies(c, group, 4)).toEqual(['one from a1', 'two from a1', 'one from b', 'one from a2']);
    expect(await bodies(a2, group, 4)).toEqual(['one from a1', 'two from a1', 'one from b', 'one from c']);
    expect(await bodies(a1, group, 3)).toEqual(['one from b', 'one from a2', 'one from c']);
    for (const x of clients) {
      const envs = envelopesOf(x, group);
      expect(envs.every((e) => e.type === 7)).toBe(true);
      // one distribution message per sender device that x heard from, in the first envelope from it
      const senders = new Set(envs.map((e) => `${e.senderUserId}.${e.senderDeviceId}`));
      expect(envs.filter((e) => e.header != null)).toHaveLength(senders.size);
      expect(errors.get(x)).toEqual([]);
    }
    // the second message from a1 reached b without a header, and carried the same chain (distribution id)
    const fromA1 = envelopesOf(b, group).filter((e) => e.senderDeviceId === a1.deviceId && e.senderUserId === a1.userId);
    expect(fromA1.map((e) => e.header != null)).toEqual([true, false]);
    const dist = fromA1.map((e) => SenderKeyMessage.deserialize(fromBase64(e.ciphertext)).distributionId);
    expect(dist[0]).toBe(dist[1]);
    // the server kept one shared ciphertext per message, deleted once every device acknowledged it
    const payloads = async () =>
      (await server.app.services.knex.raw(`select count(*)::int as n from message_payloads p join messages m on m.id = p.message_id where m.conversation_id = ?`, [group]))
        .rows[0].n;
    await until(async () => (await payloads()) === 0, 20_000, 'every payload acknowledged away');
  });

  it('a removed member cannot decrypt what is sent after the removal, even given the ciphertext (the sender keys rotated)', async () => {
    // a control first: c's store reads a1's current chain (c is stopped, so this message stays queued for it)
    await c.stop();
    const before = seen.get(b)!.length;
    await a1.sendMessage(group, 'before removal');
    await until(() => seen.get(b)!.length > before, 20_000, 'b got it');
    const pre = seen.get(b)!.at(-1)!;
    const a1Address = new ProtocolAddress(a1.userId, a1.deviceId);
    const bAddress = new ProtocolAddress(b.userId, b.deviceId);
    expect(new TextDecoder().decode(await groupDecrypt(fromBase64(pre.ciphertext), a1Address, c.store)).length).toBeGreaterThan(0);

    await a1.removeGroupMember(group, c.userId);
    const n = seen.get(b)!.length;
    await a1.sendMessage(group, 'after removal from a1');
    await b.sendMessage(group, 'after removal from b'); // b's client has not heard of the removal: the server's refusal tells it
    await until(() => seen.get(b)!.length > n, 20_000, 'b got a1’s');
    const postA1 = seen.get(b)!.at(-1)!;
    await until(() => seen.get(a1)!.some((e) => e.conversationId === group && e.senderUserId === b.userId && e.header != null && e.id !== envelopesOf(a1, group)[0].id), 20_000, 'a1 got b’s new key');
    const postB = envelopesOf(a1, group).at(-1)!;
    expect(await bodies(b, group, 6)).toContain('after removal from a1');
    expect(await bodies(a1, group, 4)).toContain('after removal from b');

    // both senders started new chains (new distribution ids) and sent them to the remaining devices only
    const distOf = (e: Envelope) => SenderKeyMessage.deserialize(fromBase64(e.ciphertext)).distributionId;
    expect(distOf(postA1)).not.toBe(distOf(pre));
    expect(postA1.header).not.toBeNull();
    for (const [e, sender] of [
      [postA1, a1Address],
      [postB, bAddress],
    ] as const) {
      const err = await groupDecrypt(fromBase64(e.ciphertext), sender, c.store).then(
        () => null,
        (x) => x,
      );
      expect(isProtocolError(err, 'NoSenderKeyState'), String(err)).toBe(true);
    }
    // and the server gives c nothing of it
    await c.start();
    await c.fetchPending();
    const cBodies = (await c.messages(group)).map((m) => m.content.body);
    expect(cBodies).not.toContain('after removal from a1');
    expect(cBodies).not.toContain('after removal from b');
  });

  it('a new device of a member receives the messages that follow, and can send to the group', async () => {
    const b2 = watch(await MessagingClient.link(clientOptions({ url: server.url }), (await b.createLinkCode()).code, 'tablet'));
    b2Uuid = () => b2.credentials.deviceUuid;
    await b2.start();
    await a1.sendMessage(group, 'welcome, new device');
    await b2.sendMessage(group, 'hello from b2');
    expect(await bodies(b2, group, 1)).toEqual(['welcome, new device']);
    await until(async () => (await a1.messages(group)).some((m) => m.content.body === 'hello from b2'), 20_000, 'a1 got b2’s');
    await until(async () => (await a2.messages(group)).some((m) => m.content.body === 'hello from b2'), 20_000, 'a2 got b2’s');
    await until(async () => (await b.messages(group)).some((m) => m.content.body === 'hello from b2'), 20_000, 'b got b2’s');
    expect(envelopesOf(b2, group).every((e) => e.type === 7)).toBe(true);
    expect(errors.get(b2)).toEqual([]);
  });

  it('a device that lacks the sender key asks for a resend: the message comes again pairwise, the key with the next one', async () => {
    const conv = await a1.createGroup('recovery', [b.userId]);
    // a1 believes every device already has its key (as when a blocked user's devices got nothing, or a key was lost)
    const distributedTo = Object.fromEntries(
      conv.participants.flatMap((p) => p.user.devices).filter((d) => d.id !== a1.credentials.deviceUuid).map((d) => [d.id, d.registrationId]),
    );
    expect(Object.keys(distributedTo).length).toBeGreaterThanOrEqual(2); // a2, b (and b's tablet)
    await a1.store.setGroupSendState(conv.id, { distributionId: crypto.randomUUID(), distributedTo });
    const asked: unknown[] = [];
    const resent: unknown[] = [];
    const offAsked = b.events.on('retryRequested', (e) => void asked.push(e));
    const offResent = a1.events.on('resent', (e) => void resent.push(e));
    try {
      await a1.sendMessage(conv.id, 'sent without the key');
      expect(await bodies(b, conv.id, 1)).toEqual(['sent without the key']);
      expect(await bodies(a2, conv.id, 1)).toEqual(['sent without the key']);
      expect(asked).toHaveLength(1);
      await until(() => resent.length >= 3, 20_000, 'a1 resent to every device');
      const first = envelopesOf(b, conv.id);
      expect(first.map((e) => e.type)).toEqual([7, expect.any(Number)]); // the failed group envelope, then the pairwise resend
      expect([2, 3]).toContain(first[1].type);
      await a1.sendMessage(conv.id, 'then with the key');
      expect(await bodies(b, conv.id, 2)).toEqual(['sent without the key', 'then with the key']);
      expect(await bodies(a2, conv.id, 2)).toEqual(['sent without the key', 'then with the key']);
      const last = envelopesOf(b, conv.id).at(-1)!;
      expect(last.type).toBe(7);
      expect(last.header).not.toBeNull();
      expect(errors.get(b)).toEqual([]);
      // every envelope acknowledged or answered: the shared payloads are gone
      const left = async () =>
        (
          await server.app.services.knex.raw(
            `select p.remaining, (select json_agg(e.recipient_device) from envelopes e where e.message_id = p.message_id) as devices
               from message_payloads p join messages m on m.id = p.message_id where m.conversation_id = ?`,
            [conv.id],
          )
        ).rows;
      await until(async () => (await left()).length === 0, 20_000, 'payloads gone').catch(async (e) => {
        throw new Error(`${e.message}: ${JSON.stringify(await left())}, b2 ${b2Uuid()}`);
      });
    } finally {
      offAsked();
      offResent();
    }
  });

  it('an attachment in a group goes the same way: one SenderKeyMessage carries its pointer, the upload is bound to the message', async () => {
    const bytes = new Uint8Array(randomBytes(5_000));
    const sent = await a1.sendAttachment(group, bytes, { contentType: 'FILE', mimeType: 'application/pdf', fileName: 'plan.pdf', caption: 'the plan' });
    const got = await until(async () => (await b.messages(group)).some((m) => m.id === sent.id), 20_000, 'b got the file').then(async () =>
      (await b.messages(group)).find((m) => m.id === sent.id)!,
    );
    expect(got.content.body).toBe('the plan');
    expect(envelopesOf(b, group).at(-1)!.type).toBe(7);
    expect(Buffer.from(await b.downloadAttachment(got.content.attachments[0]))).toEqual(Buffer.from(bytes));
  });

  it('direct conversations keep the Double Ratchet (one envelope per device, types 2/3, no header)', async () => {
    const d = (await a1.createDirectConversation(b.userId)).id;
    await a1.sendMessage(d, 'direct hello');
    expect(await bodies(b, d, 1)).toEqual(['direct hello']);
    const envs = envelopesOf(b, d);
    expect(envs.length).toBe(1);
    expect([2, 3]).toContain(envs[0].type);
    expect(envs[0].header).toBeNull();
  });
});
