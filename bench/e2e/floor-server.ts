/**
 * The floor of `npm run bench:e2e`: the same durable relay path without GraphQL, an ORM or auth, a bare `ws`
 * server and `pg`: a message row and an envelope row per message, pushed to the recipient's socket once
 * stored, deleted on acknowledgement, the queue delivered on connect. Run as a child process by
 * bench/e2e.ts on the run's own database; prints `{"port":N}` once its tables exist (so no message or
 * acknowledgement can arrive before them). FLOOR_MODE:
 *
 * - `group` (the floor the figures are compared with; ../shared/docs/performance-targets.md): group commit.
 *   Sends arriving while a batch is being stored go into the next batch (at most FLOOR_MAX_BATCH = 128),
 *   one multi-row statement and one commit (fsync on) per batch, on a connection of their own;
 *   acknowledgements are group-committed the same way on a second connection, so deletes never queue
 *   behind inserts.
 * - `cte`: the earlier floor, one CTE statement per message (and one delete per acknowledgement) on a pool
 *   of DB_POOL_SIZE connections: what the relay path costs without batching.
 *
 * The batching is written out here rather than imported from src/server, so that the floor stays the bare
 * design whatever the server does. Any database error is fatal (exit 1): a floor that drops work would
 * make every ratio wrong, and the parent fails the run when a child dies.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { type WebSocket, WebSocketServer } from 'ws';

const MODE = process.env.FLOOR_MODE ?? 'group';
if (MODE !== 'group' && MODE !== 'cte') throw new Error(`FLOOR_MODE: expected group or cte, got ${MODE}`);
const MAX_BATCH = Number(process.env.FLOOR_MAX_BATCH ?? 128);
/** History rows written before the run, so plans (foreign-key checks included) are made for a table with contents. */
const PREFILL = Number(process.env.FLOOR_PREFILL ?? 50_000);
const T = `floor_${MODE}`;
const url = process.env.DATABASE_URL!;

function die(err: unknown): never {
  console.error(`floor (${MODE}): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}
process.on('unhandledRejection', die);

const setup = new pg.Client({ connectionString: url });
await setup.connect();
await setup.query(`
  create table ${T}_messages (id bigserial primary key, sender int not null, client_id int not null, created_at timestamptz not null default now());
  create table ${T}_envelopes (id bigserial primary key, recipient int not null, message_id bigint not null references ${T}_messages(id) on delete cascade,
    ciphertext bytea not null, created_at timestamptz not null default now());
  create index ${T}_envelopes_recipient on ${T}_envelopes (recipient, id);
  insert into ${T}_messages (sender, client_id) select g % 1000, -g from generate_series(1, ${PREFILL}) g;
  analyze ${T}_messages; analyze ${T}_envelopes;
`);
await setup.end();

interface Send {
  sender: number;
  clientId: number;
  recipient: number;
  ciphertext: Buffer;
}

/** One batch in flight; items arriving meanwhile wait for the next one. */
class Batcher<I, O> {
  private queue: { item: I; resolve: (o: O) => void }[] = [];
  private flushing = false;

  constructor(private readonly run: (batch: I[]) => Promise<O[]>) {}

  submit(item: I): Promise<O> {
    return new Promise((resolve) => {
      this.queue.push({ item, resolve });
      if (!this.flushing) this.flush().catch(die);
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length) {
      const batch = this.queue.splice(0, MAX_BATCH);
      const out = await this.run(batch.map((w) => w.item));
      for (const [i, w] of batch.entries()) w.resolve(out[i]);
    }
    this.flushing = false;
  }
}

const SEND_BATCH = `
  with input as (select * from unnest($1::int[], $2::int[], $3::int[], $4::bytea[]) with ordinality as t(sender, client_id, recipient, ciphertext, ord)),
  m as (insert into ${T}_messages (sender, client_id) select sender, client_id from input order by ord returning id, sender, client_id),
  e as (insert into ${T}_envelopes (recipient, message_id, ciphertext)
        select i.recipient, m.id, i.ciphertext from input i join m using (sender, client_id) order by i.ord returning id, message_id)
  select e.id::text as id, m.sender, m.client_id as "clientId" from e join m on m.id = e.message_id`;
const SEND_ONE = `
  with m as (insert into ${T}_messages (sender, client_id) values ($1, $2) returning id)
  insert into ${T}_envelopes (recipient, message_id, ciphertext) select $3, m.id, $4 from m returning id::text as id`;
const ACK_BATCH = `
  delete from ${T}_envelopes e using unnest($1::int[], $2::bigint[]) as t(recipient, id)
   where e.id = t.id and e.recipient = t.recipient returning e.id::text as id`;
const ACK_ONE = `delete from ${T}_envelopes where recipient = $1 and id = any($2::bigint[]) returning id`;
const PENDING = `select id::text as id, ciphertext from ${T}_envelopes where recipient = $1 order by id`;

let store: (s: Send) => Promise<string>;
let acknowledge: (device: number, ids: string[]) => Promise<number>;
let reader: pg.Pool;

if (MODE === 'group') {
  const sendConn = new pg.Client({ connectionString: url });
  const ackConn = new pg.Client({ connectionString: url });
  await sendConn.connect();
  await ackConn.connect();
  reader = new pg.Pool({ connectionString: url, max: 2 });
  const sends = new Batcher<Send, string>(async (batch) => {
    const r = await sendConn.query<{ id: string; sender: number; clientId: number }>({
      name: 'send_batch',
      text: SEND_BATCH,
      values: [batch.map((s) => s.sender), batch.map((s) => s.clientId), batch.map((s) => s.recipient), batch.map((s) => s.ciphertext)],
    });
    const ids = new Map(r.rows.map((row) => [`${row.sender}:${row.clientId}`, row.id]));
    return batch.map((s) => ids.get(`${s.sender}:${s.clientId}`)!);
  });
  const acks = new Batcher<{ device: number; ids: string[] }, number>(async (batch) => {
    const recipients: number[] = [];
    const ids: string[] = [];
    for (const a of batch) {
      for (const id of a.ids) {
        recipients.push(a.device);
        ids.push(id);
      }
    }
    const r = await ackConn.query<{ id: string }>({ name: 'ack_batch', text: ACK_BATCH, values: [recipients, ids] });
    const deleted = new Set(r.rows.map((row) => row.id));
    return batch.map((a) => a.ids.filter((id) => deleted.has(id)).length);
  });
  store = (s) => sends.submit(s);
  acknowledge = (device, ids) => acks.submit({ device, ids });
} else {
  const pool = new pg.Pool({ connectionString: url, max: Number(process.env.DB_POOL_SIZE ?? 10) });
  reader = pool;
  store = async (s) => (await pool.query({ name: 'send_one', text: SEND_ONE, values: [s.sender, s.clientId, s.recipient, s.ciphertext] })).rows[0].id;
  acknowledge = async (device, ids) => (await pool.query({ name: 'ack_one', text: ACK_ONE, values: [device, ids] })).rowCount ?? 0;
}

const sockets = new Map<number, WebSocket>();
const server = createServer();
const wss = new WebSocketServer({ server });
wss.on('connection', (ws, req) => {
  const device = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('device'));
  ws.on('message', (raw) => {
    const m = JSON.parse(String(raw));
    if (m.t === 'send') {
      store({ sender: device, clientId: m.id, recipient: m.to, ciphertext: Buffer.from(m.payload, 'base64') }).then((id) => {
        ws.send(JSON.stringify({ t: 'sent', id: m.id }));
        sockets.get(m.to)?.send(JSON.stringify({ t: 'env', id, payload: m.payload }));
      }, die);
    } else if (m.t === 'ack') {
      acknowledge(device, m.ids).then((n) => ws.send(JSON.stringify({ t: 'acked', ref: m.ref, n })), die);
    }
  });
  ws.on('close', () => {
    if (sockets.get(device) === ws) sockets.delete(device);
  });
  // the queue first, then live delivery (the benchmark sends nothing to a device while it connects)
  reader.query<{ id: string; ciphertext: Buffer }>(PENDING, [device]).then((r) => {
    for (const row of r.rows) ws.send(JSON.stringify({ t: 'env', id: row.id, payload: row.ciphertext.toString('base64') }));
    sockets.set(device, ws);
    ws.send(JSON.stringify({ t: 'drained' }));
  }, die);
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
process.on('SIGTERM', () => {
  wss.close();
  server.close();
  process.exit(0);
});
