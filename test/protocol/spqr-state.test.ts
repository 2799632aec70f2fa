// SPQR's state machine on its own (two in-process sides, no Double Ratchet): epochs progress and
// both sides derive the same keys, version negotiation freezes as specified, authentication
// refuses forged chunks, and persisted state continues exactly like live state.
import { describe, expect, it } from 'vitest';
import { isProtocolError } from '../../src/protocol/errors.js';
import { decodeMessage, MessageType } from '../../src/protocol/spqr-message.js';
import { type SpqrState, deserializeSpqr, initialSpqr, serializeSpqr, spqrRecv, spqrSend } from '../../src/protocol/spqr.js';
import { ProtocolAddress, SessionRecord } from '../../src/protocol/index.js';
import { makePeer } from './interop/peers.js';
import { innerSignalMessage, seededByteRng, spqrEpoch } from './interop/util.js';

const hex = (b?: Uint8Array) => (b ? Buffer.from(b).toString('hex') : '-');

class Side {
  constructor(
    public state: SpqrState,
    private readonly rng: (n: number) => Uint8Array,
    private readonly persist = false,
  ) {}
  private roundTrip() {
    if (this.persist) this.state = deserializeSpqr(serializeSpqr(this.state));
  }
  send() {
    const r = spqrSend(this.state, this.rng);
    this.state = r.state;
    this.roundTrip();
    return r;
  }
  recv(bytes: Uint8Array) {
    const r = spqrRecv(this.state, bytes);
    this.state = r.state;
    this.roundTrip();
    return r;
  }
}

function pairOf(label: string, persist = false, minVersion: 0 | 1 = 1): [Side, Side] {
  const key = seededByteRng(`${label}-key`)(32);
  return [new Side(initialSpqr(key, true, minVersion), seededByteRng(`${label}-a`), persist), new Side(initialSpqr(key, false, minVersion), seededByteRng(`${label}-b`), persist)];
}

/** Runs `pattern`; every message's keys must agree. Returns the sequence of (sender, epoch, type). */
function run(a: Side, b: Side, pattern: string): string[] {
  const seen: string[] = [];
  for (const c of pattern) {
    const [s, r] = c === 'A' ? [a, b] : [b, a];
    const sent = s.send();
    const got = r.recv(sent.bytes);
    expect(hex(got.key)).toBe(hex(sent.key));
    const m = decodeMessage(sent.bytes);
    seen.push(`${c}${m.epoch}:${m.type}`);
  }
  return seen;
}

describe('SPQR state machine', () => {
  it('strict alternation completes an epoch every 87 messages, roles swapping each epoch, with matching keys on both sides', () => {
    const [a, b] = pairOf('alt');
    const seen = run(a, b, 'AB'.repeat(260));
    const epochOf = (i: number) => Number(seen[i].slice(1).split(':')[0]);
    expect(epochOf(0)).toBe(1);
    expect(epochOf(seen.length - 1)).toBeGreaterThanOrEqual(6);
    // epoch 1: A sends the key (header, vector), B the ciphertext; epoch 2 the other way round
    expect(seen.filter((x) => x.startsWith('A1:') && x.endsWith(`:${MessageType.Hdr}`)).length).toBeGreaterThan(0);
    expect(seen.filter((x) => x.startsWith('B1:') && x.endsWith(`:${MessageType.Ct1}`)).length).toBeGreaterThan(0);
    expect(seen.filter((x) => x.startsWith('B2:') && x.endsWith(`:${MessageType.Hdr}`)).length).toBeGreaterThan(0);
    expect(seen.filter((x) => x.startsWith('A2:') && x.endsWith(`:${MessageType.Ct2}`)).length).toBeGreaterThan(0);
    // A moves to epoch 2 after the last ct2 chunk: 3 header + 36 vector chunks with 30 + 5 ciphertext chunks interleaved
    expect(seen.findIndex((x) => x.startsWith('A2:'))).toBe(86);
  });

  it('one-way bursts make no progress on the other side but keep every message decryptable; an epoch completes once both talk', () => {
    const [a, b] = pairOf('burst');
    const seen = run(a, b, 'A'.repeat(200) + 'B'.repeat(200) + 'AB'.repeat(60));
    expect(seen.slice(0, 200).every((x) => x === `A1:${MessageType.Hdr}`)).toBe(true);
    expect(seen.slice(200, 400).every((x) => x === `B1:${MessageType.Ct1}`)).toBe(true);
    expect(seen.at(-1)!.slice(1).startsWith('2:')).toBe(true);
  });

  it('persisted after every step (serialize + deserialize) it produces the same messages and keys as live state', () => {
    const pattern = 'AB'.repeat(60) + 'A'.repeat(7) + 'B'.repeat(9) + 'AB'.repeat(60);
    const live = pairOf('persist');
    const stored = pairOf('persist', true);
    const out = (p: [Side, Side]) => {
      const log: string[] = [];
      for (const c of pattern) {
        const [s, r] = c === 'A' ? p : [p[1], p[0]];
        const sent = s.send();
        r.recv(sent.bytes);
        log.push(`${hex(sent.bytes)} ${hex(sent.key)}`);
      }
      return log;
    };
    expect(out(stored)).toEqual(out(live));
  });

  it('a forged header chunk is refused when the header completes (authenticator MAC), and the state is unchanged', () => {
    const [a, b] = pairOf('forge');
    const m0 = a.send().bytes;
    const m1 = a.send().bytes;
    const m2 = a.send().bytes.slice();
    b.recv(m0);
    b.recv(m1);
    const before = serializeSpqr(b.state);
    m2[m2.length - 1] ^= 1;
    let err: unknown;
    try {
      b.recv(m2);
    } catch (e) {
      err = e;
    }
    expect(isProtocolError(err, 'InvalidMessage')).toBe(true);
    expect(serializeSpqr(b.state)).toEqual(before);
  });
});

describe('SPQR version negotiation', () => {
  it('while negotiation is open, messages carry SPQR with index 0 and no key; the first SPQR message received freezes V1', () => {
    const [a, b] = pairOf('nego', false, 0);
    const first = a.send();
    expect(first.key).toBeUndefined();
    expect(decodeMessage(first.bytes).index).toBe(0);
    expect(b.recv(first.bytes).key).toBeUndefined();
    expect(b.state.negotiating).toBe(false);
    const reply = b.send();
    expect(decodeMessage(reply.bytes).index).toBe(1);
    expect(reply.key).toHaveLength(32);
    expect(hex(a.recv(reply.bytes).key)).toBe(hex(reply.key));
    expect(a.state.negotiating).toBe(false);
  });

  it('a message without SPQR while negotiation is open drops SPQR for good (version 0: empty field 5, no keys)', () => {
    const [a] = pairOf('nego0', false, 0);
    a.send();
    expect(a.recv(new Uint8Array(0)).key).toBeUndefined();
    expect(a.state.version).toBe(0);
    const next = a.send();
    expect(next.bytes).toHaveLength(0);
    expect(next.key).toBeUndefined();
    // and later SPQR messages do not bring it back
    expect(a.recv(Uint8Array.of(1, 1, 1, 0)).key).toBeUndefined();
    expect(a.state.version).toBe(0);
  });

  it('once V1 is frozen, a message without SPQR is refused', () => {
    const [a, b] = pairOf('frozen', false, 0);
    b.recv(a.send().bytes);
    expect(() => b.recv(new Uint8Array(0))).toThrow(/no SPQR message/);
  });
});

describe('session records carry SPQR', () => {
  it('a SessionRecord round trip (ours <-> ours, records persisted as bytes after every message) keeps SPQR going through epochs, byte-stable', async () => {
    const a = await makePeer('ours', 'alice', 'rec-a', { persistSessions: true });
    const b = await makePeer('ours', 'bob', 'rec-b', { persistSessions: true });
    await a.processBundle(b, await b.bundle({ kyber: true }));
    const te = new TextEncoder();
    let epoch = 0;
    for (let i = 0; i < 200; i++) {
      const [s, r] = i % 2 === 0 ? [a, b] : [b, a];
      const w = await s.encrypt(r, te.encode(`m${i}`));
      epoch = spqrEpoch(innerSignalMessage(w).pqRatchet!);
      expect(new TextDecoder().decode(await r.decrypt(s, w))).toBe(`m${i}`);
      if (i % 37 === 0) {
        // the stored bytes decode to a record that serializes to the same bytes
        const store = (r as unknown as { sessionStore: { loadSession(x: ProtocolAddress): Promise<SessionRecord> } }).sessionStore;
        const bytes = (await store.loadSession(new ProtocolAddress(s.address.name, s.address.deviceId))).serialize();
        expect(SessionRecord.deserialize(bytes).serialize()).toEqual(bytes);
      }
    }
    expect(epoch).toBeGreaterThanOrEqual(3);
  });
});
