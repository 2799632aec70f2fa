import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { DecryptionError, MessagingClient, UntrustedIdentityError } from '../../src/client/index.js';
import { gql, register, startServer, type TestServer } from '../server/harness.js';
import { clientOptions, registerClient, until, waitForMessages } from '../client/helpers.js';

let server: TestServer;
const clients: MessagingClient[] = [];

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await server?.stop();
});

describe('identity keys', () => {
  it('a changed identity key of a peer device is reported, not silently trusted, and accepted only after trustIdentity()', async () => {
    const alice = await registerClient({ url: server.url });
    const bob = await registerClient({ url: server.url });
    const bob2 = await MessagingClient.link(clientOptions({ url: server.url }), (await bob.createLinkCode()).code, 'tablet');
    clients.push(alice, bob, bob2);
    await Promise.all([alice.start(), bob.start(), bob2.start()]);
    const conv = await alice.createDirectConversation(bob.userId);
    await alice.sendMessage(conv.id, 'hello both bob devices');
    await waitForMessages(bob2, conv.id, 1);
    expect(bob2.deviceId).toBe(2);

    // bob's tablet is replaced: removed, and a new installation (new identity key) gets device id 2 again
    await bob2.stop();
    await bob.removeDevice(bob2.credentials.deviceUuid);
    const bob2b = await MessagingClient.link(clientOptions({ url: server.url }), (await bob.createLinkCode()).code, 'new tablet');
    clients.push(bob2b);
    expect(bob2b.deviceId).toBe(2);
    await bob2b.start();

    const errors: unknown[] = [];
    alice.events.on('error', (e) => void errors.push(e));
    // sending: refused before anything is encrypted for the new key
    const err = await alice.sendMessage(conv.id, 'are you still you?').catch((e) => e);
    expect(err).toBeInstanceOf(UntrustedIdentityError);
    expect(err.address).toEqual({ userId: bob.userId, deviceId: 2 });
    expect(err.direction).toBe('sending');

    // receiving: the new device's message is held back, not decrypted, and reported
    await bob2b.sendMessage(conv.id, 'it is me, new tablet');
    await until(() => errors.some((e) => e instanceof UntrustedIdentityError && e.direction === 'receiving'), 20_000, 'receiving error');
    expect((await alice.messages(conv.id)).some((m) => m.content.body === 'it is me, new tablet')).toBe(false);

    // after the user compared safety numbers
    await alice.trustIdentity({ userId: bob.userId, deviceId: 2 });
    await until(async () => (await alice.messages(conv.id)).some((m) => m.content.body === 'it is me, new tablet'), 20_000, 'held message');
    await alice.sendMessage(conv.id, 'welcome back');
    expect((await waitForMessages(bob2b, conv.id, 1)).map((m) => m.content.body)).toContain('welcome back');
  });

  it('an envelope that does not decrypt is reported as DecryptionError naming the sender, then acknowledged', async () => {
    const bob = await registerClient({ url: server.url });
    clients.push(bob);
    const mallory = await register(server.url); // a device that sends garbage instead of Signal messages
    const conv = await gql(server.url, 'mutation($u: ID!) { createDirectConversation(userId: $u) { ... on Conversation { id } } }', { u: bob.userId }, mallory.token);
    const conversationId = conv.data.createDirectConversation.id;
    const sent = await gql(
      server.url,
      'mutation($i: SendMessageInput!) { sendMessage(input: $i) { __typename ... on Error { message } } }',
      {
        i: {
          conversationId,
          clientMessageId: 'garbage-1',
          contentType: 'TEXT',
          envelopes: [{ deviceId: bob.credentials.deviceUuid, type: 2, ciphertext: randomBytes(120).toString('base64') }],
        },
      },
      mallory.token,
    );
    expect(sent.data.sendMessage.__typename).toBe('Message');
    const errors: unknown[] = [];
    bob.events.on('error', (e) => void errors.push(e));
    await bob.start();
    await until(() => errors.some((e) => e instanceof DecryptionError), 20_000, 'decryption error');
    const err = errors.find((e) => e instanceof DecryptionError) as DecryptionError;
    expect(err.sender).toEqual({ userId: mallory.userId, deviceId: mallory.deviceId });
    expect(err.code).toBe('DecryptionFailed');
    await bob.whenIdle();
    expect(await bob.fetchPending()).toBe(0); // acknowledged: it will not come again
    expect(await bob.messages(conversationId)).toEqual([]);
  });
});
