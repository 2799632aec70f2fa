// The push notifier's cost on the send path: the time spent inside notifyEnvelope (which only touches memory)
// while 1,000 offline devices with Web Push targets get bursts of envelopes, and what reaches the push service.
//
//   npx tsx bench/push-notify.ts            1,000 devices, 20 rounds of one envelope per device
//   npx tsx bench/push-notify.ts --quick    200 devices, 5 rounds
//
// Real parts: the embedded database (PGlite) holding the targets, the PushTargetsService reading them, the
// WebPushProvider (RFC 8291 encryption + VAPID signing per push) and a loopback RFC 8030 service that checks
// VAPID and decrypts every push (test/server/push/peers/web-push-service.ts). Rounds come 10 ms apart, inside
// one debounce window (PUSH_DEBOUNCE_MS 3000): each device should get exactly one push.
// Reported: per-call latency of notifyEnvelope (p50/p99/max, µs), calls/s of the notify loop alone, pushes
// received, pushes per device, the wall time until the notifier is idle, and the process CPU per push from
// the first notify to idle (an upper bound: it includes the peer's VAPID check and decryption, the target
// reads in PGlite and both ends of HTTP, all in this one process), and the CPU of the one per-push step that
// is pure computation (RFC 8291 encryption of the payload; the VAPID header is signed once per origin).
import { randomBytes, randomUUID } from 'node:crypto';
import webpush from 'web-push';
import { startEmbeddedDatabase } from '../src/server/db/embedded.js';
import { migrate, openOrm } from '../src/server/db/orm.js';
import { LocalDeviceActivity } from '../src/server/push/device-activity.js';
import { PushNotifier } from '../src/server/push/push-notifier.js';
import { PushTargetsService } from '../src/server/push/push-targets.service.js';
import { WebPushProvider } from '../src/server/push/web-push.provider.js';
import { WebPushService } from '../test/server/push/peers/web-push-service.js';

const QUICK = process.argv.includes('--quick');
const DEVICES = QUICK ? 200 : 1000;
const ROUNDS = QUICK ? 5 : 20;

async function main() {
  const db = await startEmbeddedDatabase(undefined);
  const orm = await openOrm(db.url, 1);
  await migrate(orm);
  const service = await new WebPushService().start();
  const vapid = webpush.generateVAPIDKeys();
  const targets = new PushTargetsService(orm, { enabledKinds: ['WEB_PUSH'], allowLoopbackEndpoints: true });
  const provider = new WebPushProvider({ vapid, subject: 'mailto:bench@relay.example', allowLoopbackEndpoints: true });
  const notifier = new PushNotifier({ targets, providers: [provider], activity: new LocalDeviceActivity(), debounceMs: 3000 });

  const knex = orm.em.getKnex();
  const devices: string[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const userId = randomUUID();
    const deviceUuid = randomUUID();
    await knex.raw('insert into users (id, username, display_name) values (?, ?, ?)', [userId, `bench_${randomBytes(5).toString('hex')}`, 'b']);
    await knex.raw(
      `insert into devices (id, user_id, device_id, name, registration_id, identity_key, secret_hash) values (?, ?, 1, 'p', 1, ?, 'x')`,
      [deviceUuid, userId, Buffer.concat([Buffer.from([5]), randomBytes(32)])],
    );
    const sub = service.subscribe();
    await targets.register(deviceUuid, { kind: 'WEB_PUSH', endpoint: sub.endpoint, p256dh: sub.p256dh, auth: sub.auth });
    devices.push(deviceUuid);
  }

  // the per-push work the provider does besides I/O: RFC 8291 encryption (the VAPID header is cached per origin)
  const probe = service.subscribe();
  const probeSub = { endpoint: probe.endpoint, keys: { p256dh: probe.p256dh, auth: probe.auth } };
  const build = () => webpush.generateRequestDetails(probeSub, '{"type":"messages"}', { vapidDetails: null as never, TTL: 60, contentEncoding: 'aes128gcm' });
  for (let i = 0; i < 200; i++) build();
  const buildCpu0 = process.cpuUsage();
  const BUILDS = 2000;
  for (let i = 0; i < BUILDS; i++) build();
  const buildCpu = process.cpuUsage(buildCpu0);

  const samples: number[] = [];
  let loopNs = 0n;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  let envelopeId = 1;
  for (let r = 0; r < ROUNDS; r++) {
    const loopStart = process.hrtime.bigint();
    for (const d of devices) {
      const t0 = process.hrtime.bigint();
      notifier.notifyEnvelope(d, String(envelopeId++));
      samples.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    loopNs += process.hrtime.bigint() - loopStart;
    await new Promise((res) => setTimeout(res, 10));
  }
  await notifier.idle();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  samples.sort((a, b) => a - b);
  const pct = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  const problems = service.received.filter((p) => p.problem).length;
  const perDevice = new Map<string, number>();
  for (const p of service.received) perDevice.set(p.subscriptionId, (perDevice.get(p.subscriptionId) ?? 0) + 1);
  const counts = [...perDevice.values()];
  const result = {
    devices: DEVICES,
    rounds: ROUNDS,
    notifyCalls: samples.length,
    notifyP50us: +pct(0.5).toFixed(2),
    notifyP99us: +pct(0.99).toFixed(2),
    notifyMaxUs: +samples[samples.length - 1].toFixed(1),
    notifyLoopCallsPerSec: Math.round(samples.length / (Number(loopNs) / 1e9)),
    pushesReceived: service.received.length,
    pushesRefusedByPeer: problems,
    devicesPushed: perDevice.size,
    pushesPerDeviceMin: Math.min(...counts),
    pushesPerDeviceMax: Math.max(...counts),
    wallMsUntilIdle: Math.round(wallMs),
    encryptCpuMsPerPush: +((buildCpu.user + buildCpu.system) / 1000 / BUILDS).toFixed(3),
    cpuMsPerPushUpperBound: +((cpu.user + cpu.system) / 1000 / Math.max(1, service.received.length)).toFixed(3),
  };
  console.log(JSON.stringify(result, null, 2));
  await notifier.close();
  await provider.close();
  await service.stop();
  await orm.close(true);
  await db.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
