/**
 * The floor for `npm run bench:e2e`: the same relay path without GraphQL, an ORM or auth: a bare `ws`
 * server and `pg`, one CTE statement per message (message row + envelope row), pushed to the recipient's
 * socket, deleted on acknowledgement. Run as a child process by bench/e2e.ts; prints `{"port":N}`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { WebSocketServer, type WebSocket } from 'ws';

const url = process.env.DATABASE_URL!;
const pool = new pg.Pool({ connectionString: url, max: Number(process.env.DB_POOL_SIZE ?? 10) });
await pool.query(`
  create table if not exists floor_messages (id bigserial primary key, sender int not null, client_id int not null, created_at timestamptz not null default now());
  create table if not exists floor_envelopes (id bigserial primary key, recipient int not null, message_id bigint not null references floor_messages(id) on delete cascade, ciphertext bytea not null, created_at timestamptz not null default now());
  create index if not exists floor_envelopes_recipient on floor_envelopes (recipient, id);
  truncate floor_envelopes, floor_messages;
`);

const sockets = new Map<number, WebSocket>();
const server = createServer();
const wss = new WebSocketServer({ server });
wss.on('connection', (ws, req) => {
  const device = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('device'));
  sockets.set(device, ws);
  ws.on('close', () => sockets.delete(device));
  ws.on('message', async (raw) => {
    const m = JSON.parse(String(raw));
    if (m.t === 'send') {
      const ct = Buffer.from(m.payload, 'base64');
      const r = await pool.query(
        `with msg as (insert into floor_messages (sender, client_id) values ($1, $2) returning id)
         insert into floor_envelopes (recipient, message_id, ciphertext) select $3, msg.id, $4 from msg returning id`,
        [device, m.id, m.to, ct],
      );
      const id = r.rows[0].id as string;
      ws.send(JSON.stringify({ t: 'sent', id: m.id }));
      sockets.get(m.to)?.send(JSON.stringify({ t: 'env', id, payload: m.payload }));
    } else if (m.t === 'ack') {
      await pool.query('delete from floor_envelopes where recipient = $1 and id = any($2::bigint[])', [device, m.ids]);
    }
  });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
process.on('SIGTERM', async () => {
  wss.close();
  server.close();
  await pool.end();
  process.exit(0);
});
