/**
 * Decryption-error recovery through the SDK (docs/trust.md): a device whose session with a peer is broken
 * answers the undecryptable envelope with a DecryptionErrorMessage; the sender resends on a fresh session
 * and the app sees the message once. Also against libsignal-client 0.103.0 driving a raw device: libsignal
 * builds the DecryptionErrorMessage about a message ours sent (ours resends, libsignal decrypts the resend),
 * and libsignal parses the one ours sends about a message it sent (and resends on a new session).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as L from 'libsignal-0103';
import { decodeContent, encodeContent, createContent, type MessagingClient } from '../../src/client/index.js';
import type { StoredMessage } from '../../src/client/stores/types.js';
import { ProtocolAddress, SessionRecord } from '../../src/protocol/index.js';
import { LibsignalPeer, type Peer, type PortableBundle } from '../protocol/interop/peers.js';
import { gql, register, startServer, type Registered, type TestServer } from '../server/harness.js';
import { registerClient, until, waitForMessages } from '../client/helpers.js';

let server: TestServer;
const clients: MessagingClient[] = [];

beforeAll(async () => {
  server = await startServer({ sendRateBurst: 1000, sendRatePerSecond: 1000 });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await server?.stop();
});

async function started(): Promise<MessagingClient> {
  const c = await registerClient({ url: server.url });
  clients.push(c);
  await c.start();
  return c;
}

/** Every `message` event of a client with this body. */
function arrivals(c: MessagingClient, body: string): StoredMessage[] {
  const seen: StoredMessage[] = [];
  c.events.on('message', (m) => {
    if (m.content.body === body) seen.push(m);
  });
  return seen;
}

describe('a session broken on the recipient (its record deleted)', () => {
  it('the next message triggers a decryption-error message, the sender resends on a new session, and the app receives it exactly once', async () => {
    const alice = await started();
    const bob = await started();
    const conv = await alice.createDirectConversation(bob.userId);
    await alice.sendMessage(conv.id, 'hello');
    await waitForMessages(bob, conv.id, 1);
    await bob.sendMessage(conv.id, 'hi');
    await waitForMessages(alice, conv.id, 1);

    const aliceAddress = new ProtocolAddress(alice.userId, alice.deviceId);
    const bobAddress = new ProtocolAddress(bob.userId, bob.deviceId);
    const before = (await alice.store.loadSession(bobAddress))!.serialize();
    await bob.store.removeSession(aliceAddress);

    const requested: unknown[] = [];
    const resent: { newSession: boolean }[] = [];
    const errors: unknown[] = [];
    bob.events.on('retryRequested', (e) => void requested.push(e));
    bob.events.on('error', (e) => void errors.push(e));
    alice.events.on('resent', (e) => void resent.push(e));
    const got = arrivals(bob, 'after the break');

    const sent = await alice.sendMessage(conv.id, 'after the break');
    await until(async () => (await bob.messages(conv.id)).some((m) => m.content.body === 'after the break'), 20_000, 'the resent message');
    await bob.whenIdle();
    await alice.whenIdle();

    expect(requested).toHaveLength(1);
    expect(resent).toEqual([expect.objectContaining({ messageId: sent.id, newSession: true, to: { userId: bob.userId, deviceId: bob.deviceId } })]);
    expect(got.map((m) => m.id)).toEqual([sent.id]);
    expect((await bob.messages(conv.id)).filter((m) => m.content.body === 'after the break')).toHaveLength(1);
    expect(errors).toEqual([]);
    // alice started a new session (the old one archived behind it), and both directions work on it
    const after = SessionRecord.deserialize((await alice.store.loadSession(bobAddress))!.serialize());
    expect(after.previous.length).toBeGreaterThan(SessionRecord.deserialize(before).previous.length);
    await bob.sendMessage(conv.id, 'back to normal');
    await until(async () => (await alice.messages(conv.id)).some((m) => m.content.body === 'back to normal'), 20_000, 'reply');
    expect(await bob.fetchPending()).toBe(0);
    expect(await alice.fetchPending()).toBe(0);
  });

  it('a resend needs a pending request: a second resend of the same reply is refused, and nothing is stored', async () => {
    const alice = await started();
    const bob = await started();
    const conv = await alice.createDirectConversation(bob.userId);
    await alice.sendMessage(conv.id, 'one');
    await waitForMessages(bob, conv.id, 1);
    await bob.store.removeSession(new ProtocolAddress(alice.userId, alice.deviceId));
    const resent: unknown[] = [];
    alice.events.on('resent', (e) => void resent.push(e));
    const sent = await alice.sendMessage(conv.id, 'two');
    await until(() => resent.length === 1, 20_000, 'resend');
    await alice.whenIdle();
    const again = await gql(
      server.url,
      'mutation($m: ID!, $e: EnvelopeInput!) { resendMessage(messageId: $m, envelope: $e) { __typename ... on Error { code } } }',
      { m: sent.id, e: { deviceId: bob.credentials.deviceUuid, type: 2, ciphertext: Buffer.from('x').toString('base64') } },
      await alice.accessToken(),
    );
    expect(again.data.resendMessage).toEqual({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    await waitForMessages(bob, conv.id, 2);
    expect((await bob.messages(conv.id)).map((m) => m.content.body)).toEqual(['one', 'two']);
  });
});

// ---------------------------------------------------------------------------------------- libsignal peer

/** A device on the server whose keys and sessions are libsignal-client 0.103.0's, driven over GraphQL. */
class LibsignalDevice {
  readonly peer: LibsignalPeer;
  reg!: Registered;
  private constructor(name: string) {
    this.peer = new LibsignalPeer(name, '0.103.0', 1);
  }

  static async register(): Promise<LibsignalDevice> {
    const d = new LibsignalDevice('libsignal');
    const registrationId = (d.peer as unknown as { registrationId: number }).registrationId;
    d.reg = await register(server.url, { identityKey: Buffer.from(d.peer.identityKey()).toString('base64'), registrationId });
    await d.upload();
    return d;
  }

  /** Uploads fresh prekeys (each bundle() call makes and keeps new private halves). */
  async upload(): Promise<void> {
    const bundles: PortableBundle[] = [await this.peer.bundle(), await this.peer.bundle()];
    const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
    const last = bundles.at(-1)!;
    const r = await gql(
      server.url,
      'mutation($i: UploadPreKeysInput!) { uploadPreKeys(input: $i) { __typename ... on Error { message } } }',
      {
        i: {
          signedPreKey: { keyId: last.signedPreKeyId, publicKey: b64(last.signedPreKeyPublic), signature: b64(last.signedPreKeySignature) },
          oneTimePreKeys: bundles.map((b) => ({ keyId: b.preKeyId, publicKey: b64(b.preKeyPublic!) })),
          oneTimeKyberPreKeys: bundles.map((b) => ({ keyId: b.kyberPreKeyId, publicKey: b64(b.kyberPreKeyPublic!), signature: b64(b.kyberPreKeySignature!) })),
        },
      },
      this.reg.token,
    );
    expect(r.data.uploadPreKeys.__typename, JSON.stringify(r)).toBe('PreKeyCounts');
  }

  /** A Peer naming an SDK device, for the libsignal session calls. */
  static addressOf(c: MessagingClient): Peer {
    return { address: { name: c.userId, deviceId: c.deviceId } } as Peer;
  }

  async pending(): Promise<{ id: string; messageId: string; type: number; ciphertext: string; createdAt: string; senderDeviceUuid: string }[]> {
    const r = await gql(
      server.url,
      '{ pendingEnvelopes(first: 100) { ... on EnvelopePage { items { id messageId type ciphertext createdAt senderDeviceUuid } } } }',
      {},
      this.reg.token,
    );
    return r.data.pendingEnvelopes.items;
  }

  async ack(ids: string[]): Promise<void> {
    await gql(server.url, 'mutation($ids: [ID!]!) { acknowledgeEnvelopes(ids: $ids) { __typename } }', { ids }, this.reg.token);
  }

  get sessions(): { getSession(a: unknown): Promise<any>; saveSession(a: unknown, r: unknown): Promise<void> } {
    return (this.peer as unknown as { stores: { session: never } }).stores.session;
  }
}

async function waitFor<T>(read: () => Promise<T[]>, what: string, n = 1): Promise<T[]> {
  let items: T[] = [];
  await until(async () => (items = await read()).length >= n, 20_000, what);
  return items;
}

describe('decryption-error recovery against libsignal-client 0.103.0', () => {
  it('ours resends a message it sent when libsignal builds the DecryptionErrorMessage, and libsignal decrypts the resend on a new session', async () => {
    const alice = await started();
    const lib = await LibsignalDevice.register();
    const conv = await alice.createDirectConversation(lib.reg.userId);
    const resent: { newSession: boolean }[] = [];
    alice.events.on('resent', (e) => void resent.push(e));

    const first = await alice.sendMessage(conv.id, 'for libsignal');
    const [env] = await waitFor(() => lib.pending(), 'the PreKey message');
    expect(env.type).toBe(3);
    // libsignal "cannot decrypt" it: it builds the DecryptionErrorMessage for the message as received
    const dem = L.DecryptionErrorMessage.forOriginal(Buffer.from(env.ciphertext, 'base64'), env.type, Date.parse(env.createdAt), alice.deviceId);
    const content = L.PlaintextContent.from(dem).serialize();
    const r = await gql(
      server.url,
      'mutation($e: ID!, $c: Bytes!) { reportDecryptionError(envelopeId: $e, content: $c) { __typename ... on DecryptionErrorReported { messageId } ... on Error { code message } } }',
      { e: env.id, c: Buffer.from(content).toString('base64') },
      lib.reg.token,
    );
    expect(r.data.reportDecryptionError, JSON.stringify(r)).toEqual({ __typename: 'DecryptionErrorReported', messageId: first.id });

    const [again] = await waitFor(() => lib.pending(), 'the resend');
    expect(again).toMatchObject({ messageId: first.id, type: 3 });
    expect(again.ciphertext).not.toBe(env.ciphertext);
    expect(resent).toEqual([expect.objectContaining({ newSession: true })]);
    const plaintext = await lib.peer.decrypt(LibsignalDevice.addressOf(alice), { type: 3, body: Buffer.from(again.ciphertext, 'base64') });
    expect(decodeContent(plaintext).body).toBe('for libsignal');
    await lib.ack([again.id]);
  });

  it("ours answers libsignal's undecryptable message with a DecryptionErrorMessage libsignal parses; libsignal's resend on a new session arrives once", async () => {
    const bob = await started();
    const lib = await LibsignalDevice.register();
    const conv = (
      await gql(server.url, 'mutation($u: ID!) { createDirectConversation(userId: $u) { ... on Conversation { id } } }', { u: bob.userId }, lib.reg.token)
    ).data.createDirectConversation.id as string;
    const bobPeer = LibsignalDevice.addressOf(bob);
    const bundleOf = async (): Promise<PortableBundle> => {
      const r = await gql(
        server.url,
        `mutation($u: ID!) { preKeyBundles(userId: $u) { ... on PreKeyBundles { bundles { deviceId registrationId identityKey
           signedPreKey { keyId publicKey signature } preKey { keyId publicKey } kyberPreKey { keyId publicKey signature } } } } }`,
        { u: bob.userId },
        lib.reg.token,
      );
      const b = r.data.preKeyBundles.bundles[0];
      const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
      return {
        registrationId: b.registrationId,
        deviceId: b.deviceId,
        identityKey: bytes(b.identityKey),
        signedPreKeyId: b.signedPreKey.keyId,
        signedPreKeyPublic: bytes(b.signedPreKey.publicKey),
        signedPreKeySignature: bytes(b.signedPreKey.signature),
        preKeyId: b.preKey?.keyId,
        preKeyPublic: b.preKey ? bytes(b.preKey.publicKey) : undefined,
        kyberPreKeyId: b.kyberPreKey.keyId,
        kyberPreKeyPublic: bytes(b.kyberPreKey.publicKey),
        kyberPreKeySignature: bytes(b.kyberPreKey.signature),
      };
    };
    const sendAs = async (plaintext: Uint8Array) => {
      const w = await lib.peer.encrypt(bobPeer, plaintext);
      const r = await gql(
        server.url,
        'mutation($i: SendMessageInput!) { sendMessage(input: $i) { __typename ... on Message { id createdAt } ... on Error { message } } }',
        {
          i: {
            conversationId: conv,
            clientMessageId: `lib-${Math.random()}`,
            contentType: 'TEXT',
            envelopes: [{ deviceId: bob.credentials.deviceUuid, type: w.type, ciphertext: Buffer.from(w.body).toString('base64') }],
          },
        },
        lib.reg.token,
      );
      expect(r.data.sendMessage.__typename, JSON.stringify(r)).toBe('Message');
      return { message: r.data.sendMessage as { id: string; createdAt: string }, wire: w };
    };

    await lib.peer.processBundle(bobPeer, await bundleOf());
    await sendAs(encodeContent(createContent('first from libsignal')));
    await waitForMessages(bob, conv, 1);
    const reply = await bob.sendMessage(conv, 'reply from ours');
    const [r1] = await waitFor(() => lib.pending(), 'the reply');
    expect(decodeContent(await lib.peer.decrypt(LibsignalDevice.addressOf(bob), { type: r1.type as 2, body: Buffer.from(r1.ciphertext, 'base64') })).body).toBe(reply.content.body);
    await lib.ack([r1.id]);

    // break ours: its session with libsignal is gone; libsignal's next message cannot be decrypted
    await bob.store.removeSession(new ProtocolAddress(lib.reg.userId, lib.reg.deviceId));
    const content = createContent('lost without recovery');
    const plaintext = encodeContent(content);
    const got = arrivals(bob, 'lost without recovery');
    const { message } = await sendAs(plaintext);

    const [retry] = await waitFor(() => lib.pending(), 'the decryption-error reply');
    expect(retry).toMatchObject({ type: 8, messageId: message.id, senderDeviceUuid: bob.credentials.deviceUuid });
    const pc = L.PlaintextContent.deserialize(Buffer.from(retry.ciphertext, 'base64'));
    const dem = L.DecryptionErrorMessage.extractFromSerializedBody(pc.body());
    expect(dem.timestamp()).toBe(Date.parse(message.createdAt));
    expect(dem.deviceId()).toBe(lib.reg.deviceId);
    const record = await lib.sessions.getSession(L.ProtocolAddress.new(bob.userId, bob.deviceId));
    expect(record.currentRatchetKeyMatches(dem.ratchetKey()!)).toBe(true);
    await lib.ack([retry.id]);

    // libsignal's side of the recovery, as Signal's apps do it: archive, fetch a new bundle, resend that message once
    record.archiveCurrentState();
    await lib.sessions.saveSession(L.ProtocolAddress.new(bob.userId, bob.deviceId), record);
    await lib.peer.processBundle(bobPeer, await bundleOf());
    const w = await lib.peer.encrypt(bobPeer, plaintext);
    expect(w.type).toBe(3);
    const resent = await gql(
      server.url,
      'mutation($m: ID!, $e: EnvelopeInput!) { resendMessage(messageId: $m, envelope: $e) { __typename ... on Error { code message } } }',
      { m: message.id, e: { deviceId: bob.credentials.deviceUuid, type: w.type, ciphertext: Buffer.from(w.body).toString('base64') } },
      lib.reg.token,
    );
    expect(resent.data.resendMessage.__typename, JSON.stringify(resent)).toBe('ResendResult');
    await until(() => got.length > 0, 20_000, 'the resent message on ours');
    await bob.whenIdle();
    expect(got.map((m) => m.id)).toEqual([message.id]);
    expect((await bob.messages(conv)).filter((m) => m.content.body === 'lost without recovery')).toHaveLength(1);
  });
});
