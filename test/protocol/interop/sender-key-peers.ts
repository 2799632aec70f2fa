// Sender Keys peers for the interop tests: one small surface over libsignal-client 0.72.1, 0.90.0 and
// 0.103.0 (test-only oracles, AGPL, never imported from src/) and over our library. Distribution messages,
// group messages and records cross the boundary as bytes only.
import { createHmac } from 'node:crypto';
import * as L72 from 'libsignal-072';
import * as L90 from 'libsignal-090';
import * as L103 from 'libsignal-0103';
import * as P from '../../../src/protocol/index.js';
import { parseProto, serializeProto, type ProtoField } from './util.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Lib = any;

export type GroupImpl = 'libsignal-0.72.1' | 'libsignal-0.90.0' | 'libsignal-0.103.0' | 'ours';

export const LIBSIGNAL_VERSIONS: { impl: Exclude<GroupImpl, 'ours'>; lib: Lib }[] = [
  { impl: 'libsignal-0.72.1', lib: L72 },
  { impl: 'libsignal-0.90.0', lib: L90 },
  { impl: 'libsignal-0.103.0', lib: L103 },
];

/** Library-independent failure classes, so ours and libsignal can be compared. */
export type GroupErrorClass = 'DuplicatedMessage' | 'InvalidMessage' | 'NoSenderKeyState' | 'UnsupportedVersion' | 'Other';

export interface Addr {
  name: string;
  deviceId: number;
}

export interface GroupPeer {
  readonly impl: GroupImpl;
  readonly address: Addr;
  /** our own SenderKeyDistributionMessage for the group (creating the chain on first use) */
  createDistribution(distributionId: string): Promise<Uint8Array>;
  processDistribution(from: Addr, skdm: Uint8Array): Promise<void>;
  /** a SenderKeyMessage (type 7) */
  encrypt(distributionId: string, plaintext: Uint8Array): Promise<Uint8Array>;
  decrypt(from: Addr, message: Uint8Array): Promise<Uint8Array>;
  /** the stored sender key record for (sender, distribution id), serialized; null when none */
  exportRecord(sender: Addr, distributionId: string): Promise<Uint8Array | null>;
  /** replaces the stored record with one deserialized from bytes */
  importRecord(sender: Addr, distributionId: string, record: Uint8Array): Promise<void>;
  classify(e: unknown): GroupErrorClass;
}

export function libsignalGroupPeer(impl: Exclude<GroupImpl, 'ours'>, S: Lib, address: Addr): GroupPeer {
  const records = new Map<string, Lib>();
  const k = (a: Lib, d: string) => `${a.name()}.${a.deviceId()}.${d}`;
  const store = new (class extends S.SenderKeyStore {
    async saveSenderKey(a: Lib, d: string, r: Lib) {
      records.set(k(a, d), r);
    }
    async getSenderKey(a: Lib, d: string) {
      return records.get(k(a, d)) ?? null;
    }
  })();
  const buf = (b: Uint8Array) => (S === L72 ? Buffer.from(b) : new Uint8Array(b));
  const addr = (a: Addr) => S.ProtocolAddress.new(a.name, a.deviceId);
  const own = addr(address);
  return {
    impl,
    address,
    async createDistribution(d) {
      return new Uint8Array((await S.SenderKeyDistributionMessage.create(own, d, store)).serialize());
    },
    async processDistribution(from, skdm) {
      await S.processSenderKeyDistributionMessage(addr(from), S.SenderKeyDistributionMessage.deserialize(buf(skdm)), store);
    },
    async encrypt(d, plaintext) {
      const m = await S.groupEncrypt(own, d, store, buf(plaintext));
      if (m.type() !== 7) throw new Error(`libsignal groupEncrypt returned type ${m.type()}`);
      return new Uint8Array(m.serialize());
    },
    async decrypt(from, message) {
      return new Uint8Array(await S.groupDecrypt(addr(from), store, buf(message)));
    },
    async exportRecord(sender, d) {
      const r = records.get(`${sender.name}.${sender.deviceId}.${d}`);
      return r ? new Uint8Array(r.serialize()) : null;
    },
    async importRecord(sender, d, bytes) {
      records.set(`${sender.name}.${sender.deviceId}.${d}`, S.SenderKeyRecord.deserialize(buf(bytes)));
    },
    classify(e) {
      const err = e as { code?: unknown; message?: string };
      if (err?.code === 1 || err?.code === S.ErrorCode?.DuplicatedMessage) return 'DuplicatedMessage';
      const msg = String(err?.message ?? '');
      if (/missing sender key state/i.test(msg)) return 'NoSenderKeyState';
      if (/version was too old|version was unrecognized/i.test(msg)) return 'UnsupportedVersion';
      if (/invalid signature|too far into the future|invalid SenderKey message|protobuf encoding was invalid|too short|decryption|bad key type|invalid message/i.test(msg))
        return 'InvalidMessage';
      return 'Other';
    },
  };
}

export function oursGroupPeer(address: Addr): GroupPeer {
  const store = new P.InMemorySenderKeyStore();
  const addr = (a: Addr) => new P.ProtocolAddress(a.name, a.deviceId);
  const own = addr(address);
  return {
    impl: 'ours',
    address,
    async createDistribution(d) {
      return (await P.createSenderKeyDistributionMessage(own, d, store)).serialize();
    },
    async processDistribution(from, skdm) {
      await P.processSenderKeyDistributionMessage(addr(from), skdm, store);
    },
    async encrypt(d, plaintext) {
      const m = await P.groupEncrypt(own, d, plaintext, store);
      if (m.type !== 7) throw new Error(`groupEncrypt returned type ${m.type}`);
      return m.body;
    },
    decrypt(from, message) {
      return P.groupDecrypt(message, addr(from), store);
    },
    async exportRecord(sender, d) {
      return (await store.loadSenderKey(addr(sender), d))?.serialize() ?? null;
    },
    async importRecord(sender, d, bytes) {
      await store.storeSenderKey(addr(sender), d, P.SenderKeyRecord.deserialize(bytes));
    },
    classify(e) {
      if (!P.isProtocolError(e)) return 'Other';
      if (e.code === 'DuplicatedMessage' || e.code === 'InvalidMessage' || e.code === 'NoSenderKeyState' || e.code === 'UnsupportedVersion') return e.code;
      return 'Other';
    },
  };
}

/** Runs `fn` expecting it to throw; returns the peer's classification of the error. */
export async function failure(peer: GroupPeer, fn: () => Promise<unknown>): Promise<GroupErrorClass | 'no error'> {
  try {
    await fn();
    return 'no error';
  } catch (e) {
    return peer.classify(e);
  }
}

const hmac = (key: Uint8Array, byte: number) => new Uint8Array(createHmac('sha256', key).update(Uint8Array.of(byte)).digest());

/**
 * A sender's record with its newest chain moved `steps` iterations ahead, as if it had sent that many
 * messages nobody received: rewritten in the record's bytes with node:crypto's HMAC (the chain step
 * HMAC(CK, 0x02), independent of our library). Lets a test reach iteration 25,000 without 25,000 sends.
 */
export function fastForwardRecord(record: Uint8Array, steps: number): Uint8Array {
  const states = parseProto(record);
  const first = states.findIndex((f) => f.field === 1);
  const state = parseProto(states[first].value as Uint8Array);
  const ci = state.findIndex((f) => f.field === 2);
  const chain = parseProto(state[ci].value as Uint8Array);
  let iteration = Number((chain.find((f) => f.field === 1)?.value as bigint | undefined) ?? 0n);
  let seed = chain.find((f) => f.field === 2)!.value as Uint8Array;
  for (let i = 0; i < steps; i++) seed = hmac(seed, 0x02);
  iteration += steps;
  const newChain: ProtoField[] = [
    { field: 1, wireType: 0, value: BigInt(iteration) },
    { field: 2, wireType: 2, value: seed },
  ];
  state[ci] = { field: 2, wireType: 2, value: serializeProto(newChain) };
  states[first] = { field: 1, wireType: 2, value: serializeProto(state) };
  return serializeProto(states);
}

/** Flips one bit of `bytes` at `index` (negative: from the end). */
export function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[index < 0 ? out.length + index : index] ^= 0x01;
  return out;
}

export const text = (s: string) => new TextEncoder().encode(s);
export const untext = (b: Uint8Array) => new TextDecoder().decode(b);
