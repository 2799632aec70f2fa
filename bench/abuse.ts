/**
 * `npm run bench:abuse`: can an anonymous client slow everyone else down? (issue 13, "must show"). This
 * server (spawned from src/server/main.ts with its default limits, except the per-device send rate) on a
 * PostgreSQL database of the run's own (created on DATABASE_URL's server and dropped at the end). An
 * authenticated client (seeded alice and bob, bench/lib/relay.ts) measures, as the SDK does them:
 * - `{ me { id } }` over HTTP;
 * - a message send (sendMessage over HTTP) until bob's inbox socket receives it;
 * - a 1 KiB attachment upload (POST /attachments) until its 201;
 * each in its own sequential loop for --seconds, first without, then during an anonymous flood
 * (bench/abuse/flood.ts, a child process: --clients concurrent clients sending --aliases aliased
 * `createAccessToken` / `register` mutations as fast as they are answered). Prints p50/p99 of both
 * phases and their ratio, and how the flood's requests were answered (refusals by `extensions.code` or
 * result code). It reports; it checks nothing (exit 0 unless the run itself breaks).
 *
 *   npm run bench:abuse -- [--seconds 15] [--clients 40] [--aliases 15] [--ramp 2]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnChild } from './lib/child.js';
import { createBenchDatabase, openClient } from './lib/database.js';
import { seedPopulation, spawnRelay } from './lib/relay.js';
import { openRelaySocket } from './lib/relay-socket.js';
import { onCleanup, runBenchmark, sleep } from './lib/run.js';
import { fmt, type Latency, latency, ratio } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    clients: { type: 'string', default: '40' },
    aliases: { type: 'string', default: '15' },
    ramp: { type: 'string', default: '2' },
  },
});
const seconds = Number(values.seconds);
const rampSeconds = Number(values.ramp);

const REQUEST_TIMEOUT_MS = 60_000;
/** A user's pause between two actions of one kind. */
const THINK_MS = 20;
const UPLOAD_BYTES = 1024;
const OPS = ['me', 'send→delivery', 'upload 1 KiB'] as const;
type Op = (typeof OPS)[number];

interface OpResult {
  latency: Latency;
  errors: Record<string, number>;
}

await runBenchmark(async () => {
  const database = await createBenchDatabase('bench_abuse');
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-abuse-'));
  onCleanup(() => rm(dataDir, { recursive: true, force: true }));
  const server = await spawnRelay(database.url, { DATA_DIR: dataDir });
  const base = `http://127.0.0.1:${server.port}`;
  const db = await openClient(database.url);
  const pop = await seedPopulation(db, 2, [[0, 1]]);
  const [alice, bob] = [await pop.token(0), await pop.token(1)];
  const conversationId = pop.conversation(0, 1);

  // bob's inbox: resolves the waiter of each message number, acknowledges what arrived
  const waiting = new Map<number, () => void>();
  const bobSocket = openRelaySocket({
    port: server.port,
    token: bob,
    onEnvelope: (e) => {
      const id = new DataView(e.ciphertext.buffer, e.ciphertext.byteOffset).getUint32(0);
      waiting.get(id)?.();
      waiting.delete(id);
      void bobSocket.mutate(`mutation($ids: [ID!]!) { acknowledgeEnvelopes(ids: $ids) { __typename } }`, { ids: [e.id] }, 'AcknowledgeResult').catch(() => {});
    },
  });
  await bobSocket.ready;

  const post = async (body: object, token: string) => {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const j = (await res.json()) as {
      data?: Record<string, { __typename?: string; id?: string; code?: string }>;
      errors?: { extensions?: { code?: string } }[];
    };
    if (j.errors?.length) throw new Error(j.errors[0].extensions?.code ?? 'GRAPHQL_ERROR');
    return j.data!;
  };
  let messageNumber = 0;
  const ops: Record<Op, () => Promise<void>> = {
    me: async () => {
      const d = await post({ query: '{ me { id } }' }, alice);
      if (!d.me?.id) throw new Error('NO_RESULT');
    },
    'send→delivery': async () => {
      const id = ++messageNumber;
      const ct = Buffer.alloc(200, 7);
      ct.writeUInt32BE(id, 0);
      const delivered = new Promise<void>((resolve) => waiting.set(id, resolve));
      const d = await post(
        {
          query: 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { __typename ... on Error { code } } }',
          variables: {
            input: {
              conversationId,
              clientMessageId: `abuse-${id}`,
              contentType: 'TEXT',
              envelopes: [{ deviceId: pop.devices[1], type: 2, ciphertext: ct.toString('base64') }],
            },
          },
        },
        alice,
      );
      if (d.sendMessage?.__typename !== 'Message') {
        waiting.delete(id);
        throw new Error(d.sendMessage?.code ?? 'NO_RESULT');
      }
      await Promise.race([delivered, sleep(REQUEST_TIMEOUT_MS).then(() => Promise.reject(new Error('NOT_DELIVERED')))]);
    },
    'upload 1 KiB': async () => {
      const res = await fetch(`${base}/attachments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/octet-stream', 'content-length': String(UPLOAD_BYTES) },
        body: randomBytes(UPLOAD_BYTES),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`HTTP_${res.status}`);
    },
  };

  /** Each operation in its own loop for `seconds`; latencies of the successful ones, errors by code. */
  const probe = async (): Promise<Record<Op, OpResult>> => {
    const deadline = performance.now() + seconds * 1000;
    const entries = await Promise.all(
      OPS.map(async (op) => {
        const samples: number[] = [];
        const errors: Record<string, number> = {};
        while (performance.now() < deadline) {
          const t0 = performance.now();
          try {
            await ops[op]();
            samples.push(performance.now() - t0);
          } catch (err) {
            const code = (err as Error).name === 'TimeoutError' ? 'TIMEOUT' : (err as Error).message;
            errors[code] = (errors[code] ?? 0) + 1;
          }
          await sleep(THINK_MS);
        }
        return [op, { latency: latency(samples), errors }] as const;
      }),
    );
    return Object.fromEntries(entries) as Record<Op, OpResult>;
  };

  console.error(`quiet: measuring for ${seconds} s`);
  const quiet = await probe();

  let floodReport: Record<string, unknown> | undefined;
  const flood = await spawnChild({
    name: 'flood (bench/abuse/flood.ts)',
    script: 'bench/abuse/flood.ts',
    env: { FLOOD_URL: `${base}/graphql`, FLOOD_CLIENTS: values.clients!, FLOOD_ALIASES: values.aliases! },
    onLine: (line) => {
      if (line.startsWith('{"flood"')) floodReport = JSON.parse(line).flood;
    },
  });
  console.error(`flood: ${values.clients} clients x ${values.aliases} aliases; measuring for ${seconds} s after ${rampSeconds} s`);
  const floodStart = performance.now();
  await sleep(rampSeconds * 1000);
  const flooded = await probe();
  await flood.stop();
  const floodSeconds = (performance.now() - floodStart) / 1000;
  await bobSocket.dispose();
  await server.stop();
  await db.end();

  console.log(
    `\nbench:abuse on PostgreSQL (database ${database.name}): ${seconds} s per phase, flood of ${values.clients} clients x ${values.aliases} aliased mutations`,
  );
  console.log(
    `${'operation'.padEnd(16)} ${'quiet n'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} | ${'flood n'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} | ${'p50 ratio'.padStart(9)} ${'p99 ratio'.padStart(9)} | errors (quiet / flood)`,
  );
  for (const op of OPS) {
    const q = quiet[op];
    const f = flooded[op];
    const errs = (e: Record<string, number>) =>
      Object.entries(e)
        .map(([c, k]) => `${c} ${k}`)
        .join(', ') || '0';
    console.log(
      `${op.padEnd(16)} ${String(q.latency.n).padStart(7)} ${fmt(q.latency.p50, 1).padStart(8)} ${fmt(q.latency.p99, 1).padStart(8)} | ${String(f.latency.n).padStart(7)} ${fmt(f.latency.p50, 1).padStart(8)} ${fmt(f.latency.p99, 1).padStart(8)} | ${ratio(f.latency.p50, q.latency.p50, 1).padStart(9)} ${ratio(f.latency.p99, q.latency.p99, 1).padStart(9)} | ${errs(q.errors)} / ${errs(f.errors)}`,
    );
  }
  const fr = floodReport as
    | {
        requests: number;
        inFlight: number;
        status: Record<string, number>;
        outcomes: Record<string, number>;
        requestErrors: Record<string, number>;
        uncodedMessages: string[];
      }
    | undefined;
  if (!fr) throw new Error('the flood did not report');
  const list = (m: Record<string, number>) =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ') || 'none';
  console.log(
    `\nflood: ${fr.requests} requests sent in ${fmt(floodSeconds, 1)} s, ${fr.requests - fr.inFlight} answered (${fmt((fr.requests - fr.inFlight) / floodSeconds, 1)}/s), ${fr.inFlight} unanswered when it stopped`,
  );
  console.log(`  HTTP status: ${list(fr.status)}`);
  console.log(`  aliased operations answered: ${list(fr.outcomes)}`);
  console.log(`  request-level errors by extensions.code: ${list(fr.requestErrors)}`);
  if (fr.uncodedMessages.length) console.log(`  errors without extensions.code: ${fr.uncodedMessages.map((m) => JSON.stringify(m)).join(', ')}`);
  const refused = Object.entries(fr.outcomes)
    .filter(([k]) => !/ (AccessToken|DeviceCredentials|INVALID_CREDENTIALS|InvalidCredentialsError)$/.test(k))
    .reduce((s, [, v]) => s + v, 0);
  const requestRefusals = Object.values(fr.requestErrors).reduce((s, v) => s + v, 0);
  console.log(`  refused: ${requestRefusals} whole requests, ${refused} aliased operations (anything but a token, an account or wrong credentials)`);
});
