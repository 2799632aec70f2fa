/**
 * `npm run bench:memory`: resident memory of an idle server (issue 15: an idle `npm start` on the embedded
 * database at most 250 MB). Starts the server as `npm start` runs it (plain node on the esbuild bundle
 * src/server/dist/main.mjs) and waits until it is idle (RSS steady within 2 MiB over 5 s, after at least
 * --idle seconds), then prints its RSS, its peak (VmHWM) and where the memory is (from /proc/<pid>/smaps):
 * 1. embedded PGlite, first start on an empty DATA_DIR (initdb and migrations run);
 * 2. embedded PGlite, restart on that DATA_DIR (the everyday case);
 * 3. embedded PGlite, restart, the sources run through the tsx loader (`npm run dev`): what the tsx loader
 *    thread holds (it keeps the source of every module it loaded);
 * 4. for reference, the same server on PostgreSQL (a database of its own on DATABASE_URL's server): what
 *    the server needs without the embedded database.
 * Only the server process is measured: `npm start` also runs npm, a Node process of its own (~40-60 MB),
 * which an installed service would not.
 *
 *   npm run bench:memory -- [--idle 10] [--skip-reference]
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Child, spawnChild } from './lib/child.js';
import { createBenchDatabase } from './lib/database.js';
import { serverBundle } from './lib/relay.js';
import { onCleanup, runBenchmark, sleep } from './lib/run.js';
import { fmt } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    idle: { type: 'string', default: '10' },
    'skip-reference': { type: 'boolean', default: false },
  },
});
const minIdleSeconds = Number(values.idle);
const STEADY_SAMPLES = 5;
const STEADY_BYTES = 2 * 1024 * 1024;
const MAX_WAIT_SECONDS = 90;
const MiB = 1024 * 1024;

interface Measurement {
  label: string;
  startMs: number;
  rss: number;
  peak: number;
  regions: [string, number][];
}

function status(pid: number, field: string): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

/**
 * Resident memory by kind of mapping (approximate: anonymous mappings carry no names). WebAssembly memories
 * are the anonymous reservations of 100 MiB and more (PGlite's heap, where shared_buffers live); V8's heap
 * comes in 256 KiB pages; the rest of the anonymous memory is malloc arenas, thread stacks and code.
 */
function smapsBreakdown(pid: number): [string, number][] {
  const groups = new Map<string, number>();
  let kind = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const h = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (h) {
      const size = parseInt(h[2], 16) - parseInt(h[1], 16);
      const name = h[3];
      kind = name.startsWith('/')
        ? 'files (node binary, libraries)'
        : name
          ? name
          : size >= 100 * MiB
            ? 'WebAssembly memory'
            : size === 256 * 1024
              ? 'V8 heap pages'
              : 'other anonymous (malloc, stacks, code)';
      continue;
    }
    const r = /^Rss:\s+(\d+)/.exec(line);
    if (r) groups.set(kind, (groups.get(kind) ?? 0) + Number(r[1]) * 1024);
  }
  return [...groups].sort((a, b) => b[1] - a[1]).filter(([, v]) => v >= MiB);
}

async function measure(label: string, env: Record<string, string>, script = 'src/server/main.ts'): Promise<Measurement> {
  console.error(`${label}: starting`);
  const t0 = performance.now();
  const child: Child = await spawnChild({ name: `server (${label})`, script, env, tsx: script.endsWith('.ts') });
  const startMs = performance.now() - t0;
  const samples: number[] = [];
  const since = performance.now();
  for (;;) {
    await sleep(1000);
    samples.push(child.rss());
    const waited = (performance.now() - since) / 1000;
    const recent = samples.slice(-STEADY_SAMPLES);
    const steady = recent.length === STEADY_SAMPLES && Math.max(...recent) - Math.min(...recent) < STEADY_BYTES;
    if ((waited >= minIdleSeconds && steady) || waited >= MAX_WAIT_SECONDS) break;
  }
  const m = { label, startMs, rss: child.rss(), peak: status(child.pid, 'VmHWM'), regions: smapsBreakdown(child.pid) };
  await child.stop();
  return m;
}

await runBenchmark(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-memory-'));
  onCleanup(() => rm(dataDir, { recursive: true, force: true }));
  // as `npm start` with nothing configured: no DATABASE_URL (empty counts as unset), the default pool
  const embeddedEnv = { DATABASE_URL: '', DB_POOL_SIZE: '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: dataDir };
  // `npm start` runs the server bundled by esbuild (npm run build:server) with plain node
  const bundle = serverBundle();
  const results = [await measure('embedded, first start (npm start)', embeddedEnv, bundle), await measure('embedded, restart (npm start)', embeddedEnv, bundle)];
  // `npm run dev`: the sources through the tsx loader, whose thread keeps the source of every module it loaded
  results.push(await measure('embedded, restart, tsx (npm run dev)', embeddedEnv));
  if (!values['skip-reference']) {
    const database = await createBenchDatabase('bench_memory');
    results.push(await measure('PostgreSQL (reference)', { ...embeddedEnv, DATABASE_URL: database.url }));
  }

  console.log('\nidle server memory (the server process; RSS once steady)');
  console.log(`${'server'.padEnd(26)} ${'RSS MB'.padStart(7)} ${'peak MB'.padStart(8)} ${'start s'.padStart(8)} | resident by kind of mapping, MB`);
  for (const m of results) {
    const parts = m.regions.map(([k, v]) => `${k} ${fmt(v / MiB)}`).join(', ');
    console.log(`${m.label.padEnd(26)} ${fmt(m.rss / MiB).padStart(7)} ${fmt(m.peak / MiB).padStart(8)} ${fmt(m.startMs / 1000, 1).padStart(8)} | ${parts}`);
  }
  const reference = results.find((m) => m.label.startsWith('PostgreSQL'));
  if (reference) {
    for (const m of results.slice(0, 2)) console.log(`the embedded database's share, ${m.label}: ${fmt((m.rss - reference.rss) / MiB)} MB`);
  }
});
