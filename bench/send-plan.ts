// The send statement's plan on PostgreSQL (EXPLAIN ANALYZE, inside a rolled-back transaction), with blocks,
// message requests and withheld messages in it (docs/trust.md): shows that the block check is an index
// probe per recipient device inside the one statement, not a second round trip.
//
//   npx tsx bench/send-plan.ts            needs PostgreSQL at postgres://postgres@127.0.0.1:5432 (PG_URL to change)
//
// Volume: 300 users, ~2,000 random blocks, ~1,000 direct conversations, 50 earlier messages in the conversation; the plan printed is that of
// one send from a device to the other user's one device (the statement is built by MessagesService itself).
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';

const base = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `send_plan_${Date.now()}`;
const admin = new pg.Client({ connectionString: base });
await admin.connect();
await admin.query(`create database ${name}`);
const u = new URL(base);
u.pathname = `/${name}`;
const app = await buildApp({ config: { ...loadConfig({ LOG_LEVEL: 'silent' }), sendRateBurst: 1e6, sendRatePerSecond: 1e6 }, databaseUrl: u.toString() });
try {
  const { accounts, conversations, messages, knex } = app.services;
  const key = () => new Uint8Array(Buffer.concat([Buffer.from([5]), randomBytes(32)]));
  const users = [];
  for (let i = 0; i < 300; i++) {
    users.push(await accounts.register({ username: `u${i}_${randomBytes(3).toString('hex')}`, displayName: 'x', device: { name: 'p', registrationId: 7, identityKey: key() } }));
  }
  for (let i = 0; i < 2000; i++) {
    const a = users[Math.floor(Math.random() * users.length)].user.id;
    const b = users[Math.floor(Math.random() * users.length)].user.id;
    if (a !== b) await knex.raw('insert into blocks (blocker_id, blocked_id) values (?, ?) on conflict do nothing', [a, b]);
  }
  for (let i = 0; i < 1000; i++) {
    const a = users[Math.floor(Math.random() * users.length)].user.id;
    const b = users[Math.floor(Math.random() * users.length)].user.id;
    if (a !== b) await conversations.createDirect(a, b);
  }
  const [A, B] = [users[0], users[1]];
  const conv = await conversations.createDirect(A.user.id, B.user.id);
  const auth = { userId: A.user.id, deviceUuid: A.device.id, deviceId: A.device.deviceId, exp: 0 };
  const input = () => ({ conversationId: conv.id, clientMessageId: randomUUID(), contentType: 'TEXT' as const, envelopes: [{ deviceId: B.device.id, type: 2, ciphertext: randomBytes(100) }] });
  for (let i = 0; i < 50; i++) await messages.send(auth, input());
  await knex.raw('analyze');
  // capture the statement and its parameters as the service builds them
  let captured: { sql: string; params: unknown[] } | undefined;
  const capture = {
    raw: (sql: string, params: unknown[]) => {
      captured = { sql, params };
      const p = Promise.resolve({ rows: [] });
      return Object.assign(p, { options: () => p });
    },
  };
  const sent = input();
  const recipients = sent.envelopes.map((e) => ({ deviceId: e.deviceId, type: e.type, ciphertext: e.ciphertext, registrationId: null }));
  const pending = { auth, input: sent, recipients, shared: null, id: randomUUID(), conversationId: conv.id, replyTo: null, rateKey: `send:${A.device.id}` };
  await (messages as unknown as { storeBatch(b: unknown[], db: unknown): Promise<unknown> }).storeBatch([pending], capture);
  const trx = await knex.transaction();
  const plan = await trx.raw(`explain (analyze, buffers, costs off, timing off, summary off) ${captured!.sql}`, captured!.params as never);
  console.log(plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n'));
  await trx.rollback();
} finally {
  await app.stop();
  await admin.query(`drop database ${name} with (force)`);
  await admin.end();
}
