/**
 * `npm run bench:faults`: durability of acknowledged messages when the network and the server fail
 * (issue 13, "must show"). This server (spawned from src/server/main.ts) on a PostgreSQL database of the
 * run's own (created on DATABASE_URL's server, default the local one, and dropped at the end), N devices
 * in a ring of direct conversations (seeded; bench/lib/relay.ts), each sending its share of --messages to
 * the next over graphql-ws (bench/faults/device.ts) while:
 * - random sockets are cut (TCP destroyed without a close handshake), --cuts-per-second over the fleet;
 * - the server is killed with SIGKILL --kills times, evenly spread over the confirmed sends, and started
 *   again on the same port after a random pause of up to --down-ms.
 * Clients reconnect with back-off, resume their inbox, retry each send with its clientMessageId until it
 * is confirmed, and acknowledge what they recorded. When every send is confirmed the faults stop and the
 * queues drain; then it counts, and exits 1 unless all are 0:
 * - lost: confirmed sends whose message never reached the recipient, or is not stored;
 * - duplicated: messages stored twice (two rows, or a second envelope for the same message);
 * - redelivered after a confirmed acknowledgement (an acknowledged deletion that did not hold);
 * - envelopes left on the server after everything was acknowledged.
 * Redeliveries of envelopes whose acknowledgement was not confirmed are expected (at least once) and only
 * printed.
 *
 *   npm run bench:faults -- [--devices 20] [--messages 20000] [--window 4] [--kills 4] [--cuts-per-second 4] [--down-ms 500]
 */
import { parseArgs } from 'node:util';
import { type Child, freePort } from './lib/child.js';
import { createBenchDatabase, openClient } from './lib/database.js';
import { ringPairs, seedPopulation, spawnRelay } from './lib/relay.js';
import { runBenchmark, sleep } from './lib/run.js';
import { fmt } from './lib/stats.js';
import { FaultyDevice, Ledger } from './faults/device.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '20' },
    messages: { type: 'string', default: '20000' },
    window: { type: 'string', default: '4' },
    kills: { type: 'string', default: '4' },
    'cuts-per-second': { type: 'string', default: '4' },
    'down-ms': { type: 'string', default: '500' },
  },
});
const n = Number(values.devices);
const perDevice = Math.ceil(Number(values.messages) / n);
const total = perDevice * n;
const window = Number(values.window);
const kills = Number(values.kills);
const cutsPerSecond = Number(values['cuts-per-second']);
const downMs = Number(values['down-ms']);
if (n < 2) throw new Error('--devices: at least 2');

const DRAIN_TIMEOUT_MS = 120_000;

await runBenchmark(async () => {
  const database = await createBenchDatabase('bench_faults');
  const port = await freePort();
  let server: Child = await spawnRelay(database.url, { PORT: String(port) });
  const db = await openClient(database.url);
  const pop = await seedPopulation(db, n, ringPairs(n));
  const ledger = new Ledger();
  const devices = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const to = (i + 1) % n;
      return new FaultyDevice({
        index: i,
        port: () => port,
        token: await pop.token(i),
        recipientDevice: pop.devices[to],
        conversationId: pop.conversation(i, to),
        ledger,
      });
    }),
  );
  for (const d of devices) d.start();
  const t0 = performance.now();
  console.error(`${n} devices, ${total} messages (${window} in flight per device), ${kills} kill -9s, ${cutsPerSecond} socket cuts/s`);

  let faulting = true;
  let cuts = 0;
  const cutter = (async () => {
    while (faulting) {
      await sleep((1000 / cutsPerSecond) * 2 * Math.random());
      if (faulting && devices[Math.floor(Math.random() * n)].cut()) cuts++;
    }
  })();
  let killed = 0;
  let restartMs = 0;
  const killer = (async () => {
    while (faulting && killed < kills) {
      const due = (total * (killed + 1)) / (kills + 1);
      while (faulting && ledger.confirmed.size < due) await sleep(20);
      if (!faulting) return;
      await server.kill9();
      killed++;
      const confirmedAtKill = ledger.confirmed.size;
      await sleep(Math.random() * downMs);
      const r0 = performance.now();
      server = await spawnRelay(database.url, { PORT: String(port) });
      restartMs += performance.now() - r0;
      console.error(`  kill -9 #${killed} at ${confirmedAtKill} confirmed sends; server back (pid ${server.pid})`);
    }
  })();

  // each device keeps `window` sends in flight, its messages numbered 0..perDevice-1
  await Promise.all(
    devices.map(async (d) => {
      let k = 0;
      await Promise.all(
        Array.from({ length: window }, async () => {
          while (k < perDevice) await d.send(k++);
        }),
      );
    }),
  );
  const sendSeconds = (performance.now() - t0) / 1000;
  faulting = false;
  await Promise.all([cutter, killer]);
  console.error(`  all ${total} sends confirmed after ${fmt(sendSeconds, 1)} s; draining`);

  // every device connected, every confirmed message delivered, every acknowledgement confirmed
  await Promise.all(devices.map((d) => d.reconnect()));
  const drainUntil = performance.now() + DRAIN_TIMEOUT_MS;
  const undelivered = () => [...ledger.confirmed].filter((key) => !ledger.firstEnvelope.has(key)).length;
  while (performance.now() < drainUntil && (undelivered() > 0 || devices.some((d) => d.unconfirmedAcks > 0))) await sleep(50);
  await sleep(500);

  const left = Number((await db.query('select count(*)::int as n from envelopes')).rows[0].n);
  const stored = await db.query<{ n: number; distinct: number }>(
    `select count(*)::int as n, count(distinct (sender_device_uuid, client_message_id))::int as distinct from messages where client_message_id like 'faults-%'`,
  );
  const storedRows = stored.rows[0].n;
  const storedDuplicates = storedRows - stored.rows[0].distinct;
  const lostDelivery = undelivered();
  const notStored = total - stored.rows[0].distinct;
  for (const d of devices) await d.stop();
  await server.stop();
  await db.end();

  const refusals = [...ledger.sendRefusals].map(([c, k]) => `${c} ${k}`).join(', ') || 'none';
  console.log(`\nbench:faults on PostgreSQL (database ${database.name}): ${n} devices, ${total} messages, ${window} in flight per device`);
  console.log(`faults: ${killed} server kill -9s (restart ${fmt(restartMs / Math.max(1, killed))} ms on average), ${cuts} socket cuts`);
  console.log(
    `client work: ${ledger.sendAttempts} send attempts for ${ledger.confirmed.size} confirmed sends (refused: ${refusals}), ${ledger.connects} connections (${ledger.connectFailures} failed attempts)`,
  );
  console.log(`all sends confirmed after ${fmt(sendSeconds, 1)} s (${fmt(total / sendSeconds)} msg/s under faults)`);
  console.log(`redelivered before a confirmed acknowledgement (at least once, expected): ${ledger.redeliveries}`);
  const checks: [string, number][] = [
    ['confirmed sends never delivered (lost)', lostDelivery],
    ['confirmed sends not stored (lost)', notStored],
    ['messages stored twice (duplicated rows)', storedDuplicates],
    ['messages delivered in a second envelope (duplicated)', ledger.duplicatedMessages],
    ['envelopes delivered again after a confirmed acknowledgement', ledger.redeliveredAfterAck],
    ['envelopes left on the server', left],
  ];
  for (const [what, count] of checks) console.log(`  ${String(count).padStart(6)}  ${what}`);
  const failed = checks.filter(([, c]) => c !== 0);
  if (failed.length) {
    console.error(`\nFAILED: ${failed.map(([w, c]) => `${c} ${w}`).join('; ')}`);
    process.exitCode = 1;
  } else console.log(`\n0 lost, 0 duplicated across ${total} acknowledged messages, ${killed} kill -9s and ${cuts} socket cuts`);
});
