/**
 * `npm run demo`: two users exchange end-to-end-encrypted messages through the relay, and a third device
 * joins later. Each line shows what a client sees (plaintext) next to what the server holds (ciphertext).
 *
 *   SERVER_URL=http://localhost:4000/graphql npm run demo   # against a running server
 *   npm run demo                                             # starts one on an in-memory embedded database
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { type Envelope, MessagingClient, type MessagingClientOptions } from '../src/client/index.js';
import { PendingEnvelopesDocument } from '../src/client/generated/graphql.js';
import { createMemoryStore } from '../src/client/stores/memory-store.js';
import { buildApp, type App } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { type EmbeddedDatabase, startEmbeddedDatabase } from '../src/server/db/embedded.js';

const C = { dim: '\x1b[2m', bold: '\x1b[1m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m', reset: '\x1b[0m' };
const plain = (s: string) => `${C.green}"${s}"${C.reset}`;
const cipher = (b64: string) => `${C.yellow}${b64.slice(0, 28)}…${C.reset} ${C.dim}(${(b64.length * 3) / 4 - (b64.match(/=*$/)?.[0].length ?? 0)} bytes)${C.reset}`;
const step = (s: string) => console.log(`\n${C.bold}${C.cyan}== ${s}${C.reset}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let app: App | undefined;
let db: EmbeddedDatabase | undefined;
let url = process.env.SERVER_URL;
if (!url) {
  process.stdout.write('starting a server on an in-memory embedded database... ');
  db = await startEmbeddedDatabase(undefined);
  app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', DB_POOL_SIZE: '4' }), databaseUrl: db.url });
  const port = await app.start(0, '127.0.0.1');
  url = `http://127.0.0.1:${port}/graphql`;
  console.log('ok');
}
console.log(`server: ${url}`);

const opts = (): MessagingClientOptions => ({ url: url!, webSocketImpl: WebSocket, store: createMemoryStore() });
const tag = randomBytes(3).toString('hex');
const label = new Map<string, string>();
const clients: MessagingClient[] = [];

/** Prints, per device, each envelope's ciphertext as delivered and the plaintext it decrypted to. */
function show(client: MessagingClient, name: string) {
  const seen = new Map<string, Envelope>();
  client.events.on('envelope', (e) => void seen.set(e.id, e));
  client.events.on('message', (m) => {
    const e = seen.get(m.envelopeId ?? '');
    const from = label.get(`${m.senderUserId}.${m.senderDeviceId}`) ?? m.senderUserId;
    console.log(`  ${name.padEnd(14)} sees ${plain(m.content.body).padEnd(40)} from ${from.padEnd(13)} server delivered type ${e?.type} ${e ? cipher(e.ciphertext) : ''}`);
  });
  client.events.on('error', (err) => console.log(`  ${name}: error ${(err as Error).message}`));
}

async function serverView(title: string, queueOf?: MessagingClient) {
  if (!app) {
    // a remote server: ask it for the device's queue (the same rows, as the API returns them)
    if (!queueOf) return;
    const r = (await queueOf.transport.request(PendingEnvelopesDocument, { first: 50 })).pendingEnvelopes;
    if (r.__typename !== 'EnvelopePage') return;
    console.log(`  ${C.dim}server's queue for ${label.get(`${queueOf.userId}.${queueOf.deviceId}`)} ${title}: ${r.items.length} envelope(s)${C.reset}`);
    for (const e of r.items) console.log(`    envelope ${e.id.padEnd(4)} type ${e.type} ${cipher(e.ciphertext)}`);
    return;
  }
  const { rows } = await app.services.knex.raw(
    `select e.id, e.type, translate(encode(e.ciphertext, 'base64'), E'\n', '') as c, d.device_id as "deviceId", u.username
       from envelopes e join devices d on d.id = e.recipient_device join users u on u.id = d.user_id order by e.id`,
  );
  console.log(`  ${C.dim}server's envelopes table ${title}: ${rows.length} row(s)${C.reset}`);
  for (const r of rows as { id: string; type: number; c: string; deviceId: number; username: string }[]) {
    console.log(`    envelope ${String(r.id).padEnd(4)} for ${`${r.username}.${r.deviceId}`.padEnd(16)} type ${r.type} ${cipher(r.c)}`);
  }
}

try {
  step('1. alice and bob register (each generates an identity key, a signed prekey, a Kyber last-resort key, 100 + 100 one-time prekeys)');
  const alice = await MessagingClient.register(opts(), { username: `alice_${tag}`, displayName: 'Alice' });
  const bob = await MessagingClient.register(opts(), { username: `bob_${tag}`, displayName: 'Bob' });
  clients.push(alice, bob);
  label.set(`${alice.userId}.${alice.deviceId}`, 'alice/phone');
  label.set(`${bob.userId}.${bob.deviceId}`, 'bob/phone');
  console.log(`  alice = user ${alice.userId}, device ${alice.deviceId}`);
  console.log(`  bob   = user ${bob.userId}, device ${bob.deviceId}`);

  step('2. alice opens a conversation and writes while bob is offline');
  await alice.start();
  show(alice, 'alice/phone');
  const conv = await alice.createDirectConversation(bob.userId);
  await alice.sendMessage(conv.id, 'Hi Bob! Lunch on Friday?');
  await alice.sendMessage(conv.id, 'The usual place, 12:30.');
  await serverView('(queued for bob: ciphertext only)', bob);

  step('3. bob comes online: his inbox drains, each envelope is decrypted then acknowledged');
  show(bob, 'bob/phone');
  const drained = new Promise((r) => bob.events.on('drained', () => r(undefined)));
  await bob.start();
  await drained;
  await bob.whenIdle();
  await serverView('(after bob acknowledged)', bob);

  step('4. bob answers; alice, online, receives it live on her inbox stream');
  await bob.sendMessage(conv.id, 'Friday works. See you there!');
  await sleep(500);
  await alice.whenIdle();

  step('5. alice links a laptop (a third device): new messages are encrypted for it too');
  const code = await alice.createLinkCode();
  const laptop = await MessagingClient.link(opts(), code.code, 'laptop');
  clients.push(laptop);
  label.set(`${laptop.userId}.${laptop.deviceId}`, 'alice/laptop');
  show(laptop, 'alice/laptop');
  await laptop.start();
  await bob.sendMessage(conv.id, 'Bring the laptop, I have slides.');
  await laptop.sendMessage(conv.id, 'Typing this from my laptop now.');
  await sleep(800);
  await Promise.all(clients.map((c) => c.whenIdle()));

  step('6. what each device holds (decrypted locally; the server never had any of this text)');
  for (const [name, c] of [
    ['alice/phone', alice],
    ['alice/laptop', laptop],
    ['bob/phone', bob],
  ] as const) {
    const list = await c.messages(conv.id);
    console.log(`  ${name}: ${list.map((m) => plain(m.content.body)).join(', ')}`);
  }
  await serverView('(everything delivered and acknowledged)');
} finally {
  await Promise.all(clients.map((c) => c.stop()));
  await app?.stop();
  await db?.stop();
}
