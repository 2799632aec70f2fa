/**
 * Push wired into the app, end to end through the GraphQL API: devices register Web Push targets that point
 * at a local RFC 8030 push service (peers/web-push-service.ts: checks VAPID, decrypts each RFC 8291 payload
 * with the subscription's private key), sends and calls go through the real send path, the real notifier
 * and the real provider. Two instances over Redis when TEST_REDIS_URL is set.
 */
import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/server/config.js';
import { gql, type Registered, register, startServer, type TestServer, wsClient } from '../harness.js';
import { acceptConversation, type Collector, collect, directConversation, INBOX, send } from '../realtime-helpers.js';
import { type ScriptedResponse, type TestSubscription, WebPushService } from './peers/web-push-service.js';

const vapid = webpush.generateVAPIDKeys();
const DEBOUNCE_MS = 3_000;
const redisUrl = process.env.TEST_REDIS_URL;
const jwt = new Uint8Array(32).fill(23);

const REGISTER_TARGET = `mutation($input: RegisterPushTargetInput!) { registerPushTarget(input: $input) {
  __typename ... on PushTarget { id kind includeEnvelopeId createdAt updatedAt }
  ... on Error { code message } ... on InvalidInputError { field } ... on InvalidKeyError { field }
  ... on PushKindUnavailableError { kind available } } }`;
const MY_TARGETS = `{ me { devices { id pushTargets { id kind } } } }`;

function pushOverrides(extra: Record<string, unknown> = {}) {
  const base = loadConfig({});
  return {
    push: { ...base.push, vapid, vapidSubject: 'mailto:ops@relay.example', allowLoopbackEndpoints: true, debounceMs: DEBOUNCE_MS },
    sendRateBurst: 1000,
    ...extra,
  };
}

let service: WebPushService;
let S: TestServer;

beforeAll(async () => {
  service = await new WebPushService().start();
  service.applicationServerKey = vapid.publicKey;
  S = await startServer(pushOverrides());
});

afterAll(async () => {
  await S?.stop();
  await service?.stop();
});

async function registerTarget(url: string, who: Registered, sub: TestSubscription) {
  const r = await gql(url, REGISTER_TARGET, { input: { kind: 'WEB_PUSH', endpoint: sub.endpoint, p256dh: sub.p256dh, auth: sub.auth } }, who.token);
  expect(r.errors).toBeUndefined();
  expect(r.data.registerPushTarget.__typename).toBe('PushTarget');
  return r.data.registerPushTarget;
}

/** A registered user whose device has a Web Push target at the local push service, and a conversation with `from`. */
async function pushableDevice(url: string, from: Registered, script?: ScriptedResponse[]) {
  const who = await register(url);
  const sub = service.subscribe({ script });
  await registerTarget(url, who, sub);
  const conv = await directConversation(url, from, who);
  // accepted: a call in an unanswered message request rings nobody (and so wakes nobody)
  await acceptConversation(url, who, conv);
  return { who, sub, conv };
}

/** Resolves once `n` pushes for `sub` arrived and the service has finished checking each (payload or problem set). */
async function pushed(sub: TestSubscription, n: number) {
  await until(() => {
    const got = service.pushesFor(sub);
    return got.length >= n && got.every((p) => p.payload !== null || p.problem !== undefined);
  }, `${n} push(es)`);
  return service.pushesFor(sub);
}

/** Runs `body` while the device streams its inbox on `wsUrl` (drained first), then closes the stream and the socket. */
async function whileStreaming(wsUrl: string, token: string, body: (inbox: Collector<any>) => Promise<void>) {
  const client = wsClient(wsUrl, token);
  try {
    const inbox = collect<any>(client, INBOX);
    await inbox.until((it) => it.some((i) => i.__typename === 'InboxDrained'));
    await body(inbox);
    inbox.stop();
    await inbox.done;
  } finally {
    await client.dispose();
  }
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('push targets through GraphQL', () => {
  it('registers a Web Push target (shown by kind and dates only), refuses bad keys and unconfigured kinds with typed errors, and removes it', async () => {
    const me = await register(S.url);
    const sub = service.subscribe();
    const t = await registerTarget(S.url, me, sub);
    expect(t).toMatchObject({ kind: 'WEB_PUSH', includeEnvelopeId: false });
    // registering again replaces the target of that kind (the id stays)
    const again = await registerTarget(S.url, me, service.subscribe());
    expect(again.id).toBe(t.id);
    const listed = await gql(S.url, MY_TARGETS, {}, me.token);
    expect(listed.data.me.devices).toEqual([{ id: me.deviceUuid, pushTargets: [{ id: t.id, kind: 'WEB_PUSH' }] }]);
    // endpoints and tokens are not in the schema at all
    const leak = await gql(S.url, `{ me { devices { pushTargets { endpoint } } } }`, {}, me.token);
    expect(leak.errors?.[0].message).toMatch(/Cannot query field "endpoint"/);

    const badKey = await gql(S.url, REGISTER_TARGET, { input: { kind: 'WEB_PUSH', endpoint: sub.endpoint, p256dh: 'AAAA', auth: sub.auth } }, me.token);
    expect(badKey.data.registerPushTarget).toMatchObject({ __typename: 'InvalidKeyError', code: 'INVALID_KEY', field: 'p256dh' });
    const badField = await gql(S.url, REGISTER_TARGET, { input: { kind: 'WEB_PUSH', endpoint: sub.endpoint, p256dh: sub.p256dh, auth: sub.auth, token: 'x' } }, me.token);
    expect(badField.data.registerPushTarget).toMatchObject({ __typename: 'InvalidInputError', field: 'token' });
    const fcm = await gql(S.url, REGISTER_TARGET, { input: { kind: 'FCM', token: 'f'.repeat(64) } }, me.token);
    expect(fcm.data.registerPushTarget).toMatchObject({ __typename: 'PushKindUnavailableError', code: 'PUSH_KIND_UNAVAILABLE', kind: 'FCM' });
    expect(fcm.data.registerPushTarget.available).toEqual(['WEB_PUSH', 'UNIFIED_PUSH']);
    const anonymous = await gql(S.url, REGISTER_TARGET, { input: { kind: 'WEB_PUSH', endpoint: sub.endpoint, p256dh: sub.p256dh, auth: sub.auth } });
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

    const cfg = await gql(S.url, `{ pushConfig { vapidPublicKey kinds } }`, {}, me.token);
    expect(cfg.data.pushConfig).toEqual({ vapidPublicKey: vapid.publicKey, kinds: ['WEB_PUSH', 'UNIFIED_PUSH'] });

    const removed = await gql(S.url, `mutation { removePushTarget(kind: WEB_PUSH) }`, {}, me.token);
    expect(removed.data.removePushTarget).toBe(true);
    expect((await gql(S.url, `mutation { removePushTarget(kind: WEB_PUSH) }`, {}, me.token)).data.removePushTarget).toBe(false);
    expect((await gql(S.url, MY_TARGETS, {}, me.token)).data.me.devices[0].pushTargets).toEqual([]);
  });

  it("a user can neither list nor remove another user's device targets", async () => {
    const owner = await register(S.url);
    await registerTarget(S.url, owner, service.subscribe());
    const other = await register(S.url);
    const seen = await gql(S.url, `query($u: String!) { userByUsername(username: $u) { __typename ... on User { id devices { id pushTargets { id } } } } }`, { u: owner.username }, other.token);
    expect(seen.data.userByUsername).toEqual({ __typename: 'User', id: owner.userId, devices: [{ id: owner.deviceUuid, pushTargets: null }] });
    // removePushTarget acts on the caller's own device only: the other user's target stays
    expect((await gql(S.url, `mutation { removePushTarget(kind: WEB_PUSH) }`, {}, other.token)).data.removePushTarget).toBe(false);
    expect((await gql(S.url, MY_TARGETS, {}, owner.token)).data.me.devices[0].pushTargets).toHaveLength(1);
  });
});

describe('pushes from the send path', () => {
  it('a burst of sends to an offline device yields exactly one content-free push', async () => {
    const from = await register(S.url);
    const { who, sub, conv } = await pushableDevice(S.url, from);
    await Promise.all(Array.from({ length: 10 }, () => send(S.url, from, conv, [who.deviceUuid])));
    await pushed(sub, 1);
    // the debounce window closes (the device never woke: nothing more to push)
    await S.app.services.push.notifier.idle();
    const pushes = service.pushesFor(sub);
    expect(pushes).toHaveLength(1);
    expect(pushes[0].problem).toBeUndefined();
    expect(pushes[0].payload).toEqual({ type: 'messages' });
    expect(pushes[0].headers.urgency).toBe('normal');
    expect(pushes[0].vapid?.k).toBe(vapid.publicKey);
    // the push is only a wake-up: the ten envelopes wait in the queue
    const pending = await gql(S.url, `{ pendingEnvelopes(first: 50) { __typename ... on EnvelopePage { items { id } } } }`, {}, who.token);
    expect(pending.data.pendingEnvelopes.items).toHaveLength(10);
  });

  it('no push while the device streams its inbox; one again once the stream is closed', async () => {
    const from = await register(S.url);
    const { who, sub, conv } = await pushableDevice(S.url, from);
    await whileStreaming(S.wsUrl, who.token, async (inbox) => {
      const ids = await Promise.all(Array.from({ length: 5 }, () => send(S.url, from, conv, [who.deviceUuid])));
      await inbox.until((it) => ids.every((m) => it.some((i) => i.messageId === m)));
      await S.app.services.push.notifier.idle();
      expect(service.pushesFor(sub)).toHaveLength(0);
    });
    await until(() => !S.app.services.pushActivity.isOnline(who.deviceUuid), 'the stream to close');
    await send(S.url, from, conv, [who.deviceUuid]);
    expect((await pushed(sub, 1)).map((p) => p.payload)).toEqual([{ type: 'messages' }]);
  });

  it('a 410 from the push service removes the target', async () => {
    const from = await register(S.url);
    const { who, sub, conv } = await pushableDevice(S.url, from, [{ status: 410 }]);
    await send(S.url, from, conv, [who.deviceUuid]);
    await pushed(sub, 1);
    await S.app.services.push.notifier.idle();
    expect((await gql(S.url, MY_TARGETS, {}, who.token)).data.me.devices[0].pushTargets).toEqual([]);
  });

  it('a ringing call wakes the callee with a high-urgency push naming the call', async () => {
    const caller = await register(S.url);
    const callerSub = service.subscribe();
    await registerTarget(S.url, caller, callerSub);
    const { sub, conv } = await pushableDevice(S.url, caller);
    const r = await gql(S.url, `mutation($c: ID!) { startCall(conversationId: $c, media: AUDIO) { __typename ... on Call { id } ... on Error { code message } } }`, { c: conv }, caller.token);
    expect(r.data.startCall.__typename).toBe('Call');
    const callId = r.data.startCall.id;
    const [push] = await pushed(sub, 1);
    expect(push.problem).toBeUndefined();
    expect(push.payload).toEqual({ type: 'call', callId });
    expect(push.headers.urgency).toBe('high');
    expect(push.headers.topic).toBe(callId.replace(/-/g, ''));
    expect(Number(push.headers.ttl)).toBeLessThanOrEqual(S.config.callRingTimeoutSeconds);
    // the caller's own device (offline, with a target) is not rung
    await S.app.services.push.notifier.idle();
    expect(service.pushesFor(callerSub)).toHaveLength(0);
    expect(service.received.filter((p) => p.payload?.callId === callId)).toHaveLength(1);
  });
});

describe.skipIf(!redisUrl)('two instances over Redis (needs TEST_REDIS_URL)', () => {
  let A: TestServer;
  let B: TestServer;
  beforeAll(async () => {
    A = await startServer(pushOverrides({ redisUrl, jwtSecret: jwt }));
    B = await startServer(pushOverrides({ redisUrl, jwtSecret: jwt }));
  });
  afterAll(async () => {
    await A?.stop();
    await B?.stop();
  });

  it('instance A does not push a device whose inbox stream is on instance B, and pushes it once the stream closes', async () => {
    const from = await register(A.url);
    const { who, sub, conv } = await pushableDevice(A.url, from);
    await whileStreaming(B.wsUrl, who.token, async (inbox) => {
      await until(() => A.app.services.pushActivity.isOnline(who.deviceUuid), 'A to learn of the stream on B');
      const m = await send(A.url, from, conv, [who.deviceUuid]);
      await inbox.until((it) => it.some((i) => i.messageId === m));
      await A.app.services.push.notifier.idle();
      expect(service.pushesFor(sub)).toHaveLength(0);
    });
    await until(() => !A.app.services.pushActivity.isOnline(who.deviceUuid), 'A to learn the stream on B closed');
    await send(A.url, from, conv, [who.deviceUuid]);
    expect((await pushed(sub, 1)).map((p) => p.payload)).toEqual([{ type: 'messages' }]);
  });

  it("a new instance learns of streams already open elsewhere from Redis, without their events", async () => {
    const from = await register(A.url);
    const { who, sub, conv } = await pushableDevice(A.url, from);
    await whileStreaming(B.wsUrl, who.token, async () => {
      const C = await startServer(pushOverrides({ redisUrl, jwtSecret: jwt }));
      try {
        expect(C.app.services.pushActivity.isOnline(who.deviceUuid)).toBe(true);
        await send(C.url, from, conv, [who.deviceUuid]);
        await C.app.services.push.notifier.idle();
        expect(service.pushesFor(sub)).toHaveLength(0);
      } finally {
        await C.stop();
      }
    });
  });
});
