/**
 * `npm run bench:e2e`: the durable relay path end to end. N simulated devices over real WebSockets; each
 * device i sends ~200 bytes of ciphertext to device i+1; the server stores it (message row + envelope row),
 * pushes it to the recipient's inbox stream, the recipient acknowledges, the server deletes it.
 * Measured for this server and, in the same run, for the floor (bare ws + pg, one CTE per message):
 * saturated msg/s, send-to-delivery p50/p95/p99 at saturation and at a fixed offered rate, server RSS per
 * open connection, envelopes left behind. Database: DATABASE_URL, or the embedded PGlite if unset.
 *
 *   npm run bench:e2e -- [--devices 100,1000] [--seconds 10] [--warmup 5] [--inflight 48] [--rate 1000] [--json]
 *
 * Each target is warmed up (saturated for --warmup seconds) before measuring, so that a freshly started
 * server is measured with its code optimised by the JIT rather than while it is still compiling.
 */
import { parseArgs } from 'node:util';
import { startEmbeddedDatabase } from '../src/server/db/embedded.js';
import { migrate, openOrm } from '../src/server/db/orm.js';
import { Fleet, type PhaseResult, type Target } from './e2e/loadgen.js';
import { floorTarget, graphqlTarget } from './e2e/targets.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '100,1000' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '5' },
    inflight: { type: 'string', default: '48' },
    rate: { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
  },
});
const deviceCounts = values.devices!.split(',').map(Number);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const inflight = Number(values.inflight);
const rate = Number(values.rate);

const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedDatabase(undefined, 32);
const databaseUrl = process.env.DATABASE_URL ?? embedded!.url;
{
  const orm = await openOrm(databaseUrl, 1);
  await migrate(orm);
  await orm.close(true);
}

interface Row {
  target: string;
  /** ms from opening the socket to InboxDrained with a 10,000-envelope backlog (GraphQL target only). */
  backlogMs: number | null;
  devices: number;
  rssPerConnKiB: number;
  saturated: PhaseResult;
  fixed: PhaseResult;
  leftover: number;
  duplicates: number;
}

const BACKLOG = 10_000;

async function backlogDrain(target: Target): Promise<number | null> {
  if (!target.seedBacklog || !target.clearQueue) return null;
  await target.seedBacklog(0, BACKLOG);
  let got = 0;
  const t0 = performance.now();
  const device = await target.connect(0, () => {
    got++;
  });
  const ms = performance.now() - t0;
  await device.close();
  await target.clearQueue(0);
  if (got !== BACKLOG) throw new Error(`backlog: got ${got} of ${BACKLOG}`);
  return ms;
}

async function measure(target: Target, n: number): Promise<Row> {
  const backlogMs = await backlogDrain(target);
  const fleet = new Fleet(target);
  const rss0 = target.serverRss();
  await fleet.connect(n);
  await new Promise((r) => setTimeout(r, 1000));
  const rss1 = target.serverRss();
  await fleet.saturate(warmup, inflight); // warm-up
  const saturated = await fleet.saturate(seconds, inflight);
  const fixed = await fleet.offered(seconds, rate);
  await new Promise((r) => setTimeout(r, 1000)); // last acks
  const leftover = await target.pendingEnvelopes();
  await fleet.close();
  return { target: target.name, backlogMs, devices: n, rssPerConnKiB: (rss1 - rss0) / 1024 / n, saturated, fixed, leftover, duplicates: fleet.duplicates };
}

const rows: Row[] = [];
for (const n of deviceCounts) {
  for (const make of [() => graphqlTarget(databaseUrl, n), () => floorTarget(databaseUrl)]) {
    const target = await make();
    try {
      const row = await measure(target, n);
      rows.push(row);
      if (!values.json) console.error(`done: ${row.target}, ${n} devices`);
    } finally {
      await target.stop();
    }
  }
}
await embedded?.stop();

const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');
if (values.json) {
  console.log(JSON.stringify({ database: embedded ? 'embedded' : 'postgresql', seconds, inflight, rate, rows }, null, 2));
} else {
  console.log(`\ne2e relay benchmark: ${embedded ? 'embedded PGlite' : 'PostgreSQL'}, ${seconds} s per phase, ${inflight} in flight at saturation, ${rate} msg/s offered`);
  console.log('target                                   devices  sat msg/s   p50 ms   p95 ms   p99 ms | @rate msg/s  p50 ms  p99 ms | KiB/conn  left  dup  errors');
  for (const r of rows) {
    console.log(
      `${r.target.padEnd(40)} ${String(r.devices).padStart(7)} ${f(r.saturated.rate).padStart(10)} ${f(r.saturated.p50, 2).padStart(8)} ${f(r.saturated.p95, 2).padStart(8)} ${f(r.saturated.p99, 2).padStart(8)} | ${f(r.fixed.rate).padStart(11)} ${f(r.fixed.p50, 2).padStart(7)} ${f(r.fixed.p99, 2).padStart(7)} | ${f(r.rssPerConnKiB, 1).padStart(8)} ${String(r.leftover).padStart(5)} ${String(r.duplicates).padStart(4)} ${String(r.saturated.errors + r.fixed.errors).padStart(7)}`,
    );
  }
  for (const r of rows) if (r.backlogMs != null) console.log(`${r.target}, ${r.devices} devices: a ${BACKLOG}-envelope backlog reached the device (InboxDrained) in ${f(r.backlogMs)} ms`);
  for (const n of deviceCounts) {
    const ours = rows.find((r) => r.devices === n && r.target.startsWith('sealed'));
    const floor = rows.find((r) => r.devices === n && r.target.startsWith('floor'));
    if (ours && floor) {
      console.log(
        `ratio ours/floor at ${n} devices: throughput ${f(ours.saturated.rate / floor.saturated.rate, 2)}x, p99 at ${rate} msg/s ${f(ours.fixed.p99 / floor.fixed.p99, 2)}x, memory per connection ${f(ours.rssPerConnKiB / floor.rssPerConnKiB, 2)}x`,
      );
    }
  }
}
