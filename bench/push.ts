/**
 * `npm run bench:push`: what push costs the send path. One server (buildApp, in this process) on a PostgreSQL
 * database of the run's own (DATABASE_URL's server, default postgres://postgres@127.0.0.1:5432/postgres),
 * 1,000 offline recipient devices each with a Web Push target at a loopback RFC 8030 push service (a child
 * process: bench/push/peer.ts, which checks VAPID and decrypts every push), and a closed loop of sends
 * (--inflight at once) through MessagesService.send, each one 200-byte envelope from one of 50 senders to
 * one recipient device. Phases alternate: `off` (the send path's push hook unset: no notifier work at all)
 * and `push` (wired as in createServices: every stored envelope goes to notifyEnvelope; with
 * PUSH_DEBOUNCE_MS 3000 each device gets a push per window, encrypted, VAPID-signed and POSTed).
 *
 *   npm run bench:push -- [--devices 1000] [--senders 50] [--inflight 64] [--seconds 6] [--rounds 3] [--warmup 3] [--rewake-ms N]
 *
 * With the default PUSH_REWAKE_MS (10 min) a device that never wakes gets one push and then none until it
 * does (its push is unanswered): the steady state of 1,000 offline devices. `--rewake-ms 0` pushes every
 * device once per debounce window whether it woke or not (~333 pushes/s here): the cost of the pushes themselves.
 *
 * Printed: sends/s per phase with CPU per send of this process (server and load generator), PostgreSQL and the
 * push peer (on a small machine the peer's VAPID checks and decryption compete with the server for the cores), the median per mode, the ratio push/off (the issue asks >= 0.95), pushes the
 * service received and refused, the notifier's dropped count. Checks (exit 1): a refused send, a push the
 * service refused, no push at all.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import webpush from 'web-push';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import type { AuthDevice } from '../src/server/kernel/auth.js';
import { spawnChild } from './lib/child.js';
import { CpuMeter } from './lib/cpu.js';
import { createBenchDatabase, openClient } from './lib/database.js';
import { onCleanup, runBenchmark, sleep } from './lib/run.js';
import { fmt } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000' },
    senders: { type: 'string', default: '50' },
    inflight: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    'rewake-ms': { type: 'string' },
  },
});
const DEVICES = Number(values.devices);
const SENDERS = Number(values.senders);
const INFLIGHT = Number(values.inflight);
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const WARMUP = Number(values.warmup);
const REWAKE_MS = values['rewake-ms'];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

await runBenchmark(async () => {
  const db = await createBenchDatabase('bench_push');
  const vapid = webpush.generateVAPIDKeys();
  const peer = await spawnChild({ name: 'push-peer', script: 'bench/push/peer.ts', env: { VAPID_PUBLIC_KEY: vapid.publicKey } });
  const peerUrl = `http://127.0.0.1:${peer.port}`;
  const peerGet = async <T>(path: string): Promise<T> => (await (await fetch(peerUrl + path)).json()) as T;

  const base = loadConfig({
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    DB_POOL_SIZE: '8',
    SEND_RATE_BURST: '1000000',
    SEND_RATE_PER_SECOND: '1000000',
    MESSAGE_SWEEP_INTERVAL_MS: '0',
    CALL_SWEEP_INTERVAL_MS: '0',
    ATTACHMENT_SWEEP_INTERVAL_MS: '0',
    ...(REWAKE_MS === undefined ? {} : { PUSH_REWAKE_MS: REWAKE_MS }),
  });
  const config = { ...base, push: { ...base.push, vapid, vapidSubject: 'mailto:bench@relay.example', allowLoopbackEndpoints: true } };
  const app = await buildApp({ config, databaseUrl: db.url });
  onCleanup(() => app.stop());
  const { services } = app;
  const knex = services.knex;

  // users and devices straight into the tables (registration's scrypt is not what is measured)
  const newDevice = async (): Promise<AuthDevice> => {
    const userId = randomUUID();
    const deviceUuid = randomUUID();
    await knex.raw('insert into users (id, username, display_name) values (?, ?, ?)', [userId, `bench_${randomBytes(6).toString('hex')}`, 'b']);
    await knex.raw(`insert into devices (id, user_id, device_id, name, registration_id, identity_key, secret_hash) values (?, ?, 1, 'p', 1, ?, 'x')`, [
      deviceUuid,
      userId,
      Buffer.concat([Buffer.from([5]), randomBytes(32)]),
    ]);
    return { userId, deviceUuid, deviceId: 1, exp: Math.floor(Date.now() / 1000) + 86_400 };
  };
  const senders: AuthDevice[] = [];
  for (let i = 0; i < SENDERS; i++) senders.push(await newDevice());
  const pairs: { from: AuthDevice; to: string; conversationId: string }[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const to = await newDevice();
    const from = senders[i % SENDERS];
    const conv = await services.conversations.createDirect(from.userId, to.userId);
    const sub = await peerGet<{ endpoint: string; p256dh: string; auth: string }>('/subscribe');
    await services.push.targets.register(to.deviceUuid, { kind: 'WEB_PUSH', ...sub });
    pairs.push({ from, to: to.deviceUuid, conversationId: conv.id });
  }
  const meter = new CpuMeter({ serverPid: () => peer.pid, db: await openClient(db.url), database: db.name });
  const hook = services.messages.onEnvelopeStored;
  if (!hook) throw new Error('the send path has no push hook: createServices did not wire it');

  let refused = 0;
  const ciphertext = randomBytes(200);
  const phase = async (mode: 'off' | 'push', seconds: number): Promise<number> => {
    services.messages.onEnvelopeStored = mode === 'push' ? hook : undefined;
    let sent = 0;
    const end = performance.now() + seconds * 1000;
    const worker = async () => {
      while (performance.now() < end) {
        const p = pairs[Math.floor(Math.random() * pairs.length)];
        try {
          await services.messages.send(p.from, {
            conversationId: p.conversationId,
            clientMessageId: randomUUID(),
            contentType: 'TEXT',
            envelopes: [{ deviceId: p.to, type: 2, ciphertext }],
          });
          sent++;
        } catch (err) {
          refused++;
          if (refused <= 3) console.error('send refused:', err);
        }
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: INFLIGHT }, worker));
    return sent / ((performance.now() - t0) / 1000);
  };

  console.log(
    `bench:push  ${DEVICES} offline devices with Web Push targets, ${SENDERS} senders, ${INFLIGHT} sends in flight, ${SECONDS} s phases x ${ROUNDS} rounds, PUSH_DEBOUNCE_MS ${config.push.debounceMs}, PUSH_REWAKE_MS ${config.push.rewakeMs}`,
  );
  await phase('push', WARMUP);
  const results: Record<'off' | 'push', number[]> = { off: [], push: [] };
  /** CPU µs per send of this process (server and load generator) per phase. */
  const cpuPerSend: Record<'off' | 'push', number[]> = { off: [], push: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of r % 2 === 0 ? (['off', 'push'] as const) : (['push', 'off'] as const)) {
      const before = (await peerGet<{ received: number }>('/stats')).received;
      await meter.start();
      const rate = await phase(mode, SECONDS);
      const cpu = await meter.stop();
      await sleep(300);
      const pushes = (await peerGet<{ received: number }>('/stats')).received - before;
      results[mode].push(rate);
      cpuPerSend[mode].push((cpu.loadgen * 1000) / (rate * SECONDS));
      const perSend = (ms: number) => fmt((ms * 1000) / (rate * SECONDS), 0);
      console.log(
        `  round ${r + 1}  ${mode.padEnd(4)}  ${fmt(rate)} sends/s   pushes received: ${String(pushes).padStart(5)}   CPU µs/send: server+loadgen ${perSend(cpu.loadgen)}, postgres ${perSend(cpu.postgres)}, push peer ${perSend(cpu.server)}`,
      );
    }
  }
  services.messages.onEnvelopeStored = hook;
  await services.push.notifier.idle();
  const stats = await peerGet<{ received: number; problems: number; payloads: string[] }>('/stats');
  const dropped = (await services.push.notifier.metrics.dropped.get()).values.reduce((n, v) => n + v.value, 0);
  const off = median(results.off);
  const on = median(results.push);
  console.log(`median  off ${fmt(off)} sends/s   push ${fmt(on)} sends/s   ratio push/off ${(on / off).toFixed(3)} (the issue asks >= 0.95)`);
  const [cOff, cOn] = [median(cpuPerSend.off), median(cpuPerSend.push)];
  console.log(`median  CPU µs/send of the server process: off ${fmt(cOff)}, push ${fmt(cOn)}, ratio ${(cOn / cOff).toFixed(3)}`);
  console.log(`pushes received ${stats.received}, refused by the service ${stats.problems}, payloads ${stats.payloads.join(' ')}, dropped by the notifier ${dropped}; sends refused ${refused}`);
  if (refused > 0) throw new Error(`${refused} sends refused`);
  if (stats.problems > 0) throw new Error(`${stats.problems} pushes refused by the push service`);
  if (stats.received === 0) throw new Error('no push reached the push service');
  await peer.stop();
});
