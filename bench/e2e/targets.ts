/**
 * Targets of the e2e benchmark: this server (GraphQL over graphql-ws, spawned from src/server/main.ts) and
 * the bare floors (bench/e2e/floor-server.ts), each a child process on the run's own database.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { spawnChild } from '../lib/child.js';
import { openClient } from '../lib/database.js';
import { ringPairs, seedPopulation, spawnRelay } from '../lib/relay.js';
import { openRelaySocket } from '../lib/relay-socket.js';
import type { SimDevice, Target } from './loadgen.js';

export type FloorMode = 'group' | 'cte';

export const FLOOR_LABELS: Record<FloorMode, string> = {
  group: 'floor: ws + pg, group commit (<=128 msgs/commit)',
  cte: 'floor: ws + pg, one CTE per message (pool of 10)',
};

export async function floorTarget(databaseUrl: string, mode: FloorMode, prefill: number): Promise<Target> {
  const child = await spawnChild({
    name: `floor (${mode})`,
    script: 'bench/e2e/floor-server.ts',
    env: { DATABASE_URL: databaseUrl, FLOOR_MODE: mode, FLOOR_PREFILL: String(prefill) },
  });
  const T = `floor_${mode}`;
  const db = await openClient(databaseUrl);
  return {
    name: FLOOR_LABELS[mode],
    kind: 'floor',
    serverPid: () => child.pid,
    serverRss: () => child.rss(),
    async connect(index, onEnvelope): Promise<SimDevice> {
      const ws = new WebSocket(`ws://127.0.0.1:${child.port}/?device=${index}`);
      let drained!: () => void;
      const ready = new Promise<void>((r) => {
        drained = r;
      });
      let seq = 0;
      const waiting = new Map<number, () => void>();
      ws.on('message', (raw) => {
        const m = JSON.parse(String(raw));
        if (m.t === 'env') onEnvelope(m.id, new Uint8Array(Buffer.from(m.payload, 'base64')));
        else if (m.t === 'sent' || m.t === 'acked') {
          const key = m.t === 'sent' ? m.id : -m.ref;
          waiting.get(key)?.();
          waiting.delete(key);
        } else if (m.t === 'drained') drained();
      });
      const failed = new Promise<never>((_, reject) => {
        ws.once('error', reject);
        ws.once('close', () => reject(new Error(`floor socket of device ${index} closed`)));
      });
      failed.catch(() => {});
      await Promise.race([new Promise((r) => ws.once('open', r)), failed]);
      await Promise.race([ready, failed]);
      const call = (key: number, msg: object) =>
        Promise.race([
          new Promise<void>((resolve) => {
            waiting.set(key, resolve);
            ws.send(JSON.stringify(msg));
          }),
          failed,
        ]);
      return {
        send(to, payload) {
          const id = ++seq;
          return call(id, { t: 'send', id, to, payload: Buffer.from(payload).toString('base64') });
        },
        ack(ids) {
          const ref = ++seq;
          return call(-ref, { t: 'ack', ref, ids });
        },
        async close() {
          ws.close();
        },
      };
    },
    async pendingEnvelopes() {
      return Number((await db.query(`select count(*)::int as n from ${T}_envelopes`)).rows[0].n);
    },
    async seedBacklog(index, count) {
      await db.query(
        `with m as (insert into ${T}_messages (sender, client_id) select $1, -g from generate_series(1, $3::int) g returning id)
         insert into ${T}_envelopes (recipient, message_id, ciphertext) select $2, m.id, decode(repeat('ab', 200), 'hex') from m order by m.id`,
        [(index + 1) % 1_000_000, index, count],
      );
    },
    async clearQueue(index) {
      await db.query(`delete from ${T}_envelopes where recipient = $1`, [index]);
    },
    async stop() {
      // the child first: nothing may touch its tables once they go (they go with the run's database)
      await child.stop();
      await db.end();
    },
  };
}

const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { __typename ... on Error { code message } } }`;
const ACK = `mutation($ids: [ID!]!) { acknowledgeEnvelopes(ids: $ids) { __typename ... on Error { code message } } }`;

/**
 * This server, spawned as `src/server/main.ts` on the run's database, with `n` seeded devices in a ring of
 * direct conversations and `prefill` history messages spread over them (realistic table contents).
 */
export async function oursTarget(databaseUrl: string, n: number, prefill: number): Promise<Target> {
  const child = await spawnRelay(databaseUrl);
  const db = await openClient(databaseUrl);
  const pop = await seedPopulation(db, n, ringPairs(n));
  if (prefill > 0) {
    const senders = Array.from({ length: n }, (_, i) => i);
    await db.query(
      `insert into messages (id, conversation_id, sender_user_id, sender_device_uuid, sender_device_id, client_message_id, content_type)
       select gen_random_uuid(), c, u, d, 1, 'prefill-' || g, 'TEXT'
         from unnest($1::uuid[], $2::uuid[], $3::uuid[]) as t(c, u, d) cross join generate_series(1, $4::int) g`,
      [senders.map((i) => pop.conversation(i, (i + 1) % n)), pop.users, pop.devices, Math.ceil(prefill / n)],
    );
    await db.query('analyze');
  }
  return {
    name: 'sealed-relay: GraphQL over graphql-ws',
    kind: 'ours',
    serverPid: () => child.pid,
    serverRss: () => child.rss(),
    async connect(index, onEnvelope): Promise<SimDevice> {
      const socket = openRelaySocket({ port: child.port, token: await pop.token(index), onEnvelope: (e) => onEnvelope(e.id, e.ciphertext) });
      await socket.ready;
      return {
        send: async (to, payload) => {
          await socket.mutate(
            SEND,
            {
              input: {
                conversationId: pop.conversation(index, to),
                clientMessageId: randomUUID(),
                contentType: 'TEXT',
                envelopes: [{ deviceId: pop.devices[to], type: 2, ciphertext: Buffer.from(payload).toString('base64') }],
              },
            },
            'Message',
          );
        },
        ack: async (ids) => {
          await socket.mutate(ACK, { ids }, 'AcknowledgeResult');
        },
        close: () => socket.dispose(),
      };
    },
    async pendingEnvelopes() {
      return Number((await db.query('select count(*)::int as n from envelopes')).rows[0].n);
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
        [pop.conversation(index, from), pop.users[from], pop.devices[from], pop.devices[index], count],
      );
    },
    async clearQueue(index) {
      await db.query('delete from envelopes where recipient_device = $1', [pop.devices[index]]);
    },
    async stop() {
      await child.stop();
      await db.end();
    },
  };
}
