/**
 * Web Push and UnifiedPush end to end against a local RFC 8030 push service (peers/web-push-service.ts) that
 * verifies VAPID and decrypts each RFC 8291 payload with the subscription's private key. Targets live in the
 * per-run database; the notifier is the real one with the real provider.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDeviceActivity } from '../../../src/server/push/device-activity.js';
import { MESSAGE_PUSH_TTL_SECONDS } from '../../../src/server/push/notification.js';
import { PushNotifier, type PushNotifierOptions } from '../../../src/server/push/push-notifier.js';
import { PushTargetsService } from '../../../src/server/push/push-targets.service.js';
import { WebPushProvider } from '../../../src/server/push/web-push.provider.js';
import { createDevice, openTestOrm } from './db.js';
import { type ScriptedResponse, WebPushService } from './peers/web-push-service.js';

const DEBOUNCE_MS = 400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let orm: MikroORM;
let service: WebPushService;
let targets: PushTargetsService;
let provider: WebPushProvider;
const vapid = webpush.generateVAPIDKeys();

beforeAll(async () => {
  orm = await openTestOrm();
  service = await new WebPushService().start();
  service.applicationServerKey = vapid.publicKey;
  targets = new PushTargetsService(orm, { enabledKinds: ['WEB_PUSH', 'UNIFIED_PUSH'], allowLoopbackEndpoints: true });
  provider = new WebPushProvider({ vapid, subject: 'mailto:ops@relay.example', allowLoopbackEndpoints: true });
});

afterAll(async () => {
  await provider.close();
  await service.stop();
  await orm.close(true);
});

function notifier(activity = new LocalDeviceActivity(), opts: Partial<PushNotifierOptions> = {}) {
  return new PushNotifier({ targets, providers: [provider], activity, debounceMs: DEBOUNCE_MS, backoffBaseMs: 20, ...opts });
}

async function subscribedDevice(opts: { script?: ScriptedResponse[]; includeEnvelopeId?: boolean } = {}) {
  const deviceUuid = await createDevice(orm);
  const sub = service.subscribe({ script: opts.script });
  const target = await targets.register(deviceUuid, {
    kind: 'WEB_PUSH',
    endpoint: sub.endpoint,
    p256dh: sub.p256dh,
    auth: sub.auth,
    includeEnvelopeId: opts.includeEnvelopeId,
  });
  return { deviceUuid, sub, target };
}

describe('Web Push notifications', () => {
  it('sends exactly one push, VAPID-signed and decryptable only with the subscription key, for a burst of envelopes to an offline device', async () => {
    // a window long enough that the burst (20 envelopes over ~100 ms) fits in it even on a loaded machine
    const n = notifier(undefined, { debounceMs: 2_000 });
    const { deviceUuid, sub } = await subscribedDevice();
    for (let i = 1; i <= 10; i++) n.notifyEnvelope(deviceUuid, String(i));
    for (let i = 11; i <= 20; i++) {
      await sleep(10);
      n.notifyEnvelope(deviceUuid, String(i));
    }
    await n.idle();
    const pushes = service.pushesFor(sub);
    expect(pushes).toHaveLength(1);
    const [push] = pushes;
    expect(push.problem).toBeUndefined();
    // content-free: the push service and anyone holding the endpoint learn nothing but "messages"
    expect(push.payload).toEqual({ type: 'messages' });
    expect(push.vapid).toMatchObject({ aud: service.origin, sub: 'mailto:ops@relay.example', k: vapid.publicKey });
    expect(push.headers.urgency).toBe('normal');
    expect(push.headers.topic).toBe('messages');
    const ttl = Number(push.headers.ttl);
    expect(ttl).toBeLessThanOrEqual(MESSAGE_PUSH_TTL_SECONDS);
    expect(ttl).toBeGreaterThan(MESSAGE_PUSH_TTL_SECONDS - 5);
    await n.close();
  });

  it('pushes again after the window for a device that woke since its last push, not for one still asleep', async () => {
    const activity = new LocalDeviceActivity();
    const n = notifier(activity);
    const woke = await subscribedDevice();
    const asleep = await subscribedDevice();
    for (const d of [woke, asleep]) n.notifyEnvelope(d.deviceUuid, '1');
    await n.idle();
    await sleep(DEBOUNCE_MS + 50);
    activity.queueRead(woke.deviceUuid);
    for (const d of [woke, asleep]) n.notifyEnvelope(d.deviceUuid, '2');
    await n.idle();
    const pushes = service.pushesFor(woke.sub);
    expect(pushes).toHaveLength(2);
    // the first push is still unanswered: it makes the device fetch everything, a second one adds nothing
    expect(service.pushesFor(asleep.sub)).toHaveLength(1);
    expect(await n.metrics.skipped.get()).toMatchObject({ values: expect.arrayContaining([expect.objectContaining({ labels: { reason: 'awaiting_wakeup' }, value: 1 })]) });
    // one VAPID JWT per push service origin, reused until near its expiry
    expect(pushes[1].vapid!.exp).toBe(pushes[0].vapid!.exp);
    await n.close();
  });

  it('pushes a device that never woke again once rewakeMs has passed (or every window with rewakeMs 0)', async () => {
    for (const rewakeMs of [0, DEBOUNCE_MS]) {
      const n = notifier(new LocalDeviceActivity(), { rewakeMs });
      const { deviceUuid, sub } = await subscribedDevice();
      n.notifyEnvelope(deviceUuid, '1');
      await n.idle();
      await sleep(DEBOUNCE_MS + 50);
      n.notifyEnvelope(deviceUuid, '2');
      await n.idle();
      expect(service.pushesFor(sub), `rewakeMs ${rewakeMs}`).toHaveLength(2);
      await n.close();
    }
  });

  it('sends no push to a device whose inbox stream is open', async () => {
    const activity = new LocalDeviceActivity();
    const n = notifier(activity);
    const { deviceUuid, sub } = await subscribedDevice();
    activity.streamOpened(deviceUuid);
    for (let i = 1; i <= 5; i++) n.notifyEnvelope(deviceUuid, String(i));
    await n.idle();
    await sleep(50);
    n.notifyEnvelope(deviceUuid, '6');
    await n.idle();
    expect(service.pushesFor(sub)).toHaveLength(0);
    // once the stream closes, the next envelope wakes the device
    activity.streamClosed(deviceUuid);
    await sleep(5);
    n.notifyEnvelope(deviceUuid, '7');
    await n.idle();
    expect(service.pushesFor(sub)).toHaveLength(1);
    await n.close();
  });

  it('pushes once more when the device woke, read its queue and left before the last envelope of the window', async () => {
    const activity = new LocalDeviceActivity();
    const n = notifier(activity);
    const { deviceUuid, sub } = await subscribedDevice();
    n.notifyEnvelope(deviceUuid, '1');
    while (service.pushesFor(sub).length === 0) await sleep(5);
    // the woken app (or its notification extension) connects, drains the queue and goes away
    activity.streamOpened(deviceUuid);
    await sleep(5);
    activity.streamClosed(deviceUuid);
    await sleep(5);
    const later = Date.now();
    n.notifyEnvelope(deviceUuid, '2');
    n.notifyEnvelope(deviceUuid, '3');
    // still inside the window: no push yet for envelopes 2 and 3
    await sleep(20);
    expect(service.pushesFor(sub)).toHaveLength(1);
    await n.idle();
    const pushes = service.pushesFor(sub);
    expect(pushes).toHaveLength(2);
    expect(pushes[1].at).toBeGreaterThanOrEqual(later);
    await n.close();
  });

  it('sends nothing more at the end of the window when the device read its queue after the last envelope', async () => {
    const activity = new LocalDeviceActivity();
    const n = notifier(activity);
    const { deviceUuid, sub } = await subscribedDevice();
    n.notifyEnvelope(deviceUuid, '1');
    while (service.pushesFor(sub).length === 0) await sleep(5);
    n.notifyEnvelope(deviceUuid, '2');
    await sleep(5);
    activity.queueRead(deviceUuid);
    await n.idle();
    expect(service.pushesFor(sub)).toHaveLength(1);
    await n.close();
  });

  it('carries the envelope id, and nothing else, only for a target that opted in', async () => {
    const n = notifier();
    const optedIn = await subscribedDevice({ includeEnvelopeId: true });
    const plain = await subscribedDevice();
    n.notifyEnvelope(optedIn.deviceUuid, '1234');
    n.notifyEnvelope(optedIn.deviceUuid, '1235');
    n.notifyEnvelope(plain.deviceUuid, '99');
    await n.idle();
    expect(service.pushesFor(optedIn.sub).map((p) => p.payload)).toEqual([{ type: 'messages', envelopeId: '1234' }]);
    expect(service.pushesFor(plain.sub).map((p) => p.payload)).toEqual([{ type: 'messages' }]);
    await n.close();
  });

  it('rings a call with a high-urgency push that bypasses the debounce and expires with the ring', async () => {
    const n = notifier(new LocalDeviceActivity(), { callTtlSeconds: 45 });
    const { deviceUuid, sub } = await subscribedDevice();
    const callId = '5b0c1a52-5f8e-4a8f-9d0c-2f1b7e3c9a10';
    n.notifyEnvelope(deviceUuid, '1');
    while (service.pushesFor(sub).length === 0) await sleep(5);
    n.notifyCall(deviceUuid, callId);
    await n.idle();
    const pushes = service.pushesFor(sub);
    expect(pushes).toHaveLength(2);
    const call = pushes[1];
    expect(call.payload).toEqual({ type: 'call', callId });
    expect(call.headers.urgency).toBe('high');
    expect(Number(call.headers.ttl)).toBeLessThanOrEqual(45);
    expect(Number(call.headers.ttl)).toBeGreaterThan(40);
    expect(call.headers.topic).toBe(callId.replace(/-/g, ''));
    await n.close();
  });

  it('marks a message urgent when the sender asked for it', async () => {
    const n = notifier();
    const { deviceUuid, sub } = await subscribedDevice();
    n.notifyEnvelope(deviceUuid, '1');
    n.notifyEnvelope(deviceUuid, '2', { urgent: true });
    await n.idle();
    expect(service.pushesFor(sub).map((p) => p.headers.urgency)).toEqual(['high']);
    await n.close();
  });

  it.each([404, 410])('removes the target when the push service answers %i', async (status) => {
    const n = notifier();
    const { deviceUuid, sub } = await subscribedDevice({ script: [{ status }] });
    n.notifyEnvelope(deviceUuid, '1');
    await n.idle();
    expect(service.pushesFor(sub)).toHaveLength(1);
    expect(await targets.list(deviceUuid)).toEqual([]);
    expect(await n.metrics.removed.get()).toMatchObject({ values: [{ value: 1, labels: { kind: 'WEB_PUSH' } }] });
    await n.close();
  });

  it('retries a 429 no sooner than its Retry-After, and keeps the target', async () => {
    const n = notifier();
    const { deviceUuid, sub } = await subscribedDevice({ script: [{ status: 429, headers: { 'retry-after': '1' } }] });
    n.notifyEnvelope(deviceUuid, '1');
    await n.idle();
    const pushes = service.pushesFor(sub);
    expect(pushes).toHaveLength(2);
    // backoff alone would have retried after ~20 ms
    expect(pushes[1].at - pushes[0].at).toBeGreaterThanOrEqual(950);
    expect(pushes[1].payload).toEqual({ type: 'messages' });
    expect(await targets.list(deviceUuid)).toHaveLength(1);
    await n.close();
  });

  it('retries 5xx answers with growing delays and gives up after the last attempt', async () => {
    const n = notifier(new LocalDeviceActivity(), { maxAttempts: 4, backoffBaseMs: 40, random: () => 0.5 });
    const { deviceUuid, sub } = await subscribedDevice({
      script: [{ status: 503 }, { status: 500 }, { status: 502 }, { status: 503 }, { status: 503 }],
    });
    n.notifyEnvelope(deviceUuid, '1');
    await n.idle();
    const pushes = service.pushesFor(sub);
    expect(pushes).toHaveLength(4);
    const gaps = pushes.slice(1).map((p, i) => p.at - pushes[i].at);
    // 40, 80, 160 ms (jitter fixed at 1x)
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(155);
    expect(await targets.list(deviceUuid)).toHaveLength(1);
    await n.close();
  });

  it('delivers to a UnifiedPush endpoint without Web Push keys as plain content-free JSON', async () => {
    const n = notifier();
    const deviceUuid = await createDevice(orm);
    const sub = service.subscribe({ encrypted: false });
    await targets.register(deviceUuid, { kind: 'UNIFIED_PUSH', endpoint: sub.endpoint });
    n.notifyEnvelope(deviceUuid, '1');
    await n.idle();
    const [push] = service.pushesFor(sub);
    expect(push.problem).toBeUndefined();
    expect(push.payload).toEqual({ type: 'messages' });
    expect(push.vapid?.k).toBe(vapid.publicKey);
    await n.close();
  });

  it('encrypts for a UnifiedPush endpoint that registered Web Push keys', async () => {
    const n = notifier();
    const deviceUuid = await createDevice(orm);
    const sub = service.subscribe();
    await targets.register(deviceUuid, { kind: 'UNIFIED_PUSH', endpoint: sub.endpoint, p256dh: sub.p256dh, auth: sub.auth });
    n.notifyEnvelope(deviceUuid, '1');
    await n.idle();
    const [push] = service.pushesFor(sub);
    expect(push.problem).toBeUndefined();
    expect(push.headers['content-encoding']).toBe('aes128gcm');
    expect(push.payload).toEqual({ type: 'messages' });
    await n.close();
  });

  it('does not connect to a private address even when a name resolves to one', async () => {
    const strict = new WebPushProvider({ vapid, allowLoopbackEndpoints: false });
    const deviceUuid = await createDevice(orm);
    const sub = service.subscribe();
    const target = await targets.register(deviceUuid, { kind: 'WEB_PUSH', endpoint: sub.endpoint, p256dh: sub.p256dh, auth: sub.auth });
    const viaName = { ...target, endpoint: sub.endpoint.replace('127.0.0.1', 'localhost') } as typeof target;
    const { messagesNotification } = await import('../../../src/server/push/notification.js');
    expect(await strict.send(viaName, messagesNotification('1', false))).toMatchObject({ kind: 'failed' });
    expect(await strict.send(target, messagesNotification('1', false))).toMatchObject({ kind: 'failed' });
    expect(service.pushesFor(sub)).toHaveLength(0);
    await strict.close();
  });
});
