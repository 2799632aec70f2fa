/**
 * Two server instances sharing one PostgreSQL database and one Redis: events and presence cross
 * instances, the durable queue stays in PostgreSQL. Needs TEST_REDIS_URL (CI sets it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register, startServer, type TestServer, wsClient, wsQuery } from './harness.js';
import { collect, directConversation, INBOX, send } from './realtime-helpers.js';

const redisUrl = process.env.TEST_REDIS_URL;
const jwt = new Uint8Array(32).fill(11);

describe.skipIf(!redisUrl)('two instances over Redis (needs TEST_REDIS_URL)', () => {
  let A: TestServer;
  let B: TestServer;
  beforeAll(async () => {
    A = await startServer({ redisUrl, jwtSecret: jwt });
    B = await startServer({ redisUrl, jwtSecret: jwt });
  });
  afterAll(async () => {
    await A?.stop();
    await B?.stop();
  });

  it('a device subscribed on instance A receives a message sent through instance B', async () => {
    const a = await register(A.url);
    const b = await register(B.url);
    const conv = await directConversation(B.url, a, b);
    const client = wsClient(A.wsUrl, b.token);
    try {
      const inbox = collect<any>(client, INBOX);
      await inbox.until((it) => it.some((i) => i.__typename === 'InboxDrained'));
      const m = await send(B.url, a, conv, [b.deviceUuid]);
      await inbox.until((it) => it.some((i) => i.messageId === m));
    } finally {
      await client.dispose();
    }
  });

  it('presence set on A is seen on B, and a second inbox stream on B ends the one on A', async () => {
    const a = await register(A.url);
    const b = await register(A.url);
    // b starts it: a is b's accepted contact, so b's presence reaches a (docs/trust.md)
    await directConversation(A.url, b, a);
    const watcher = wsClient(B.wsUrl, a.token);
    const onA = wsClient(A.wsUrl, b.token);
    const onB = wsClient(B.wsUrl, b.token);
    try {
      const seen = collect<any>(watcher, 'subscription($u: [ID!]!) { presence(userIds: $u) { userId online } }', { u: [b.userId] });
      await seen.until((it) => it.length >= 1);
      await wsQuery(onA, '{ me { id } }');
      await seen.until((it) => it.at(-1).online === true);
      const first = collect<any>(onA, INBOX);
      await first.until((it) => it.some((i) => i.__typename === 'InboxDrained'));
      const second = collect<any>(onB, INBOX);
      await second.until((it) => it.some((i) => i.__typename === 'InboxDrained'));
      await first.done;
      expect(first.items.at(-1)).toEqual({ __typename: 'InboxEnded', reason: 'CONNECTED_ELSEWHERE' });
      await onA.dispose();
      await onB.dispose();
      await seen.until((it) => it.at(-1).online === false);
    } finally {
      await watcher.dispose();
    }
  });
});
