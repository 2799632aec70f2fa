// Session behaviour of src/protocol on both crypto backends: set-up (X3DH and PQXDH), the Double
// Ratchet, tampering, replays, forward secrecy, post-compromise security, identity trust, the
// skipped-key limits and archived sessions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as P from '../../src/protocol/index.js';

const te = new TextEncoder();
const td = new TextDecoder();

interface Party {
  name: string;
  identity: P.IdentityKeyPair;
  registrationId: number;
  store: P.InMemorySignalProtocolStore;
  address: P.ProtocolAddress;
}

function party(name: string, identity = P.IdentityKeyPair.generate()): Party {
  const registrationId = P.generateRegistrationId();
  return { name, identity, registrationId, store: new P.InMemorySignalProtocolStore(identity, registrationId), address: new P.ProtocolAddress(name, 1) };
}

let nextId = 1;
async function publishBundle(p: Party, opts: { kyber?: boolean; oneTime?: boolean; lastResort?: boolean } = {}): Promise<P.PreKeyBundle> {
  const id = nextId++;
  const spk = await P.generateSignedPreKey(p.identity, id);
  await p.store.storeSignedPreKey(id, spk);
  const b: P.PreKeyBundle = {
    registrationId: p.registrationId,
    deviceId: 1,
    signedPreKeyId: id,
    signedPreKeyPublic: spk.publicKey,
    signedPreKeySignature: spk.signature,
    identityKey: p.identity.publicKey,
  };
  if (opts.oneTime !== false) {
    const [pk] = P.generatePreKeys(id, 1);
    await p.store.storePreKey(pk.id, pk);
    b.preKeyId = pk.id;
    b.preKeyPublic = pk.publicKey;
  }
  if (opts.kyber !== false) {
    const k = await P.generateKyberPreKey(p.identity, id);
    await p.store.storeKyberPreKey(id, k, opts.lastResort);
    b.kyberPreKeyId = id;
    b.kyberPreKeyPublic = k.publicKey;
    b.kyberPreKeySignature = k.signature;
  }
  return b;
}

const encrypt = (from: Party, to: Party, text: string) => P.signalEncrypt(te.encode(text), to.address, from.store);
async function decrypt(to: Party, from: Party, m: P.CiphertextMessage, store: P.ProtocolStores = to.store): Promise<string> {
  const pt = m.type === 3 ? await P.signalDecryptPreKey(m.body, from.address, store) : await P.signalDecrypt(m.body, from.address, store);
  return td.decode(pt);
}
async function send(from: Party, to: Party, text: string): Promise<P.CiphertextMessage> {
  const m = await encrypt(from, to, text);
  expect(await decrypt(to, from, m)).toBe(text);
  return m;
}
async function established(kyber = true): Promise<[Party, Party]> {
  const alice = party('alice');
  const bob = party('bob');
  await P.processPreKeyBundle(await publishBundle(bob, { kyber }), bob.address, alice.store);
  await send(alice, bob, 'hello');
  await send(bob, alice, 'hi');
  return [alice, bob];
}
async function expectCode(p: Promise<unknown>, ...codes: P.ProtocolErrorCode[]): Promise<P.ProtocolError> {
  try {
    await p;
  } catch (e) {
    expect(P.isProtocolError(e), String(e)).toBe(true);
    expect(codes, (e as Error).message).toContain((e as P.ProtocolError).code);
    return e as P.ProtocolError;
  }
  throw new Error(`expected ProtocolError ${codes.join('|')}, but it succeeded`);
}
async function snapshot(p: Party, other: Party): Promise<string> {
  const r = await p.store.loadSession(other.address);
  return r ? Buffer.from(r.serialize()).toString('hex') : 'none';
}
/** A copy of `p`'s session with `other`, as an attacker who stole the serialized state would hold. */
async function steal(p: Party, other: Party): Promise<P.InMemorySignalProtocolStore> {
  const thief = new P.InMemorySignalProtocolStore(p.identity, p.registrationId);
  await thief.storeSession(other.address, P.SessionRecord.deserialize((await p.store.loadSession(other.address))!.serialize()));
  return thief;
}

function decodeVarint(b: Uint8Array, at: number): number {
  let v = 0;
  for (let i = 0, mul = 1; i < 5; i++, mul *= 128) {
    v += (b[at + i] & 0x7f) * mul;
    if (!(b[at + i] & 0x80)) return v;
  }
  return -1;
}

afterAll(() => P.setCryptoBackend('auto'));

describe.each(['webcrypto', 'noble'] as const)('sessions on the %s backend', (backend) => {
  beforeAll(() => P.setCryptoBackend(backend));

  it.each([
    ['X3DH', false, 0x34],
    ['PQXDH', true, 0x44],
  ] as const)('sets up a %s session and exchanges messages both ways, in and out of order', async (_n, kyber, versionByte) => {
    const alice = party('alice');
    const bob = party('bob');
    await P.processPreKeyBundle(await publishBundle(bob, { kyber }), bob.address, alice.store);
    const m1 = await encrypt(alice, bob, 'one');
    const m2 = await encrypt(alice, bob, 'two');
    expect(m1.type).toBe(P.CiphertextMessageType.PreKey);
    expect(m1.body[0]).toBe(versionByte);
    expect(await decrypt(bob, alice, m2)).toBe('two');
    expect(await decrypt(bob, alice, m1)).toBe('one');
    const r = await send(bob, alice, 'three');
    expect(r.type).toBe(P.CiphertextMessageType.Whisper);
    expect((await encrypt(alice, bob, 'four')).type).toBe(P.CiphertextMessageType.Whisper);
    const later: P.CiphertextMessage[] = [];
    for (let i = 0; i < 5; i++) later.push(await encrypt(bob, alice, `b${i}`));
    await send(alice, bob, 'interleaved');
    for (const i of [4, 0, 2, 1, 3]) expect(await decrypt(alice, bob, later[i])).toBe(`b${i}`);
    for (let i = 0; i < 6; i++) await send(i % 2 ? alice : bob, i % 2 ? bob : alice, `alt ${i}`);
  });

  it('consumes the one-time prekey and a one-time Kyber key, keeps a last-resort Kyber key', async () => {
    const alice = party('alice');
    const bob = party('bob');
    const b1 = await publishBundle(bob);
    await P.processPreKeyBundle(b1, bob.address, alice.store);
    await send(alice, bob, 'x');
    expect(await bob.store.containsPreKey(b1.preKeyId!)).toBe(false);
    expect(await bob.store.containsKyberPreKey(b1.kyberPreKeyId!)).toBe(false);

    const carol = party('carol');
    const b2 = await publishBundle(bob, { lastResort: true, oneTime: false });
    await P.processPreKeyBundle(b2, bob.address, carol.store);
    await send(carol, bob, 'y');
    expect(await bob.store.containsKyberPreKey(b2.kyberPreKeyId!)).toBe(true);
  });

  it('refuses every flipped bit of a SignalMessage, leaves the session untouched, then decrypts the genuine one', async () => {
    const [alice, bob] = await established();
    const m = await encrypt(alice, bob, 'tamper with me');
    const before = await snapshot(bob, alice);
    const seen = new Set<string>();
    for (let bit = 0; bit < m.body.length * 8; bit++) {
      const bad = Uint8Array.from(m.body);
      bad[bit >> 3] ^= 1 << (bit & 7);
      // a version nibble other than 3/4 is a version we do not speak (as libsignal says); any
      // other change is an invalid message
      const versionHighNibble = bit >= 4 && bit < 8;
      const e = await expectCode(P.signalDecrypt(bad, alice.address, bob.store), ...(versionHighNibble ? (['UnsupportedVersion'] as const) : (['InvalidMessage'] as const)));
      seen.add(e.code);
    }
    expect(await snapshot(bob, alice)).toBe(before);
    expect(await decrypt(bob, alice, m)).toBe('tamper with me');
    expect(seen).toEqual(new Set(['InvalidMessage', 'UnsupportedVersion']));
  });

  it('refuses flipped bits of a PreKeySignalMessage without consuming prekeys, then accepts the genuine one', async () => {
    const alice = party('alice');
    const bob = party('bob');
    const b = await publishBundle(bob);
    await P.processPreKeyBundle(b, bob.address, alice.store);
    const m = await encrypt(alice, bob, 'first contact');
    // Two parts of libsignal's PreKeySignalMessage are not authenticated, by design of the wire
    // format: the low nibble of the version byte and the advisory registration_id (field 5).
    // Everything else is bound to the keys or MACs: base key, identity key, prekey ids, Kyber
    // ciphertext, the inner SignalMessage.
    let reg = -1;
    for (let i = 70; i < m.body.length - 2; i++) if (m.body[i] === 0x28 && decodeVarint(m.body, i + 1) === alice.registrationId) reg = i;
    expect(reg).toBeGreaterThan(0);
    const unauthenticated = (bit: number) => bit < 4 || (bit >= reg * 8 && bit < (reg + 3) * 8);
    const step = backend === 'noble' ? 61 : 13; // a spread of bits over every field, Kyber ciphertext included
    for (let bit = 0; bit < m.body.length * 8; bit += step) {
      if (unauthenticated(bit)) continue;
      const bad = Uint8Array.from(m.body);
      bad[bit >> 3] ^= 1 << (bit & 7);
      await expectCode(P.signalDecryptPreKey(bad, alice.address, bob.store), 'InvalidMessage', 'UnsupportedVersion', 'InvalidPreKeyId', 'InvalidSignedPreKeyId', 'InvalidKyberPreKeyId');
      expect(await bob.store.loadSession(alice.address)).toBeNull();
      expect(await bob.store.getIdentity(alice.address)).toBeNull();
    }
    expect(await bob.store.containsPreKey(b.preKeyId!)).toBe(true);
    expect(await bob.store.containsKyberPreKey(b.kyberPreKeyId!)).toBe(true);
    expect(await decrypt(bob, alice, m)).toBe('first contact');
  });

  it('reports a replayed message as DuplicatedMessage (whisper and PreKey messages)', async () => {
    const alice = party('alice');
    const bob = party('bob');
    await P.processPreKeyBundle(await publishBundle(bob), bob.address, alice.store);
    const first = await send(alice, bob, 'prekey');
    await expectCode(decrypt(bob, alice, first), 'DuplicatedMessage');
    await send(bob, alice, 'reply');
    const w = await send(alice, bob, 'whisper');
    await expectCode(decrypt(bob, alice, w), 'DuplicatedMessage');
    const late = await encrypt(alice, bob, 'skipped then used');
    await send(alice, bob, 'newer');
    expect(await decrypt(bob, alice, late)).toBe('skipped then used');
    await expectCode(decrypt(bob, alice, late), 'DuplicatedMessage');
  });

  it('keeps forward secrecy: a state captured later cannot decrypt earlier messages', async () => {
    const [alice, bob] = await established();
    const earlier = await send(alice, bob, 'secret past');
    const skipped = await encrypt(alice, bob, 'read out of order');
    await send(alice, bob, 'after');
    expect(await decrypt(bob, alice, skipped)).toBe('read out of order');
    const thief = await steal(bob, alice);
    await expectCode(decrypt(bob, alice, earlier, thief), 'DuplicatedMessage');
    await expectCode(decrypt(bob, alice, skipped, thief), 'DuplicatedMessage');
    // the stolen state holds no message keys for anything already read
    const rec = (await thief.loadSession(alice.address))!;
    expect(rec.current!.receiverChains.every((c) => c.messageKeys.size === 0)).toBe(true);
  });

  it('heals after a compromise: one round trip of new ratchet keys locks out a stolen state', async () => {
    const [alice, bob] = await established();
    const thief = await steal(bob, alice);
    // while nothing has changed the thief can read along
    const m0 = await encrypt(alice, bob, 'still readable');
    expect(await decrypt(bob, alice, m0, thief)).toBe('still readable');
    expect(await decrypt(bob, alice, m0)).toBe('still readable');
    await send(bob, alice, 'new ratchet key from bob');
    await send(alice, bob, 'new ratchet key from alice');
    const secret = await encrypt(alice, bob, 'after healing');
    await expectCode(decrypt(bob, alice, secret, thief), 'InvalidMessage');
    expect(await decrypt(bob, alice, secret)).toBe('after healing');
  });

  it('refuses a changed identity key until it is trusted, on both sides', async () => {
    const [alice, bob] = await established();
    // bob reinstalls: same address, new identity
    const bob2 = party('bob');
    const bundle = await publishBundle(bob2);
    await expectCode(P.processPreKeyBundle(bundle, bob2.address, alice.store), 'UntrustedIdentity');
    expect(await encrypt(alice, bob, 'old session still works')).toBeTruthy();
    await alice.store.saveIdentity(bob2.address, bob2.identity.publicKey);
    await P.processPreKeyBundle(bundle, bob2.address, alice.store);
    await send(alice, bob2, 'hello new bob');

    // receiving side: alice reinstalls and writes to bob, who knows her old key
    const alice2 = party('alice');
    await P.processPreKeyBundle(await publishBundle(bob), bob.address, alice2.store);
    const m = await encrypt(alice2, bob, 'it is me');
    const before = await snapshot(bob, alice);
    await expectCode(decrypt(bob, alice2, m), 'UntrustedIdentity');
    expect(await snapshot(bob, alice)).toBe(before);
    await bob.store.saveIdentity(alice2.address, alice2.identity.publicKey);
    expect(await decrypt(bob, alice2, m)).toBe('it is me');
  });

  it('rejects a bundle whose signed prekey or Kyber prekey signature does not verify', async () => {
    const alice = party('alice');
    const bob = party('bob');
    const b = await publishBundle(bob);
    const badSpk = { ...b, signedPreKeySignature: Uint8Array.from(b.signedPreKeySignature).map((x, i) => (i === 3 ? x ^ 1 : x)) };
    await expectCode(P.processPreKeyBundle(badSpk, bob.address, alice.store), 'InvalidSignature');
    const badKyber = { ...b, kyberPreKeySignature: Uint8Array.from(b.kyberPreKeySignature!).map((x, i) => (i === 9 ? x ^ 1 : x)) };
    await expectCode(P.processPreKeyBundle(badKyber, bob.address, alice.store), 'InvalidSignature');
    const swapped = { ...b, kyberPreKeySignature: b.signedPreKeySignature };
    await expectCode(P.processPreKeyBundle(swapped, bob.address, alice.store), 'InvalidSignature');
    expect(await alice.store.loadSession(bob.address)).toBeNull();
  });

  it('tries archived sessions and promotes the one that decrypts', async () => {
    const [alice, bob] = await established();
    const fromOld = await encrypt(bob, alice, 'sent on the old session');
    // alice starts a second session (new bundle): the first is archived on her side
    await P.processPreKeyBundle(await publishBundle(bob), bob.address, alice.store);
    const rec = (await alice.store.loadSession(bob.address))!;
    expect(rec.previous.length).toBe(1);
    expect(await decrypt(alice, bob, fromOld)).toBe('sent on the old session');
    // the old session was promoted back to current
    const after = (await alice.store.loadSession(bob.address))!;
    expect(after.current!.pendingPreKey).toBeUndefined();
    expect(after.previous.length).toBe(1);
  });
});

describe('limits (libsignal consts.rs)', () => {
  it('keeps 2,000 skipped message keys per chain, dropping the oldest', async () => {
    const [alice, bob] = await established(false);
    const msgs: P.CiphertextMessage[] = [];
    for (let i = 0; i < 2002; i++) msgs.push(await encrypt(alice, bob, `m${i}`));
    expect(await decrypt(bob, alice, msgs[2001])).toBe('m2001');
    const chain = (await bob.store.loadSession(alice.address))!.current!.receiverChains.at(-1)!;
    expect(chain.messageKeys.size).toBe(P.MAX_MESSAGE_KEYS);
    await expectCode(decrypt(bob, alice, msgs[0]), 'DuplicatedMessage');
    expect(await decrypt(bob, alice, msgs[1])).toBe('m1');
    expect(await decrypt(bob, alice, msgs[2000])).toBe('m2000');
  });

  it('rejects a forward jump over 25,000 and accepts one of exactly 25,000', async () => {
    const [alice, bob] = await established(false);
    const msgs: P.CiphertextMessage[] = [];
    for (let i = 0; i <= 25_001; i++) {
      const m = await encrypt(alice, bob, `m${i}`);
      if (i === 25_000 || i === 25_001) msgs.push(m);
    }
    // bob's chain is at counter 1 (he read one message): counter 25,001 is 25,000 ahead
    // alice sent 'hello' (0) before; these are counters 25,001 and 25,002
    const before = await snapshot(bob, alice);
    await expectCode(decrypt(bob, alice, msgs[1]), 'InvalidMessage');
    expect(await snapshot(bob, alice)).toBe(before);
    expect(await decrypt(bob, alice, msgs[0])).toBe('m25000');
  }, 120_000);

  it('keeps 5 receiving chains per session', async () => {
    const [alice, bob] = await established(false);
    const late: P.CiphertextMessage[] = [];
    for (let i = 0; i < 6; i++) {
      late.push(await encrypt(alice, bob, `late ${i}`));
      await send(alice, bob, `on time ${i}`);
      await send(bob, alice, `reply ${i}`);
    }
    const rec = (await bob.store.loadSession(alice.address))!;
    expect(rec.current!.receiverChains.length).toBe(P.MAX_RECEIVER_CHAINS);
    // the oldest late message's chain is gone, the newer ones still decrypt
    expect(await decrypt(bob, alice, late[5])).toBe('late 5');
    expect(await decrypt(bob, alice, late[2])).toBe('late 2');
    await expectCode(decrypt(bob, alice, late[0]), 'InvalidMessage');
  });

  it('archives at most 40 previous sessions', async () => {
    const alice = party('alice');
    const bob = party('bob');
    for (let i = 0; i < 42; i++) await P.processPreKeyBundle(await publishBundle(bob, { kyber: false, oneTime: false }), bob.address, alice.store);
    const rec = (await alice.store.loadSession(bob.address))!;
    expect(rec.previous.length).toBe(P.ARCHIVED_STATES_MAX_LENGTH);
    const again = P.SessionRecord.deserialize(rec.serialize());
    expect(again.previous.length).toBe(40);
    expect(again.hasCurrentState()).toBe(true);
  }, 60_000);
});

describe('unacknowledged sessions', () => {
  it('stops sending PreKey messages on a session no reply confirmed for 30 days (injected clock)', async () => {
    const alice = party('alice');
    const bob = party('bob');
    const t0 = 1_700_000_000_000;
    await P.processPreKeyBundle(await publishBundle(bob), bob.address, alice.store, { now: t0 });
    const ok = await P.signalEncrypt(te.encode('day 30'), bob.address, alice.store, { now: t0 + P.MAX_UNACKNOWLEDGED_SESSION_AGE_MS });
    expect(ok.type).toBe(P.CiphertextMessageType.PreKey);
    await expectCode(P.signalEncrypt(te.encode('day 31'), bob.address, alice.store, { now: t0 + P.MAX_UNACKNOWLEDGED_SESSION_AGE_MS + 1 }), 'NoSession');
    // once bob answers, age no longer matters
    expect(await decrypt(bob, alice, ok)).toBe('day 30');
    await send(bob, alice, 'reply');
    const later = await P.signalEncrypt(te.encode('day 400'), bob.address, alice.store, { now: t0 + 400 * 86_400_000 });
    expect(later.type).toBe(P.CiphertextMessageType.Whisper);
  });
});

describe('records and persistence', () => {
  it('round-trips a session through bytes mid-conversation (a store that only keeps bytes)', async () => {
    const [alice, bob] = await established();
    const pending = await encrypt(alice, bob, 'skipped');
    await send(alice, bob, 'next');
    for (const [p, q] of [
      [alice, bob],
      [bob, alice],
    ] as const) {
      const bytes = (await p.store.loadSession(q.address))!.serialize();
      await p.store.storeSession(q.address, P.SessionRecord.deserialize(bytes));
      expect(Buffer.from((await p.store.loadSession(q.address))!.serialize()).equals(Buffer.from(bytes))).toBe(true);
    }
    expect(await decrypt(bob, alice, pending)).toBe('skipped');
    await send(bob, alice, 'after restore');
    await send(alice, bob, 'and back');
  });

  it('round-trips every key and record type', async () => {
    const id = P.IdentityKeyPair.generate();
    expect(P.IdentityKeyPair.deserialize(id.serialize()).publicKey.equals(id.publicKey)).toBe(true);
    const [pk] = P.generatePreKeys(7, 1);
    const pk2 = P.PreKeyRecord.deserialize(pk.serialize());
    expect(pk2.id).toBe(7);
    expect(pk2.publicKey.equals(pk.publicKey)).toBe(true);
    const spk = await P.generateSignedPreKey(id, 9, 1_700_000_000_000);
    const spk2 = P.SignedPreKeyRecord.deserialize(spk.serialize());
    expect([spk2.id, spk2.timestamp]).toEqual([9, 1_700_000_000_000]);
    expect(await id.publicKey.verifySignature(spk2.publicKey.serialize(), spk2.signature)).toBe(true);
    const k = await P.generateKyberPreKey(id, 11, 5);
    const k2 = P.KyberPreKeyRecord.deserialize(k.serialize());
    expect(k2.publicKey.serialize()).toEqual(k.publicKey.serialize());
    expect(await id.publicKey.verifySignature(k2.publicKey.serialize(), k2.signature)).toBe(true);
    const kp = P.KyberKeyPair.deserialize(k.keyPair.serialize());
    expect(kp.publicKey.serialize()).toEqual(k.publicKey.serialize());
  });

  it('is deterministic under an injected rng', async () => {
    const { sha256 } = await import('@noble/hashes/sha2.js');
    const seeded = (label: string) => {
      let counter = 0;
      return (n: number) => {
        const out = new Uint8Array(n);
        for (let i = 0; i < n; i += 32) out.set(sha256(te.encode(`${label}/${counter++}`)).subarray(0, Math.min(32, n - i)), i);
        return out;
      };
    };
    const run = async () => {
      const ra = seeded('a');
      const rb = seeded('b');
      const a = new P.InMemorySignalProtocolStore(P.IdentityKeyPair.generate(ra), 1);
      const bid = P.IdentityKeyPair.generate(rb);
      const b = new P.InMemorySignalProtocolStore(bid, 2);
      const spk = await P.generateSignedPreKey(bid, 1, 1000, rb);
      const kpk = await P.generateKyberPreKey(bid, 1, 1000, rb);
      await b.storeSignedPreKey(1, spk);
      await b.storeKyberPreKey(1, kpk);
      const bundle = { registrationId: 2, deviceId: 1, signedPreKeyId: 1, signedPreKeyPublic: spk.publicKey, signedPreKeySignature: spk.signature, identityKey: bid.publicKey, kyberPreKeyId: 1, kyberPreKeyPublic: kpk.publicKey, kyberPreKeySignature: kpk.signature };
      const addrA = new P.ProtocolAddress('a', 1);
      const addrB = new P.ProtocolAddress('b', 1);
      await P.processPreKeyBundle(bundle, addrB, a, { rng: ra, now: 1000 });
      const m1 = await P.signalEncrypt(te.encode('x'), addrB, a, { rng: ra, now: 1000 });
      await P.signalDecryptPreKey(m1.body, addrA, b, { rng: rb });
      const m2 = await P.signalEncrypt(te.encode('y'), addrA, b, { rng: rb });
      return Buffer.concat([m1.body, m2.body]).toString('hex');
    };
    expect(await run()).toBe(await run());
  });
});

describe('switching crypto backends mid-session', () => {
  it('keeps every session working when the backend changes between messages', async () => {
    P.setCryptoBackend('webcrypto');
    const [alice, bob] = await established();
    const order = ['noble', 'webcrypto', 'auto', 'noble', 'webcrypto'] as const;
    for (const [i, b] of order.entries()) {
      P.setCryptoBackend(b);
      await send(alice, bob, `a${i}`);
      await send(bob, alice, `b${i}`);
    }
    P.setCryptoBackend('noble');
    expect(P.getCryptoBackend()).toBe('noble');
    const carol = party('carol');
    await P.processPreKeyBundle(await publishBundle(bob), bob.address, carol.store);
    const m = await encrypt(carol, bob, 'made with noble');
    P.setCryptoBackend('webcrypto');
    expect(await decrypt(bob, carol, m)).toBe('made with noble');
    P.setCryptoBackend('auto');
  });
});
