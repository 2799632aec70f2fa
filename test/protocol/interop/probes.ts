// Deterministic scripted probes. Each returns a trace of outcomes that must be identical whether
// the peers are libsignal↔libsignal (the reference) or involve our library.
import type { Peer, Wire } from './peers.js';
import { errorText } from './peers.js';
import { type ProtoField, bytesEqual, editPreKeyMessage, hex, innerSignalMessage, parsePreKeyMessage } from './util.js';

const te = new TextEncoder();
const pt = (s: string) => te.encode(s);

export type Outcome = string; // 'ok' | 'fail:<ErrorClass>' | 'wrong-plaintext'

export class Trace {
  readonly events: string[] = [];
  readonly errors: string[] = [];
  private baseKeys = new Map<string, string>();

  baseKeyTag(w: Wire): string {
    if (w.type !== 3) return '';
    const k = hex(parsePreKeyMessage(w.body).baseKey);
    if (!this.baseKeys.has(k)) this.baseKeys.set(k, `k${this.baseKeys.size + 1}`);
    return this.baseKeys.get(k)!;
  }

  async send(from: Peer, to: Peer, label: string, text = label): Promise<Wire> {
    const w = await from.encrypt(to, pt(text));
    this.events.push(`${label}: sent type=${w.type}${w.type === 3 ? ` base=${this.baseKeyTag(w)}` : ''}`);
    return w;
  }

  /** `label` is the plaintext expected, optionally followed by a note in parentheses */
  async recv(to: Peer, from: Peer, w: Wire, label: string): Promise<Outcome> {
    const text = label.replace(/ \(.*\)$/, '').replace(/ again$/, '');
    let o: Outcome;
    try {
      const got = await to.decrypt(from, w);
      o = bytesEqual(got, pt(text)) ? 'ok' : 'wrong-plaintext';
    } catch (e) {
      o = `fail:${to.classify(e)}`;
      this.errors.push(`${label}: ${to.impl}: ${errorText(e)}`);
    }
    this.events.push(`${label}: ${o}`);
    return o;
  }
}

/** one round trip so both sides have a session and the initiator is on a fresh sending chain */
export async function establish(t: Trace, I: Peer, R: Peer): Promise<void> {
  await t.recv(R, I, await t.send(I, R, 'hello'), 'hello');
  await t.recv(I, R, await t.send(R, I, 'hello-back'), 'hello-back');
}

/**
 * Skipped-key limit (2,000 message keys kept per chain). On a fresh chain of `S`:
 * counter 2001 delivered first stores 2,001 skipped keys, evicting counter 0; then on the next fresh
 * chain counter 2000 first stores exactly 2,000, evicting nothing.
 */
export async function skippedKeyProbe(I: Peer, R: Peer, senderIsInitiator: boolean): Promise<Trace> {
  const t = new Trace();
  await establish(t, I, R);
  const [S, V] = senderIsInitiator ? [I, R] : [R, I];
  if (!senderIsInitiator) {
    // make R's next chain fresh too: R must first receive a message on a new chain of I
    await t.recv(R, I, await t.send(I, R, 'turn'), 'turn');
  }
  const a: Wire[] = [];
  for (let i = 0; i <= 2001; i++) a.push(await S.encrypt(V, pt(`a${i}`)));
  const ca = a.map((w) => innerSignalMessage(w).counter);
  t.events.push(`chain a counters ${ca[0]}..${ca[2001]}`);
  await t.recv(V, S, a[2001], 'a2001 (2,001 keys skipped)');
  await t.recv(V, S, a[0], 'a0 (evicted)');
  await t.recv(V, S, a[1], 'a1 (oldest kept)');
  await t.recv(V, S, a[2000], 'a2000');
  await t.recv(V, S, a[1], 'a1 again');
  await t.recv(V, S, a[1000], 'a1000');
  // new chain for S: V replies, S receives
  await t.recv(S, V, await t.send(V, S, 'ping'), 'ping');
  const b: Wire[] = [];
  for (let i = 0; i <= 2000; i++) b.push(await S.encrypt(V, pt(`b${i}`)));
  t.events.push(`chain b counters ${innerSignalMessage(b[0]).counter}..${innerSignalMessage(b[2000]).counter}`);
  await t.recv(V, S, b[2000], 'b2000 (2,000 keys skipped)');
  await t.recv(V, S, b[0], 'b0 (kept)');
  await t.recv(V, S, b[1999], 'b1999');
  // the conversation goes on
  await t.recv(S, V, await t.send(V, S, 'after'), 'after');
  await t.recv(V, S, await t.send(S, V, 'after2'), 'after2');
  return t;
}

/**
 * Receiving-chain window (libsignal keeps 5 per session). The sender `S` holds back one message per
 * round on its current chain; after k more ratchet round trips the held message of round 0 is k
 * chains old at the receiver.
 */
export async function chainWindowProbe(I: Peer, R: Peer, senderIsInitiator: boolean): Promise<Trace> {
  const t = new Trace();
  await establish(t, I, R);
  const [S, V] = senderIsInitiator ? [I, R] : [R, I];
  if (!senderIsInitiator) await t.recv(R, I, await t.send(I, R, 'turn'), 'turn');
  const held: Wire[] = [];
  // round 0: S sends two messages on chain 0, V gets the first (so V knows the chain), second held
  const rounds = 8;
  for (let r = 0; r < rounds; r++) {
    const first = await t.send(S, V, `r${r}-first`);
    held.push(await S.encrypt(V, pt(`r${r}-held`)));
    await t.recv(V, S, first, `r${r}-first`);
    await t.recv(S, V, await t.send(V, S, `r${r}-reply`), `r${r}-reply`);
  }
  // deliver held messages newest first: round r's chain is (rounds-1-r) chains behind the newest
  for (let r = rounds - 1; r >= 0; r--)
    await t.recv(V, S, held[r], `r${r}-held (${rounds - 1 - r} chains back)`);
  await t.recv(V, S, await t.send(S, V, 'after'), 'after');
  return t;
}

/**
 * Forward-jump limit (25,000). `S` encrypts 25,002 messages on one fresh chain (counters
 * 0..25001); V gets only the last (jump 25,001: refused), then counter 25000 (jump 25,000:
 * accepted), then 25001 (now a jump of 1), then counters 22999 (evicted: only the 2,000 keys
 * 23000..24999 were kept) and 23000.
 */
export async function forwardJumpProbe(I: Peer, R: Peer, senderIsInitiator: boolean): Promise<Trace> {
  const t = new Trace();
  await establish(t, I, R);
  const [S, V] = senderIsInitiator ? [I, R] : [R, I];
  if (!senderIsInitiator) await t.recv(R, I, await t.send(I, R, 'turn'), 'turn');
  const msgs: Wire[] = [];
  for (let i = 0; i <= 25001; i++) {
    const w = await S.encrypt(V, pt(`m${i}`));
    if (i >= 22999) msgs[i] = w;
  }
  t.events.push(`counters up to ${innerSignalMessage(msgs[25001]).counter}`);
  await t.recv(V, S, msgs[25001], 'm25001 (jump 25,001)');
  await t.recv(V, S, msgs[25000], 'm25000 (jump 25,000)');
  await t.recv(V, S, msgs[25001], 'm25001 (jump 1)');
  await t.recv(V, S, msgs[22999], 'm22999 (evicted)');
  await t.recv(V, S, msgs[23000], 'm23000 (kept)');
  await t.recv(S, V, await t.send(V, S, 'after'), 'after');
  return t;
}

/**
 * PreKey messages re-sent before the first reply: the recipient gets the same
 * PreKeySignalMessage twice and several PreKey messages (out of order) before answering, and some
 * only after the initiator has switched to plain SignalMessages.
 */
export async function preKeyResendProbe(I: Peer, R: Peer): Promise<Trace> {
  const t = new Trace();
  const p: Wire[] = [];
  for (let i = 0; i < 6; i++) p.push(await t.send(I, R, `p${i}`));
  await t.recv(R, I, p[0], 'p0');
  await t.recv(R, I, p[0], 'p0 again');
  await t.recv(R, I, p[3], 'p3');
  await t.recv(R, I, p[1], 'p1');
  await t.recv(R, I, p[3], 'p3 again');
  p.push(await t.send(I, R, 'p6'));
  p.push(await t.send(I, R, 'p7'));
  await t.recv(R, I, p[7], 'p7');
  await t.recv(R, I, p[2], 'p2');
  const r0 = await t.send(R, I, 'r0');
  const r1 = await t.send(R, I, 'r1');
  await t.recv(I, R, r1, 'r1');
  const x0 = await t.send(I, R, 'x0'); // first plain SignalMessage
  await t.recv(I, R, r0, 'r0');
  await t.recv(I, R, r0, 'r0 again');
  await t.recv(R, I, p[5], 'p5 (late PreKey)');
  await t.recv(R, I, x0, 'x0');
  await t.recv(R, I, p[4], 'p4 (late PreKey)');
  await t.recv(R, I, p[6], 'p6 (late PreKey)');
  await t.recv(R, I, p[4], 'p4 again');
  await t.recv(I, R, await t.send(R, I, 'r2'), 'r2');
  await t.recv(R, I, await t.send(I, R, 'x1'), 'x1');
  return t;
}

/**
 * A new bundle processed over an existing session: the initiator's current session is archived
 * and a new PreKey message (new base key) goes out while old-session messages are still in flight
 * in both directions.
 */
export async function newBundleProbe(
  I: Peer,
  R: Peer,
  kyber: boolean,
  order: 'old-first' | 'new-first' = 'old-first',
): Promise<Trace> {
  const t = new Trace();
  await establish(t, I, R);
  await t.recv(R, I, await t.send(I, R, 'x'), 'x');
  await t.recv(I, R, await t.send(R, I, 'y'), 'y');
  const bOld1 = await t.send(R, I, 'b-old1');
  const bOld2 = await t.send(R, I, 'b-old2');
  const aOld1 = await t.send(I, R, 'a-old1');
  await I.processBundle(R, await R.bundle({ kyber }));
  t.events.push('initiator processed a new bundle');
  const n1 = await t.send(I, R, 'n1');
  if (order === 'old-first') {
    await t.recv(I, R, bOld1, 'b-old1 (old session, after new bundle)');
    const n2 = await t.send(I, R, 'n2');
    await t.recv(R, I, n1, 'n1 (new session)');
    await t.recv(R, I, aOld1, 'a-old1 (old session, after new session)');
    await t.recv(R, I, n2, 'n2');
    const r1 = await t.send(R, I, 'r1');
    await t.recv(I, R, bOld2, 'b-old2');
    await t.recv(I, R, r1, 'r1');
  } else {
    await t.recv(R, I, n1, 'n1 (new session)');
    const r1 = await t.send(R, I, 'r1');
    await t.recv(I, R, r1, 'r1 (new session confirmed)');
    const n2 = await t.send(I, R, 'n2');
    await t.recv(I, R, bOld1, 'b-old1 (archived session)');
    await t.recv(R, I, aOld1, 'a-old1 (archived session)');
    await t.recv(R, I, n2, 'n2');
    const n3 = await t.send(I, R, 'n3');
    await t.recv(R, I, n3, 'n3');
    await t.recv(I, R, bOld2, 'b-old2 (archived session)');
    await t.recv(I, R, bOld1, 'b-old1 again');
  }
  for (let i = 0; i < 3; i++) {
    await t.recv(R, I, await t.send(I, R, `z${i}`), `z${i}`);
    await t.recv(I, R, await t.send(R, I, `w${i}`), `w${i}`);
  }
  return t;
}

function flip(b: Uint8Array, i: number): Uint8Array {
  const c = b.slice();
  c[(i + c.length) % c.length] ^= 0x01;
  return c;
}

/**
 * Tampered and malformed messages: each variant is refused (the class must match libsignal's),
 * and refusing it leaves the session and the prekeys untouched: the genuine message decrypts after.
 */
export async function tamperProbe(I: Peer, R: Peer, kyber: boolean): Promise<Trace> {
  const t = new Trace();
  const first = await t.send(I, R, 'first');
  const setField = (n: number, v: bigint | Uint8Array) => (fs: ProtoField[]) =>
    fs.map((f) => (f.field === n ? { ...f, value: v } : f));
  const variants: Array<[string, Uint8Array]> = [
    ['prekey: unknown signed prekey id', editPreKeyMessage(first.body, setField(6, 9999n))],
    ['prekey: unknown one-time prekey id', editPreKeyMessage(first.body, setField(1, 9999n))],
    ['prekey: base key flipped', editPreKeyMessage(first.body, (fs) => fs.map((f) => (f.field === 2 ? { ...f, value: flip(f.value as Uint8Array, 5) } : f)))],
    ['prekey: inner MAC flipped', editPreKeyMessage(first.body, (fs) => fs.map((f) => (f.field === 4 ? { ...f, value: flip(f.value as Uint8Array, -1) } : f)))],
    ['prekey: truncated', first.body.slice(0, 40)],
    ['prekey: version 5', Uint8Array.from([0x55, ...first.body.subarray(1)])],
    ['prekey: version 2', Uint8Array.from([0x22, ...first.body.subarray(1)])],
  ];
  if (kyber) {
    variants.push(['prekey: unknown kyber prekey id', editPreKeyMessage(first.body, setField(7, 9999n))]);
    variants.push(['prekey: kyber ciphertext flipped', editPreKeyMessage(first.body, (fs) => fs.map((f) => (f.field === 8 ? { ...f, value: flip(f.value as Uint8Array, 100) } : f)))]);
    variants.push(['prekey: kyber fields removed', editPreKeyMessage(first.body, (fs) => fs.filter((f) => f.field !== 7 && f.field !== 8))]);
  }
  for (const [name, body] of variants) await t.recv(R, I, { type: 3, body }, `first (${name})`);
  await t.recv(R, I, first, 'first (genuine, after the tampered ones)');
  await t.recv(I, R, await t.send(R, I, 'reply'), 'reply');
  const m = await t.send(I, R, 'whisper');
  const wv: Array<[string, Uint8Array]> = [
    ['MAC flipped', flip(m.body, -1)],
    ['ciphertext flipped', flip(m.body, -9)],
    ['ratchet key flipped', flip(m.body, 6)],
    ['version 2', Uint8Array.from([0x22, ...m.body.subarray(1)])],
    ['version 5', Uint8Array.from([0x55, ...m.body.subarray(1)])],
    ['truncated', m.body.slice(0, 12)],
    ['empty', new Uint8Array(0)],
  ];
  // SPQR sessions: field 5 is the last field before the MAC; alter its chunk and its epoch
  const pq = innerSignalMessage(m).pqRatchet;
  if (pq && pq.length > 0) {
    wv.push(['SPQR chunk byte flipped', flip(m.body, -8 - 10)]);
    wv.push(['SPQR epoch changed', flip(m.body, -8 - pq.length + 1)]);
  }
  for (const [name, body] of wv) await t.recv(R, I, { type: 2, body }, `whisper (${name})`);
  await t.recv(R, I, m, 'whisper (genuine, after the tampered ones)');
  await t.recv(R, I, m, 'whisper again');
  await t.recv(I, R, await t.send(R, I, 'reply2'), 'reply2');
  return t;
}

/** Both sides process each other's bundle and send PreKey messages at the same time. */
export async function simultaneousInitiationProbe(A: Peer, B: Peer, kyber: boolean): Promise<Trace> {
  const t = new Trace();
  // A already processed B's bundle (pair()); B now processes A's
  await B.processBundle(A, await A.bundle({ kyber }));
  const a1 = await t.send(A, B, 'a1');
  const b1 = await t.send(B, A, 'b1');
  await t.recv(B, A, a1, 'a1');
  await t.recv(A, B, b1, 'b1');
  const a2 = await t.send(A, B, 'a2');
  const b2 = await t.send(B, A, 'b2');
  await t.recv(A, B, b2, 'b2');
  await t.recv(B, A, a2, 'a2');
  for (let i = 3; i < 7; i++) {
    await t.recv(B, A, await t.send(A, B, `a${i}`), `a${i}`);
    await t.recv(A, B, await t.send(B, A, `b${i}`), `b${i}`);
  }
  return t;
}

/** The same bundle (same one-time prekey) processed twice: the second session's PreKey message. */
export async function bundleReuseProbe(I: Peer, R: Peer, kyber: boolean): Promise<Trace> {
  const t = new Trace();
  const bundle = await R.bundle({ kyber });
  await I.processBundle(R, bundle);
  await t.recv(R, I, await t.send(I, R, 'p1'), 'p1');
  await I.processBundle(R, bundle);
  t.events.push('initiator processed the same bundle again');
  await t.recv(R, I, await t.send(I, R, 'q1'), 'q1 (one-time prekey already used)');
  const { preKeyId: _u, preKeyPublic: _v, ...noOneTime } = await R.bundle({ kyber });
  await I.processBundle(R, noOneTime);
  t.events.push('initiator processed a bundle without a one-time prekey');
  await t.recv(R, I, await t.send(I, R, 's1'), 's1');
  await t.recv(I, R, await t.send(R, I, 's2'), 's2');
  return t;
}

/**
 * The recipient reinstalls (same address, new identity key). Trust on first use: the changed key is
 * untrusted both for a bundle the initiator processes and for a PreKey message the new install sends.
 */
export async function identityChangeProbe(
  I: Peer,
  R: Peer,
  reinstall: () => Promise<Peer>,
  kyber: boolean,
): Promise<Trace> {
  const t = new Trace();
  await establish(t, I, R);
  const R2 = await reinstall();
  const attempt = async (label: string, f: () => Promise<unknown>, who: Peer) => {
    try {
      await f();
      t.events.push(`${label}: ok`);
    } catch (e) {
      t.events.push(`${label}: fail:${who.classify(e)}`);
      t.errors.push(`${label}: ${who.impl}: ${errorText(e)}`);
    }
  };
  await attempt('initiator processes the reinstalled bundle', async () => I.processBundle(R2, await R2.bundle({ kyber })), I);
  await R2.processBundle(I, await I.bundle({ kyber }));
  const m = await t.send(R2, I, 'from-reinstalled');
  await t.recv(I, R2, m, 'from-reinstalled (new identity)');
  // the old session is untouched
  await t.recv(R, I, await t.send(I, R, 'still'), 'still');
  return t;
}

/**
 * Archived sessions per address (libsignal keeps 40 previous states). Messages of the first session
 * are held in both directions while the initiator sets up `k` newer sessions (a new bundle and a
 * PreKey message the recipient decrypts, each time); then the held messages are delivered.
 */
export async function archiveLimitProbe(I: Peer, R: Peer, kyber: boolean, k: number): Promise<Trace> {
  const t = new Trace();
  await establish(t, I, R);
  const aOld = await t.send(I, R, 'a-old');
  const bOld = await t.send(R, I, 'b-old');
  let ok = 0;
  for (let i = 0; i < k; i++) {
    await I.processBundle(R, await R.bundle({ kyber }));
    const w = await I.encrypt(R, pt(`s${i}`));
    if (bytesEqual(await R.decrypt(I, w), pt(`s${i}`))) ok++;
  }
  t.events.push(`${ok}/${k} newer sessions set up`);
  await t.recv(R, I, aOld, `a-old (first session, ${k} sessions back at the recipient)`);
  await t.recv(I, R, bOld, `b-old (first session, ${k} sessions back at the initiator)`);
  await t.recv(R, I, await t.send(I, R, 'after'), 'after');
  return t;
}
