/** Targets for the e2e benchmark: the bare floor (ws + pg) and this server (GraphQL over graphql-ws). */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import WebSocket from 'ws';
import type { SimDevice, Target } from './loadgen.js';

export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

/** Spawns `tsx <script>` and resolves once it prints a JSON line with `port`. */
export function spawnServer(script: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    // SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the server under load
    const extra = process.env.SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...extra, '--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n')) {
        try {
          const j = JSON.parse(line);
          if (typeof j.port === 'number') {
            child.stdout!.off('data', onData);
            child.stdout!.resume();
            resolve({ child, port: j.port });
            return;
          }
        } catch {
          // not a JSON line yet
        }
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function floorTarget(databaseUrl: string): Promise<Target> {
  const { child, port } = await spawnServer('bench/e2e/floor-server.ts', { DATABASE_URL: databaseUrl });
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  return {
    name: 'floor: ws + pg (one CTE per message)',
    async connect(index, onEnvelope): Promise<SimDevice> {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/?device=${index}`);
      await new Promise((r, j) => ws.once('open', r).once('error', j));
      let seq = 0;
      const waiting = new Map<number, () => void>();
      ws.on('message', (raw) => {
        const m = JSON.parse(String(raw));
        if (m.t === 'sent') {
          waiting.get(m.id)?.();
          waiting.delete(m.id);
        } else if (m.t === 'env') onEnvelope(m.id, new Uint8Array(Buffer.from(m.payload, 'base64')));
      });
      return {
        send(to, payload) {
          const id = ++seq;
          return new Promise<void>((resolve) => {
            waiting.set(id, resolve);
            ws.send(JSON.stringify({ t: 'send', id, to, payload: Buffer.from(payload).toString('base64') }));
          });
        },
        ack(ids) {
          ws.send(JSON.stringify({ t: 'ack', ids }));
        },
        async close() {
          ws.close();
        },
      };
    },
    serverRss: () => rssOf(child.pid!),
    async pendingEnvelopes() {
      return Number((await db.query('select count(*)::int as n from floor_envelopes')).rows[0].n);
    },
    async stop() {
      await db.query('drop table if exists floor_envelopes, floor_messages');
      await db.end();
      await stopChild(child);
    },
  };
}

const BENCH_JWT_SECRET = 'bench-e2e-jwt-secret-0123456789abcdef';

/**
 * This server, spawned as `src/server/main.ts` on the given database. Users, devices and one direct
 * conversation per pair (i, i+1) are seeded with SQL and tokens minted with the server's JWT secret: the
 * bench measures the relay path, not registration (scrypt) or conversation set-up.
 */
export async function graphqlTarget(databaseUrl: string, n: number): Promise<Target> {
  const { SignJWT } = await import('jose');
  const { createClient } = await import('graphql-ws');
  const { randomUUID } = await import('node:crypto');
  const { child, port } = await spawnServer('src/server/main.ts', {
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    JWT_SECRET: BENCH_JWT_SECRET,
    ACCESS_TOKEN_TTL: '86400',
    SEND_RATE_BURST: '1000000',
    SEND_RATE_PER_SECOND: '1000000',
    DB_POOL_SIZE: process.env.DB_POOL_SIZE ?? '10',
  });
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const users = Array.from({ length: n }, () => randomUUID());
  const devices = Array.from({ length: n }, () => randomUUID());
  const run = `b${Date.now().toString(36)}`;
  await db.query(
    `insert into users (id, username, display_name) select u, $2 || '_' || i, 'bench ' || i from unnest($1::uuid[]) with ordinality as t(u, i)`,
    [users, run],
  );
  await db.query(
    `insert into devices (id, user_id, device_id, name, registration_id, identity_key, secret_hash)
     select d, u, 1, 'bench', 1, decode('05' || repeat('11', 32), 'hex'), 'scrypt$0$0$0$x$x'
       from unnest($1::uuid[], $2::uuid[]) as t(d, u)`,
    [devices, users],
  );
  const conversations = users.map(() => randomUUID());
  const lo: string[] = [];
  const hi: string[] = [];
  users.forEach((u, i) => {
    const v = users[(i + 1) % n];
    lo.push(u < v ? u : v);
    hi.push(u < v ? v : u);
  });
  await db.query(
    `insert into conversations (id, kind, direct_user_lo, direct_user_hi) select c, 'direct', l, h from unnest($1::uuid[], $2::uuid[], $3::uuid[]) as t(c, l, h)`,
    [conversations, lo, hi],
  );
  await db.query(
    `insert into conversation_members (conversation_id, user_id)
     select c, l from unnest($1::uuid[], $2::uuid[]) as t(c, l) union all select c, h from unnest($1::uuid[], $3::uuid[]) as t(c, h)`,
    [conversations, lo, hi],
  );
  const secret = new TextEncoder().encode(BENCH_JWT_SECRET);
  const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { __typename ... on Error { code message } } }`;
  const ACK = `mutation($ids: [ID!]!) { acknowledgeEnvelopes(ids: $ids) { __typename } }`;
  const INBOX = `subscription { inbox { __typename ... on Envelope { id ciphertext } } }`;
  return {
    name: 'sealed-relay: GraphQL over graphql-ws',
    async connect(index, onEnvelope): Promise<SimDevice> {
      const token = await new SignJWT({ uid: users[index], did: 1 })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(devices[index])
        .setIssuer('sealed-relay')
        .setAudience('sealed-relay:device')
        .setIssuedAt()
        .setExpirationTime('2h')
        .sign(secret);
      const client = createClient({
        url: `ws://127.0.0.1:${port}/graphql`,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        onNonLazyError: () => {},
        connectionParams: { authorization: `Bearer ${token}` },
      });
      let drained!: () => void;
      const ready = new Promise<void>((r) => {
        drained = r;
      });
      client.subscribe<{ inbox: { __typename: string; id?: string; ciphertext?: string } }>(
        { query: INBOX },
        {
          next: (v) => {
            const item = v.data?.inbox;
            if (item?.__typename === 'Envelope') onEnvelope(item.id!, new Uint8Array(Buffer.from(item.ciphertext!, 'base64')));
            else if (item?.__typename === 'InboxDrained') drained();
          },
          error: () => {},
          complete: () => {},
        },
      );
      await ready;
      const conversationFor = (to: number) => (to === (index + 1) % n ? conversations[index] : conversations[to]);
      const request = (query: string, variables: Record<string, unknown>) =>
        new Promise<void>((resolve, reject) => {
          let failed: unknown;
          client.subscribe<{ sendMessage?: { __typename: string; message?: string } }>(
            { query, variables },
            {
              next: (v) => {
                const r = v.data?.sendMessage;
                if (v.errors || (r && r.__typename !== 'Message')) failed = v.errors ?? r;
              },
              error: reject,
              complete: () => (failed ? reject(new Error(JSON.stringify(failed))) : resolve()),
            },
          );
        });
      return {
        send: (to, payload) =>
          request(SEND, {
            input: {
              conversationId: conversationFor(to),
              clientMessageId: randomUUID(),
              contentType: 'TEXT',
              envelopes: [{ deviceId: devices[to], type: 2, ciphertext: Buffer.from(payload).toString('base64') }],
            },
          }),
        ack: (ids) => {
          void request(ACK, { ids }).catch(() => {});
        },
        close: () => client.dispose() as Promise<void>,
      };
    },
    serverRss: () => rssOf(child.pid!),
    async pendingEnvelopes() {
      return Number((await db.query('select count(*)::int as n from envelopes where recipient_device = any($1::uuid[])', [devices])).rows[0].n);
    },
    async seedBacklog(index, count) {
      const from = (index + 1) % n;
      await db.query(
        `with m as (
           insert into messages (id, conversation_id, sender_user_id, sender_device_uuid, sender_device_id, client_message_id, content_type, recipient_count)
           select gen_random_uuid(), $1, $2, $3, 1, 'backlog-' || g, 'TEXT', 1 from generate_series(1, $5::int) g
           returning id, created_at)
         insert into envelopes (recipient_device, message_id, type, ciphertext)
         select $4, m.id, 2, decode(repeat('ab', 200), 'hex') from m order by m.id`,
        [conversations[index], users[from], devices[from], devices[index], count],
      );
    },
    async clearQueue(index) {
      await db.query('delete from envelopes where recipient_device = $1', [devices[index]]);
    },
    async stop() {
      await db.query('delete from users where id = any($1::uuid[])', [users]);
      await db.end();
      await stopChild(child);
    },
  };
}
