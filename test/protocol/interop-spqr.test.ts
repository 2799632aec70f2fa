// Interop with SPQR-mandatory libsignal (@signalapp/libsignal-client 0.92.2 and 0.103.0, which
// refuse any session without the Triple Ratchet): ours against the real libraries, both roles,
// through seeded schedules (reordering, drops, duplicates, bursts, late delivery), long
// alternating conversations that complete many SPQR epochs, restarts (session records persisted
// as bytes on either side), and scripted probes whose traces must equal libsignal <-> libsignal.
import { describe, expect, test } from 'vitest';
import { MESSAGES, compareProbe, expectCleanRun, followUp, pair, summary } from './interop/harness.js';
import { type Peer, type PeerKind, type Wire, makePeer } from './interop/peers.js';
import {
  bundleReuseProbe,
  chainWindowProbe,
  forwardJumpProbe,
  identityChangeProbe,
  newBundleProbe,
  preKeyResendProbe,
  simultaneousInitiationProbe,
  skippedKeyProbe,
  tamperProbe,
} from './interop/probes.js';
import { runSchedule } from './interop/schedule.js';
import { innerSignalMessage, spqrEpoch, spqrIndex } from './interop/util.js';

const LIBS = [
  { lib: '0103' as const, name: 'libsignal 0.103.0' },
  { lib: '0922' as const, name: 'libsignal 0.92.2' },
];
const te = new TextEncoder();
const td = new TextDecoder();

/** SPQR's part of a message as "epoch/type/chunk index" (the state machine's visible behaviour). */
function spqrShape(w: Wire): string {
  const pq = innerSignalMessage(w).pqRatchet;
  if (!pq || pq.length === 0) return 'none';
  // version, epoch, index, type [, chunk index, chunk]
  let p = 1;
  const varint = () => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = pq[p++];
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (!(b & 0x80)) return v;
    }
  };
  const epoch = varint();
  varint();
  const type = pq[p++];
  return p < pq.length ? `${epoch}/${type}/${varint()}` : `${epoch}/${type}`;
}

/** Sends along `pattern` ('A' = I sends, 'B' = R sends), each message delivered at once. */
async function converse(I: Peer, R: Peer, pattern: string): Promise<string[]> {
  const shapes: string[] = [];
  for (const [i, c] of [...pattern].entries()) {
    const [s, r] = c === 'A' ? [I, R] : [R, I];
    const w = await s.encrypt(r, te.encode(`m${i}`));
    shapes.push(`${c} ${spqrShape(w)}`);
    expect(td.decode(await r.decrypt(s, w))).toBe(`m${i}`);
  }
  return shapes;
}

// ---------------------------------------------------------------------------------------------
describe('harness self-check: SPQR-mandatory libsignal on both ends', () => {
  for (const [i, { lib, name }] of LIBS.entries()) {
    test(`${name} <-> ${name}: ${MESSAGES} scheduled messages, field 5 in every one, SPQR epochs advance`, async () => {
      const { I, R } = await pair('none', lib, true, `spqr-self-${lib}`);
      const s = await runSchedule(I, R, { seed: 300 + i, messages: MESSAGES, expectVersion: 4 });
      summary(`self ${lib}<->${lib}`, s);
      expectCleanRun(s);
      expect(s.pqFieldFromA).toBe(s.sentAtoB);
      expect(s.pqFieldFromB).toBe(s.sentBtoA);
      expect(Math.min(s.spqrEpochA, s.spqrEpochB)).toBeGreaterThanOrEqual(3);
    });
  }
});

describe('ours <-> SPQR-mandatory libsignal: seeded randomized schedules', () => {
  let n = 0;
  for (const { lib, name } of LIBS) {
    for (const role of ['initiator', 'recipient'] as const) {
      const seed = 7000 + n++;
      test(`ours as ${role} with ${name}: ${MESSAGES} messages reordered, dropped, duplicated, late (seed ${seed})`, async () => {
        const { I, R } = await pair(role, lib, true, `spqr-sched-${seed}`);
        const s = await runSchedule(I, R, { seed, messages: MESSAGES, expectVersion: 4 });
        summary(`ours ${role} ${lib}`, s);
        expectCleanRun(s);
        expect(s.pqFieldFromA).toBe(s.sentAtoB);
        expect(s.pqFieldFromB).toBe(s.sentBtoA);
        expect(Math.min(s.spqrEpochA, s.spqrEpochB)).toBeGreaterThanOrEqual(6);
      });
    }
  }
});

describe('long conversations: many direction changes, many SPQR epochs', () => {
  // strict alternation completes an epoch about every 87 messages (3 + 36 chunks of key, 30 + 5 of ciphertext)
  const ALTERNATING = 'AB'.repeat(400);
  // bursts: the senders' erasure code keeps producing new (parity) chunks of the same value
  const BURSTS = ['A'.repeat(40), 'B'.repeat(3), 'A'.repeat(5), 'B'.repeat(60), 'AB'.repeat(30), 'A'.repeat(2), 'B'.repeat(45), 'AB'.repeat(120)].join('');
  for (const { lib, name } of LIBS) {
    for (const role of ['initiator', 'recipient'] as const) {
      test(`ours as ${role} with ${name}: ${ALTERNATING.length} alternating messages then bursts; SPQR messages identical in shape to libsignal's own`, async () => {
        const ref = await pair('none', lib, true, 'spqr-long-ref');
        const ours = await pair(role, lib, true, `spqr-long-${role}`);
        for (const pattern of [ALTERNATING, BURSTS]) {
          const want = await converse(ref.I, ref.R, pattern);
          const got = await converse(ours.I, ours.R, pattern);
          // same epoch, message type and chunk index in every message, in both directions
          expect(got).toEqual(want);
        }
        const last = await ours.I.encrypt(ours.R, te.encode('last'));
        const epoch = spqrEpoch(innerSignalMessage(last).pqRatchet!);
        expect(epoch).toBeGreaterThanOrEqual(10);
        expect(td.decode(await ours.R.decrypt(ours.I, last))).toBe('last');
      }, 120_000);
    }
  }
});

describe('restarts: session records persisted as bytes after every operation', () => {
  let n = 0;
  for (const { lib, name } of LIBS) {
    for (const role of ['initiator', 'recipient'] as const) {
      const seed = 7100 + n++;
      test(`ours as ${role} with ${name}, both sides restarting between every message (seed ${seed})`, async () => {
        const ours = await makePeer('ours', role === 'initiator' ? 'alice' : 'bob', `spqr-persist-${seed}`, { persistSessions: true });
        const them = await makePeer(lib, role === 'initiator' ? 'bob' : 'alice', undefined, { persistSessions: true });
        const [I, R] = role === 'initiator' ? [ours, them] : [them, ours];
        await I.processBundle(R, await R.bundle({ kyber: true }));
        const s = await runSchedule(I, R, { seed, messages: MESSAGES, expectVersion: 4 });
        summary(`ours ${role} ${lib} persisted`, s);
        expectCleanRun(s);
        expect(Math.min(s.spqrEpochA, s.spqrEpochB)).toBeGreaterThanOrEqual(6);
      }, 120_000);
    }
  }

  for (const restarting of ['ours', 'libsignal'] as const) {
    test(`${restarting} restarts (record restored from bytes) in the middle of an epoch, with chunks of both values in flight`, async () => {
      const ours = await makePeer('ours', 'alice', `spqr-midepoch-${restarting}`, { persistSessions: restarting === 'ours' });
      const lib = await makePeer('0103', 'bob', undefined, { persistSessions: restarting === 'libsignal' });
      await ours.processBundle(lib, await lib.bundle({ kyber: true }));
      const shapes = await converse(ours, lib, 'AB'.repeat(20));
      expect(shapes.at(-2)).toMatch(/^A 1\/2\//); // ours is sending its key vector (Ek)
      expect(shapes.at(-1)).toMatch(/^B 1\/5\//); // libsignal is sending ct1
      // every further call starts from the persisted bytes; the epoch completes and the next ones too
      const rest = await converse(ours, lib, 'AB'.repeat(100));
      expect(rest.some((x) => x.startsWith('A 3/'))).toBe(true);
    });
  }
});

describe('erasure-coded chunks: any N of them rebuild the value', () => {
  for (const oursReceives of [true, false]) {
    test(`${oursReceives ? 'ours rebuilds libsignal 0.103.0' : 'libsignal 0.103.0 rebuilds ours'}'s header from parity chunks only (the first messages are lost)`, async () => {
      const I = await makePeer(oursReceives ? '0103' : 'ours', 'alice', oursReceives ? undefined : 'spqr-parity');
      const R = await makePeer(oursReceives ? 'ours' : '0103', 'bob', oursReceives ? 'spqr-parity-r' : undefined);
      await I.processBundle(R, await R.bundle({ kyber: true }));
      const sent: Wire[] = [];
      for (let i = 0; i < 9; i++) sent.push(await I.encrypt(R, te.encode(`p${i}`)));
      // the header (64 bytes + 32-byte MAC) is 3 chunks; chunks 0..5 never arrive
      expect(sent.map(spqrShape).slice(6)).toEqual(['1/1/6', '1/1/7', '1/1/8']);
      for (const i of [8, 6, 7]) expect(td.decode(await R.decrypt(I, sent[i]))).toBe(`p${i}`);
      // the recipient decoded the header: its reply carries the first chunk of ct1
      const reply = await R.encrypt(I, te.encode('reply'));
      expect(spqrShape(reply)).toBe('1/5/0');
      expect(td.decode(await I.decrypt(R, reply))).toBe('reply');
    });
  }
});

// ---------------------------------------------------------------------------------------------
describe('ours <-> SPQR-mandatory libsignal: scripted protocol edges (traces identical to libsignal <-> libsignal)', () => {
  for (const { lib, name } of LIBS) {
    test(`PreKey messages re-sent before the first reply, then ${MESSAGES} more: ${name}`, async () => {
      const traces = await compareProbe(`spqr-prekey-resend-${lib}`, lib, true, async (I, R) => {
        const t = await preKeyResendProbe(I, R);
        const s = await runSchedule(I, R, { seed: 3000, messages: followUp(I, R), established: true, expectVersion: 4 });
        expect(s.deliveredOk).toBe(s.sent - s.dropped);
        return t;
      });
      expect(traces.none.events).toContain('p5 (late PreKey): ok');
    });

    for (const order of ['old-first', 'new-first'] as const) {
      test(`new bundle over an existing session (${order} delivery), then ${MESSAGES} more: ${name}`, async () => {
        const traces = await compareProbe(`spqr-new-bundle-${lib}-${order}`, lib, true, async (I, R) => {
          const t = await newBundleProbe(I, R, true, order);
          const s = await runSchedule(I, R, { seed: 4000, messages: followUp(I, R), established: true, expectVersion: 4 });
          expect(s.deliveredOk).toBe(s.sent - s.dropped);
          return t;
        });
        expect(traces.none.events).toContain('n1 (new session): ok');
      });
    }

    test(`tampered and malformed messages (the SPQR bytes included, they are under the MAC): same refusals, session intact: ${name}`, async () => {
      const traces = await compareProbe(`spqr-tamper-${lib}`, lib, true, (I, R) => tamperProbe(I, R, true));
      const ev = traces.none.events;
      expect(ev).toContain('first (genuine, after the tampered ones): ok');
      expect(ev).toContain('whisper (genuine, after the tampered ones): ok');
      expect(ev).toContain('whisper again: fail:DuplicatedMessage');
    });

    test(`simultaneous initiation, a reused bundle, an identity change: ${name}`, async () => {
      const a = await compareProbe(`spqr-simultaneous-${lib}`, lib, true, (A, B) => simultaneousInitiationProbe(A, B, true));
      expect(a.none.events.filter((e) => e.endsWith(': ok'))).toHaveLength(12);
      const b = await compareProbe(`spqr-reuse-${lib}`, lib, true, (I, R) => bundleReuseProbe(I, R, true));
      expect(b.none.events).toContain('s2: ok');
      const c = await compareProbe(`spqr-identity-${lib}`, lib, true, (I, R) =>
        identityChangeProbe(I, R, () => makePeer(R.impl === 'ours' ? 'ours' : (lib as PeerKind), 'bob', `spqr-reinstall-${lib}`), true),
      );
      expect(c.none.events).toContain('from-reinstalled (new identity): fail:UntrustedIdentity');
    });
  }

  test('receiving-chain window with libsignal 0.103.0: a message 5 chains old is refused by both, 4 chains old decrypts', async () => {
    for (const senderIsInitiator of [true, false]) {
      const traces = await compareProbe(`spqr-window-${senderIsInitiator}`, '0103', true, (I, R) => chainWindowProbe(I, R, senderIsInitiator));
      expect(traces.none.events).toContain('r3-held (4 chains back): ok');
      expect(traces.none.events).toContain('r2-held (5 chains back): fail:InvalidMessage');
    }
  });

  test('skipped-key limit with libsignal 0.103.0: 2,000 keys kept per chain on both sides', async () => {
    for (const senderIsInitiator of [true, false]) {
      const traces = await compareProbe(`spqr-skipped-${senderIsInitiator}`, '0103', true, (I, R) => skippedKeyProbe(I, R, senderIsInitiator), ['none', 'initiator']);
      expect(traces.none.events).toContain('a0 (evicted): fail:DuplicatedMessage');
      expect(traces.none.events).toContain('a1 (oldest kept): ok');
    }
  }, 180_000);
});

describe('forward jumps with SPQR', () => {
  test('a jump of 25,000 is refused by 0.103.0 and by ours alike: the SPQR index runs one ahead of the Double Ratchet counter (25,001 > 25,000)', async () => {
    for (const senderIsInitiator of [true, false]) {
      const traces = await compareProbe(`spqr-jump-${senderIsInitiator}`, '0103', true, (I, R) => forwardJumpProbe(I, R, senderIsInitiator), ['none', 'initiator']);
      const ev = traces.none.events;
      expect(ev).toContain('m25000 (jump 25,000): fail:InvalidMessage');
      expect(ev).toContain('m23000 (kept): ok');
      expect(ev).toContain('after: ok');
    }
  }, 180_000);
});

describe('SPQR is required by 0.92.2 and 0.103.0', () => {
  test('the first message from ours offers SPQR without a key (index 0); libsignal freezes V1 and answers with keys', async () => {
    for (const { lib } of LIBS) {
      const ours = await makePeer('ours', 'alice', `spqr-offer-${lib}`);
      const them = await makePeer(lib, 'bob');
      await ours.processBundle(them, await them.bundle({ kyber: true }));
      const first = await ours.encrypt(them, te.encode('first'));
      expect(first.type).toBe(3);
      expect(spqrIndex(innerSignalMessage(first).pqRatchet!)).toBe(0);
      expect(td.decode(await them.decrypt(ours, first))).toBe('first');
      const reply = await them.encrypt(ours, te.encode('reply'));
      expect(spqrIndex(innerSignalMessage(reply).pqRatchet!)).toBe(1);
      expect(td.decode(await ours.decrypt(them, reply))).toBe('reply');
      const next = await ours.encrypt(them, te.encode('next'));
      expect(spqrIndex(innerSignalMessage(next).pqRatchet!)).toBe(1); // ours froze V1 too: keys from now on
      expect(td.decode(await them.decrypt(ours, next))).toBe('next');
    }
  });

  test('a first message from libsignal carries an SPQR key from the start (V1 is its minimum), and ours uses it', async () => {
    for (const { lib } of LIBS) {
      const them = await makePeer(lib, 'alice');
      const ours = await makePeer('ours', 'bob', `spqr-first-${lib}`);
      await them.processBundle(ours, await ours.bundle({ kyber: true }));
      const first = await them.encrypt(ours, te.encode('first'));
      expect(spqrIndex(innerSignalMessage(first).pqRatchet!)).toBe(1);
      expect(td.decode(await ours.decrypt(them, first))).toBe('first');
    }
  });
});
