// Seeded, randomized delivery schedule between two peers: per-direction queues of in-flight
// messages with reordering, drops, duplicates, alternating and bursty directions, and late
// delivery of messages from old chains. Every delivered non-duplicate message must decrypt to
// its exact plaintext; every re-delivered message must be refused as a duplicate.
//
// The driver models the one limit that makes a late message legitimately undecryptable in
// libsignal: a receiver keeps the 5 most recent receiving chains. It tracks, per receiver, the
// order in which sender ratchet keys were first decrypted and never lets a queued message fall
// out of the last `keepChains` (default 4, one below libsignal's 5: the initiator also holds the
// recipient's signed prekey chain from session set-up): before a delivery that opens a new chain,
// queued messages whose chain would leave that window are delivered first. Skipped-key (2,000
// per chain) and forward-jump (25,000) limits are far away at these message counts; they have
// their own tests.
import type { ErrorClass, Peer, Wire } from './peers.js';
import { errorText } from './peers.js';
import { Rand, bytesEqual, hex, innerSignalMessage, spqrEpoch } from './util.js';

export interface ScheduleConfig {
  seed: number;
  /** total messages sent (both directions together) */
  messages: number;
  /** probability a sent message is never delivered */
  pDrop?: number;
  /** per step, probability of re-delivering an already delivered message (each direction) */
  pDuplicate?: number;
  /** probability a delivery picks a random queued message instead of the oldest */
  pReorder?: number;
  /** probability a sent message is held back for late delivery */
  pHold?: number;
  /** longest one-way burst */
  maxBurst?: number;
  /** receiving chains the driver assumes are kept (must be < libsignal's 5) */
  keepChains?: number;
  /** expected version nibble of every message (3 = X3DH, 4 = PQXDH) */
  expectVersion?: number;
  /** B already has a session (e.g. the schedule continues an existing conversation) */
  established?: boolean;
}

export interface InFlight {
  id: number;
  from: 'A' | 'B';
  step: number;
  wire: Wire;
  plaintext: Uint8Array;
  chain: string;
  counter: number;
  dropped: boolean;
  holdUntil: number;
  delivered: boolean;
}

export interface ScheduleStats {
  seed: number;
  sent: number;
  sentAtoB: number;
  sentBtoA: number;
  preKeyMessages: number;
  deliveredOk: number;
  dropped: number;
  reordered: number;
  late: number;
  lateFromOldChain: number;
  duplicatesInjected: number;
  duplicateErrors: Partial<Record<ErrorClass, number>>;
  chainsSeenByA: number;
  chainsSeenByB: number;
  directionSwitches: number;
  maxInFlight: number;
  /** messages carrying protobuf field 5 (SPQR pq_ratchet), per sender */
  pqFieldFromA: number;
  pqFieldFromB: number;
  /** highest SPQR epoch in a message, per sender (0 without SPQR) */
  spqrEpochA: number;
  spqrEpochB: number;
}

export class ScheduleFailure extends Error {
  constructor(
    message: string,
    readonly detail: {
      seed: number;
      step: number;
      event: string;
      error?: string;
      trace: string[];
    },
  ) {
    super(
      `${message}\n  seed=${detail.seed} step=${detail.step}\n  event: ${detail.event}` +
        (detail.error ? `\n  error: ${detail.error}` : '') +
        `\n  last events:\n    ${detail.trace.join('\n    ')}`,
    );
  }
}

export async function runSchedule(A: Peer, B: Peer, cfg: ScheduleConfig): Promise<ScheduleStats> {
  const rand = new Rand(cfg.seed);
  const pDrop = cfg.pDrop ?? 0.03;
  const pDup = cfg.pDuplicate ?? 0.03;
  const pReorder = cfg.pReorder ?? 0.25;
  const pHold = cfg.pHold ?? 0.06;
  const maxBurst = cfg.maxBurst ?? 16;
  const keep = cfg.keepChains ?? 4;

  const peer = { A, B } as const;
  const other = (s: 'A' | 'B'): 'A' | 'B' => (s === 'A' ? 'B' : 'A');
  const queue: Record<'A' | 'B', InFlight[]> = { A: [], B: [] }; // keyed by receiver
  const deliveredTo: Record<'A' | 'B', InFlight[]> = { A: [], B: [] };
  const chains: Record<'A' | 'B', string[]> = { A: [], B: [] }; // by receiver, in order first decrypted
  const trace: string[] = [];
  const stats: ScheduleStats = {
    seed: cfg.seed,
    sent: 0,
    sentAtoB: 0,
    sentBtoA: 0,
    preKeyMessages: 0,
    deliveredOk: 0,
    dropped: 0,
    reordered: 0,
    late: 0,
    lateFromOldChain: 0,
    duplicatesInjected: 0,
    duplicateErrors: {},
    chainsSeenByA: 0,
    chainsSeenByB: 0,
    directionSwitches: 0,
    maxInFlight: 0,
    pqFieldFromA: 0,
    pqFieldFromB: 0,
    spqrEpochA: 0,
    spqrEpochB: 0,
  };
  let step = 0;
  let nextId = 0;
  let bCanSend = cfg.established ?? false;
  const log = (s: string) => {
    trace.push(`#${step} ${s}`);
    if (trace.length > 25) trace.shift();
  };
  const fail = (msg: string, event: string, e?: unknown): never => {
    throw new ScheduleFailure(msg, {
      seed: cfg.seed,
      step,
      event,
      error: e === undefined ? undefined : errorText(e),
      trace: [...trace],
    });
  };
  const describe = (m: InFlight) =>
    `msg ${m.id} ${m.from}->${other(m.from)} type=${m.wire.type} chain=${m.chain.slice(2, 12)}` +
    `(#${Math.max(0, chains[other(m.from)].indexOf(m.chain))}) counter=${m.counter} sentAt=${m.step}`;

  async function send(from: 'A' | 'B') {
    const to = other(from);
    const len = rand.chance(0.05) ? 0 : rand.int(1, 200);
    const plaintext = rand.bytes(len);
    let wire: Wire;
    try {
      wire = await peer[from].encrypt(peer[to], plaintext);
    } catch (e) {
      return fail(`${peer[from].impl} failed to encrypt`, `encrypt ${from}->${to}`, e);
    }
    const info = innerSignalMessage(wire);
    if (cfg.expectVersion !== undefined && info.version !== cfg.expectVersion)
      fail(`unexpected message version ${info.version}`, `encrypt ${from}->${to}`);
    if (info.pqRatchet && info.pqRatchet.length > 0) {
      const epoch = spqrEpoch(info.pqRatchet);
      if (from === 'A') {
        stats.pqFieldFromA++;
        stats.spqrEpochA = Math.max(stats.spqrEpochA, epoch);
      } else {
        stats.pqFieldFromB++;
        stats.spqrEpochB = Math.max(stats.spqrEpochB, epoch);
      }
    }
    const m: InFlight = {
      id: nextId++,
      from,
      step,
      wire,
      plaintext,
      chain: hex(info.ratchetKey),
      counter: info.counter,
      dropped: rand.chance(pDrop),
      holdUntil: rand.chance(pHold) ? step + rand.int(3, 80) : 0,
      delivered: false,
    };
    stats.sent++;
    if (from === 'A') stats.sentAtoB++;
    else stats.sentBtoA++;
    if (wire.type === 3) stats.preKeyMessages++;
    if (m.dropped) stats.dropped++;
    queue[to].push(m);
    log(`send ${describe(m)}${m.dropped ? ' (will drop)' : ''}${m.holdUntil ? ` (hold to ${m.holdUntil})` : ''}`);
    const inFlight = queue.A.length + queue.B.length;
    if (inFlight > stats.maxInFlight) stats.maxInFlight = inFlight;
  }

  async function deliver(m: InFlight) {
    const to = other(m.from);
    const q = queue[to];
    const idx = q.indexOf(m);
    if (idx > 0) stats.reordered++;
    q.splice(idx, 1);
    if (m.holdUntil) stats.late++;
    const chainIdx = chains[to].indexOf(m.chain);
    if (chainIdx >= 0 && chainIdx < chains[to].length - 1) stats.lateFromOldChain++;
    log(`deliver ${describe(m)}`);
    let pt: Uint8Array;
    try {
      pt = await peer[to].decrypt(peer[m.from], m.wire);
    } catch (e) {
      return fail(
        `${peer[to].impl} failed to decrypt a message from ${peer[m.from].impl}`,
        `deliver ${describe(m)}`,
        e,
      );
    }
    if (!bytesEqual(pt, m.plaintext))
      fail(`${peer[to].impl} decrypted the wrong plaintext`, `deliver ${describe(m)}`);
    m.delivered = true;
    deliveredTo[to].push(m);
    stats.deliveredOk++;
    if (chainIdx < 0) chains[to].push(m.chain);
    if (to === 'B') bCanSend = true;
  }

  async function deliverGuarded(m: InFlight) {
    const to = other(m.from);
    if (!chains[to].includes(m.chain)) {
      const window = [...chains[to], m.chain].slice(-keep);
      const atRisk = queue[to].filter((x) => x !== m && !x.dropped && !window.includes(x.chain));
      for (const x of rand.shuffle(atRisk)) {
        if (!chains[to].includes(x.chain))
          fail('harness invariant: a queued message is on a chain the receiver has never seen', describe(x));
        await deliver(x);
      }
    }
    await deliver(m);
  }

  async function deliverSome(to: 'A' | 'B', n: number) {
    for (let i = 0; i < n; i++) {
      // drop what the network lost
      for (const x of queue[to].filter((x) => x.dropped)) queue[to].splice(queue[to].indexOf(x), 1);
      const ready = queue[to].filter((x) => x.holdUntil <= step);
      if (ready.length === 0) return;
      const m = rand.chance(pReorder) ? ready[rand.int(0, Math.min(ready.length, 8) - 1)] : ready[0];
      await deliverGuarded(m);
    }
  }

  async function duplicate(to: 'A' | 'B') {
    const window = chains[to].slice(-keep);
    const cands = deliveredTo[to].filter((x) => window.includes(x.chain));
    if (cands.length === 0) return;
    const m = rand.pick(cands.slice(-300));
    stats.duplicatesInjected++;
    log(`re-deliver ${describe(m)}`);
    try {
      await peer[to].decrypt(peer[m.from], m.wire);
    } catch (e) {
      const cls = peer[to].classify(e);
      stats.duplicateErrors[cls] = (stats.duplicateErrors[cls] ?? 0) + 1;
      if (cls !== 'DuplicatedMessage')
        fail(`${peer[to].impl} refused a duplicate with ${cls}, expected DuplicatedMessage`, describe(m), e);
      return;
    }
    fail(`${peer[to].impl} accepted a duplicate`, `re-deliver ${describe(m)}`);
  }

  // direction pattern: runs of alternating messages and one-way bursts
  let patternLeft = 0;
  let mode: 'alt' | 'burst' = 'alt';
  let sender: 'A' | 'B' = 'A';
  let lastSender: 'A' | 'B' = 'A';
  while (stats.sent < cfg.messages) {
    step++;
    if (patternLeft <= 0) {
      mode = rand.chance(0.5) ? 'alt' : 'burst';
      patternLeft = mode === 'alt' ? rand.int(2, 24) : rand.int(2, maxBurst);
      sender = rand.chance(0.5) ? 'A' : 'B';
    }
    let from: 'A' | 'B' = mode === 'alt' ? (lastSender === 'A' ? 'B' : 'A') : sender;
    if (from === 'B' && !bCanSend) from = 'A';
    patternLeft--;
    if (from !== lastSender) stats.directionSwitches++;
    lastSender = from;
    await send(from);
    // the network delivers a few messages each way (more when queues are long)
    for (const to of ['B', 'A'] as const) {
      const backlog = queue[to].length;
      await deliverSome(to, backlog > 12 ? rand.int(1, 4) : rand.int(0, 2));
      if (rand.chance(pDup)) await duplicate(to);
    }
  }
  // flush: everything still in flight (held ones included), in random order, oldest chains first
  step++;
  for (let round = 0; round < 1000 && (queue.A.length || queue.B.length); round++) {
    for (const to of ['A', 'B'] as const) {
      for (const x of queue[to].filter((x) => x.dropped)) queue[to].splice(queue[to].indexOf(x), 1);
      if (queue[to].length === 0) continue;
      const pool = queue[to].slice(0, 6);
      await deliverGuarded(rand.pick(pool));
    }
  }
  for (const to of ['A', 'B'] as const) await duplicate(to);
  stats.chainsSeenByA = chains.A.length;
  stats.chainsSeenByB = chains.B.length;
  return stats;
}
