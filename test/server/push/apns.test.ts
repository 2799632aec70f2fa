/**
 * APNs over HTTP/2 against a loopback server speaking Apple's provider API (peers/apns-server.ts): the
 * request format, token authentication, and what the notifier does with each documented answer.
 */
import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApnsProvider } from '../../../src/server/push/apns.provider.js';
import { LocalDeviceActivity } from '../../../src/server/push/device-activity.js';
import { callNotification, MESSAGE_PUSH_TTL_SECONDS, messagesNotification } from '../../../src/server/push/notification.js';
import { PushNotifier, type PushNotifierOptions } from '../../../src/server/push/push-notifier.js';
import { PushTargetsService } from '../../../src/server/push/push-targets.service.js';
import type { ApnsTarget } from '../../../src/server/push/push-target.js';
import { createDevice, openTestOrm } from './db.js';
import { ApnsTestServer, newApnsKey } from './peers/apns-server.js';

const KEY_ID = 'ABC123DEFG';
const TEAM_ID = 'DEF123GHIJ';
const TOPIC = 'org.example.relay';

let orm: MikroORM;
let apns: ApnsTestServer;
let provider: ApnsProvider;
let targets: PushTargetsService;
const key = newApnsKey();

beforeAll(async () => {
  orm = await openTestOrm();
  apns = await new ApnsTestServer(key.publicKey, KEY_ID, TEAM_ID).start();
  provider = new ApnsProvider({ key: key.privateKey, keyId: KEY_ID, teamId: TEAM_ID, host: apns.origin });
  targets = new PushTargetsService(orm, { enabledKinds: ['APNS'] });
});

afterAll(async () => {
  await provider.close();
  await apns.stop();
  await orm.close(true);
});

function notifier(opts: Partial<PushNotifierOptions> = {}) {
  return new PushNotifier({ targets, providers: [provider], activity: new LocalDeviceActivity(), debounceMs: 200, backoffBaseMs: 20, ...opts });
}

async function iphone(): Promise<{ deviceUuid: string; token: string; target: ApnsTarget }> {
  const deviceUuid = await createDevice(orm);
  const token = randomBytes(32).toString('hex');
  const target = (await targets.register(deviceUuid, { kind: 'APNS', token, topic: TOPIC, environment: 'production' })) as ApnsTarget;
  return { deviceUuid, token, target };
}

describe('APNs provider', () => {
  it('sends an alert with mutable-content, content-free, at priority 5 for messages, signed with the team ES256 token', async () => {
    const { token, target } = await iphone();
    const before = Math.floor(Date.now() / 1000);
    expect(await provider.send(target, messagesNotification('17', false))).toEqual({ kind: 'delivered' });
    const [req] = apns.requestsFor(token);
    expect(req.problem).toBeUndefined();
    expect(req.headers[':path']).toBe(`/3/device/${token}`);
    expect(req.headers['apns-topic']).toBe(TOPIC);
    expect(req.headers['apns-push-type']).toBe('alert');
    expect(req.headers['apns-priority']).toBe('5');
    expect(req.headers['apns-collapse-id']).toBe('messages');
    const expiration = Number(req.headers['apns-expiration']);
    expect(expiration).toBeGreaterThanOrEqual(before + MESSAGE_PUSH_TTL_SECONDS - 5);
    expect(expiration).toBeLessThanOrEqual(before + MESSAGE_PUSH_TTL_SECONDS + 5);
    // the Notification Service Extension runs only for alert pushes with mutable-content
    expect(req.body).toEqual({ aps: { alert: { 'loc-key': 'PUSH_NEW_MESSAGE' }, 'mutable-content': 1, sound: 'default' }, type: 'messages' });
    expect(decodeProtectedHeader(req.jwt)).toEqual({ alg: 'ES256', kid: KEY_ID });
    expect(decodeJwt(req.jwt)).toMatchObject({ iss: TEAM_ID });
  });

  it('rings calls at priority 10 with an expiration at the end of the ring', async () => {
    const { token, target } = await iphone();
    const callId = '0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f';
    const now = Date.now();
    expect(await provider.send(target, callNotification(callId, 45, now))).toEqual({ kind: 'delivered' });
    const [req] = apns.requestsFor(token);
    expect(req.headers['apns-priority']).toBe('10');
    expect(req.headers['apns-push-type']).toBe('alert');
    expect(Number(req.headers['apns-expiration'])).toBe(Math.floor((now + 45_000) / 1000));
    expect(req.body).toEqual({ aps: { alert: { 'loc-key': 'PUSH_INCOMING_CALL' }, 'mutable-content': 1, sound: 'default' }, type: 'call', callId });
  });

  it('reuses one provider token and one HTTP/2 connection for many pushes', async () => {
    const phones = await Promise.all([1, 2, 3, 4, 5].map(() => iphone()));
    const sessionsBefore = apns.sessions.size;
    const outcomes = await Promise.all(phones.map((p) => provider.send(p.target, messagesNotification('1', false))));
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true);
    const reqs = phones.map((p) => apns.requestsFor(p.token)[0]);
    expect(new Set(reqs.map((r) => r.jwt)).size).toBe(1);
    expect(new Set(reqs.map((r) => r.session)).size).toBe(1);
    expect(apns.sessions.size).toBe(sessionsBefore);
  });

  it('signs a new provider token when APNs calls the current one expired, and sends again', async () => {
    const { token, target } = await iphone();
    apns.script(token, [{ status: 403, reason: 'ExpiredProviderToken' }]);
    expect(await provider.send(target, messagesNotification('1', false))).toEqual({ kind: 'delivered' });
    const reqs = apns.requestsFor(token);
    expect(reqs).toHaveLength(2);
    expect(reqs[1].jwt).not.toBe(reqs[0].jwt);
  });

  it('reports a refused request that a retry cannot fix as failed', async () => {
    const { token, target } = await iphone();
    apns.script(token, [{ status: 400, reason: 'TopicDisallowed' }]);
    expect(await provider.send(target, messagesNotification('1', false))).toEqual({ kind: 'failed', reason: 'HTTP 400 TopicDisallowed' });
  });

  it('reports a dropped connection as a retry', async () => {
    const other = new ApnsProvider({ key: key.privateKey, keyId: KEY_ID, teamId: TEAM_ID, host: 'http://127.0.0.1:1' });
    const { target } = await iphone();
    expect(await other.send(target, messagesNotification('1', false))).toMatchObject({ kind: 'retry', afterMs: null });
    await other.close();
  });
});

describe('APNs answers, as the notifier acts on them', () => {
  it.each([
    [400, 'BadDeviceToken'],
    [410, 'Unregistered'],
    [410, 'ExpiredToken'],
    [400, 'DeviceTokenNotForTopic'],
  ])('removes the target on %i %s', async (status, reason) => {
    const n = notifier();
    const { deviceUuid, token } = await iphone();
    apns.script(token, [{ status, reason }]);
    n.notifyEnvelope(deviceUuid, '1');
    await n.idle();
    expect(apns.requestsFor(token)).toHaveLength(1);
    expect(await targets.list(deviceUuid)).toEqual([]);
    await n.close();
  });

  it.each([
    [429, 'TooManyRequests'],
    [500, 'InternalServerError'],
    [503, 'ServiceUnavailable'],
  ])('retries after %i %s and keeps the target', async (status, reason) => {
    const n = notifier();
    const { deviceUuid, token } = await iphone();
    apns.script(token, [{ status, reason }]);
    n.notifyEnvelope(deviceUuid, '1');
    await n.idle();
    const reqs = apns.requestsFor(token);
    expect(reqs).toHaveLength(2);
    expect(reqs[1].problem).toBeUndefined();
    expect(await targets.list(deviceUuid)).toHaveLength(1);
    expect(await n.metrics.attempts.get()).toMatchObject({
      values: expect.arrayContaining([
        { value: 1, labels: { kind: 'APNS', outcome: 'retry' } },
        { value: 1, labels: { kind: 'APNS', outcome: 'delivered' } },
      ]),
    });
    await n.close();
  });

  it('keeps the target on a refusal a retry cannot fix, and does not retry it', async () => {
    const n = notifier();
    const { deviceUuid, token } = await iphone();
    apns.script(token, [{ status: 413, reason: 'PayloadTooLarge' }]);
    n.notifyEnvelope(deviceUuid, '1');
    await n.idle();
    expect(apns.requestsFor(token)).toHaveLength(1);
    expect(await targets.list(deviceUuid)).toHaveLength(1);
    await n.close();
  });
});
