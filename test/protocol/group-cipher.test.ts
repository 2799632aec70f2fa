// The group cipher's own guarantees (no libsignal involved): one iteration per message under concurrency,
// refused messages leave the store untouched, rotation shuts out a member who is not given the new chain,
// and unparseable records and messages get typed errors (argument checks: api-arguments-groups.test.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as P from '../../src/protocol/index.js';
import { hex, parseProto, seededByteRng, serializeProto } from './interop/util.js';

const DIST = 'd1d1d1d1-7000-11eb-b32a-33b8a8a487a6';
const alice = new P.ProtocolAddress('alice', 1);
const text = (s: string) => new TextEncoder().encode(s);
const untext = (b: Uint8Array) => new TextDecoder().decode(b);

async function member(senderStore: P.InMemorySenderKeyStore, from = alice): Promise<P.InMemorySenderKeyStore> {
  const store = new P.InMemorySenderKeyStore();
  await P.processSenderKeyDistributionMessage(from, await P.createSenderKeyDistributionMessage(from, DIST, senderStore), store);
  return store;
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return P.isProtocolError(e) ? e.code : `not a ProtocolError: ${String(e)}`;
  }
}

describe('group cipher', () => {
  it('gives every message its own iteration when many are encrypted at once', async () => {
    const sender = new P.InMemorySenderKeyStore();
    const receiver = await member(sender);
    const sent = await Promise.all(Array.from({ length: 25 }, (_, i) => P.groupEncrypt(alice, DIST, text(`m${i}`), sender)));
    const iterations = sent.map((m) => P.SenderKeyMessage.deserialize(m.body).iteration);
    expect([...iterations].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    for (const [i, m] of sent.entries()) expect(untext(await P.groupDecrypt(m.body, alice, receiver))).toBe(`m${i}`);
  });

  it('decrypts concurrent deliveries of many messages exactly once each', async () => {
    const sender = new P.InMemorySenderKeyStore();
    const receiver = await member(sender);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) sent.push((await P.groupEncrypt(alice, DIST, text(`m${i}`), sender)).body);
    const results = await Promise.all([...sent, ...sent].map((b) => code(P.groupDecrypt(b, alice, receiver))));
    expect(results.filter((r) => r === 'no error')).toHaveLength(20);
    expect(results.filter((r) => r === 'DuplicatedMessage')).toHaveLength(20);
  });

  it('leaves the stored record untouched when it refuses a message', async () => {
    const sender = new P.InMemorySenderKeyStore();
    const receiver = await member(sender);
    const m = (await P.groupEncrypt(alice, DIST, text('hi'), sender)).body;
    const before = (await receiver.loadSenderKey(alice, DIST))!.serialize();
    const tampered = Uint8Array.from(m);
    tampered[tampered.length - 1] ^= 1;
    expect(await code(P.groupDecrypt(tampered, alice, receiver))).toBe('InvalidMessage');
    expect(hex((await receiver.loadSenderKey(alice, DIST))!.serialize())).toBe(hex(before));
    expect(untext(await P.groupDecrypt(m, alice, receiver))).toBe('hi');
  });

  it('refuses a correctly signed message whose ciphertext does not decrypt, storing nothing', async () => {
    const sender = new P.InMemorySenderKeyStore();
    const receiver = await member(sender);
    const state = (await sender.loadSenderKey(alice, DIST))!.currentState()!;
    const forged = await P.SenderKeyMessage.create(DIST, state.chainId, 0, new Uint8Array(32), state.signingPrivateKey!);
    const before = (await receiver.loadSenderKey(alice, DIST))!.serialize();
    expect(await code(P.groupDecrypt(forged.serialize(), alice, receiver))).toBe('InvalidMessage');
    expect(hex((await receiver.loadSenderKey(alice, DIST))!.serialize())).toBe(hex(before));
  });

  it('shuts out a member who is not given the rotated sender key, while the others read on', async () => {
    const sender = new P.InMemorySenderKeyStore();
    const stays = await member(sender);
    const leaves = await member(sender);
    const before = (await P.groupEncrypt(alice, DIST, text('before'), sender)).body;
    const rotated = await P.rotateSenderKey(alice, DIST, sender);
    await P.processSenderKeyDistributionMessage(alice, rotated, stays);
    const after = (await P.groupEncrypt(alice, DIST, text('after'), sender)).body;
    expect(P.SenderKeyMessage.deserialize(after).chainId).not.toBe(P.SenderKeyMessage.deserialize(before).chainId);
    expect(untext(await P.groupDecrypt(after, alice, stays))).toBe('after');
    expect(untext(await P.groupDecrypt(before, alice, stays))).toBe('before'); // the old chain is still kept
    expect(untext(await P.groupDecrypt(before, alice, leaves))).toBe('before');
    expect(await code(P.groupDecrypt(after, alice, leaves))).toBe('NoSenderKeyState');
  });

  it('hands out the current iteration in later distribution messages of the same chain', async () => {
    const sender = new P.InMemorySenderKeyStore();
    const first = await P.createSenderKeyDistributionMessage(alice, DIST, sender);
    await P.groupEncrypt(alice, DIST, text('one'), sender);
    await P.groupEncrypt(alice, DIST, text('two'), sender);
    const later = await P.createSenderKeyDistributionMessage(alice, DIST, sender);
    expect([first.iteration, later.iteration, later.chainId]).toEqual([0, 2, first.chainId]);
    const newcomer = new P.InMemorySenderKeyStore();
    await P.processSenderKeyDistributionMessage(alice, later.serialize(), newcomer);
    const third = (await P.groupEncrypt(alice, DIST, text('three'), sender)).body;
    expect(untext(await P.groupDecrypt(third, alice, newcomer))).toBe('three');
  });

  it('refuses to send without a chain of its own', async () => {
    const store = new P.InMemorySenderKeyStore();
    expect(await code(P.groupEncrypt(alice, DIST, text('x'), store))).toBe('NoSenderKeyState');
    // a store holding alice's chain as a receiver cannot send as alice: it has no signing private key
    const receiver = await member(new P.InMemorySenderKeyStore());
    expect(await code(P.groupEncrypt(alice, DIST, text('x'), receiver))).toBe('NoSenderKeyState');
  });

  it('treats a distribution id in capitals as the same group', async () => {
    const sender = new P.InMemorySenderKeyStore();
    const skdm = await P.createSenderKeyDistributionMessage(alice, DIST.toUpperCase(), sender);
    expect(skdm.distributionId).toBe(DIST);
    const m = await P.groupEncrypt(alice, DIST, text('x'), sender);
    expect(P.SenderKeyMessage.deserialize(m.body).chainId).toBe(skdm.chainId);
  });

  it('creates the same chain from the same injected randomness', async () => {
    const make = async () => {
      const store = new P.InMemorySenderKeyStore();
      return (await P.createSenderKeyDistributionMessage(alice, DIST, store, { rng: seededByteRng('sk') })).serialize();
    };
    expect(hex(await make())).toBe(hex(await make()));
    const skdm = P.SenderKeyDistributionMessage.deserialize(await make());
    expect(skdm.chainId).toBeLessThan(2 ** 31);
  });

  it('round-trips a record with states, skipped keys and a private signing key through its bytes', async () => {
    const sender = new P.InMemorySenderKeyStore();
    const receiver = await member(sender);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 6; i++) sent.push((await P.groupEncrypt(alice, DIST, text(`m${i}`), sender)).body);
    await P.groupDecrypt(sent[5], alice, receiver);
    for (const store of [sender, receiver]) {
      const bytes = (await store.loadSenderKey(alice, DIST))!.serialize();
      expect(hex(P.SenderKeyRecord.deserialize(bytes).serialize())).toBe(hex(bytes));
    }
    const restored = P.SenderKeyRecord.deserialize((await receiver.loadSenderKey(alice, DIST))!.serialize());
    expect([...restored.currentState()!.messageKeys.keys()]).toEqual([0, 1, 2, 3, 4]);
    expect((await sender.loadSenderKey(alice, DIST))!.currentState()!.signingPrivateKey).toBeDefined();
    expect(restored.currentState()!.signingPrivateKey).toBeUndefined();
  });

  it('refuses records and messages that do not parse with typed errors', async () => {
    expect(() => P.SenderKeyRecord.deserialize(Uint8Array.of(0x0a, 0x05, 1))).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    expect(() => P.SenderKeyDistributionMessage.deserialize(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'InvalidMessage' }));
    expect(() => P.SenderKeyDistributionMessage.deserialize(Uint8Array.of(0x33, 0x0a))).toThrow(expect.objectContaining({ code: 'InvalidMessage' }));
    expect(() => P.SenderKeyMessage.deserialize(new Uint8Array(64))).toThrow(expect.objectContaining({ code: 'InvalidMessage' }));
    // a 31-byte chain key (libsignal-client stores it; we refuse it: no chain key of ours is ever 31 bytes)
    const fields = parseProto(P.SenderKeyDistributionMessage.create(DIST, 1, 0, new Uint8Array(32), P.PrivateKey.generate().getPublicKey()).serialize().subarray(1));
    const shortKey = serializeProto(fields.map((f) => (f.field === 4 ? { ...f, value: new Uint8Array(31) } : f)));
    expect(() => P.SenderKeyDistributionMessage.deserialize(Uint8Array.of(0x33, ...shortKey))).toThrow(expect.objectContaining({ code: 'InvalidMessage' }));
  });
});

describe("libsignal-client's recorded Sender Keys vector (test/vectors/libsignal-sender-key.json)", () => {
  const v = JSON.parse(readFileSync(new URL('../vectors/libsignal-sender-key.json', import.meta.url), 'utf8'));
  const fromHex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
  const sender = new P.ProtocolAddress(v.sender.name, v.sender.deviceId);

  it('decrypts its messages out of order and keeps the very record libsignal kept', async () => {
    const store = new P.InMemorySenderKeyStore();
    await P.processSenderKeyDistributionMessage(sender, fromHex(v.distributionMessage), store);
    for (const i of v.receiveOrder) expect(hex(await P.groupDecrypt(fromHex(v.messages[i].body), sender, store))).toBe(v.messages[i].plaintext);
    expect(hex((await store.loadSenderKey(sender, v.distributionId))!.serialize())).toBe(v.receiverRecordAfter);
    for (const m of v.messages.filter((_: unknown, i: number) => !v.receiveOrder.includes(i))) expect(hex(await P.groupDecrypt(fromHex(m.body), sender, store))).toBe(m.plaintext);
  });

  it("continues the libsignal sender's chain from its record", async () => {
    const senderStore = new P.InMemorySenderKeyStore();
    await senderStore.storeSenderKey(sender, v.distributionId, P.SenderKeyRecord.deserialize(fromHex(v.senderRecordAfter)));
    expect(hex((await senderStore.loadSenderKey(sender, v.distributionId))!.serialize())).toBe(v.senderRecordAfter);
    const receiver = new P.InMemorySenderKeyStore();
    await P.processSenderKeyDistributionMessage(sender, fromHex(v.distributionMessage), receiver);
    const next = await P.groupEncrypt(sender, v.distributionId, text('next'), senderStore);
    expect(P.SenderKeyMessage.deserialize(next.body).iteration).toBe(v.messages.length);
    expect(untext(await P.groupDecrypt(next.body, sender, receiver))).toBe('next');
    expect(hex(await P.groupDecrypt(fromHex(v.messages[0].body), sender, receiver))).toBe(v.messages[0].plaintext);
  });
});
