// Client crypto benchmark: our src/protocol (per crypto backend: webcrypto, noble) against
// @signalapp/libsignal-client 0.103.0 (SPQR on every session) and 0.90.0 / 0.72.1 for context, in
// the same process and run.
//
//   npm run bench:crypto              table on stdout
//   npm run bench:crypto -- --json    one JSON document on stdout (table goes to stderr)
//   npm run bench:crypto -- --quick   smaller counts (smoke run)
//
// Metrics (100-byte messages, PQXDH sessions):
//   one-way      encrypt by A + decrypt by B, same direction every message (symmetric ratchet only)
//   alternating  the direction alternates every message, so every message is a DH ratchet step
//   setup        session set-up: process a bundle + first encrypt (PreKey message) + PreKey decrypt
//                (bundles, identities and stores are created beforehand, outside the timing)
//   bundle       a new device's keys and the bundle it publishes: identity key pair and registration id,
//                one one-time EC prekey, a signed prekey and a signed Kyber-1024 prekey (store writes included)
// For each: ops/s, p50/p99 latency per op, wire bytes per message, process RSS after the run, and
// ratios ours / libsignal 0.103.0 and ours / 0.90.0. Every peer persists its session records as bytes
// after every operation (SessionRecord serialize + deserialize, as a real store does): that is the
// primary figure (store "bytes"); libsignal 0.103.0 and ours (WebCrypto) also run with sessions kept as
// live objects (store "objects", ratios against libsignal's objects row). Both libraries run behind the same thin adapters (test/protocol/interop/peers.ts).
// Ours negotiates SPQR with ours (as 0.90.0 with 0.90.0, and 0.103.0 always); 0.72.1 has no SPQR.
import { randomBytes } from 'node:crypto';
import { LibsignalPeer, OurPeer, type Peer, loadOurs, oursUnavailableReason } from '../test/protocol/interop/peers.js';

const args = new Set(process.argv.slice(2));
const JSON_OUT = args.has('--json');
const QUICK = args.has('--quick');

const N_ONE_WAY = QUICK ? 1000 : 10_000;
const N_ALTERNATING = QUICK ? 300 : 2_000;
const N_SETUP = QUICK ? 40 : 200;
const N_BUNDLE = QUICK ? 40 : 200;
const WARMUP = { oneWay: 300, alternating: 100, setup: 10, bundle: 10 };
const MSG_BYTES = 100;

type Metric = 'one-way' | 'alternating' | 'setup' | 'bundle';
type StoreKind = 'bytes' | 'objects';
interface Row {
  impl: string;
  backend: string;
  store: StoreKind;
  metric: Metric;
  n: number;
  opsPerSec: number;
  p50us: number;
  p99us: number;
  rssMiB: number;
  /** mean wire bytes per message (the PreKey message for set-ups) */
  bytesPerMessage: number;
  ratioVsLibsignal0103?: number;
  ratioVsLibsignal090?: number;
  note?: string;
}

const out = (s: string) => (JSON_OUT ? process.stderr : process.stdout).write(s + '\n');

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

interface Impl {
  impl: string;
  backend: string;
  store: StoreKind;
  make: (name: string) => Promise<Peer>;
  before?: () => void;
}

async function makePair(impl: Impl): Promise<[Peer, Peer]> {
  const A = await impl.make('alice');
  const B = await impl.make('bob');
  await A.processBundle(B, await B.bundle({ kyber: true }));
  // one round trip so neither side is still in the PreKey phase
  await B.decrypt(A, await A.encrypt(B, randomBytes(MSG_BYTES)));
  await A.decrypt(B, await B.encrypt(A, randomBytes(MSG_BYTES)));
  return [A, B];
}

async function timed(n: number, op: (i: number) => Promise<number>): Promise<{ total: number; lat: number[]; bytes: number }> {
  const lat = new Array<number>(n);
  let bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    bytes += await op(i);
    lat[i] = performance.now() - s;
  }
  return { total: performance.now() - t0, lat, bytes };
}

async function messages(impl: Impl, n: number, alternating: boolean) {
  const [A, B] = await makePair(impl);
  const pt = randomBytes(MSG_BYTES);
  return timed(n, async (i) => {
    const [s, r] = alternating && i % 2 === 1 ? [B, A] : [A, B];
    const w = await s.encrypt(r, pt);
    await r.decrypt(s, w);
    return w.body.length;
  });
}

async function setups(impl: Impl, n: number) {
  const pairs: Array<{ A: Peer; B: Peer; bundle: Awaited<ReturnType<Peer['bundle']>> }> = [];
  for (let i = 0; i < n; i++) {
    const A = await impl.make(`alice${i}`);
    const B = await impl.make(`bob${i}`);
    pairs.push({ A, B, bundle: await B.bundle({ kyber: true }) });
  }
  const pt = randomBytes(MSG_BYTES);
  return timed(n, async (i) => {
    const { A, B, bundle } = pairs[i];
    await A.processBundle(B, bundle);
    const w = await A.encrypt(B, pt);
    if (w.type !== 3) throw new Error('expected a PreKey message');
    await B.decrypt(A, w);
    return w.body.length;
  });
}

async function bundles(impl: Impl, n: number) {
  return timed(n, async (i) => {
    const peer = await impl.make(`device${i}`);
    const b = await peer.bundle({ kyber: true });
    return (b.kyberPreKeyPublic?.length ?? 0) + (b.signedPreKeyPublic?.length ?? 0) + (b.preKeyPublic?.length ?? 0) + b.identityKey.length;
  });
}

async function run(impl: Impl, metric: Metric): Promise<Row> {
  impl.before?.();
  const n = { 'one-way': N_ONE_WAY, alternating: N_ALTERNATING, setup: N_SETUP, bundle: N_BUNDLE }[metric];
  const go = (k: number) =>
    metric === 'setup' ? setups(impl, k) : metric === 'bundle' ? bundles(impl, k) : messages(impl, k, metric === 'alternating');
  await go({ 'one-way': WARMUP.oneWay, alternating: WARMUP.alternating, setup: WARMUP.setup, bundle: WARMUP.bundle }[metric]);
  (globalThis as { gc?: () => void }).gc?.();
  const { total, lat, bytes } = await go(n);
  lat.sort((a, b) => a - b);
  return {
    impl: impl.impl,
    backend: impl.backend,
    store: impl.store,
    metric,
    n,
    opsPerSec: (n / total) * 1000,
    p50us: quantile(lat, 0.5) * 1000,
    p99us: quantile(lat, 0.99) * 1000,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
    bytesPerMessage: bytes / n,
  };
}

async function main() {
  const started = performance.now();
  const persisted = { persistSessions: true };
  const live = { persistSessions: false };
  const impls: Impl[] = [
    { impl: 'libsignal-client 0.103.0', backend: 'native', store: 'bytes', make: async (n) => new LibsignalPeer(n, '0.103.0', 1, persisted) },
    { impl: 'libsignal-client 0.90.0', backend: 'native', store: 'bytes', make: async (n) => new LibsignalPeer(n, '0.90.0', 1, persisted) },
    { impl: 'libsignal-client 0.72.1', backend: 'native', store: 'bytes', make: async (n) => new LibsignalPeer(n, '0.72.1', 1, persisted) },
    { impl: 'libsignal-client 0.103.0', backend: 'native', store: 'objects', make: async (n) => new LibsignalPeer(n, '0.103.0', 1, live) },
  ];
  const P = await loadOurs();
  const skipped: string[] = [];
  if (P) {
    for (const backend of ['webcrypto', 'noble'] as const) {
      impls.push({
        impl: 'ours (src/protocol)',
        backend,
        store: 'bytes',
        make: async (n) => new OurPeer(P, n, undefined, persisted),
        before: () => P.setCryptoBackend(backend),
      });
    }
    impls.push({
      impl: 'ours (src/protocol)',
      backend: 'webcrypto',
      store: 'objects',
      make: async (n) => new OurPeer(P, n, undefined, live),
      before: () => P.setCryptoBackend('webcrypto'),
    });
  } else {
    skipped.push(`ours: not runnable (${oursUnavailableReason()})`);
  }

  const rows: Row[] = [];
  // metric-major order: the implementations compared on one metric run back to back, so load from
  // other processes on the machine affects them alike
  for (const metric of ['one-way', 'alternating', 'setup', 'bundle'] as const) {
    for (const impl of impls) {
      // a bundle is the same work whatever the session store keeps
      if (metric === 'bundle' && impl.store === 'objects') continue;
      try {
        const r = await run(impl, metric);
        rows.push(r);
        out(
          `  ${impl.impl} [${impl.backend}, ${impl.store}] ${metric}: ${r.opsPerSec.toFixed(0)}/s (n=${r.n}, p50 ${r.p50us.toFixed(0)} us, p99 ${r.p99us.toFixed(0)} us)`,
        );
      } catch (e) {
        rows.push({
          impl: impl.impl,
          backend: impl.backend,
          store: impl.store,
          metric,
          n: 0,
          opsPerSec: NaN,
          p50us: NaN,
          p99us: NaN,
          rssMiB: process.memoryUsage().rss / 2 ** 20,
          bytesPerMessage: NaN,
          note: `failed: ${e instanceof Error ? e.message : String(e)}`,
        });
        out(`  ${impl.impl} [${impl.backend}, ${impl.store}] ${metric}: FAILED ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  const order = (r: Row) => impls.findIndex((i) => i.impl === r.impl && i.backend === r.backend && i.store === r.store);
  rows.sort((a, b) => order(a) - order(b));
  for (const r of rows) {
    const ratio = (impl: string) => {
      // against libsignal with the same kind of session store (bundles: the bytes row)
      const ref = rows.find((x) => x.impl === impl && x.metric === r.metric && x.store === r.store);
      return ref && Number.isFinite(r.opsPerSec) && Number.isFinite(ref.opsPerSec) ? r.opsPerSec / ref.opsPerSec : undefined;
    };
    r.ratioVsLibsignal0103 = ratio('libsignal-client 0.103.0');
    r.ratioVsLibsignal090 = ratio('libsignal-client 0.90.0');
  }

  const head = ['implementation', 'backend', 'store', 'metric', 'n', 'ops/s', 'p50 us', 'p99 us', 'B/msg', 'x 0.103', 'x 0.90', 'RSS MiB'];
  const table = rows.map((r) => [
    r.impl,
    r.backend,
    r.store,
    r.metric,
    String(r.n),
    Number.isFinite(r.opsPerSec) ? r.opsPerSec.toFixed(0) : 'n/a',
    Number.isFinite(r.p50us) ? r.p50us.toFixed(0) : 'n/a',
    Number.isFinite(r.p99us) ? r.p99us.toFixed(0) : 'n/a',
    Number.isFinite(r.bytesPerMessage) ? r.bytesPerMessage.toFixed(0) : 'n/a',
    r.ratioVsLibsignal0103 !== undefined ? r.ratioVsLibsignal0103.toFixed(2) : 'n/a',
    r.ratioVsLibsignal090 !== undefined ? r.ratioVsLibsignal090.toFixed(2) : 'n/a',
    r.rssMiB.toFixed(0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i >= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  out('');
  out(
    `crypto benchmark: ${MSG_BYTES}-byte messages, PQXDH sessions, session records persisted as bytes after every message (store bytes) or kept as objects (store objects); one-way n=${N_ONE_WAY}, alternating n=${N_ALTERNATING}, set-ups n=${N_SETUP}, bundles n=${N_BUNDLE}; node ${process.version}`,
  );
  out(fmt(head));
  out(fmt(widths.map((w) => '-'.repeat(w))));
  for (const t of table) out(fmt(t));
  for (const r of rows) if (r.note) out(`note: ${r.impl} [${r.backend}] ${r.metric}: ${r.note}`);
  for (const s of skipped) out(`note: ${s}`);
  out(`(SPQR on: 0.103.0 always, 0.90.0 <-> 0.90.0 and ours <-> ours by negotiation; off: 0.72.1. x 0.103 / x 0.90 = ops/s over that libsignal's; B/msg = wire bytes per message (bundle: public key bytes published); RSS = whole process)`);
  const load = (await import('node:os')).loadavg()[0];
  out(`load average at the end: ${load.toFixed(2)} (figures are noisy when other processes share the cores)`);
  out(`total time ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (JSON_OUT) {
    process.stdout.write(
      JSON.stringify(
        {
          node: process.version,
          messageBytes: MSG_BYTES,
          counts: { oneWay: N_ONE_WAY, alternating: N_ALTERNATING, setup: N_SETUP, bundle: N_BUNDLE },
          rows,
          skipped,
          seconds: (performance.now() - started) / 1000,
        },
        null,
        2,
      ) + '\n',
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
