// DecryptionErrorMessage and its PlaintextContent wrapper against libsignal-client 0.72.1, 0.90.0 and
// 0.103.0 (test-only oracles): the same bytes for the same failed message, type, timestamp and device;
// each parses the other's; the ratchet key it names is the one the failed message's sender recognises;
// and the same inputs are refused.
import { describe, expect, it } from 'vitest';
import * as P from '../../src/protocol/index.js';
import { LIBSIGNAL_VERSIONS, libsignalGroupPeer, oursGroupPeer, text } from './interop/sender-key-peers.js';
import { libsignalSessionPair, oursSessionPair, type SessionParty, type WireMessage } from './interop/session-pairs.js';
import { hex } from './interop/util.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Lib = any;

const DIST = 'd1d1d1d1-7000-11eb-b32a-33b8a8a487a6';
const TIMESTAMPS = [0, 45, 1_700_000_000_123, Number.MAX_SAFE_INTEGER];
const DEVICES = [0, 1, 7, 0xffffffff];

interface Failed {
  what: string;
  type: 2 | 3 | 7;
  body: Uint8Array;
}

/** Genuine messages of every kind from `pair`'s implementation: the first (PreKey), a reply, a later one, a group message. */
async function messagesOf(pair: { alice: SessionParty; bob: SessionParty }, group: ReturnType<typeof oursGroupPeer>): Promise<Failed[]> {
  const { alice, bob } = pair;
  const first = await alice.encrypt(bob, text('first'));
  await bob.decrypt(alice, first);
  const reply = await bob.encrypt(alice, text('reply'));
  await alice.decrypt(bob, reply);
  const later = await alice.encrypt(bob, text('later'));
  await group.createDistribution(DIST);
  return [
    { what: 'PreKey message', type: first.type, body: first.body },
    { what: 'Whisper reply', type: reply.type, body: reply.body },
    { what: 'later Whisper message', type: later.type, body: later.body },
    { what: 'SenderKey message', type: 7, body: await group.encrypt(DIST, text('group')) },
  ];
}

const theirDem = (lib: Lib, m: Failed, ts: number, dev: number) => lib.DecryptionErrorMessage.forOriginal(Buffer.from(m.body), m.type, ts, dev);

function libCode(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (e) {
    return (e as Error).message;
  }
}

function ourCode(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (e) {
    return P.isProtocolError(e) ? e.code : `not a ProtocolError: ${String(e)}`;
  }
}

describe.each(LIBSIGNAL_VERSIONS)('DecryptionErrorMessage with $impl', ({ impl, lib }) => {
  const sources = [
    ['libsignal', async () => messagesOf(await libsignalSessionPair(lib), libsignalGroupPeer(impl, lib, { name: 'alice', deviceId: 1 }))],
    ['our library', async () => messagesOf(await oursSessionPair(), oursGroupPeer({ name: 'alice', deviceId: 1 }))],
  ] as const;

  it.each(sources)('builds the same bytes as libsignal for failed messages made by %s, of every type', async (_who, make) => {
    const messages = await make();
    expect(messages.map((m) => m.type)).toEqual([3, 2, 2, 7]);
    for (const m of messages) {
      for (const ts of TIMESTAMPS) {
        for (const dev of DEVICES) {
          const mine = P.DecryptionErrorMessage.forOriginal(m.body, m.type, ts, dev);
          const theirs = theirDem(lib, m, ts, dev);
          expect(hex(mine.serialize()), `${m.what}, ${ts}, ${dev}`).toBe(hex(theirs.serialize()));
        }
      }
      const mine = P.DecryptionErrorMessage.forOriginal(m.body, m.type, 45, 7);
      expect(mine.ratchetKey === undefined, m.what).toBe(m.type === 7);
    }
  });

  it.each(sources)('each parses the other\'s, for failed messages made by %s', async (_who, make) => {
    for (const m of await make()) {
      const theirs = theirDem(lib, m, 1_700_000_000_123, 7);
      const parsed = P.DecryptionErrorMessage.deserialize(new Uint8Array(theirs.serialize()));
      expect([parsed.timestamp, parsed.deviceId, parsed.ratchetKey && hex(parsed.ratchetKey.serialize())]).toEqual([
        theirs.timestamp(),
        theirs.deviceId(),
        theirs.ratchetKey() ? hex(theirs.ratchetKey().serialize()) : undefined,
      ]);
      const mine = P.DecryptionErrorMessage.forOriginal(m.body, m.type, 1_700_000_000_123, 7);
      const back = lib.DecryptionErrorMessage.deserialize(Buffer.from(mine.serialize()));
      expect([back.timestamp(), back.deviceId(), back.ratchetKey() ? hex(back.ratchetKey().serialize()) : undefined]).toEqual([
        mine.timestamp,
        mine.deviceId,
        mine.ratchetKey && hex(mine.ratchetKey.serialize()),
      ]);
    }
  });

  it('names the ratchet key the failed message\'s libsignal sender holds as current, until its session moves on', async () => {
    const { alice, bob } = await libsignalSessionPair(lib);
    const first = await alice.encrypt(bob, text('first'));
    await bob.decrypt(alice, first);
    const reply: WireMessage = await bob.encrypt(alice, text('reply'));
    // alice cannot decrypt the reply (say): she reports it, and bob checks the key against his session
    const dem = P.DecryptionErrorMessage.deserialize(P.DecryptionErrorMessage.forOriginal(reply.body, reply.type, 45, bob.deviceId).serialize());
    expect(await bob.currentRatchetKeyMatches(alice, dem.ratchetKey!.serialize())).toBe(true);
    expect(await alice.currentRatchetKeyMatches(bob, dem.ratchetKey!.serialize())).toBe(false);
    await alice.decrypt(bob, reply);
    await bob.decrypt(alice, await alice.encrypt(bob, text('again'))); // a DH ratchet step on bob's side
    expect(await bob.currentRatchetKeyMatches(alice, dem.ratchetKey!.serialize())).toBe(false);
  });

  it('wraps it in the same PlaintextContent bytes, and each reads the other\'s', async () => {
    const [, reply, , group] = await messagesOf(await oursSessionPair(), oursGroupPeer({ name: 'alice', deviceId: 1 }));
    for (const m of [reply, group]) {
      const mine = P.PlaintextContent.from(P.DecryptionErrorMessage.forOriginal(m.body, m.type, 1_700_000_000_123, 3));
      const theirs = lib.PlaintextContent.from(theirDem(lib, m, 1_700_000_000_123, 3));
      expect(hex(mine.serialize())).toBe(hex(theirs.serialize()));
      expect(hex(mine.body())).toBe(hex(theirs.body()));
      expect(theirs.asCiphertextMessage().type()).toBe(P.PLAINTEXT_CONTENT_TYPE);
      const theirsRead = lib.PlaintextContent.deserialize(Buffer.from(mine.serialize()));
      expect(lib.DecryptionErrorMessage.extractFromSerializedBody(theirsRead.body()).timestamp()).toBe(1_700_000_000_123);
      const mineRead = P.PlaintextContent.deserialize(new Uint8Array(theirs.serialize()));
      expect(mineRead.decryptionErrorMessage().deviceId).toBe(3);
      expect(P.DecryptionErrorMessage.extractFromSerializedBody(new Uint8Array(theirs.body())).timestamp).toBe(1_700_000_000_123);
    }
  });

  it('refuses the inputs libsignal refuses', async () => {
    const [first, reply] = await messagesOf(await oursSessionPair(), oursGroupPeer({ name: 'alice', deviceId: 1 }));
    const refusedBoth = (mine: () => unknown, theirs: () => unknown, code: string, what: string) => {
      expect(ourCode(mine), `ours: ${what}`).toBe(code);
      expect(libCode(theirs), `libsignal: ${what}`).not.toBe('no error');
    };
    // originals that cannot have failed to decrypt, or do not parse as their type
    refusedBoth(() => P.DecryptionErrorMessage.forOriginal(reply.body, 8 as never, 1, 1), () => lib.DecryptionErrorMessage.forOriginal(Buffer.from(reply.body), 8, 1, 1), 'InvalidArgument', 'type 8');
    refusedBoth(() => P.DecryptionErrorMessage.forOriginal(reply.body, 9 as never, 1, 1), () => lib.DecryptionErrorMessage.forOriginal(Buffer.from(reply.body), 9, 1, 1), 'InvalidArgument', 'type 9');
    refusedBoth(() => P.DecryptionErrorMessage.forOriginal(Uint8Array.of(0x44, 1, 2), 2, 1, 1), () => lib.DecryptionErrorMessage.forOriginal(Buffer.from([0x44, 1, 2]), 2, 1, 1), 'InvalidMessage', 'a 3-byte Whisper message');
    refusedBoth(() => P.DecryptionErrorMessage.forOriginal(reply.body, 3, 1, 1), () => lib.DecryptionErrorMessage.forOriginal(Buffer.from(reply.body), 3, 1, 1), 'InvalidMessage', 'a Whisper message as a PreKey message');
    refusedBoth(() => P.DecryptionErrorMessage.forOriginal(first.body.subarray(0, 40), 3, 1, 1), () => lib.DecryptionErrorMessage.forOriginal(Buffer.from(first.body.subarray(0, 40)), 3, 1, 1), 'InvalidMessage', 'a truncated PreKey message');
    // DecryptionErrorMessage bytes: the timestamp is required (and must fit a JavaScript number: libsignal
    // refuses a larger one when it is read), a ratchet key must be a key
    const fromHex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
    for (const bad of ['', '1800', '0a0010001800', '0a2106' + '11'.repeat(32) + '1000', '10ffffffffffffffff01', '10051880']) {
      refusedBoth(() => P.DecryptionErrorMessage.deserialize(fromHex(bad)), () => lib.DecryptionErrorMessage.deserialize(Buffer.from(bad, 'hex')).timestamp(), 'InvalidMessage', `DecryptionErrorMessage ${bad}`);
    }
    // PlaintextContent: the leading 0xC0; a body ending in the padding boundary 0x80 with a DecryptionErrorMessage in field 8
    refusedBoth(() => P.PlaintextContent.deserialize(fromHex('420410001800')), () => lib.PlaintextContent.deserialize(Buffer.from('420410001800', 'hex')), 'UnsupportedVersion', 'PlaintextContent without 0xC0');
    for (const bad of ['42041000180000', '420410001800', '0a0080', '80', '', '4204100018008000']) {
      refusedBoth(() => P.DecryptionErrorMessage.extractFromSerializedBody(fromHex(bad)), () => lib.DecryptionErrorMessage.extractFromSerializedBody(Buffer.from(bad, 'hex')), 'InvalidMessage', `body ${bad}`);
    }
    // and both accept a minimal one, with other Content fields beside it
    for (const ok of ['1000', '18001000']) expect(P.DecryptionErrorMessage.deserialize(fromHex(ok)).timestamp).toBe(lib.DecryptionErrorMessage.deserialize(Buffer.from(ok, 'hex')).timestamp());
    expect(P.DecryptionErrorMessage.extractFromSerializedBody(fromHex('3a004204100518074a0080')).deviceId).toBe(7);
    expect(lib.DecryptionErrorMessage.extractFromSerializedBody(Buffer.from('3a004204100518074a0080', 'hex')).deviceId()).toBe(7);
  });
});

describe('DecryptionErrorMessage in our library', () => {
  it("names our session's current ratchet key to its sender, until the session moves on", async () => {
    const { alice, bob } = await oursSessionPair();
    const first = await alice.encrypt(bob, text('first'));
    const demFirst = P.DecryptionErrorMessage.forOriginal(first.body, first.type, 1, alice.deviceId);
    expect(await alice.currentRatchetKeyMatches(bob, demFirst.ratchetKey!.serialize())).toBe(true);
    await bob.decrypt(alice, first);
    const reply = await bob.encrypt(alice, text('reply'));
    const dem = P.DecryptionErrorMessage.forOriginal(reply.body, reply.type, 2, bob.deviceId);
    expect(await bob.currentRatchetKeyMatches(alice, dem.ratchetKey!.serialize())).toBe(true);
    await alice.decrypt(bob, reply);
    await bob.decrypt(alice, await alice.encrypt(bob, text('again')));
    expect(await bob.currentRatchetKeyMatches(alice, dem.ratchetKey!.serialize())).toBe(false);
  });
});
