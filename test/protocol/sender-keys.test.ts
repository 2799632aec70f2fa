// Sender Keys interop with libsignal-client 0.72.1, 0.90.0 and 0.103.0 (test-only oracles): a libsignal
// sender's distribution and group messages in our library and the reverse, skipped iterations within
// libsignal's limits, a forward jump past the limit, duplicates, tampering, records moved between the two
// implementations mid-stream, and both implementations keeping byte-identical records for the same traffic.
import { describe, expect, it } from 'vitest';
import * as P from '../../src/protocol/index.js';
import {
  failure,
  fastForwardRecord,
  flipBit,
  LIBSIGNAL_VERSIONS,
  libsignalGroupPeer,
  oursGroupPeer,
  text,
  untext,
  type Addr,
  type GroupPeer,
} from './interop/sender-key-peers.js';
import { hex, Rand } from './interop/util.js';

const DIST = 'd1d1d1d1-7000-11eb-b32a-33b8a8a487a6';
const OTHER_DIST = '6a1f3e2c-93b4-4b8e-a0c5-0d7e8f9a1b2c';
const ALICE: Addr = { name: '3e1c1c7a-5a52-4f8e-9d55-6e1f0f2b7a10', deviceId: 1 };
const BOB: Addr = { name: '9b2d4e6f-1a3c-4d5e-8f70-a1b2c3d4e5f6', deviceId: 2 };
const CAROL: Addr = { name: 'carol', deviceId: 3 };

/** `n` group messages "message i" from `sender` (bodies of SenderKeyMessages) */
async function send(sender: GroupPeer, n: number, from = 0): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let i = from; i < from + n; i++) out.push(await sender.encrypt(DIST, text(`message ${i}`)));
  return out;
}

async function expectDecrypts(receiver: GroupPeer, messages: Uint8Array[], order: number[]): Promise<void> {
  for (const i of order) expect(untext(await receiver.decrypt(ALICE, messages[i])), `message ${i}`).toBe(`message ${i}`);
}

describe.each(LIBSIGNAL_VERSIONS)('Sender Keys with $impl', ({ impl, lib }) => {
  const libsignal = (a: Addr) => libsignalGroupPeer(impl, lib, a);
  const ours = (a: Addr) => oursGroupPeer(a);
  const directions: [string, (a: Addr) => GroupPeer, (a: Addr) => GroupPeer][] = [
    ['a libsignal sender and our receiver', libsignal, ours],
    ['our sender and a libsignal receiver', ours, libsignal],
  ];

  describe.each(directions)('%s', (_name, makeSender, makeReceiver) => {
    async function group(): Promise<{ alice: GroupPeer; bob: GroupPeer; skdm: Uint8Array }> {
      const alice = makeSender(ALICE);
      const bob = makeReceiver(BOB);
      const skdm = await alice.createDistribution(DIST);
      await bob.processDistribution(ALICE, skdm);
      return { alice, bob, skdm };
    }

    it('decrypts the group messages in order and out of order after processing the distribution message', async () => {
      const { alice, bob } = await group();
      const m = await send(alice, 8);
      await expectDecrypts(bob, m, [0, 1, 5, 2, 7, 3, 6, 4]);
    });

    it('decrypts a message 2,000 iterations ahead first and keeps every skipped key for the earlier ones', async () => {
      const { alice, bob } = await group();
      const m = await send(alice, 2001);
      await expectDecrypts(bob, m, [2000, 0, 1999, 1, 1000]);
    });

    it('keeps only the newest 2,000 skipped keys: the oldest beyond them is refused as a duplicate', async () => {
      const { alice, bob } = await group();
      const m = await send(alice, 2002);
      await expectDecrypts(bob, m, [2001]); // skips 0..2000: 2,001 keys, one too many
      expect(await failure(bob, () => bob.decrypt(ALICE, m[0]))).toBe('DuplicatedMessage');
      await expectDecrypts(bob, m, [1, 2000]);
    });

    it('accepts a jump of exactly 25,000 iterations and refuses 25,001 as too far into the future, storing nothing', async () => {
      const { alice, bob, skdm } = await group();
      const late = makeReceiver(CAROL);
      await late.processDistribution(ALICE, skdm);
      await alice.importRecord(ALICE, DIST, fastForwardRecord((await alice.exportRecord(ALICE, DIST))!, 25_000));
      const [m25000, m25001] = await send(alice, 2, 25_000);
      expect(P.SenderKeyMessage.deserialize(m25000).iteration).toBe(25_000);
      expect(untext(await bob.decrypt(ALICE, m25000))).toBe('message 25000');
      expect(untext(await bob.decrypt(ALICE, m25001))).toBe('message 25001');
      const before = await late.exportRecord(ALICE, DIST);
      expect(await failure(late, () => late.decrypt(ALICE, m25001))).toBe('InvalidMessage');
      expect(hex((await late.exportRecord(ALICE, DIST))!)).toBe(hex(before!));
      expect(untext(await late.decrypt(ALICE, m25000))).toBe('message 25000');
    });

    it('refuses a message it has already decrypted, whether it arrived in order or out of order', async () => {
      const { alice, bob } = await group();
      const m = await send(alice, 4);
      await expectDecrypts(bob, m, [0, 3]);
      expect(await failure(bob, () => bob.decrypt(ALICE, m[0]))).toBe('DuplicatedMessage');
      expect(await failure(bob, () => bob.decrypt(ALICE, m[3]))).toBe('DuplicatedMessage');
      await expectDecrypts(bob, m, [1]);
      expect(await failure(bob, () => bob.decrypt(ALICE, m[1]))).toBe('DuplicatedMessage');
      await expectDecrypts(bob, m, [2]);
    });

    it('refuses a tampered signature or ciphertext and still decrypts the genuine message afterwards', async () => {
      const { alice, bob } = await group();
      const [m] = await send(alice, 1);
      expect(await failure(bob, () => bob.decrypt(ALICE, flipBit(m, -1)))).toBe('InvalidMessage'); // signature
      expect(await failure(bob, () => bob.decrypt(ALICE, flipBit(m, -65)))).toBe('InvalidMessage'); // last ciphertext byte
      expect(await failure(bob, () => bob.decrypt(ALICE, flipBit(m, 0)))).toBe('InvalidMessage'); // version low nibble: signed too
      expect(await failure(bob, () => bob.decrypt(ALICE, m.subarray(0, m.length - 1)))).toBe('InvalidMessage');
      await expectDecrypts(bob, [m], [0]);
    });

    it('refuses message versions other than 3 as unsupported', async () => {
      const { alice, bob } = await group();
      const [m] = await send(alice, 1);
      for (const v of [0x23, 0x43, 0x13]) {
        const bad = Uint8Array.from(m);
        bad[0] = v;
        expect(await failure(bob, () => bob.decrypt(ALICE, bad)), `version byte 0x${v.toString(16)}`).toBe('UnsupportedVersion');
      }
    });

    it('refuses messages on a chain or distribution id it was never given', async () => {
      const { alice, bob } = await group();
      const stranger = makeReceiver(CAROL);
      const [m] = await send(alice, 1);
      expect(await failure(stranger, () => stranger.decrypt(ALICE, m))).toBe('NoSenderKeyState');
      expect(await failure(bob, () => bob.decrypt(CAROL, m))).toBe('NoSenderKeyState'); // right chain, wrong sender device
      await alice.createDistribution(OTHER_DIST);
      const other = await alice.encrypt(OTHER_DIST, text('x'));
      expect(await failure(bob, () => bob.decrypt(ALICE, other))).toBe('NoSenderKeyState');
    });

    it('a receiver restored from its serialized record mid-stream, in either implementation, keeps decrypting', async () => {
      const { alice, bob } = await group();
      const m = await send(alice, 8);
      await expectDecrypts(bob, m, [0, 4, 2]); // leaves skipped keys for 1 and 3
      const saved = (await bob.exportRecord(ALICE, DIST))!;
      for (const restore of [ours, libsignal]) {
        const again = restore(BOB);
        await again.importRecord(ALICE, DIST, saved);
        expect(hex((await again.exportRecord(ALICE, DIST))!), `${again.impl} re-serializes the record unchanged`).toBe(hex(saved));
        await expectDecrypts(again, m, [3, 1, 7, 5, 6]);
        expect(await failure(again, () => again.decrypt(ALICE, m[2]))).toBe('DuplicatedMessage');
      }
    });

    it('a sender restored from its serialized record, in either implementation, continues its chain', async () => {
      const { alice, skdm } = await group();
      const first = await send(alice, 2);
      const saved = (await alice.exportRecord(ALICE, DIST))!;
      for (const restore of [ours, libsignal]) {
        const again = restore(ALICE);
        await again.importRecord(ALICE, DIST, saved);
        expect(P.SenderKeyDistributionMessage.deserialize(await again.createDistribution(DIST)).iteration, again.impl).toBe(2);
        const next = await send(again, 2, 2);
        expect(next.map((b) => P.SenderKeyMessage.deserialize(b).iteration)).toEqual([2, 3]);
        const receiver = makeReceiver(CAROL);
        await receiver.processDistribution(ALICE, skdm);
        await expectDecrypts(receiver, [...first, ...next], [2, 0, 3, 1]);
      }
    });
  });

  describe('both implementations', () => {
    it('serialize byte-identical receiver records after the same distribution and the same messages', async () => {
      for (const makeSender of [libsignal, ours]) {
        const alice = makeSender(ALICE);
        const skdm = await alice.createDistribution(DIST);
        const m = await send(alice, 2006);
        const receivers = [ours(BOB), libsignal(BOB)];
        for (const r of receivers) await r.processDistribution(ALICE, skdm);
        expect(hex((await receivers[0].exportRecord(ALICE, DIST))!)).toBe(hex((await receivers[1].exportRecord(ALICE, DIST))!));
        // 2005 drops the oldest skipped keys (1, 2, 4), so 1 is refused by both; 3 is refused the second time
        for (const i of [3, 0, 3, 2005, 1, 5, 2004, 6]) {
          const outcomes = await Promise.all(receivers.map(async (r) => (await failure(r, () => r.decrypt(ALICE, m[i]))) as string));
          expect(outcomes[0], `message ${i}`).toBe(outcomes[1]);
          expect(hex((await receivers[0].exportRecord(ALICE, DIST))!), `record after message ${i}`).toBe(hex((await receivers[1].exportRecord(ALICE, DIST))!));
        }
      }
    });

    it('keep at most 5 chains per sender and group, newest first, a repeated distribution moving its chain to the front', async () => {
      const senders = [0, 1, 2, 3, 4, 5, 6].map((i) => (i % 2 ? ours(ALICE) : libsignal(ALICE)));
      const skdms = await Promise.all(senders.map((s) => s.createDistribution(DIST)));
      const firsts = await Promise.all(senders.map((s, i) => s.encrypt(DIST, text(`chain ${i}`))));
      const receivers = [ours(BOB), libsignal(BOB)];
      for (const i of [0, 1, 2, 3, 4, 5, 6, 3, 0]) for (const r of receivers) await r.processDistribution(ALICE, skdms[i]);
      expect(hex((await receivers[0].exportRecord(ALICE, DIST))!)).toBe(hex((await receivers[1].exportRecord(ALICE, DIST))!));
      const record = P.SenderKeyRecord.deserialize((await receivers[0].exportRecord(ALICE, DIST))!);
      const chainIds = skdms.map((b) => P.SenderKeyDistributionMessage.deserialize(b).chainId);
      expect(record.states.map((s) => s.chainId)).toEqual([0, 3, 6, 5, 4].map((i) => chainIds[i]));
      for (const r of receivers) {
        for (const i of [1, 2]) expect(await failure(r, () => r.decrypt(ALICE, firsts[i])), `${r.impl} chain ${i}`).toBe('NoSenderKeyState');
        for (const i of [0, 3, 4, 5, 6]) expect(untext(await r.decrypt(ALICE, firsts[i])), `${r.impl} chain ${i}`).toBe(`chain ${i}`);
      }
    });

    it('write the same distribution message bytes for the same fields', async () => {
      const rand = new Rand(72);
      for (const [chainId, iteration] of [
        [0, 0],
        [1, 1],
        [0x7fffffff, 25_000],
        [0xffffffff, 0xffffffff],
        [rand.int(0, 2 ** 31), rand.int(0, 2 ** 20)],
      ]) {
        const chainKey = rand.bytes(32);
        const signing = P.PrivateKey.generate().getPublicKey();
        const theirs = lib.SenderKeyDistributionMessage._new(3, DIST, chainId, iteration, Buffer.from(chainKey), lib.PublicKey.deserialize(Buffer.from(signing.serialize())));
        const mine = P.SenderKeyDistributionMessage.create(DIST, chainId, iteration, chainKey, signing);
        expect(hex(mine.serialize())).toBe(hex(theirs.serialize()));
        const back = lib.SenderKeyDistributionMessage.deserialize(Buffer.from(mine.serialize()));
        expect([back.distributionId(), back.chainId(), back.iteration(), hex(back.chainKey())]).toEqual([DIST, chainId, iteration, hex(chainKey)]);
      }
    });

    it("write the same group message bytes before the signature, and each verifies the other's signatures", async () => {
      const rand = new Rand(90);
      for (let n = 0; n < 5; n++) {
        const chainId = rand.int(0, 2 ** 31 - 1);
        const iteration = rand.int(0, 30_000);
        const ciphertext = rand.bytes(16 * rand.int(1, 20));
        const ourKey = P.PrivateKey.generate();
        const theirKey = lib.PrivateKey.deserialize(Buffer.from(ourKey.serialize()));
        const theirs = new Uint8Array(lib.SenderKeyMessage._new(3, DIST, chainId, iteration, Buffer.from(ciphertext), theirKey).serialize());
        const mine = (await P.SenderKeyMessage.create(DIST, chainId, iteration, ciphertext, ourKey)).serialize();
        expect(hex(mine.subarray(0, mine.length - 64))).toBe(hex(theirs.subarray(0, theirs.length - 64)));
        const parsed = P.SenderKeyMessage.deserialize(theirs);
        expect([parsed.distributionId, parsed.chainId, parsed.iteration, hex(parsed.ciphertext)]).toEqual([DIST, chainId, iteration, hex(ciphertext)]);
        expect(await parsed.verifySignature(ourKey.getPublicKey())).toBe(true);
        expect(await parsed.verifySignature(P.PrivateKey.generate().getPublicKey())).toBe(false);
        expect(lib.SenderKeyMessage.deserialize(Buffer.from(mine)).verifySignature(theirKey.getPublicKey())).toBe(true);
        expect(lib.SenderKeyMessage.deserialize(Buffer.from(flipBit(mine, -2))).verifySignature(theirKey.getPublicKey())).toBe(false);
      }
    });
  });
});
