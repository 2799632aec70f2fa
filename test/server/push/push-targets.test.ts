/**
 * Push targets in the database (PostgreSQL with TEST_DATABASE_URL, else embedded PGlite): registration of
 * each kind, replacement, removal, the device cascade, and the typed refusal of every bad field.
 */
import { createECDH, randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../../src/server/kernel/errors.js';
import type { PushTargetInput } from '../../../src/server/push/push-target.js';
import { PushTargetsService } from '../../../src/server/push/push-targets.service.js';
import { createDevice, deleteDevice, openTestOrm } from './db.js';

let orm: MikroORM;
let targets: PushTargetsService;

beforeAll(async () => {
  orm = await openTestOrm();
  targets = new PushTargetsService(orm, { enabledKinds: ['WEB_PUSH', 'UNIFIED_PUSH', 'FCM', 'APNS'] });
});

afterAll(async () => {
  await orm.close(true);
});

function webKeys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
}

const fcmToken = () => `${randomBytes(8).toString('base64url')}:APA91b${randomBytes(100).toString('base64url')}`;
const apnsToken = () => randomBytes(32).toString('hex');

async function refusal(p: Promise<unknown>): Promise<{ code: string; field?: string }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    return { code: (e as DomainError).code, field: (e as { field?: string }).field };
  }
  throw new Error('expected a refusal');
}

describe('push targets', () => {
  it('registers one target of each kind for a device and lists them', async () => {
    const device = await createDevice(orm);
    const keys = webKeys();
    const apns = apnsToken().toUpperCase();
    await targets.register(device, { kind: 'WEB_PUSH', endpoint: 'https://fcm.googleapis.com/fcm/send/abc', ...keys });
    await targets.register(device, { kind: 'UNIFIED_PUSH', endpoint: 'https://ntfy.example.org/upABC?up=1' });
    await targets.register(device, { kind: 'FCM', token: fcmToken(), includeEnvelopeId: true });
    await targets.register(device, { kind: 'APNS', token: apns, topic: 'org.example.relay', environment: 'SANDBOX' });
    const list = await targets.list(device);
    expect(list.map((t) => t.kind)).toEqual(['APNS', 'FCM', 'UNIFIED_PUSH', 'WEB_PUSH']);
    const [a, f, u, w] = list;
    expect(a).toMatchObject({
      kind: 'APNS',
      token: apns.toLowerCase(),
      topic: 'org.example.relay',
      environment: 'sandbox',
      includeEnvelopeId: false,
    });
    expect(f).toMatchObject({ kind: 'FCM', includeEnvelopeId: true });
    expect(u).toMatchObject({ kind: 'UNIFIED_PUSH', endpoint: 'https://ntfy.example.org/upABC?up=1', keys: null });
    expect(w).toMatchObject({ kind: 'WEB_PUSH', endpoint: 'https://fcm.googleapis.com/fcm/send/abc' });
    if (w.kind !== 'WEB_PUSH') throw new Error('unreachable');
    expect(Buffer.from(w.keys!.p256dh).toString('base64url')).toBe(keys.p256dh);
    expect(Buffer.from(w.keys!.auth).toString('base64url')).toBe(keys.auth);
    for (const t of list) {
      expect(t.deviceUuid).toBe(device);
      expect(t.createdAt).toBeInstanceOf(Date);
    }
  });

  it('replaces the target of a kind on a second registration, keeping its id and creation time', async () => {
    const device = await createDevice(orm);
    const first = await targets.register(device, { kind: 'FCM', token: fcmToken() });
    await new Promise((r) => setTimeout(r, 15));
    const token = fcmToken();
    const second = await targets.register(device, { kind: 'FCM', token, includeEnvelopeId: true });
    expect(second.id).toBe(first.id);
    expect(second.createdAt.getTime()).toBe(first.createdAt.getTime());
    expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
    const list = await targets.list(device);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ token, includeEnvelopeId: true });
  });

  it('keeps each device to its own targets', async () => {
    const a = await createDevice(orm);
    const b = await createDevice(orm);
    await targets.register(a, { kind: 'FCM', token: fcmToken() });
    expect(await targets.list(b)).toEqual([]);
    expect(await targets.remove(b, 'FCM')).toBe(false);
    expect(await targets.list(a)).toHaveLength(1);
  });

  it('removes a target by kind, once', async () => {
    const device = await createDevice(orm);
    await targets.register(device, { kind: 'APNS', token: apnsToken(), topic: 'org.example.relay', environment: 'production' });
    await targets.register(device, { kind: 'FCM', token: fcmToken() });
    expect(await targets.remove(device, 'APNS')).toBe(true);
    expect(await targets.remove(device, 'APNS')).toBe(false);
    expect((await targets.list(device)).map((t) => t.kind)).toEqual(['FCM']);
    expect(await refusal(targets.remove(device, 'SMS'))).toEqual({ code: 'INVALID_INPUT', field: 'kind' });
  });

  it('deletes the targets with their device', async () => {
    const device = await createDevice(orm);
    await targets.register(device, { kind: 'FCM', token: fcmToken() });
    await targets.register(device, { kind: 'UNIFIED_PUSH', endpoint: 'https://up.example.net/x' });
    await deleteDevice(orm, device);
    expect(await targets.list(device)).toEqual([]);
    const left = await orm.em.getKnex().raw('select count(*)::int as n from push_targets where device = ?', [device]);
    expect(left.rows[0].n).toBe(0);
  });

  it('refuses a registration for a device that does not exist', async () => {
    expect(await refusal(targets.register('7d3c2b1a-0000-4000-8000-000000000000', { kind: 'FCM', token: fcmToken() }))).toEqual({
      code: 'NOT_FOUND',
      field: undefined,
    });
    expect(await refusal(targets.register('not-a-uuid', { kind: 'FCM', token: fcmToken() }))).toEqual({ code: 'NOT_FOUND', field: undefined });
  });

  it('removes a gone target only while it still has the endpoint the service declared dead', async () => {
    const device = await createDevice(orm);
    const old = await targets.register(device, { kind: 'WEB_PUSH', endpoint: 'https://push.example.com/old', ...webKeys() });
    // the device re-subscribed while the push to the old endpoint was in flight
    await targets.register(device, { kind: 'WEB_PUSH', endpoint: 'https://push.example.com/new', ...webKeys() });
    expect(await targets.removeGone(old)).toBe(false);
    expect((await targets.list(device)).map((t) => 'endpoint' in t && t.endpoint)).toEqual(['https://push.example.com/new']);
    const current = (await targets.list(device))[0];
    expect(await targets.removeGone(current)).toBe(true);
    expect(await targets.list(device)).toEqual([]);
  });

  it('refuses a kind this server has no provider for', async () => {
    const webOnly = new PushTargetsService(orm, { enabledKinds: ['WEB_PUSH', 'UNIFIED_PUSH'] });
    const device = await createDevice(orm);
    expect(
      await refusal(webOnly.register(device, { kind: 'APNS', token: apnsToken(), topic: 'org.example.relay', environment: 'production' })),
    ).toEqual({
      code: 'PUSH_KIND_UNAVAILABLE',
      field: undefined,
    });
    expect(await targets.list(device)).toEqual([]);
  });

  const keys = webKeys();
  const offCurve = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url');
  const bad: [string, PushTargetInput, string, string][] = [
    ['an unknown kind', { kind: 'SMS' }, 'INVALID_INPUT', 'kind'],
    ['no endpoint', { kind: 'WEB_PUSH', ...keys }, 'INVALID_INPUT', 'endpoint'],
    ['an http endpoint', { kind: 'WEB_PUSH', endpoint: 'http://push.example.com/x', ...keys }, 'INVALID_INPUT', 'endpoint'],
    ['a loopback endpoint', { kind: 'WEB_PUSH', endpoint: 'https://127.0.0.1/x', ...keys }, 'INVALID_INPUT', 'endpoint'],
    ['a localhost endpoint', { kind: 'UNIFIED_PUSH', endpoint: 'https://localhost:8443/x' }, 'INVALID_INPUT', 'endpoint'],
    ['a private-network endpoint', { kind: 'UNIFIED_PUSH', endpoint: 'https://10.1.2.3/x' }, 'INVALID_INPUT', 'endpoint'],
    ['a link-local endpoint (cloud metadata)', { kind: 'UNIFIED_PUSH', endpoint: 'https://169.254.169.254/latest' }, 'INVALID_INPUT', 'endpoint'],
    ['an IPv6 unique-local endpoint', { kind: 'UNIFIED_PUSH', endpoint: 'https://[fd00::1]/x' }, 'INVALID_INPUT', 'endpoint'],
    ['a v4-mapped loopback endpoint', { kind: 'UNIFIED_PUSH', endpoint: 'https://[::ffff:127.0.0.1]/x' }, 'INVALID_INPUT', 'endpoint'],
    ['an endpoint with credentials', { kind: 'UNIFIED_PUSH', endpoint: 'https://user:pw@up.example.net/x' }, 'INVALID_INPUT', 'endpoint'],
    ['an endpoint that is not a URL', { kind: 'UNIFIED_PUSH', endpoint: 'push me' }, 'INVALID_INPUT', 'endpoint'],
    ['an overlong endpoint', { kind: 'UNIFIED_PUSH', endpoint: `https://up.example.net/${'a'.repeat(2048)}` }, 'INVALID_INPUT', 'endpoint'],
    ['Web Push without keys', { kind: 'WEB_PUSH', endpoint: 'https://push.example.com/x' }, 'INVALID_KEY', 'p256dh'],
    [
      'a p256dh of 64 bytes',
      { kind: 'WEB_PUSH', endpoint: 'https://push.example.com/x', p256dh: Buffer.alloc(64, 4).toString('base64url'), auth: keys.auth },
      'INVALID_KEY',
      'p256dh',
    ],
    [
      'a compressed p256dh',
      {
        kind: 'WEB_PUSH',
        endpoint: 'https://push.example.com/x',
        p256dh: Buffer.concat([Buffer.from([2]), Buffer.alloc(64, 1)]).toString('base64url'),
        auth: keys.auth,
      },
      'INVALID_KEY',
      'p256dh',
    ],
    [
      'a p256dh off the curve',
      { kind: 'WEB_PUSH', endpoint: 'https://push.example.com/x', p256dh: offCurve, auth: keys.auth },
      'INVALID_KEY',
      'p256dh',
    ],
    [
      'a p256dh in standard base64 with + and /',
      { kind: 'WEB_PUSH', endpoint: 'https://push.example.com/x', p256dh: `${keys.p256dh.slice(0, -2)}+/`, auth: keys.auth },
      'INVALID_KEY',
      'p256dh',
    ],
    [
      'an auth secret of 12 bytes',
      { kind: 'WEB_PUSH', endpoint: 'https://push.example.com/x', p256dh: keys.p256dh, auth: randomBytes(12).toString('base64url') },
      'INVALID_KEY',
      'auth',
    ],
    [
      'UnifiedPush with p256dh but no auth',
      { kind: 'UNIFIED_PUSH', endpoint: 'https://up.example.net/x', p256dh: keys.p256dh },
      'INVALID_KEY',
      'auth',
    ],
    ['an FCM token with spaces', { kind: 'FCM', token: 'abc def'.repeat(10) }, 'INVALID_INPUT', 'token'],
    ['a short FCM token', { kind: 'FCM', token: 'abc' }, 'INVALID_INPUT', 'token'],
    ['an FCM target with an endpoint', { kind: 'FCM', token: fcmToken(), endpoint: 'https://push.example.com/x' }, 'INVALID_INPUT', 'endpoint'],
    [
      'an APNs token that is not hex',
      { kind: 'APNS', token: 'zz'.repeat(32), topic: 'org.example.relay', environment: 'production' },
      'INVALID_INPUT',
      'token',
    ],
    [
      'an APNs token of odd length',
      { kind: 'APNS', token: 'a'.repeat(63), topic: 'org.example.relay', environment: 'production' },
      'INVALID_INPUT',
      'token',
    ],
    ['an APNs target without topic', { kind: 'APNS', token: apnsToken(), environment: 'production' }, 'INVALID_INPUT', 'topic'],
    [
      'an APNs topic that is not a bundle id',
      { kind: 'APNS', token: apnsToken(), topic: 'relay', environment: 'production' },
      'INVALID_INPUT',
      'topic',
    ],
    [
      'an unknown APNs environment',
      { kind: 'APNS', token: apnsToken(), topic: 'org.example.relay', environment: 'staging' },
      'INVALID_INPUT',
      'environment',
    ],
    [
      'Web Push keys on an APNs target',
      { kind: 'APNS', token: apnsToken(), topic: 'org.example.relay', environment: 'production', ...keys },
      'INVALID_INPUT',
      'p256dh',
    ],
    [
      'a topic on a Web Push target',
      { kind: 'WEB_PUSH', endpoint: 'https://push.example.com/x', ...keys, topic: 'org.example.relay' },
      'INVALID_INPUT',
      'topic',
    ],
    ['a non-boolean includeEnvelopeId', { kind: 'FCM', token: fcmToken(), includeEnvelopeId: 'yes' as never }, 'INVALID_INPUT', 'includeEnvelopeId'],
  ];

  it.each(bad)('refuses %s with a typed error naming the field, storing nothing', async (_name, input, code, field) => {
    const device = await createDevice(orm);
    expect(await refusal(targets.register(device, input))).toEqual({ code, field });
    expect(await targets.list(device)).toEqual([]);
  });
});
