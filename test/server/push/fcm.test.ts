/**
 * FCM HTTP v1 against a loopback server speaking FCM v1 and Google's OAuth token endpoint
 * (peers/fcm-server.ts): the request body, the service-account grant and token caching, and what the
 * notifier does with each documented error.
 */
import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDeviceActivity } from '../../../src/server/push/device-activity.js';
import { FcmProvider } from '../../../src/server/push/fcm.provider.js';
import { callNotification, MESSAGE_PUSH_TTL_SECONDS, messagesNotification } from '../../../src/server/push/notification.js';
import { PushNotifier, type PushNotifierOptions } from '../../../src/server/push/push-notifier.js';
import { PushTargetsService } from '../../../src/server/push/push-targets.service.js';
import type { FcmTarget } from '../../../src/server/push/push-target.js';
import { createDevice, openTestOrm } from './db.js';
import { type FcmAnswer, FcmTestServer, newServiceAccountKey } from './peers/fcm-server.js';

let orm: MikroORM;
let fcm: FcmTestServer;
let provider: FcmProvider;
let targets: PushTargetsService;
const key = newServiceAccountKey();

beforeAll(async () => {
  orm = await openTestOrm();
  fcm = await new FcmTestServer('relay-test-1', 'push@relay-test-1.iam.gserviceaccount.com', key.publicKey).start();
  provider = new FcmProvider({ serviceAccount: fcm.serviceAccount(key.privateKey), apiUrl: fcm.origin });
  targets = new PushTargetsService(orm, { enabledKinds: ['FCM'] });
});

afterAll(async () => {
  await provider.close();
  await fcm.stop();
  await orm.close(true);
});

function notifier(opts: Partial<PushNotifierOptions> = {}) {
  return new PushNotifier({ targets, providers: [provider], activity: new LocalDeviceActivity(), debounceMs: 200, backoffBaseMs: 20, ...opts });
}

/** A registration token shaped like FCM's (instance id, colon, APA91 blob). */
function registrationToken(): string {
  return `${randomBytes(8).toString('base64url')}:APA91b${randomBytes(100).toString('base64url')}`;
}

async function android(): Promise<{ deviceUuid: string; token: string; target: FcmTarget }> {
  const deviceUuid = await createDevice(orm);
  const token = registrationToken();
  const target = (await targets.register(deviceUuid, { kind: 'FCM', token })) as FcmTarget;
  return { deviceUuid, token, target };
}

describe('FCM provider', () => {
  it('sends a data-only message with priority, TTL and collapse key, on a token from a service-account grant', async () => {
    const { token, target } = await android();
    expect(await provider.send(target, messagesNotification('7', false))).toEqual({ kind: 'delivered' });
    const [req] = fcm.sendsFor(token);
    expect(req.problem).toBeUndefined();
    const m = req.body.message!;
    expect(m.token).toBe(token);
    // data-only (no `notification`): the app decides what to show after decrypting
    expect(m.notification).toBeUndefined();
    expect(m.data).toEqual({ type: 'messages' });
    expect(m.android).toEqual({ priority: 'NORMAL', ttl: expect.stringMatching(/^\d+s$/), collapse_key: 'messages' });
    expect(Number.parseInt(m.android.ttl, 10)).toBeGreaterThan(MESSAGE_PUSH_TTL_SECONDS - 5);
    expect(Number.parseInt(m.android.ttl, 10)).toBeLessThanOrEqual(MESSAGE_PUSH_TTL_SECONDS);
    expect(m.apns.headers).toMatchObject({ 'apns-push-type': 'alert', 'apns-priority': '5', 'apns-collapse-id': 'messages' });
    expect(m.apns.payload.aps['mutable-content']).toBe(1);
    const grant = fcm.grants.at(-1)!;
    expect(grant.kid).toBe('key-1');
    expect(grant.claims).toMatchObject({
      iss: 'push@relay-test-1.iam.gserviceaccount.com',
      aud: fcm.tokenUri,
      scope: 'https://www.googleapis.com/auth/firebase.messaging',
    });
  });

  it('sends calls at HIGH priority with the ring as TTL', async () => {
    const { token, target } = await android();
    const callId = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
    expect(await provider.send(target, callNotification(callId, 45))).toEqual({ kind: 'delivered' });
    const m = fcm.sendsFor(token)[0].body.message!;
    expect(m.data).toEqual({ type: 'call', callId });
    expect(m.android.priority).toBe('HIGH');
    expect(m.android.ttl).toMatch(/^(44|45)s$/);
    expect(m.android.collapse_key).toBe(callId.replace(/-/g, ''));
    expect(m.apns.headers['apns-priority']).toBe('10');
  });

  it('reuses one access token for many pushes', async () => {
    const grantsBefore = fcm.grants.length;
    const phones = await Promise.all([1, 2, 3, 4, 5, 6].map(() => android()));
    const outcomes = await Promise.all(phones.map((p) => provider.send(p.target, messagesNotification('1', false))));
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true);
    expect(fcm.grants.length - grantsBefore).toBeLessThanOrEqual(1);
    expect(new Set(phones.map((p) => fcm.sendsFor(p.token)[0].accessToken)).size).toBe(1);
  });

  it('fetches a new access token once when FCM answers 401, and sends again', async () => {
    const { token, target } = await android();
    fcm.issued.clear();
    const grantsBefore = fcm.grants.length;
    expect(await provider.send(target, messagesNotification('1', false))).toEqual({ kind: 'delivered' });
    const sends = fcm.sendsFor(token);
    expect(sends).toHaveLength(2);
    expect(sends[0].problem).toBe('access token unknown or expired');
    expect(sends[1].problem).toBeUndefined();
    expect(fcm.grants.length - grantsBefore).toBe(1);
  });

  it('reports a token endpoint that refuses the grant as failed, without calling FCM', async () => {
    const other = new FcmProvider({ serviceAccount: fcm.serviceAccount(key.privateKey), apiUrl: fcm.origin });
    const { token, target } = await android();
    fcm.refuseGrants = true;
    try {
      expect(await other.send(target, messagesNotification('1', false))).toMatchObject({
        kind: 'failed',
        reason: expect.stringContaining('invalid_grant'),
      });
      expect(fcm.sendsFor(token)).toHaveLength(0);
    } finally {
      fcm.refuseGrants = false;
      await other.close();
    }
  });
});

describe('FCM answers, as the notifier acts on them', () => {
  it.each<FcmAnswer['errorCode']>(['UNREGISTERED', 'INVALID_ARGUMENT', 'SENDER_ID_MISMATCH'])('removes the target on %s', async (errorCode) => {
    const n = notifier();
    const { deviceUuid, token } = await android();
    fcm.script(token, [{ errorCode }]);
    n.notifyEnvelope(deviceUuid, '1');
    await n.idle();
    expect(fcm.sendsFor(token)).toHaveLength(1);
    expect(await targets.list(deviceUuid)).toEqual([]);
    await n.close();
  });

  it.each<FcmAnswer['errorCode']>(['UNAVAILABLE', 'INTERNAL', 'QUOTA_EXCEEDED'])('retries after %s and keeps the target', async (errorCode) => {
    const n = notifier();
    const { deviceUuid, token } = await android();
    fcm.script(token, [{ errorCode }, { errorCode }]);
    n.notifyEnvelope(deviceUuid, '1');
    await n.idle();
    const sends = fcm.sendsFor(token);
    expect(sends).toHaveLength(3);
    expect(sends.every((s) => s.problem === undefined)).toBe(true);
    expect(await targets.list(deviceUuid)).toHaveLength(1);
    await n.close();
  });

  it('waits for the Retry-After of a 429 before sending again', async () => {
    const n = notifier();
    const { deviceUuid, token } = await android();
    fcm.script(token, [{ errorCode: 'QUOTA_EXCEEDED', retryAfter: '1' }]);
    n.notifyEnvelope(deviceUuid, '1');
    await n.idle();
    const sends = fcm.sendsFor(token);
    expect(sends).toHaveLength(2);
    expect(sends[1].at - sends[0].at).toBeGreaterThanOrEqual(950);
    await n.close();
  });

  it('keeps the target when FCM refuses a field of the request, and does not retry', async () => {
    const n = notifier();
    const { deviceUuid, token } = await android();
    fcm.script(token, [{ errorCode: 'INVALID_ARGUMENT', fieldViolation: 'message.android.ttl' }]);
    n.notifyEnvelope(deviceUuid, '1');
    await n.idle();
    expect(fcm.sendsFor(token)).toHaveLength(1);
    expect(await targets.list(deviceUuid)).toHaveLength(1);
    expect(await n.metrics.attempts.get()).toMatchObject({ values: [{ value: 1, labels: { kind: 'FCM', outcome: 'failed' } }] });
    await n.close();
  });
});
