// X3DH and PQXDH session set-up (libsignal rust/protocol/src/ratchet.rs, session.rs, pqxdh.rs;
// docs/signal-wire.md "Key derivation"). Roles are named initiator (Alice, who fetched a prekey
// bundle) and recipient (Bob, who owns it). Bob's signed prekey doubles as his first ratchet key.
import { utf8 } from './bytes.js';
import { KYBER_AWARE_VERSION, PRE_KYBER_VERSION } from './consts.js';
import { generateKeyPair, importForAgreement, type IdentityKeyPair, type KeyPair, type PublicKey } from './curve.js';
import type { Rng } from './bytes.js';
import { hkdfSha256 } from './kdf.js';
import type { KyberKeyPair, KyberPublicKey } from './kyber.js';
import { ChainKey, kdfRootKey } from './ratchet-keys.js';
import { SessionState } from './session-state.js';
import { initialSpqr } from './spqr.js';

const INFO_X3DH = utf8('WhisperText');
const INFO_PQXDH = utf8('WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024');
const DISCONTINUITY = new Uint8Array(32).fill(0xff);

/**
 * HKDF over the handshake secret. PQXDH sessions take 96 bytes (the Triple Ratchet change to PQXDH):
 * root key, chain key, and 32 bytes that seed SPQR (its authenticator and first chains). HKDF output
 * is prefix-stable, so the first 64 bytes are exactly what a classic session derives.
 */
function deriveInitialKeys(parts: Uint8Array[], pq: boolean): { rootKey: Uint8Array; chainKey: ChainKey; pqrKey?: Uint8Array } {
  let len = 32;
  for (const p of parts) len += p.length;
  const secret = new Uint8Array(len);
  secret.set(DISCONTINUITY);
  let off = 32;
  for (const p of parts) {
    secret.set(p, off);
    off += p.length;
    p.fill(0);
  }
  const okm = hkdfSha256(secret, new Uint8Array(32), pq ? INFO_PQXDH : INFO_X3DH, pq ? 96 : 64);
  secret.fill(0);
  return { rootKey: okm.slice(0, 32), chainKey: new ChainKey(okm.slice(32, 64), 0), pqrKey: pq ? okm.slice(64, 96) : undefined };
}

export interface InitiatorParams {
  ourIdentity: IdentityKeyPair;
  ourBaseKey: KeyPair;
  /** the initiator's first ratchet key pair */
  sendingKey: KeyPair | Promise<KeyPair>;
  theirIdentity: PublicKey;
  theirSignedPreKey: PublicKey;
  theirOneTimePreKey?: PublicKey;
  theirKyberPreKey?: KyberPublicKey;
  rng?: Rng;
}

export async function initializeInitiatorSession(p: InitiatorParams): Promise<{ state: SessionState; kyberCiphertext?: Uint8Array; pqrKey?: Uint8Array }> {
  // Start every X25519 operation (under WebCrypto they run off the main thread), including the first
  // sending chain's, then do the Kyber encapsulation on this thread while they are in flight.
  const sendingKey = await p.sendingKey;
  await importForAgreement([
    p.ourIdentity.privateKey,
    p.ourBaseKey.privateKey,
    sendingKey.privateKey,
    p.theirIdentity,
    p.theirSignedPreKey,
    ...(p.theirOneTimePreKey ? [p.theirOneTimePreKey] : []),
  ]);
  const dhs = [
    p.ourIdentity.privateKey.agree(p.theirSignedPreKey),
    p.ourBaseKey.privateKey.agree(p.theirIdentity),
    p.ourBaseKey.privateKey.agree(p.theirSignedPreKey),
  ];
  if (p.theirOneTimePreKey) dhs.push(p.ourBaseKey.privateKey.agree(p.theirOneTimePreKey));
  const dhSendingP = sendingKey.privateKey.agree(p.theirSignedPreKey);
  // keep rejected promises from being reported as unhandled while Kyber runs
  for (const d of dhs) d.catch(() => {});
  dhSendingP.catch(() => {});
  let kyber: { ciphertext: Uint8Array; sharedSecret: Uint8Array } | undefined;
  if (p.theirKyberPreKey) kyber = p.theirKyberPreKey.encapsulate(p.rng);
  const parts = await Promise.all(dhs);
  if (kyber) parts.push(kyber.sharedSecret);
  const { rootKey, chainKey, pqrKey } = deriveInitialKeys(parts, kyber !== undefined);
  const sending = kdfRootKey(rootKey, await dhSendingP);

  const state = new SessionState({
    version: kyber ? KYBER_AWARE_VERSION : PRE_KYBER_VERSION,
    localIdentity: p.ourIdentity.publicKey,
    remoteIdentity: p.theirIdentity,
    rootKey: sending.rootKey,
    aliceBaseKey: p.ourBaseKey.publicKey.serialize(),
  });
  state.addReceiverChain(p.theirSignedPreKey, chainKey);
  state.senderChain = { ratchetKey: sendingKey.publicKey, ratchetPrivateKey: sendingKey.privateKey, chainKey: sending.chainKey };
  if (pqrKey) state.spqr = initialSpqr(pqrKey, true);
  return { state, kyberCiphertext: kyber?.ciphertext, pqrKey };
}

export interface RecipientParams {
  ourIdentity: IdentityKeyPair;
  ourSignedPreKey: KeyPair;
  ourOneTimePreKey?: KeyPair;
  ourKyberPreKey?: KyberKeyPair;
  theirIdentity: PublicKey;
  theirBaseKey: PublicKey;
  kyberCiphertext?: Uint8Array;
  /** the ratchet key of the message that carries the handshake: its DH step is started early */
  theirRatchetKey?: PublicKey;
  rng?: Rng;
}

/** The recipient's first DH ratchet step, computed alongside the handshake (see below). */
export interface PrecomputedRatchetStep {
  state: SessionState;
  theirRatchetKey: PublicKey;
  ourNewKey: KeyPair;
  dhReceiving: Uint8Array;
  dhSending: Uint8Array;
}

export async function initializeRecipientSession(
  p: RecipientParams,
): Promise<{ state: SessionState; ratchetStep?: PrecomputedRatchetStep; pqrKey?: Uint8Array }> {
  await importForAgreement([
    p.ourIdentity.privateKey,
    p.ourSignedPreKey.privateKey,
    ...(p.ourOneTimePreKey ? [p.ourOneTimePreKey.privateKey] : []),
    p.theirIdentity,
    p.theirBaseKey,
  ]);
  // The message that carries the handshake always starts a DH ratchet step (its ratchet key is new
  // to the session whose sending chain is our signed prekey): start both of its agreements now too,
  // so they run with the handshake's while Kyber decapsulates. A bad key here is not a handshake
  // failure; decryption reports it.
  let step: Promise<{ ourNewKey: KeyPair; dhReceiving: Uint8Array; dhSending: Uint8Array } | undefined> = Promise.resolve(undefined);
  if (p.theirRatchetKey) {
    const their = p.theirRatchetKey;
    try {
      const ourNewKey = await generateKeyPair(p.rng);
      await importForAgreement([their]);
      const both = Promise.all([p.ourSignedPreKey.privateKey.agree(their), ourNewKey.privateKey.agree(their)]);
      step = both.then(
        ([dhReceiving, dhSending]) => ({ ourNewKey, dhReceiving, dhSending }),
        () => undefined,
      );
    } catch {
      step = Promise.resolve(undefined);
    }
  }
  const dhs = [
    p.ourSignedPreKey.privateKey.agree(p.theirIdentity),
    p.ourIdentity.privateKey.agree(p.theirBaseKey),
    p.ourSignedPreKey.privateKey.agree(p.theirBaseKey),
  ];
  if (p.ourOneTimePreKey) dhs.push(p.ourOneTimePreKey.privateKey.agree(p.theirBaseKey));
  for (const d of dhs) d.catch(() => {});
  let kyberSecret: Uint8Array | undefined;
  if (p.ourKyberPreKey && p.kyberCiphertext) kyberSecret = p.ourKyberPreKey.decapsulate(p.kyberCiphertext);
  const parts = await Promise.all(dhs);
  if (kyberSecret) parts.push(kyberSecret);
  const { rootKey, chainKey, pqrKey } = deriveInitialKeys(parts, kyberSecret !== undefined);

  const state = new SessionState({
    version: kyberSecret ? KYBER_AWARE_VERSION : PRE_KYBER_VERSION,
    localIdentity: p.ourIdentity.publicKey,
    remoteIdentity: p.theirIdentity,
    rootKey,
    aliceBaseKey: p.theirBaseKey.serialize(),
  });
  state.senderChain = { ratchetKey: p.ourSignedPreKey.publicKey, ratchetPrivateKey: p.ourSignedPreKey.privateKey, chainKey };
  if (pqrKey) state.spqr = initialSpqr(pqrKey, false);
  const done = await step;
  return { state, ratchetStep: done && p.theirRatchetKey ? { state, theirRatchetKey: p.theirRatchetKey, ...done } : undefined, pqrKey };
}
