// Server-side cost of one group message (issue 19): storing and fanning out one message to a group of
// 100 members x 3 devices (299 recipient devices: the sender's 2 other devices and 99 members x 3), through
// MessagesService itself on PostgreSQL, per-device envelopes (`sendMessage`: one Double Ratchet ciphertext
// per device) against the multi-recipient send (`sendGroupMessage`: one SenderKeyMessage stored once, a
// type-7 envelope per device), plus the client's upload for each. Ciphertext sizes come from real
// encryptions (src/protocol) of a 160-byte plaintext: a Whisper message on a confirmed session, a
// SenderKeyMessage, and a SenderKeyDistributionMessage wrapped in a Whisper message (the header of a first
// send to a device).
//
//   npm run bench:groups:server                          needs PostgreSQL (DATABASE_URL, default the local server)
//   npm run bench:groups:server -- --members=20 --devices=2 --rounds=5
//
// Timed: the service call (validation, the one store statement in its own commit, the envelopeStored
// events) from the caller's side; median of `rounds` sends after one warm-up each, alternating methods.
// Storage: bytes the send left in envelopes + message_payloads (pg_column_size of the rows).
import { randomBytes, randomUUID } from 'node:crypto';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { UNLIMITED_AUTH_ENV } from '../test/server/limits.js';
import * as P from '../src/protocol/index.js';
import { createBenchDatabase } from './lib/database.js';
import { onCleanup, runBenchmark } from './lib/run.js';

const args = new Map(process.argv.slice(2).map((a) => [a.replace(/=.*$/, ''), a.includes('=') ? a.replace(/^[^=]*=/, '') : 'true']));
const MEMBERS = Number(args.get('--members') ?? 100);
const DEVICES = Number(args.get('--devices') ?? 3);
const ROUNDS = Number(args.get('--rounds') ?? 9);
const PLAINTEXT_BYTES = 160;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const b64 = (n: number) => 4 * Math.ceil(n / 3);

/** Real ciphertext sizes: a Whisper message, a SenderKeyMessage, a SenderKeyDistributionMessage inside a Whisper message. */
async function sizes(): Promise<{ whisper: number; senderKey: number; header: number }> {
  const dev = (name: string) => {
    const mem = new P.InMemorySignalProtocolStore(P.IdentityKeyPair.generate(), P.generateRegistrationId());
    return { address: new P.ProtocolAddress(name, 1), stores: { session: mem, identity: mem, preKey: mem, signedPreKey: mem, kyberPreKey: mem } };
  };
  const a = dev('a');
  const b = dev('b');
  const identity = await b.stores.identity.getIdentityKeyPair();
  const spk = await P.generateSignedPreKey(identity, 1);
  await b.stores.signedPreKey.storeSignedPreKey(1, spk);
  const kyber = await P.generateKyberPreKey(identity, 1);
  await b.stores.kyberPreKey.storeKyberPreKey(1, kyber);
  const [pk] = P.generatePreKeys(1, 1);
  await b.stores.preKey.storePreKey(pk.id, pk);
  await P.processPreKeyBundle(
    {
      registrationId: await b.stores.identity.getLocalRegistrationId(),
      deviceId: 1,
      preKeyId: pk.id,
      preKeyPublic: pk.publicKey,
      signedPreKeyId: 1,
      signedPreKeyPublic: spk.publicKey,
      signedPreKeySignature: spk.signature,
      identityKey: identity.publicKey,
      kyberPreKeyId: 1,
      kyberPreKeyPublic: kyber.publicKey,
      kyberPreKeySignature: kyber.signature,
    },
    b.address,
    a.stores,
  );
  const first = await P.signalEncrypt(new Uint8Array(16), b.address, a.stores);
  await P.signalDecryptPreKey(first.body, a.address, b.stores);
  const back = await P.signalEncrypt(new Uint8Array(16), a.address, b.stores);
  await P.signalDecrypt(back.body, b.address, a.stores);
  const whisper = await P.signalEncrypt(new Uint8Array(PLAINTEXT_BYTES), b.address, a.stores);
  const keys = new P.InMemorySenderKeyStore();
  const dist = randomUUID();
  const skdm = await P.createSenderKeyDistributionMessage(a.address, dist, keys);
  const header = await P.signalEncrypt(skdm.serialize(), b.address, a.stores);
  const sk = await P.groupEncrypt(a.address, dist, new Uint8Array(PLAINTEXT_BYTES), keys);
  return { whisper: whisper.body.length, senderKey: sk.body.length, header: header.body.length };
}

await runBenchmark(async () => {
  const size = await sizes();
  const db = await createBenchDatabase('bench_group_send');
  const app = await buildApp({
    // one address registers every member: the per-address limits on credential operations are lifted
    config: {
      ...loadConfig({ LOG_LEVEL: 'silent', ...UNLIMITED_AUTH_ENV }),
      sendRateBurst: 1e6, sendRatePerSecond: 1e6, messageSweepIntervalMs: 0 },
    databaseUrl: db.url,
  });
  onCleanup(() => app.stop());
  const { accounts, conversations, messages, knex } = app.services;
  const key = () => new Uint8Array(Buffer.concat([Buffer.from([5]), randomBytes(32)]));
  const t0 = performance.now();
  const users = [];
  for (let i = 0; i < MEMBERS; i++) {
    const u = await accounts.register({ username: `g${i}_${randomBytes(3).toString('hex')}`, displayName: 'x', device: { name: 'p', registrationId: 7, identityKey: key() } });
    const auth = { userId: u.user.id, deviceUuid: u.device.id, deviceId: u.device.deviceId, exp: 0 };
    for (let d = 1; d < DEVICES; d++) {
      const code = await accounts.createLinkCode(auth);
      await accounts.linkDevice(code.code, { name: `d${d}`, registrationId: 7, identityKey: key() });
    }
    users.push(u);
  }
  const sender = users[0];
  const auth = { userId: sender.user.id, deviceUuid: sender.device.id, deviceId: sender.device.deviceId, exp: 0 };
  const group = await conversations.createGroup(
    sender.user.id,
    { name: 'bench', memberIds: users.slice(1).map((u) => u.user.id) },
  );
  const devices = (await knex.raw('select d.id from devices d join conversation_members cm on cm.user_id = d.user_id where cm.conversation_id = ? and d.id <> ?', [group.id, sender.device.id])).rows as { id: string }[];
  console.log(`Group send, server side: ${MEMBERS} members x ${DEVICES} devices -> ${devices.length} recipient devices; PostgreSQL (${((performance.now() - t0) / 1000).toFixed(1)} s set-up)`);
  console.log(`ciphertexts (real, ${PLAINTEXT_BYTES}-byte plaintext): Whisper ${size.whisper} B, SenderKeyMessage ${size.senderKey} B, distribution header ${size.header} B`);
  await knex.raw('analyze');

  const common = () => ({ conversationId: group.id, clientMessageId: randomUUID(), contentType: 'TEXT' as const });
  const perDevice = () => ({ ...common(), envelopes: devices.map((d) => ({ deviceId: d.id, type: 2, ciphertext: randomBytes(size.whisper) })) });
  const shared = (headers: boolean) => ({
    ...common(),
    type: 7,
    ciphertext: randomBytes(size.senderKey),
    recipients: devices.map((d) => ({ deviceId: d.id, header: headers ? { type: 2, ciphertext: randomBytes(size.header) } : null })),
  });
  const stored = async (messageId: string) =>
    (
      await knex.raw(
        `select coalesce((select sum(pg_column_size(e.*)) from envelopes e where e.message_id = ?), 0)::int
              + coalesce((select sum(pg_column_size(p.*)) from message_payloads p where p.message_id = ?), 0)::int as bytes`,
        [messageId, messageId],
      )
    ).rows[0].bytes as number;

  type Method = { name: string; run: () => Promise<{ id: string }>; upload: number };
  const methods: Method[] = [
    { name: 'per-device envelopes (sendMessage)', run: () => messages.send(auth, perDevice()), upload: devices.length * size.whisper },
    { name: 'multi-recipient (sendGroupMessage)', run: () => messages.sendGroup(auth, shared(false)), upload: size.senderKey },
    {
      name: 'multi-recipient, every device gets the key',
      run: () => messages.sendGroup(auth, shared(true)),
      upload: size.senderKey + devices.length * size.header,
    },
  ];
  const results = methods.map(() => ({ ms: [] as number[], bytes: 0 }));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [i, m] of methods.entries()) {
      const t = performance.now();
      const msg = await m.run();
      const ms = performance.now() - t;
      if (round > 0) results[i].ms.push(ms);
      if (round === 1) results[i].bytes = await stored(msg.id);
    }
    // keep the queues from growing across rounds (acknowledge everything: as recipients do)
    await knex.raw('delete from envelopes');
    await knex.raw('delete from message_payloads');
  }
  console.log('');
  console.log(`${'method'.padEnd(44)} ${'server ms'.padStart(10)} ${'stored'.padStart(10)} ${'uploaded'.padStart(10)} ${'(base64)'.padStart(10)}`);
  for (const [i, m] of methods.entries()) {
    const r = results[i];
    console.log(
      `${m.name.padEnd(44)} ${median(r.ms).toFixed(1).padStart(10)} ${`${r.bytes} B`.padStart(10)} ${`${m.upload} B`.padStart(10)} ${`${m.name.startsWith('per') ? devices.length * b64(size.whisper) : b64(size.senderKey) + (i === 2 ? devices.length * b64(size.header) : 0)} B`.padStart(10)}`,
    );
  }
  const [pd, mr, first] = results.map((r) => median(r.ms));
  console.log('');
  console.log(`ratio per-device / multi-recipient: server time ${(pd / mr).toFixed(1)}x, stored bytes ${(results[0].bytes / results[1].bytes).toFixed(1)}x, uploaded bytes ${(methods[0].upload / methods[1].upload).toFixed(0)}x`);
  console.log(`(first send of a chain, every device given the key: server time ${(pd / first).toFixed(1)}x faster than per-device; medians of ${ROUNDS} rounds; per-device rounds ms: ${results[0].ms.map((x) => x.toFixed(0)).join(' ')}; multi-recipient: ${results[1].ms.map((x) => x.toFixed(0)).join(' ')})`);
  console.log('(uploaded = ciphertext bytes in the request: per-device ids and registration ids, sent either way, are not counted)');
});
