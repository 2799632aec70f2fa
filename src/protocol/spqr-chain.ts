// SPQR's symmetric side (Double Ratchet spec, "The Sparse Post-Quantum Ratchet": KDF_SCKA_INIT,
// KDF_SCKA_RK, KDF_SCKA_CK): a root chain fed by each epoch's secret, and per epoch one KDF chain
// per direction that gives every message its own key. Labels as libsignal uses them (checked
// against its messages' MACs; note the two spaces in "Chain  Start"):
//   start:     HKDF(salt 0^32, ikm = SPQR key,      "Signal PQ Ratchet V1 Chain  Start", 96)
//   add epoch: HKDF(salt = root, ikm = epoch secret, "Signal PQ Ratchet V1 Chain Add Epoch", 96)
//              -> next root [0..32], A->B chain [32..64], B->A chain [64..96]
//   next key:  ctr += 1; HKDF(salt 0^32, ikm = chain key, BE32(ctr) || "Signal PQ Ratchet V1 Chain Next", 64)
//              -> next chain key [0..32], message key [32..64]
import { concatBytes, utf8 } from './bytes.js';
import { ProtocolError } from './errors.js';
import { hkdfSha256 } from './kdf.js';

const INFO_START = utf8('Signal PQ Ratchet V1 Chain  Start');
const INFO_ADD_EPOCH = utf8('Signal PQ Ratchet V1 Chain Add Epoch');
const INFO_NEXT = utf8('Signal PQ Ratchet V1 Chain Next');
const ZERO_SALT = new Uint8Array(32);

/** Skipped SPQR message keys kept per receiving chain (as the Double Ratchet's limit). */
export const SPQR_MAX_OOO_KEYS = 2000;
/** An index this far past a receiving chain's position is refused. */
export const SPQR_MAX_JUMP = 25_000;
/** Epoch chains kept below the newest one (late messages of older epochs fail). */
export const SPQR_EPOCHS_KEPT = 3;

export interface DirectionChain {
  ctr: number;
  key: Uint8Array;
}

export interface RecvChain extends DirectionChain {
  /** skipped keys by index, oldest first */
  skipped: Map<number, Uint8Array>;
}

export interface EpochChains {
  epoch: number;
  send: DirectionChain;
  recv: RecvChain;
}

export interface SpqrChain {
  /** true for the session's initiator (Alice), who sends on the A->B chains */
  isA: boolean;
  nextRoot: Uint8Array;
  /** oldest first */
  epochs: EpochChains[];
}

function epochChains(epoch: number, gen: Uint8Array, isA: boolean): EpochChains {
  const a2b = gen.slice(32, 64);
  const b2a = gen.slice(64, 96);
  return { epoch, send: { ctr: 0, key: isA ? a2b : b2a }, recv: { ctr: 0, key: isA ? b2a : a2b, skipped: new Map() } };
}

export function startChain(spqrKey: Uint8Array, isA: boolean): SpqrChain {
  const gen = hkdfSha256(spqrKey, ZERO_SALT, INFO_START, 96);
  return { isA, nextRoot: gen.slice(0, 32), epochs: [epochChains(0, gen, isA)] };
}

export function cloneChain(c: SpqrChain): SpqrChain {
  return {
    isA: c.isA,
    nextRoot: c.nextRoot,
    epochs: c.epochs.map((e) => ({ epoch: e.epoch, send: { ...e.send }, recv: { ...e.recv, skipped: new Map(e.recv.skipped) } })),
  };
}

/** Mutates `c`. Epochs arrive in order, each exactly once. */
export function addEpoch(c: SpqrChain, epoch: number, secret: Uint8Array): void {
  const newest = c.epochs[c.epochs.length - 1].epoch;
  if (epoch !== newest + 1) throw new ProtocolError('InvalidMessage', `SPQR epoch ${epoch} out of order (chain at ${newest})`);
  const gen = hkdfSha256(secret, c.nextRoot, INFO_ADD_EPOCH, 96);
  c.nextRoot = gen.slice(0, 32);
  c.epochs.push(epochChains(epoch, gen, c.isA));
  while (c.epochs.length > SPQR_EPOCHS_KEPT) c.epochs.shift();
}

function step(d: DirectionChain): Uint8Array {
  d.ctr += 1;
  const ctr = new Uint8Array(4);
  new DataView(ctr.buffer).setUint32(0, d.ctr);
  const gen = hkdfSha256(d.key, ZERO_SALT, concatBytes(ctr, INFO_NEXT), 64);
  d.key = gen.slice(0, 32);
  return gen.slice(32, 64);
}

function find(c: SpqrChain, epoch: number): EpochChains | undefined {
  return c.epochs.find((e) => e.epoch === epoch);
}

/** Mutates `c`: the next sending key of `epoch`, with its index (>= 1). */
export function sendKey(c: SpqrChain, epoch: number): { index: number; key: Uint8Array } {
  const e = find(c, epoch);
  if (!e) throw new ProtocolError('InvalidMessage', `SPQR has no chain for epoch ${epoch}`);
  const key = step(e.send);
  return { index: e.send.ctr, key };
}

/** Mutates `c`: the receiving key for (epoch, index). */
export function recvKey(c: SpqrChain, epoch: number, index: number): Uint8Array {
  const e = find(c, epoch);
  if (!e) throw new ProtocolError('InvalidMessage', `SPQR has no chain for epoch ${epoch}`);
  const r = e.recv;
  if (index <= r.ctr) {
    const k = r.skipped.get(index);
    // InvalidMessage, not DuplicatedMessage: a true duplicate is caught by the Double Ratchet first,
    // so this is a message of another session being tried against this one (as libsignal reports
    // every SPQR failure: "post-quantum ratchet error")
    if (!k) throw new ProtocolError('InvalidMessage', `SPQR key ${index} of epoch ${epoch} already used`);
    r.skipped = new Map(r.skipped);
    r.skipped.delete(index);
    return k;
  }
  if (index - r.ctr > SPQR_MAX_JUMP) throw new ProtocolError('InvalidMessage', `SPQR index too far into the future (${index - r.ctr} ahead)`);
  const skipped = new Map(r.skipped);
  while (r.ctr + 1 < index) {
    skipped.set(r.ctr + 1, step(r));
    if (skipped.size > SPQR_MAX_OOO_KEYS) skipped.delete(skipped.keys().next().value!);
  }
  r.skipped = skipped;
  return step(r);
}
