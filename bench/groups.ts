// Client-side cost of one group message (issue 19): a group of 100 members x 3 devices, sent by one
// device of our library (src/protocol) either with pairwise Double Ratchet sessions (one encryption and one
// ciphertext per recipient device) or with Sender Keys (one encryption, one ciphertext for everyone, after
// a one-time distribution of the sender key over the pairwise sessions). The server's half (storing and
// fanning out, per-device envelopes vs the multi-recipient sendGroupMessage) is bench/group-send.ts
// (npm run bench:groups:server).
//
//   npm run bench:groups                               table on stdout
//   npm run bench:groups -- --json                     one JSON document on stdout (table on stderr)
//   npm run bench:groups -- --members=20 --devices=2   another group size
//   npm run bench:groups -- --rounds=5                 group messages timed per method (median reported)
//
// Every session and sender key record is persisted as bytes (deserialized on load, serialized on store),
// as a client keeping them in IndexedDB or SQLite does, and the timings include that. Sessions are set
// up and confirmed (one message each way) before timing, so group messages are Whisper messages, not
// PreKey messages. Plaintext: 160 bytes (Signal pads message content to multiples of 160).
import * as P from '../src/protocol/index.js';

const args = new Map(process.argv.slice(2).map((a) => [a.replace(/=.*$/, ''), a.includes('=') ? a.replace(/^[^=]*=/, '') : 'true']));
const JSON_OUT = args.has('--json');
const MEMBERS = Number(args.get('--members') ?? 100);
const DEVICES = Number(args.get('--devices') ?? 3);
const ROUNDS = Number(args.get('--rounds') ?? 9);
const PLAINTEXT_BYTES = 160;
const DIST = '5e1d9c2a-7b3f-4c8e-9a6d-2f0b1c3d4e5a';

const out = (s: string) => (JSON_OUT ? process.stderr : process.stdout).write(s + '\n');
const rand = (n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Session records kept as bytes. */
class BytesSessionStore implements P.SessionStore {
  private readonly records = new Map<string, Uint8Array>();
  async loadSession(a: P.ProtocolAddress) {
    const b = this.records.get(a.toString());
    return b ? P.SessionRecord.deserialize(b) : null;
  }
  async storeSession(a: P.ProtocolAddress, r: P.SessionRecord) {
    this.records.set(a.toString(), r.serialize());
  }
}

/** Sender key records kept as bytes. */
class BytesSenderKeyStore implements P.SenderKeyStore {
  private readonly records = new Map<string, Uint8Array>();
  async loadSenderKey(a: P.ProtocolAddress, d: string) {
    const b = this.records.get(`${a.toString()}/${d}`);
    return b ? P.SenderKeyRecord.deserialize(b) : null;
  }
  async storeSenderKey(a: P.ProtocolAddress, d: string, r: P.SenderKeyRecord) {
    this.records.set(`${a.toString()}/${d}`, r.serialize());
  }
}

interface Device {
  address: P.ProtocolAddress;
  stores: P.ProtocolStores;
  senderKeys: BytesSenderKeyStore;
}

function device(name: string, deviceId: number): Device {
  const identity = P.IdentityKeyPair.generate();
  const mem = new P.InMemorySignalProtocolStore(identity, P.generateRegistrationId());
  return {
    address: new P.ProtocolAddress(name, deviceId),
    stores: { session: new BytesSessionStore(), identity: mem, preKey: mem, signedPreKey: mem, kyberPreKey: mem },
    senderKeys: new BytesSenderKeyStore(),
  };
}

async function decrypt(to: Device, from: Device, m: P.CiphertextMessage): Promise<Uint8Array> {
  return m.type === 3 ? P.signalDecryptPreKey(m.body, from.address, to.stores) : P.signalDecrypt(m.body, from.address, to.stores);
}

/** PQXDH session sender -> r, confirmed by one message each way. */
async function connect(sender: Device, r: Device, id: number): Promise<void> {
  const identity = await r.stores.identity.getIdentityKeyPair();
  const spk = await P.generateSignedPreKey(identity, id);
  await r.stores.signedPreKey.storeSignedPreKey(id, spk);
  const kyber = await P.generateKyberPreKey(identity, id);
  await r.stores.kyberPreKey.storeKyberPreKey(id, kyber);
  const [pk] = P.generatePreKeys(id, 1);
  await r.stores.preKey.storePreKey(pk.id, pk);
  const bundle: P.PreKeyBundle = {
    registrationId: await r.stores.identity.getLocalRegistrationId(),
    deviceId: r.address.deviceId,
    preKeyId: pk.id,
    preKeyPublic: pk.publicKey,
    signedPreKeyId: id,
    signedPreKeyPublic: spk.publicKey,
    signedPreKeySignature: spk.signature,
    identityKey: identity.publicKey,
    kyberPreKeyId: id,
    kyberPreKeyPublic: kyber.publicKey,
    kyberPreKeySignature: kyber.signature,
  };
  await P.processPreKeyBundle(bundle, r.address, sender.stores);
  await decrypt(r, sender, await P.signalEncrypt(rand(16), r.address, sender.stores));
  await decrypt(sender, r, await P.signalEncrypt(rand(16), sender.address, r.stores));
}

async function main(): Promise<void> {
  const recipientsCount = MEMBERS * DEVICES;
  out(`Group send, client side: ${MEMBERS} members x ${DEVICES} devices = ${recipientsCount} recipient devices, ${PLAINTEXT_BYTES}-byte plaintext, backend ${P.getCryptoBackend()}`);
  const sender = device('sender', 1);
  const recipients: Device[] = [];
  for (let m = 0; m < MEMBERS; m++) for (let d = 1; d <= DEVICES; d++) recipients.push(device(`member-${m}`, d));
  const tSetup = performance.now();
  for (const [i, r] of recipients.entries()) await connect(sender, r, i + 1);
  out(`(set-up of ${recipientsCount} confirmed sessions: ${((performance.now() - tSetup) / 1000).toFixed(1)} s, not part of the figures)`);

  // Pairwise: each group message is one Double Ratchet encryption per recipient device.
  const pairwise: { ms: number; bytes: number }[] = [];
  for (let round = 0; round < ROUNDS + 1; round++) {
    const plaintext = rand(PLAINTEXT_BYTES);
    const t0 = performance.now();
    let bytes = 0;
    const sent: P.CiphertextMessage[] = [];
    for (const r of recipients) {
      const m = await P.signalEncrypt(plaintext, r.address, sender.stores);
      bytes += m.body.length;
      sent.push(m);
    }
    const ms = performance.now() - t0;
    if (round > 0) pairwise.push({ ms, bytes }); // round 0 warms up
    // deliver, so the next round is a fresh message on every session (not a growing backlog)
    for (const [i, r] of recipients.entries()) await decrypt(r, sender, sent[i]);
  }

  // Sender Keys, one-time: create the sender key and send its distribution message over every session.
  const tDist = performance.now();
  const skdm = (await P.createSenderKeyDistributionMessage(sender.address, DIST, sender.senderKeys)).serialize();
  let distributionBytes = 0;
  const distributed: P.CiphertextMessage[] = [];
  for (const r of recipients) {
    const m = await P.signalEncrypt(skdm, r.address, sender.stores);
    distributionBytes += m.body.length;
    distributed.push(m);
  }
  const distributionMs = performance.now() - tDist;
  for (const [i, r] of recipients.entries()) await P.processSenderKeyDistributionMessage(sender.address, await decrypt(r, sender, distributed[i]), r.senderKeys);

  // Sender Keys, per message: one group encryption.
  const senderKey: { ms: number; bytes: number }[] = [];
  for (let round = 0; round < ROUNDS + 1; round++) {
    const plaintext = rand(PLAINTEXT_BYTES);
    const t0 = performance.now();
    const m = await P.groupEncrypt(sender.address, DIST, plaintext, sender.senderKeys);
    const ms = performance.now() - t0;
    if (round > 0) senderKey.push({ ms, bytes: m.body.length });
    // every recipient device decrypts it (checked, not timed: each decrypts one message either way)
    if (round === ROUNDS) for (const r of recipients) await P.groupDecrypt(m.body, sender.address, r.senderKeys);
  }

  const pw = { ms: median(pairwise.map((x) => x.ms)), bytes: median(pairwise.map((x) => x.bytes)) };
  const sk = { ms: median(senderKey.map((x) => x.ms)), bytes: median(senderKey.map((x) => x.bytes)) };
  // Sender Keys over n messages cost D + n*SK against n*PW: cheaper once n > D / (PW - SK)
  const breakEven = (d: number, pwPer: number, skPer: number) => (pwPer > skPer ? Math.floor(d / (pwPer - skPer)) + 1 : Infinity);
  const timeBreakEven = breakEven(distributionMs, pw.ms, sk.ms);
  const bytesBreakEven = breakEven(distributionBytes, pw.bytes, sk.bytes);
  const rows = [
    ['pairwise Double Ratchet, per group message', `${pw.ms.toFixed(1)} ms`, `${pw.bytes} B`, `${recipientsCount} encryptions`],
    ['Sender Keys, per group message', `${sk.ms.toFixed(2)} ms`, `${sk.bytes} B`, '1 encryption'],
    ['Sender Keys, one-time distribution', `${distributionMs.toFixed(1)} ms`, `${distributionBytes} B`, `${recipientsCount} encryptions of a ${skdm.length}-byte SKDM`],
  ];
  out('');
  out(`${'method'.padEnd(46)} ${'time'.padStart(10)} ${'uploaded'.padStart(10)}  work`);
  for (const [a, b, c, d] of rows) out(`${a.padEnd(46)} ${b.padStart(10)} ${c.padStart(10)}  ${d}`);
  out('');
  out(`ratio pairwise / Sender Keys per group message: time ${(pw.ms / sk.ms).toFixed(0)}x, bytes uploaded ${(pw.bytes / sk.bytes).toFixed(0)}x`);
  out(`Sender Keys with the distribution included cost less than pairwise from group message ${timeBreakEven} on (time) and ${bytesBreakEven} on (bytes)`);
  out(`(medians of ${ROUNDS} rounds after one warm-up round; pairwise per-round ms: ${pairwise.map((x) => x.ms.toFixed(0)).join(' ')})`);
  out('Upload counts ciphertext only (the per-device ids are sent either way); the server half: npm run bench:groups:server.');
  if (JSON_OUT)
    process.stdout.write(
      JSON.stringify({
        members: MEMBERS,
        devicesPerMember: DEVICES,
        recipientDevices: recipientsCount,
        plaintextBytes: PLAINTEXT_BYTES,
        backend: P.getCryptoBackend(),
        rounds: ROUNDS,
        pairwise: { medianMs: pw.ms, uploadedBytes: pw.bytes, roundsMs: pairwise.map((x) => x.ms) },
        senderKeys: { medianMs: sk.ms, uploadedBytes: sk.bytes, roundsMs: senderKey.map((x) => x.ms) },
        distribution: { ms: distributionMs, uploadedBytes: distributionBytes, skdmBytes: skdm.length },
        ratio: { time: pw.ms / sk.ms, bytes: pw.bytes / sk.bytes },
        breakEvenMessages: { time: timeBreakEven, bytes: bytesBreakEven },
      }) + '\n',
    );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
