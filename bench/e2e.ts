/**
 * `npm run bench:e2e`: the durable relay path end to end, this server against the strongest bare design in
 * the same run (../shared/docs/performance-targets.md, "What a benchmark compares against"). N simulated
 * devices over real WebSockets; device i sends ~200 bytes of ciphertext to device i+1; the server stores it
 * (message row + envelope row), pushes it to the recipient's inbox stream, the recipient acknowledges, the
 * server deletes it. Each target (a child process) runs on a PostgreSQL database of the run's own, created
 * on DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres) and dropped at the end.
 *
 *   npm run bench:e2e -- [--devices 1000] [--targets ours,group] [--inflight 16,48,128,256,512]
 *                        [--step-seconds 4] [--warmup 5] [--seconds 10] [--rate 1000] [--prefill 50000] [--json]
 *
 * Per target and device count:
 * - server memory per connected device: RSS growth while the last 90% of the devices connect (inbox open);
 * - saturation, found by sweeping the messages kept in flight (--inflight, closed loop, --step-seconds
 *   each, after --warmup seconds at 128) until one more step buys less than 5% throughput: the best and
 *   the whole curve are printed, so neither side is capped by the load generator's concurrency;
 * - send-to-delivery p50/p95/p99 at a fixed offered rate (--rate msg/s, open loop, --seconds);
 * - beside each figure, CPU per message of the load generator (this process), the server child and
 *   PostgreSQL (/proc/<pid>/stat of the backends on the run's database and the background writers), and
 *   every figure of ours as a ratio to the first floor;
 * - last, a 10,000-envelope backlog for an offline device: time from opening its socket until the whole
 *   queue arrived (InboxDrained), on tables the run has filled.
 * Targets: `ours` (src/server/main.ts), `group` (the floor: ws + pg with group commit, bench/e2e/floor-server.ts),
 * `cte` (the earlier floor: one CTE statement per message, for what batching is worth).
 *
 * Hard checks (exit status 1): no confirmed message lost, none delivered twice, no send or acknowledgement
 * refused, every acknowledgement confirmed, no envelope left on the server. A child process that dies
 * fails the run at once. `--prefill` history messages are written per target before measuring, so plans
 * are made for tables with contents. SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the
 * children under load.
 */
import { parseArgs } from 'node:util';
import { CpuMeter, type CpuSample } from './lib/cpu.js';
import { createBenchDatabase, openClient } from './lib/database.js';
import { runBenchmark, sleep } from './lib/run.js';
import { fmt, ratio } from './lib/stats.js';
import { Fleet, type Integrity, type PhaseResult, type Target } from './e2e/loadgen.js';
import { type FloorMode, floorTarget, oursTarget } from './e2e/targets.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000' },
    targets: { type: 'string', default: 'ours,group' },
    inflight: { type: 'string', default: '16,48,128,256,512' },
    'step-seconds': { type: 'string', default: '4' },
    warmup: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1000' },
    prefill: { type: 'string', default: '50000' },
    json: { type: 'boolean', default: false },
  },
});
const deviceCounts = values.devices!.split(',').map(Number);
const targetNames = values.targets!.split(',');
const levels = values.inflight!.split(',').map(Number);
const stepSeconds = Number(values['step-seconds']);
const warmup = Number(values.warmup);
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const prefill = Number(values.prefill);
for (const t of targetNames) if (!['ours', 'group', 'cte'].includes(t)) throw new Error(`--targets: unknown target ${t} (ours, group, cte)`);

const BACKLOG = 10_000;
const WARMUP_IN_FLIGHT = 128;
/** A sweep step must beat the best so far by this much to count as buying throughput. */
const SWEEP_GAIN = 1.05;
const SETTLE_MS = 1000;

interface Row {
  target: string;
  kind: 'ours' | 'floor';
  devices: number;
  backlogMs: number;
  kibPerDevice: number;
  curve: PhaseResult[];
  best: PhaseResult;
  fixed: PhaseResult;
  integrity: Integrity;
  left: number;
}

const log = (s: string) => {
  if (!values.json) console.error(s);
};

async function backlogDrain(target: Target): Promise<number> {
  await target.seedBacklog(0, BACKLOG);
  let got = 0;
  const t0 = performance.now();
  const device = await target.connect(0, () => {
    got++;
  });
  const ms = performance.now() - t0;
  await device.close();
  await target.clearQueue(0);
  if (got !== BACKLOG) throw new Error(`${target.name}: the backlog delivered ${got} of ${BACKLOG} envelopes`);
  return ms;
}

async function measure(target: Target, n: number, cpu: CpuMeter): Promise<Row> {
  const fleet = new Fleet(target);
  // memory per device: RSS growth over the last 90% of the connections
  const early = Math.max(1, Math.floor(n / 10));
  let rss0 = 0;
  await fleet.connect(n, {
    after: early,
    run: async () => {
      await sleep(SETTLE_MS);
      rss0 = target.serverRss();
    },
  });
  await sleep(SETTLE_MS);
  const kibPerDevice = (target.serverRss() - rss0) / 1024 / (n - early);
  log(`  ${n} devices connected; warming up ${warmup} s`);
  await fleet.saturate(warmup, WARMUP_IN_FLIGHT);
  const curve: PhaseResult[] = [];
  let best: PhaseResult | undefined;
  for (const level of levels) {
    const r = await fleet.saturate(stepSeconds, level, cpu);
    curve.push(r);
    log(`  ${String(level).padStart(4)} in flight: ${fmt(r.rate).padStart(6)} msg/s, p50 ${fmt(r.latency.p50, 1)} ms`);
    const improved = !best || r.rate >= best.rate * SWEEP_GAIN;
    if (!best || r.rate > best.rate) best = r;
    if (!improved) break;
  }
  log(`  ${rate} msg/s offered for ${seconds} s`);
  const fixed = await fleet.offered(seconds, rate, cpu);
  const integrity = await fleet.settle();
  const left = await target.pendingEnvelopes();
  await fleet.close();
  log('  backlog');
  const backlogMs = await backlogDrain(target);
  return { target: target.name, kind: target.kind, devices: n, backlogMs, kibPerDevice, curve, best: best!, fixed, integrity, left };
}

/** CPU per message, us: load generator / server / PostgreSQL. */
function cpuPerMsg(r: PhaseResult): { loadgen: number; server: number; postgres: number } {
  const msgs = r.rate * r.seconds;
  const per = (ms: number) => (ms * 1000) / msgs;
  return { loadgen: per(r.cpu.loadgen), server: per(r.cpu.server), postgres: per(r.cpu.postgres) };
}
const cpuText = (c: CpuSample) => `${fmt(c.loadgen).padStart(4)} /${fmt(c.server).padStart(4)} /${fmt(c.postgres).padStart(4)}`;

function violations(r: Row): string[] {
  const v: string[] = [];
  const i = r.integrity;
  if (i.lost) v.push(`${i.lost} confirmed messages never delivered`);
  if (i.duplicated) v.push(`${i.duplicated} messages delivered twice`);
  if (i.sendErrors) v.push(`${i.sendErrors} sends refused or failed`);
  if (i.ackErrors) v.push(`${i.ackErrors} acknowledgements refused or failed`);
  if (i.unacknowledged) v.push(`${i.unacknowledged} delivered envelopes never confirmed acknowledged`);
  if (r.left) v.push(`${r.left} envelopes left on the server after every acknowledgement`);
  return v;
}

function report(rows: Row[], database: string) {
  console.log(
    `\ne2e relay benchmark on PostgreSQL (database ${database}): sweep ${levels.join('/')} in flight, ${stepSeconds} s a step; ${rate} msg/s offered for ${seconds} s`,
  );
  console.log('CPU columns: microseconds of CPU per delivered message, load generator / server / PostgreSQL. Ratios: ours ÷ the floor in this run.');
  for (const n of deviceCounts) {
    const here = rows.filter((r) => r.devices === n);
    const floor = here.find((r) => r.kind === 'floor');
    console.log(`\n${n} devices`);
    for (const r of here) {
      const curve = r.curve.map((c) => `${c.inFlight}:${fmt(c.rate)}`).join('  ');
      console.log(`  saturation curve, ${r.target}: ${curve} (in flight:msg/s)`);
    }
    console.log(
      `  ${'target'.padEnd(50)} ${'sat msg/s'.padStart(9)} ${'ratio'.padStart(6)} ${'inflt'.padStart(5)} ${'p50/p95/p99 ms'.padStart(17)} ${'CPU us/msg'.padStart(16)}` +
        ` | ${'p50/p95/p99 ms @rate'.padStart(20)} ${'p99 ratio'.padStart(9)} ${'CPU us/msg'.padStart(16)} | ${'KiB/dev'.padStart(7)} ${'ratio'.padStart(6)} | ${'backlog ms'.padStart(10)} ${'ratio'.padStart(6)}`,
    );
    for (const r of here) {
      const lat = (p: PhaseResult) => `${fmt(p.latency.p50, 1)}/${fmt(p.latency.p95, 1)}/${fmt(p.latency.p99, 1)}`;
      const own = r === floor;
      console.log(
        `  ${r.target.padEnd(50)} ${fmt(r.best.rate).padStart(9)} ${(own ? '' : ratio(r.best.rate, floor?.best.rate)).padStart(6)} ${String(r.best.inFlight).padStart(5)} ${lat(r.best).padStart(17)} ${cpuText(cpuPerMsg(r.best)).padStart(16)}` +
          ` | ${lat(r.fixed).padStart(20)} ${(own ? '' : ratio(r.fixed.latency.p99, floor?.fixed.latency.p99)).padStart(9)} ${cpuText(cpuPerMsg(r.fixed)).padStart(16)}` +
          ` | ${fmt(r.kibPerDevice, 1).padStart(7)} ${(own ? '' : ratio(r.kibPerDevice, floor?.kibPerDevice)).padStart(6)} | ${fmt(r.backlogMs).padStart(10)} ${(own ? '' : ratio(r.backlogMs, floor?.backlogMs)).padStart(6)}`,
      );
    }
    for (const r of here) {
      const i = r.integrity;
      console.log(
        `  ${r.target}: ${i.confirmed} sends confirmed, ${i.delivered} delivered; lost ${i.lost}, duplicated ${i.duplicated}, send errors ${i.sendErrors}, ack errors ${i.ackErrors}, unacknowledged ${i.unacknowledged}, left on server ${r.left}`,
      );
    }
  }
}

await runBenchmark(async () => {
  const database = await createBenchDatabase('bench_e2e');
  const monitor = await openClient(database.url);
  const rows: Row[] = [];
  for (const n of deviceCounts) {
    for (const name of targetNames) {
      log(`${name}, ${n} devices: starting`);
      const target = name === 'ours' ? await oursTarget(database.url, n, prefill) : await floorTarget(database.url, name as FloorMode, prefill);
      try {
        const cpu = new CpuMeter({ serverPid: () => target.serverPid(), db: monitor, database: database.name });
        rows.push(await measure(target, n, cpu));
      } finally {
        await target.stop();
      }
    }
  }
  await monitor.end();
  if (values.json) console.log(JSON.stringify({ database: database.name, levels, stepSeconds, seconds, rate, rows }, null, 2));
  else report(rows, database.name);
  const failed = rows.flatMap((r) => violations(r).map((v) => `${r.target}, ${r.devices} devices: ${v}`));
  if (failed.length) {
    console.error(`\nFAILED hard checks:\n  ${failed.join('\n  ')}`);
    process.exitCode = 1;
  } else if (!values.json) console.log('\nhard checks passed: 0 lost, 0 duplicated, 0 errors, every acknowledgement confirmed, 0 envelopes left');
});
