// Sender Keys: one symmetric chain per sender device and distribution id (group), handed to each member
// once in a SenderKeyDistributionMessage over the pairwise sessions, then one encryption per group message.
// The operations and behaviour of libsignal-client's group API (SenderKeyDistributionMessage.create,
// processSenderKeyDistributionMessage, groupEncrypt, groupDecrypt), byte-compatible with it:
//
//   message keys  HKDF-SHA256(ikm = HMAC(CK, 0x01), salt = none, info = "WhisperGroup", L = 48)
//                 -> IV [0..16], AES-256-CBC key [16..48] (PKCS#7)
//   signature     XEdDSA by the sender's signing key over the message (sender-key-messages.ts)
//   limits        MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS, MAX_SENDER_KEY_STATES (consts.ts)
//
// Every entry point works on a copy of the stored record and stores only after success, so a refused
// message leaves the store untouched. Operations on one record through one store object run one at a time
// (two concurrent groupEncrypt calls must never use the same iteration); a store shared by several
// processes needs its own serialization, as with libsignal.
import { ProtocolAddress } from './address.js';
import { assertBytes, assertInstance, assertRng, utf8, wipe, type Rng } from './bytes.js';
import { MAX_FORWARD_JUMPS } from './consts.js';
import { PrivateKey } from './curve.js';
import { ProtocolError } from './errors.js';
import { aes256CbcDecrypt, aes256CbcEncrypt, hkdfSha256 } from './kdf.js';
import type { ChainKey } from './ratchet-keys.js';
import { SENDER_KEY_MESSAGE_TYPE, SenderKeyDistributionMessage, SenderKeyMessage } from './sender-key-messages.js';
import { SenderKeyRecord, type SenderKeyState } from './sender-key-record.js';
import type { SenderKeyStore } from './sender-key-store.js';
import { normalizeUuid } from './uuid.js';

export interface GroupCiphertextMessage {
  type: typeof SENDER_KEY_MESSAGE_TYPE;
  /** the serialized SenderKeyMessage */
  body: Uint8Array;
}

export interface GroupCipherOptions {
  /** randomness for new chains (chain id, chain key, signing key) and for signatures */
  rng?: Rng;
}

const INFO_GROUP_MESSAGE_KEYS = utf8('WhisperGroup');
const MAX_ITERATION = 0xffffffff;

// ---- argument validation -----------------------------------------------------------------------

function checkStore(store: unknown): SenderKeyStore {
  const s = store as Record<string, unknown> | null;
  if (typeof s !== 'object' || s === null || typeof s.loadSenderKey !== 'function' || typeof s.storeSenderKey !== 'function')
    throw new ProtocolError('InvalidArgument', '"store" expected a SenderKeyStore (loadSenderKey(), storeSenderKey())');
  return store as SenderKeyStore;
}

function checkOpts(opts: unknown): Rng | undefined {
  if (opts === undefined) return undefined;
  if (typeof opts !== 'object' || opts === null) throw new ProtocolError('InvalidArgument', `"opts" expected an object, got ${opts === null ? 'null' : typeof opts}`);
  const rng = (opts as GroupCipherOptions).rng;
  return rng === undefined ? undefined : assertRng(rng, 'opts.rng');
}

// ---- one operation per record at a time ---------------------------------------------------------

const queues = new WeakMap<object, Map<string, Promise<void>>>();

async function exclusive<T>(store: SenderKeyStore, sender: ProtocolAddress, distributionId: string, fn: () => Promise<T>): Promise<T> {
  let perStore = queues.get(store);
  if (!perStore) queues.set(store, (perStore = new Map()));
  const key = `${sender.name}\u0000${sender.deviceId}\u0000${distributionId}`;
  const previous = perStore.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = previous.then(() => new Promise<void>((r) => (release = r)));
  perStore.set(key, mine);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (perStore.get(key) === mine) perStore.delete(key);
  }
}

// ---- keys ----------------------------------------------------------------------------------------

function messageKeys(seed: Uint8Array): { iv: Uint8Array; cipherKey: Uint8Array; okm: Uint8Array } {
  const okm = hkdfSha256(seed, undefined, INFO_GROUP_MESSAGE_KEYS, 48);
  return { iv: okm.subarray(0, 16), cipherKey: okm.subarray(16, 48), okm };
}

/** The seed for `iteration` on a receiving state (mutated: a clone), keeping the skipped ones. */
function seedForIteration(state: SenderKeyState, iteration: number): Uint8Array {
  const current = state.chainKey.index;
  if (iteration < current) {
    const seed = state.takeSkippedKey(iteration);
    if (!seed) throw new ProtocolError('DuplicatedMessage', `sender key message with iteration ${iteration} already received or too old (chain at ${current})`);
    return seed;
  }
  if (iteration - current > MAX_FORWARD_JUMPS)
    throw new ProtocolError('InvalidMessage', `sender key message from too far into the future (${iteration - current} iterations ahead)`);
  let ck: ChainKey = state.chainKey;
  if (ck.index < iteration) {
    const skipped: [number, Uint8Array][] = [];
    while (ck.index < iteration) {
      skipped.push([ck.index, ck.messageKeySeed()]);
      ck = ck.next();
    }
    state.addSkippedKeys(skipped);
  }
  // An iteration of 2^32 - 1 is the chain's last: nothing follows it.
  if (ck.index < MAX_ITERATION) state.chainKey = ck.next();
  else state.chainKey = ck;
  return ck.messageKeySeed();
}

function newChain(rng: Rng | undefined): { chainId: number; chainKey: Uint8Array; signingKey: PrivateKey } {
  const r = assertRng(rng);
  const id = r(4);
  // 31-bit chain ids, as libsignal-client's (every id it was seen to emit is below 2^31)
  const chainId = (((id[0] << 24) | (id[1] << 16) | (id[2] << 8) | id[3]) >>> 1) >>> 0;
  return { chainId, chainKey: r(32), signingKey: PrivateKey.generate(r) };
}

function distributionFor(state: SenderKeyState, distributionId: string): SenderKeyDistributionMessage {
  return SenderKeyDistributionMessage.create(distributionId, state.chainId, state.chainKey.index, state.chainKey.key, state.signingKey);
}

// ---- entry points --------------------------------------------------------------------------------

/**
 * The distribution message for our own chain in this group, creating the chain (random chain id, chain
 * key and signing key) on first use. It carries the chain key at the current iteration: a member who
 * receives it can read what we send from now on, not what we sent before.
 */
export async function createSenderKeyDistributionMessage(
  sender: ProtocolAddress,
  distributionId: string,
  store: SenderKeyStore,
  opts?: GroupCipherOptions,
): Promise<SenderKeyDistributionMessage> {
  assertInstance(sender, ProtocolAddress, 'sender');
  const dist = normalizeUuid(distributionId, 'distributionId');
  const s = checkStore(store);
  const rng = checkOpts(opts);
  return exclusive(s, sender, dist, async () => {
    const existing = await s.loadSenderKey(sender, dist);
    const current = existing?.currentState();
    if (current) return distributionFor(current, dist);
    return startChain(s, sender, dist, rng);
  });
}

/**
 * Starts a new chain for our own sender key in this group and returns its distribution message. Members
 * given the new one can read what follows; a member not given it (one who left) cannot, even holding the
 * ciphertext and the old chain.
 */
export async function rotateSenderKey(
  sender: ProtocolAddress,
  distributionId: string,
  store: SenderKeyStore,
  opts?: GroupCipherOptions,
): Promise<SenderKeyDistributionMessage> {
  assertInstance(sender, ProtocolAddress, 'sender');
  const dist = normalizeUuid(distributionId, 'distributionId');
  const s = checkStore(store);
  const rng = checkOpts(opts);
  // The old chains' private keys are not kept: nobody else sends from our address.
  return exclusive(s, sender, dist, () => startChain(s, sender, dist, rng));
}

/** Replaces our sender key record for the group with one new chain and returns its distribution message. */
async function startChain(
  s: SenderKeyStore,
  sender: ProtocolAddress,
  dist: string,
  rng: Rng | undefined,
): Promise<SenderKeyDistributionMessage> {
  const { chainId, chainKey, signingKey } = newChain(rng);
  const record = new SenderKeyRecord();
  record.addState(chainId, 0, chainKey, signingKey.getPublicKey(), signingKey);
  wipe(chainKey);
  await s.storeSenderKey(sender, dist, record);
  return distributionFor(record.currentState()!, dist);
}

/** Stores the chain a member distributed (received over a pairwise session from `sender`). */
export async function processSenderKeyDistributionMessage(
  sender: ProtocolAddress,
  message: SenderKeyDistributionMessage | Uint8Array,
  store: SenderKeyStore,
): Promise<void> {
  assertInstance(sender, ProtocolAddress, 'sender');
  const m = message instanceof SenderKeyDistributionMessage ? message : SenderKeyDistributionMessage.deserialize(assertBytes(message, 'message'));
  const s = checkStore(store);
  await exclusive(s, sender, m.distributionId, async () => {
    const existing = await s.loadSenderKey(sender, m.distributionId);
    const record = existing ? existing.copy() : new SenderKeyRecord();
    record.addState(m.chainId, m.iteration, m.chainKey, m.signingKey);
    await s.storeSenderKey(sender, m.distributionId, record);
  });
}

/** Encrypts one group message with our newest chain: a SenderKeyMessage (type 7) for every member at once. */
export async function groupEncrypt(
  sender: ProtocolAddress,
  distributionId: string,
  plaintext: Uint8Array,
  store: SenderKeyStore,
  opts?: GroupCipherOptions,
): Promise<GroupCiphertextMessage> {
  assertInstance(sender, ProtocolAddress, 'sender');
  const dist = normalizeUuid(distributionId, 'distributionId');
  assertBytes(plaintext, 'plaintext');
  const s = checkStore(store);
  const rng = checkOpts(opts);
  return exclusive(s, sender, dist, async () => {
    const record = await s.loadSenderKey(sender, dist);
    const current = record?.currentState();
    if (!record || !current)
      throw new ProtocolError('NoSenderKeyState', `no sender key state for distribution id ${dist} (create a distribution message first)`);
    if (!current.signingPrivateKey)
      throw new ProtocolError('NoSenderKeyState', `the sender key state for distribution id ${dist} is not ours to send with (no signing private key)`);
    const ck = current.chainKey;
    if (ck.index >= MAX_ITERATION) throw new ProtocolError('NoSenderKeyState', `the sender key chain for distribution id ${dist} is exhausted: rotate it`);
    const seed = ck.messageKeySeed();
    const keys = messageKeys(seed);
    let ciphertext: Uint8Array;
    try {
      ciphertext = aes256CbcEncrypt(keys.cipherKey, keys.iv, plaintext);
    } finally {
      wipe(seed, keys.okm);
    }
    const message = await SenderKeyMessage.create(dist, current.chainId, ck.index, ciphertext, current.signingPrivateKey, rng);
    const next = current.clone();
    next.chainKey = ck.next();
    const updated = record.copy();
    updated.replaceState(next);
    await s.storeSenderKey(sender, dist, updated);
    return { type: SENDER_KEY_MESSAGE_TYPE, body: message.serialize() };
  });
}

/** Decrypts a SenderKeyMessage from `sender` (the device whose distribution message we processed). */
export async function groupDecrypt(ciphertext: Uint8Array, sender: ProtocolAddress, store: SenderKeyStore): Promise<Uint8Array> {
  assertBytes(ciphertext, 'ciphertext');
  assertInstance(sender, ProtocolAddress, 'sender');
  const s = checkStore(store);
  const message = SenderKeyMessage.deserialize(ciphertext);
  const dist = message.distributionId;
  return exclusive(s, sender, dist, async () => {
    const record = await s.loadSenderKey(sender, dist);
    if (!record || record.isEmpty()) throw new ProtocolError('NoSenderKeyState', `no sender key state for distribution id ${dist} from ${sender.toString()}`);
    const original = record.stateForChainId(message.chainId);
    if (!original)
      throw new ProtocolError('NoSenderKeyState', `no sender key state for chain ${message.chainId} of distribution id ${dist} from ${sender.toString()}`);
    if (!(await message.verifySignature(original.signingKey))) throw new ProtocolError('InvalidMessage', 'sender key message signature verification failed');
    const state = original.clone();
    const seed = seedForIteration(state, message.iteration);
    const keys = messageKeys(seed);
    let plaintext: Uint8Array;
    try {
      plaintext = aes256CbcDecrypt(keys.cipherKey, keys.iv, message.ciphertext);
    } finally {
      wipe(seed, keys.okm);
    }
    const updated = record.copy();
    updated.replaceState(state);
    await s.storeSenderKey(sender, dist, updated);
    return plaintext;
  });
}

