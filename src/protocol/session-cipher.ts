// Session set-up and the Double Ratchet message flow (libsignal rust/protocol/src/session.rs and
// session_cipher.rs). Every entry point works on copies of the stored session and commits to the
// store only after success, so a failed decryption leaves the stored state untouched.
import { ProtocolAddress } from './address.js';
import { assertBytes, assertInstance, assertRng, assertTimestamp, assertUint32, type Rng } from './bytes.js';
import { MAX_FORWARD_JUMPS, MAX_UNACKNOWLEDGED_SESSION_AGE_MS } from './consts.js';
import { generateKeyPair, IdentityKeyPair, PublicKey, SIGNATURE_LENGTH } from './curve.js';
import { isProtocolError, ProtocolError } from './errors.js';
import { initializeInitiatorSession, initializeRecipientSession, type PrecomputedRatchetStep } from './handshake.js';
import { aes256CbcDecrypt, aes256CbcEncrypt } from './kdf.js';
import { KyberPublicKey } from './kyber.js';
import { PreKeySignalMessage, SignalMessage } from './messages.js';
import { kdfRootKey, MessageKeys, type ChainKey } from './ratchet-keys.js';
import { SessionRecord, SessionState, type ReceiverChain } from './session-state.js';
import { spqrRecv, spqrSend } from './spqr.js';
import { defaultRng } from './bytes.js';
import type { ProtocolStores } from './stores.js';

export const CiphertextMessageType = { Whisper: 2, PreKey: 3 } as const;
export interface CiphertextMessage {
  type: 2 | 3;
  body: Uint8Array;
}

export interface PreKeyBundle {
  registrationId: number;
  deviceId: number;
  preKeyId?: number;
  preKeyPublic?: PublicKey;
  signedPreKeyId: number;
  signedPreKeyPublic: PublicKey;
  signedPreKeySignature: Uint8Array;
  identityKey: PublicKey;
  /** present => PQXDH */
  kyberPreKeyId?: number;
  kyberPreKeyPublic?: KyberPublicKey;
  kyberPreKeySignature?: Uint8Array;
}

export interface CipherOptions {
  /** ms since epoch */
  now?: number;
  rng?: Rng;
}

// ---- argument validation -----------------------------------------------------------------------

function checkOpts(opts: unknown): { now: number; rng?: Rng } {
  if (opts === undefined) return { now: Date.now() };
  if (typeof opts !== 'object' || opts === null) throw new ProtocolError('InvalidArgument', `"opts" expected an object, got ${opts === null ? 'null' : typeof opts}`);
  const o = opts as CipherOptions;
  const now = o.now === undefined ? Date.now() : assertTimestamp(o.now, 'opts.now');
  return { now, rng: o.rng === undefined ? undefined : assertRng(o.rng, 'opts.rng') };
}

const STORE_METHODS: Record<keyof ProtocolStores, string[]> = {
  session: ['loadSession', 'storeSession'],
  identity: ['getIdentityKeyPair', 'getLocalRegistrationId', 'saveIdentity', 'isTrustedIdentity', 'getIdentity'],
  preKey: ['loadPreKey', 'storePreKey', 'removePreKey'],
  signedPreKey: ['loadSignedPreKey', 'storeSignedPreKey'],
  kyberPreKey: ['loadKyberPreKey', 'storeKyberPreKey', 'markKyberPreKeyUsed'],
};

function checkStores(stores: unknown, needed: (keyof ProtocolStores)[]): ProtocolStores {
  if (typeof stores !== 'object' || stores === null) throw new ProtocolError('InvalidArgument', `"stores" expected ProtocolStores, got ${stores === null ? 'null' : typeof stores}`);
  const s = stores as Record<string, Record<string, unknown> | undefined>;
  for (const k of needed) {
    const store = s[k];
    for (const m of STORE_METHODS[k])
      if (typeof store?.[m] !== 'function') throw new ProtocolError('InvalidArgument', `"stores.${k}" expected an object with ${m}()`);
  }
  return stores as ProtocolStores;
}

function checkBundle(bundle: unknown): PreKeyBundle {
  if (typeof bundle !== 'object' || bundle === null) throw new ProtocolError('InvalidArgument', `"bundle" expected PreKeyBundle, got ${bundle === null ? 'null' : typeof bundle}`);
  const b = bundle as PreKeyBundle;
  assertUint32(b.registrationId, 'bundle.registrationId');
  assertUint32(b.deviceId, 'bundle.deviceId');
  if ((b.preKeyId === undefined) !== (b.preKeyPublic === undefined))
    throw new ProtocolError('InvalidArgument', '"bundle.preKeyId" and "bundle.preKeyPublic" must be given together');
  if (b.preKeyId !== undefined) {
    assertUint32(b.preKeyId, 'bundle.preKeyId');
    assertInstance(b.preKeyPublic, PublicKey, 'bundle.preKeyPublic');
  }
  assertUint32(b.signedPreKeyId, 'bundle.signedPreKeyId');
  assertInstance(b.signedPreKeyPublic, PublicKey, 'bundle.signedPreKeyPublic');
  assertBytes(b.signedPreKeySignature, 'bundle.signedPreKeySignature', SIGNATURE_LENGTH);
  assertInstance(b.identityKey, PublicKey, 'bundle.identityKey');
  const k = [b.kyberPreKeyId, b.kyberPreKeyPublic, b.kyberPreKeySignature].filter((x) => x !== undefined).length;
  if (k !== 0 && k !== 3)
    throw new ProtocolError('InvalidArgument', '"bundle.kyberPreKeyId", "bundle.kyberPreKeyPublic" and "bundle.kyberPreKeySignature" must be given together');
  if (k === 3) {
    assertUint32(b.kyberPreKeyId, 'bundle.kyberPreKeyId');
    assertInstance(b.kyberPreKeyPublic, KyberPublicKey, 'bundle.kyberPreKeyPublic');
    assertBytes(b.kyberPreKeySignature, 'bundle.kyberPreKeySignature', SIGNATURE_LENGTH);
  }
  return b;
}

// ---- session set-up ----------------------------------------------------------------------------

/** Initiator: verifies the bundle, runs PQXDH (Kyber key present) or X3DH, stores the new session. */
export async function processPreKeyBundle(bundle: PreKeyBundle, address: ProtocolAddress, stores: ProtocolStores, opts?: CipherOptions): Promise<void> {
  const b = checkBundle(bundle);
  assertInstance(address, ProtocolAddress, 'address');
  const s = checkStores(stores, ['session', 'identity']);
  const { now, rng } = checkOpts(opts);

  const theirIdentity = b.identityKey;
  if (!(await s.identity.isTrustedIdentity(address, theirIdentity, 'sending')))
    throw new ProtocolError('UntrustedIdentity', `untrusted identity key for ${address.toString()}`);

  // Everything below is independent until the key derivation: signature checks, key generation and
  // the X25519 agreements run concurrently (off the main thread under WebCrypto). Nothing is stored
  // unless both signatures verify.
  const sigChecks = Promise.all([
    theirIdentity.verifySignature(b.signedPreKeyPublic.serializedView(), b.signedPreKeySignature),
    b.kyberPreKeyPublic ? theirIdentity.verifySignature(b.kyberPreKeyPublic.serializedView(), b.kyberPreKeySignature!) : true,
  ]);
  sigChecks.catch(() => {});
  const baseKeyP = generateKeyPair(rng);
  const sendingKeyP = generateKeyPair(rng);
  const [ourIdentity, localRegistrationId, existing, ourBaseKey] = await Promise.all([
    s.identity.getIdentityKeyPair(),
    s.identity.getLocalRegistrationId(),
    s.session.loadSession(address),
    baseKeyP,
  ]);
  assertInstance(ourIdentity, IdentityKeyPair, 'identity store key pair');
  const setup = initializeInitiatorSession({
    ourIdentity,
    ourBaseKey,
    sendingKey: sendingKeyP,
    theirIdentity,
    theirSignedPreKey: b.signedPreKeyPublic,
    theirOneTimePreKey: b.preKeyPublic,
    theirKyberPreKey: b.kyberPreKeyPublic,
    rng,
  });
  setup.catch(() => {});
  const [spkOk, kyberOk] = await sigChecks;
  if (!spkOk) throw new ProtocolError('InvalidSignature', 'signed prekey signature does not verify');
  if (!kyberOk) throw new ProtocolError('InvalidSignature', 'Kyber prekey signature does not verify');
  const { state, kyberCiphertext } = await setup;
  state.pendingPreKey = {
    preKeyId: b.preKeyId,
    signedPreKeyId: b.signedPreKeyId,
    baseKey: ourBaseKey.publicKey,
    kyberPreKeyId: b.kyberPreKeyId,
    kyberCiphertext,
    timestamp: now,
  };
  state.localRegistrationId = localRegistrationId;
  state.remoteRegistrationId = b.registrationId;

  const record = existing ? existing.copy() : new SessionRecord();
  record.promoteState(state);
  await s.session.storeSession(address, record);
  await s.identity.saveIdentity(address, theirIdentity);
}

/** Recipient side of set-up; mutates `record` (a copy). Returns the one-time keys to consume. */
async function processPreKeyMessage(
  record: SessionRecord,
  address: ProtocolAddress,
  message: PreKeySignalMessage,
  s: ProtocolStores,
  rng: Rng | undefined,
): Promise<{ preKeyId?: number; kyberPreKeyId?: number; ratchetStep?: PrecomputedRatchetStep }> {
  const theirIdentity = message.identityKey;
  if (!(await s.identity.isTrustedIdentity(address, theirIdentity, 'receiving')))
    throw new ProtocolError('UntrustedIdentity', `untrusted identity key for ${address.toString()}`);

  // A repeat of a PreKey message whose session we already built (the initiator sends PreKey
  // messages until it hears back): use that session.
  if (record.promoteMatchingSession(message.messageVersion, message.baseKey.serializedView())) return {};

  if (!message.baseKey.isCanonical()) throw new ProtocolError('InvalidMessage', 'non-canonical base key');
  const [ourIdentity, localRegistrationId, signedPreKey, kyberPreKey, oneTimePreKey] = await Promise.all([
    s.identity.getIdentityKeyPair(),
    s.identity.getLocalRegistrationId(),
    s.signedPreKey.loadSignedPreKey(message.signedPreKeyId),
    message.kyber ? s.kyberPreKey.loadKyberPreKey(message.kyber.preKeyId) : undefined,
    message.preKeyId !== undefined ? s.preKey.loadPreKey(message.preKeyId) : undefined,
  ]);
  if (!signedPreKey) throw new ProtocolError('InvalidSignedPreKeyId', `no signed prekey with id ${message.signedPreKeyId}`);
  if (message.kyber && !kyberPreKey) throw new ProtocolError('InvalidKyberPreKeyId', `no Kyber prekey with id ${message.kyber.preKeyId}`);
  if (message.preKeyId !== undefined && !oneTimePreKey) throw new ProtocolError('InvalidPreKeyId', `no prekey with id ${message.preKeyId}`);

  const { state, ratchetStep } = await initializeRecipientSession({
    ourIdentity,
    ourSignedPreKey: { publicKey: signedPreKey.publicKey, privateKey: signedPreKey.privateKey },
    ourOneTimePreKey: oneTimePreKey ? { publicKey: oneTimePreKey.publicKey, privateKey: oneTimePreKey.privateKey } : undefined,
    ourKyberPreKey: kyberPreKey?.keyPair,
    theirIdentity,
    theirBaseKey: message.baseKey,
    kyberCiphertext: message.kyber?.ciphertext,
    theirRatchetKey: message.message.senderRatchetKey,
    rng,
  });
  state.localRegistrationId = localRegistrationId;
  state.remoteRegistrationId = message.registrationId;
  record.promoteState(state);
  return { preKeyId: message.preKeyId, kyberPreKeyId: message.kyber?.preKeyId, ratchetStep };
}

// ---- encryption --------------------------------------------------------------------------------

export async function signalEncrypt(plaintext: Uint8Array, address: ProtocolAddress, stores: ProtocolStores, opts?: CipherOptions): Promise<CiphertextMessage> {
  assertBytes(plaintext, 'plaintext');
  assertInstance(address, ProtocolAddress, 'address');
  const s = checkStores(stores, ['session', 'identity']);
  const { now, rng } = checkOpts(opts);

  const record = await s.session.loadSession(address);
  if (!record?.current?.senderChain) throw new ProtocolError('NoSession', `no session for ${address.toString()}`);
  const state = record.current.clone();
  const chain = state.senderChain!;
  const pending = state.pendingPreKey;
  if (pending && pending.timestamp + MAX_UNACKNOWLEDGED_SESSION_AGE_MS < now)
    throw new ProtocolError('NoSession', `session with ${address.toString()} was never acknowledged and is stale`);

  const pq = spqrSend(state.spqr, rng ?? defaultRng);
  state.spqr = pq.state;
  const keys = chain.chainKey.messageKeys(pq.key);
  const ciphertext = aes256CbcEncrypt(keys.cipherKey, keys.iv, plaintext);
  const message = SignalMessage.create(
    state.version,
    keys.macKey,
    chain.ratchetKey,
    chain.chainKey.index,
    state.previousCounter,
    ciphertext,
    state.localIdentity,
    state.remoteIdentity,
    pq.bytes,
  );
  let result: CiphertextMessage;
  if (pending) {
    const kyber = pending.kyberPreKeyId !== undefined ? { preKeyId: pending.kyberPreKeyId, ciphertext: pending.kyberCiphertext! } : undefined;
    const pk = PreKeySignalMessage.create(state.version, state.localRegistrationId, pending.preKeyId, pending.signedPreKeyId, kyber, pending.baseKey, state.localIdentity, message);
    result = { type: CiphertextMessageType.PreKey, body: pk.serialized };
  } else result = { type: CiphertextMessageType.Whisper, body: message.serialized };
  chain.chainKey = chain.chainKey.next();

  if (!(await s.identity.isTrustedIdentity(address, state.remoteIdentity, 'sending')))
    throw new ProtocolError('UntrustedIdentity', `untrusted identity key for ${address.toString()}`);
  await s.identity.saveIdentity(address, state.remoteIdentity);
  await s.session.storeSession(address, new SessionRecord(state, record.previous.slice()));
  return result;
}

// ---- decryption --------------------------------------------------------------------------------

async function getOrCreateReceiverChain(state: SessionState, theirRatchetKey: PublicKey, rng: Rng | undefined, pre?: PrecomputedRatchetStep): Promise<ReceiverChain> {
  const existing = state.findReceiverChain(theirRatchetKey);
  if (existing) return existing;
  if (pre?.theirRatchetKey.equals(theirRatchetKey) && pre.state.senderChain?.ratchetPrivateKey === state.senderChain?.ratchetPrivateKey) {
    const receiving = kdfRootKey(state.rootKey, pre.dhReceiving);
    const sending = kdfRootKey(receiving.rootKey, pre.dhSending);
    state.rootKey = sending.rootKey;
    state.addReceiverChain(theirRatchetKey, receiving.chainKey);
    state.previousCounter = Math.max(state.senderChain!.chainKey.index - 1, 0);
    state.senderChain = { ratchetKey: pre.ourNewKey.publicKey, ratchetPrivateKey: pre.ourNewKey.privateKey, chainKey: sending.chainKey };
    return state.findReceiverChain(theirRatchetKey)!;
  }
  // DH ratchet step. Both agreements use their new ratchet key and are independent of each other
  // (only the KDF order matters), so they run concurrently.
  const sender = state.senderChain!;
  const newKeyP = generateKeyPair(rng);
  const dhReceivingP = sender.ratchetPrivateKey.agree(theirRatchetKey);
  dhReceivingP.catch(() => {});
  const ourNewKey = await newKeyP;
  const [dhReceiving, dhSending] = await Promise.all([dhReceivingP, ourNewKey.privateKey.agree(theirRatchetKey)]);
  const receiving = kdfRootKey(state.rootKey, dhReceiving);
  const sending = kdfRootKey(receiving.rootKey, dhSending);
  state.rootKey = sending.rootKey;
  state.addReceiverChain(theirRatchetKey, receiving.chainKey);
  state.previousCounter = Math.max(sender.chainKey.index - 1, 0);
  state.senderChain = { ratchetKey: ourNewKey.publicKey, ratchetPrivateKey: ourNewKey.privateKey, chainKey: sending.chainKey };
  return state.findReceiverChain(theirRatchetKey)!;
}

/** The message-key seed for `counter` (stepping the chain, or taking a skipped seed). */
function getOrCreateMessageKeySeed(chain: ReceiverChain, counter: number): Uint8Array {
  const index = chain.chainKey.index;
  if (index > counter) {
    const seed = chain.messageKeys.get(counter);
    if (!seed) throw new ProtocolError('DuplicatedMessage', `message with counter ${counter} already received (chain at ${index})`);
    const m = new Map(chain.messageKeys);
    m.delete(counter);
    chain.messageKeys = m;
    return seed;
  }
  if (counter - index > MAX_FORWARD_JUMPS) throw new ProtocolError('InvalidMessage', `message from too far into the future (${counter - index} ahead)`);
  let ck: ChainKey = chain.chainKey;
  if (ck.index < counter) {
    const skipped: [number, Uint8Array][] = [];
    while (ck.index < counter) {
      skipped.push([ck.index, ck.messageKeySeed()]);
      ck = ck.next();
    }
    chain.messageKeys = SessionState.withSkippedKeys(chain.messageKeys, skipped);
  }
  chain.chainKey = ck.next();
  return ck.messageKeySeed();
}

async function decryptWithState(state: SessionState, message: SignalMessage, rng: Rng | undefined, pre?: PrecomputedRatchetStep): Promise<Uint8Array> {
  if (!state.senderChain) throw new ProtocolError('InvalidMessage', 'session has no sender chain');
  if (message.messageVersion !== state.version)
    throw new ProtocolError('InvalidMessage', `message version ${message.messageVersion} does not match session version ${state.version}`);
  const chain = await getOrCreateReceiverChain(state, message.senderRatchetKey, rng, pre);
  const seed = getOrCreateMessageKeySeed(chain, message.counter);
  // SPQR's key for this message salts its message keys (Triple Ratchet)
  const pq = spqrRecv(state.spqr, message.pqRatchet);
  state.spqr = pq.state;
  const keys = MessageKeys.derive(seed, message.counter, pq.key);
  if (!message.verifyMac(state.remoteIdentity, state.localIdentity, keys.macKey)) throw new ProtocolError('InvalidMessage', 'MAC verification failed');
  const plaintext = aes256CbcDecrypt(keys.cipherKey, keys.iv, message.ciphertext);
  state.pendingPreKey = undefined;
  return plaintext;
}

/** Tries the current session, then the archived ones (promoting the one that works). */
async function decryptWithRecord(
  record: SessionRecord,
  message: SignalMessage,
  rng: Rng | undefined,
  pre?: PrecomputedRatchetStep,
): Promise<{ plaintext: Uint8Array; record: SessionRecord; state: SessionState }> {
  const errors: unknown[] = [];
  const attempt = async (original: SessionState): Promise<{ plaintext: Uint8Array; state: SessionState } | undefined> => {
    const state = original.clone();
    try {
      return { plaintext: await decryptWithState(state, message, rng, pre?.state === original ? pre : undefined), state };
    } catch (e) {
      if (isProtocolError(e, 'DuplicatedMessage')) throw e;
      // a tampered ratchet key can be a small-order point: still just an invalid message
      if (isProtocolError(e, 'InvalidKey')) errors.push(new ProtocolError('InvalidMessage', e.message, { cause: e }));
      else errors.push(e);
      return undefined;
    }
  };
  if (record.current) {
    const r = await attempt(record.current);
    if (r) return { ...r, record: new SessionRecord(r.state, record.previous.slice()) };
  }
  for (let i = 0; i < record.previous.length; i++) {
    const r = await attempt(record.previous[i]);
    if (r) {
      const next = new SessionRecord(record.current, record.previous.filter((_, j) => j !== i));
      next.promoteState(r.state);
      return { ...r, record: next };
    }
  }
  if (!record.current && record.previous.length === 0) throw new ProtocolError('NoSession', 'no session available to decrypt');
  const nonMessage = errors.find((e) => !isProtocolError(e, 'InvalidMessage'));
  if (nonMessage && !isProtocolError(nonMessage)) throw nonMessage;
  throw new ProtocolError('InvalidMessage', `decryption failed: ${errors.map((e) => (e as Error).message).join('; ')}`);
}

/** Decrypts a SignalMessage (type 2). */
export async function signalDecrypt(body: Uint8Array, address: ProtocolAddress, stores: ProtocolStores, opts?: CipherOptions): Promise<Uint8Array> {
  assertBytes(body, 'body');
  assertInstance(address, ProtocolAddress, 'address');
  const s = checkStores(stores, ['session', 'identity']);
  const { rng } = checkOpts(opts);
  const message = SignalMessage.deserialize(body);
  const record = await s.session.loadSession(address);
  if (!record) throw new ProtocolError('NoSession', `no session for ${address.toString()}`);
  const r = await decryptWithRecord(record, message, rng);
  if (!(await s.identity.isTrustedIdentity(address, r.state.remoteIdentity, 'receiving')))
    throw new ProtocolError('UntrustedIdentity', `untrusted identity key for ${address.toString()}`);
  await s.identity.saveIdentity(address, r.state.remoteIdentity);
  await s.session.storeSession(address, r.record);
  return r.plaintext;
}

/** Decrypts a PreKeySignalMessage (type 3), setting up the session as recipient if needed. */
export async function signalDecryptPreKey(body: Uint8Array, address: ProtocolAddress, stores: ProtocolStores, opts?: CipherOptions): Promise<Uint8Array> {
  assertBytes(body, 'body');
  assertInstance(address, ProtocolAddress, 'address');
  const s = checkStores(stores, ['session', 'identity', 'preKey', 'signedPreKey', 'kyberPreKey']);
  const { rng } = checkOpts(opts);
  const message = PreKeySignalMessage.deserialize(body);
  const existing = await s.session.loadSession(address);
  const record = existing ? existing.copy() : new SessionRecord();
  let used: { preKeyId?: number; kyberPreKeyId?: number; ratchetStep?: PrecomputedRatchetStep };
  try {
    used = await processPreKeyMessage(record, address, message, s, rng);
  } catch (e) {
    if (isProtocolError(e, 'InvalidKey')) throw new ProtocolError('InvalidMessage', e.message, { cause: e });
    throw e;
  }
  let r: Awaited<ReturnType<typeof decryptWithRecord>>;
  try {
    r = await decryptWithRecord(record, message.message, rng, used.ratchetStep);
  } finally {
    used.ratchetStep?.dhReceiving.fill(0);
    used.ratchetStep?.dhSending.fill(0);
  }
  await s.identity.saveIdentity(address, message.identityKey);
  await s.session.storeSession(address, r.record);
  if (used.preKeyId !== undefined) await s.preKey.removePreKey(used.preKeyId);
  if (used.kyberPreKeyId !== undefined) await s.kyberPreKey.markKyberPreKeyUsed(used.kyberPreKeyId);
  return r.plaintext;
}

