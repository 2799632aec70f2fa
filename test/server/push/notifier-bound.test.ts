/**
 * The notifier's bound: the send path calls notifyEnvelope for every recipient device, and it must return at
 * once whatever the push services do. Here the push service accepts connections and never answers, so every
 * worker is stuck; the queue fills, drops its oldest pushes (counted), and notify calls still only touch memory.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MikroORM } from '@mikro-orm/postgresql';
import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDeviceActivity } from '../../../src/server/push/device-activity.js';
import { PushNotifier, type PushTargetSource } from '../../../src/server/push/push-notifier.js';
import { PushTargetsService } from '../../../src/server/push/push-targets.service.js';
import { WebPushProvider } from '../../../src/server/push/web-push.provider.js';
import { createDevice, openTestOrm } from './db.js';
import { WebPushService } from './peers/web-push-service.js';

const MAX_QUEUE = 50;
const CONCURRENCY = 2;

let orm: MikroORM;
let targets: PushTargetsService;
let stuck: Server;
let stuckOrigin: string;
let stuckRequests = 0;
/** Once set, the service answers (201) instead of hanging. */
let answering = false;
const vapid = webpush.generateVAPIDKeys();

beforeAll(async () => {
  orm = await openTestOrm();
  targets = new PushTargetsService(orm, { enabledKinds: ['WEB_PUSH'], allowLoopbackEndpoints: true });
  // reads the request, never answers (until `answering`)
  stuck = createServer((req, res) => {
    stuckRequests++;
    req.resume();
    if (answering) req.on('end', () => res.writeHead(201).end());
  });
  await new Promise<void>((r) => stuck.listen(0, '127.0.0.1', r));
  stuckOrigin = `http://127.0.0.1:${(stuck.address() as AddressInfo).port}`;
});

afterAll(async () => {
  stuck.closeAllConnections();
  await new Promise<void>((r) => stuck.close(() => r()));
  await orm.close(true);
});

describe('push notifier bounds', () => {
  it('returns from every notify at once and drops the oldest pending pushes while all workers are stuck', async () => {
    const keysOf = new WebPushService();
    const provider = new WebPushProvider({ vapid, allowLoopbackEndpoints: true, timeoutMs: 60_000 });
    const listed: string[] = [];
    const source: PushTargetSource = {
      list: (d) => {
        listed.push(d);
        return targets.list(d);
      },
      removeGone: (t) => targets.removeGone(t),
    };
    const n = new PushNotifier({
      targets: source,
      providers: [provider],
      activity: new LocalDeviceActivity(),
      debounceMs: 1000,
      maxQueue: MAX_QUEUE,
      concurrency: CONCURRENCY,
      backoffBaseMs: 10,
    });
    // two devices whose push service never answers occupy both workers
    const blockers: string[] = [];
    for (let i = 0; i < CONCURRENCY; i++) {
      const d = await createDevice(orm);
      const sub = keysOf.subscribe();
      await targets.register(d, { kind: 'WEB_PUSH', endpoint: `${stuckOrigin}/push/${sub.id}`, p256dh: sub.p256dh, auth: sub.auth });
      blockers.push(d);
      n.notifyEnvelope(d, '1');
    }
    while (stuckRequests < CONCURRENCY) await new Promise((r) => setTimeout(r, 5));
    expect(n.stats()).toMatchObject({ inFlight: CONCURRENCY, queued: 0 });

    const others = Array.from({ length: 1000 }, () => randomUUID());
    const listedBefore = listed.length;
    for (const d of others) expect(n.notifyEnvelope(d, '1')).toBeUndefined();
    for (const d of others.slice(-10)) expect(n.notifyCall(d, randomUUID())).toBeUndefined();
    // nothing of this reached the database or a push service
    expect(listed.length).toBe(listedBefore);
    expect(n.stats()).toMatchObject({ inFlight: CONCURRENCY, queued: MAX_QUEUE });
    expect((await n.metrics.dropped.get()).values[0].value).toBe(1000 + 10 - MAX_QUEUE);

    // workers free again (the stuck pushes fail and are retried, now answered): the newest pending pushes are the ones left
    answering = true;
    stuck.closeAllConnections();
    await n.idle();
    const served = new Set(listed.slice(listedBefore));
    expect(served.size).toBe(MAX_QUEUE - 10);
    for (const d of others.slice(-MAX_QUEUE + 10, -10)) expect(served.has(d)).toBe(true);
    expect(stuckRequests).toBe(2 * CONCURRENCY);
    await n.close();
    await provider.close();
  });

  it('blocks nothing but its own workers when the presence check never answers', async () => {
    const provider = new WebPushProvider({ vapid, allowLoopbackEndpoints: true });
    const never = new Promise<boolean>(() => {});
    const n = new PushNotifier({
      targets,
      providers: [provider],
      activity: { isOnline: () => never },
      debounceMs: 1000,
      maxQueue: 10,
      concurrency: 1,
    });
    for (let i = 0; i < 100; i++) expect(n.notifyEnvelope(randomUUID(), String(i))).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    // all 100 were queued before the first worker started: 10 kept, 90 dropped, one of the 10 now in flight
    expect(n.stats()).toMatchObject({ inFlight: 1, queued: 9 });
    expect((await n.metrics.dropped.get()).values[0].value).toBe(100 - 10);
    await provider.close();
  });
});
