// SPQR, the Sparse Post-Quantum Ratchet (Double Ratchet spec rev. 3, sections 5-6): the ML-KEM
// Braid (spqr-braid.ts) feeding a KDF chain (spqr-chain.ts) that gives every message a key the
// Double Ratchet mixes into its message keys. This module adds version negotiation and persistence.
//
// Negotiation: a session starts offering V1 while it may still fall back to version 0 (no SPQR):
// it sends SPQR messages with index 0 (no key), so a peer without SPQR loses nothing. The first
// message received decides and freezes the version: an SPQR message freezes V1 (keys from then
// on), a message without one freezes version 0 (SPQR is dropped for the session). A session whose
// minimum version is V1 is frozen from the start.
import type { Rng } from './bytes.js';
import { ProtocolError } from './errors.js';
import { ProtoMessage, ProtoWriter } from './protobuf.js';
import { type BraidState, type Receiving, type Sending, braidRecv, braidSend, initialBraid } from './spqr-braid.js';
import { type SpqrChain, addEpoch, cloneChain, recvKey, sendKey, startChain } from './spqr-chain.js';
import { SPQR_V1, decodeMessage, encodeMessage } from './spqr-message.js';

export type SpqrVersion = 0 | 1;

export interface SpqrState {
  version: SpqrVersion;
  /** the peer's version is not known yet and version 0 is still acceptable */
  negotiating: boolean;
  braid?: BraidState;
  chain?: SpqrChain;
}

const NONE = new Uint8Array(0);

/** State for a new PQXDH session. `isA`: this side initiated (processed the bundle). */
export function initialSpqr(spqrKey: Uint8Array, isA: boolean, minVersion: SpqrVersion = 0): SpqrState {
  return { version: SPQR_V1, negotiating: minVersion === 0, braid: initialBraid(spqrKey, isA), chain: startChain(spqrKey, isA) };
}

/** Version 0: sessions without SPQR (X3DH, records from before SPQR, or after falling back). */
export const SPQR_NONE: SpqrState = { version: 0, negotiating: false };

/** The field-5 bytes for the next message (empty for version 0) and the key to salt its message keys with. */
export function spqrSend(s: SpqrState, rng: Rng): { state: SpqrState; bytes: Uint8Array; key?: Uint8Array } {
  if (s.version === 0 || !s.braid || !s.chain) return { state: s, bytes: NONE };
  const out = braidSend(s.braid, rng);
  const chain = cloneChain(s.chain);
  if (out.secret) addEpoch(chain, out.secret.epoch, out.secret.secret);
  let index = 0;
  let key: Uint8Array | undefined;
  if (!s.negotiating) ({ index, key } = sendKey(chain, out.msg.epoch - 1));
  return { state: { ...s, braid: out.state, chain }, bytes: encodeMessage({ ...out.msg, index }), key };
}

/** Processes a received field 5 (empty when absent); returns the key of that message, if it has one. */
export function spqrRecv(s: SpqrState, bytes: Uint8Array | undefined): { state: SpqrState; key?: Uint8Array } {
  if (!bytes || bytes.length === 0) {
    if (s.negotiating) return { state: SPQR_NONE };
    if (s.version !== 0) throw new ProtocolError('InvalidMessage', 'post-quantum ratchet error: the peer sent no SPQR message on an SPQR session');
    return { state: s };
  }
  if (s.version === 0 || !s.braid || !s.chain) return { state: s };
  const m = decodeMessage(bytes);
  const out = braidRecv(s.braid, m);
  const chain = cloneChain(s.chain);
  if (out.secret) addEpoch(chain, out.secret.epoch, out.secret.secret);
  const key = m.index === 0 ? undefined : recvKey(chain, m.epoch - 1, m.index);
  return { state: { version: s.version, negotiating: false, braid: out.state, chain }, key };
}

// ---- persistence ---------------------------------------------------------------------------------

const KINDS: BraidState['kind'][] = [
  'KeysUnsampled',
  'KeysSampled',
  'HeaderSent',
  'Ct1Received',
  'EkSentCt1Received',
  'NoHeaderReceived',
  'HeaderReceived',
  'Ct1Sampled',
  'EkReceivedCt1Sampled',
  'Ct1Acknowledged',
  'Ct2Sampled',
];

type AnyBraid = Partial<Record<string, unknown>> & { kind: BraidState['kind']; epoch: number; auth: { rootKey: Uint8Array; macKey: Uint8Array } };
const SENDING_FIELDS = ['sendingHdr', 'sendingEk', 'sendingCt1', 'sendingCt2'] as const;
const RECEIVING_FIELDS = ['receivingCt1', 'receivingCt2', 'receivingHdr', 'receivingEk'] as const;
/** which sending / receiving field each state has */
const SENDING_OF: Partial<Record<BraidState['kind'], (typeof SENDING_FIELDS)[number]>> = {
  KeysSampled: 'sendingHdr',
  HeaderSent: 'sendingEk',
  Ct1Received: 'sendingEk',
  Ct1Sampled: 'sendingCt1',
  EkReceivedCt1Sampled: 'sendingCt1',
  Ct2Sampled: 'sendingCt2',
};
const RECEIVING_OF: Partial<Record<BraidState['kind'], (typeof RECEIVING_FIELDS)[number]>> = {
  HeaderSent: 'receivingCt1',
  EkSentCt1Received: 'receivingCt2',
  NoHeaderReceived: 'receivingHdr',
  HeaderReceived: 'receivingEk',
  Ct1Sampled: 'receivingEk',
  Ct1Acknowledged: 'receivingEk',
};
const BYTES_FIELDS = [
  [5, 'dk'],
  [6, 'hdr'],
  [7, 'ekVector'],
  [8, 'encapsSecret'],
  [9, 'ct1'],
] as const;

function braidWriter(b: BraidState): ProtoWriter {
  const a = b as unknown as AnyBraid;
  const w = new ProtoWriter().uint(1, KINDS.indexOf(b.kind)).uint(2, b.epoch).bytes(3, b.auth.rootKey).bytes(4, b.auth.macKey);
  for (const [f, name] of BYTES_FIELDS) w.bytes(f, a[name] as Uint8Array | undefined);
  const sf = SENDING_OF[b.kind];
  if (sf) {
    const s = a[sf] as Sending;
    w.message(10, new ProtoWriter().bytes(1, s.value).uint(2, s.next));
  }
  const rf = RECEIVING_OF[b.kind];
  if (rf) {
    const r = a[rf] as Receiving;
    const rw = new ProtoWriter().uint(1, r.length);
    for (const [i, d] of r.chunks) rw.message(2, new ProtoWriter().uint(1, i).bytes(2, d));
    w.message(11, rw);
  }
  return w;
}

function deserializeBraid(bytes: Uint8Array): BraidState {
  const m = ProtoMessage.parse(bytes, 'InvalidArgument', 'SPQR state');
  const kind = KINDS[m.uint32(1, 'kind')];
  if (!kind) throw new ProtocolError('InvalidArgument', 'malformed SPQR state: unknown state');
  const b: AnyBraid = { kind, epoch: m.optNumber(2) ?? 0, auth: { rootKey: m.bytes(3, 'auth root').slice(), macKey: m.bytes(4, 'auth mac').slice() } };
  for (const [f, name] of BYTES_FIELDS) {
    const v = m.optBytes(f);
    if (v) b[name] = v.slice();
  }
  const sf = SENDING_OF[kind];
  if (sf) {
    const s = ProtoMessage.parse(m.bytes(10, 'sending'), 'InvalidArgument', 'SPQR state');
    b[sf] = { value: s.bytes(1, 'value').slice(), next: s.optUint32(2) ?? 0 } satisfies Sending;
  }
  const rf = RECEIVING_OF[kind];
  if (rf) {
    const r = ProtoMessage.parse(m.bytes(11, 'receiving'), 'InvalidArgument', 'SPQR state');
    const chunks = new Map<number, Uint8Array>();
    for (const cb of r.repeatedBytes(2)) {
      const c = ProtoMessage.parse(cb, 'InvalidArgument', 'SPQR state');
      chunks.set(c.uint32(1, 'index'), c.bytes(2, 'data').slice());
    }
    b[rf] = { length: r.uint32(1, 'length'), chunks } satisfies Receiving;
  }
  return b as unknown as BraidState;
}

function chainWriter(c: SpqrChain): ProtoWriter {
  const w = new ProtoWriter().bool(1, c.isA).bytes(2, c.nextRoot);
  for (const e of c.epochs) {
    const ew = new ProtoWriter().uint(1, e.epoch).uint(2, e.send.ctr).bytes(3, e.send.key).uint(4, e.recv.ctr).bytes(5, e.recv.key);
    for (const [i, k] of e.recv.skipped) ew.message(6, new ProtoWriter().uint(1, i).bytes(2, k));
    w.message(3, ew);
  }
  return w;
}

function deserializeChain(bytes: Uint8Array): SpqrChain {
  const P = (b: Uint8Array) => ProtoMessage.parse(b, 'InvalidArgument', 'SPQR chain');
  const m = P(bytes);
  return {
    isA: (m.optUint32(1) ?? 0) === 1,
    nextRoot: m.bytes(2, 'next root').slice(),
    epochs: m.repeatedBytes(3).map((eb) => {
      const e = P(eb);
      const skipped = new Map<number, Uint8Array>();
      for (const sb of e.repeatedBytes(6)) {
        const s = P(sb);
        skipped.set(s.uint32(1, 'index'), s.bytes(2, 'key').slice());
      }
      return {
        epoch: e.optNumber(1) ?? 0,
        send: { ctr: e.optUint32(2) ?? 0, key: e.bytes(3, 'send key').slice() },
        recv: { ctr: e.optUint32(4) ?? 0, key: e.bytes(5, 'recv key').slice(), skipped },
      };
    }),
  };
}

export function serializeSpqr(s: SpqrState): Uint8Array {
  return spqrWriter(s).finish();
}

/** The SPQR state as a writer (the session state splices it in without a copy). */
export function spqrWriter(s: SpqrState): ProtoWriter {
  const w = new ProtoWriter().uint(1, s.version).bool(2, s.negotiating);
  if (s.braid) w.message(3, braidWriter(s.braid));
  if (s.chain) w.message(4, chainWriter(s.chain));
  return w;
}

export function deserializeSpqr(bytes: Uint8Array): SpqrState {
  const m = ProtoMessage.parse(bytes, 'InvalidArgument', 'SPQR state');
  const version = m.optUint32(1) ?? 0;
  if (version !== 0 && version !== SPQR_V1) throw new ProtocolError('InvalidArgument', `malformed SPQR state: version ${version}`);
  const braid = m.optBytes(3);
  const chain = m.optBytes(4);
  if (version === SPQR_V1 && (!braid || !chain)) throw new ProtocolError('InvalidArgument', 'malformed SPQR state: V1 without its state');
  return {
    version: version as SpqrVersion,
    negotiating: (m.optUint32(2) ?? 0) === 1,
    braid: braid ? deserializeBraid(braid) : undefined,
    chain: chain ? deserializeChain(chain) : undefined,
  };
}
