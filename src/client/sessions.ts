/**
 * The device's Signal sessions: set-up from prekey bundles, encryption once per recipient device,
 * decryption of envelopes, and identity trust. All protocol work runs under one lock: a session record is
 * read, advanced and written back across awaits, and an encrypt and a decrypt for the same peer
 * interleaving would lose one update (and reuse message keys). Network calls run outside the lock.
 *
 * Trust: trust on first use, narrowed by verification (verification.ts): the protocol sees an identity
 * store that refuses unverified keys of verified users. A peer device whose key changed (or a new device
 * of a verified user) is refused with UntrustedIdentityError and announced once as an `identityChanged`
 * event on the conversation concerned.
 */
import {
  CiphertextMessageType,
  currentRatchetKeyMatches,
  KyberPublicKey,
  type PreKeyBundle,
  processPreKeyBundle,
  ProtocolAddress,
  PublicKey,
  isProtocolError,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
  type ProtocolStores,
} from '../protocol/index.js';
import { fromBase64, toBase64 } from './base64.js';
import type { ClientContext } from './context.js';
import type { TargetDevice } from './directory.js';
import { ClientError, DecryptionError, type PeerAddress, UntrustedIdentityError } from './errors.js';
import { DevicesDocument, PreKeyBundlesDocument } from './generated/graphql.js';
import { Serial } from './serial.js';
import { domainError } from './transport.js';
import { ServerError } from './errors.js';
import type { Verification } from './verification.js';

/** Identity changes announced once each (per device and key); older ones are forgotten past this many. */
const MAX_NOTICED = 1000;

export interface OutgoingEnvelope {
  /** Device.id of the recipient device. */
  deviceId: string;
  type: number;
  ciphertext: string;
  registrationId: number;
}

export class Sessions {
  private readonly lock = new Serial();
  private readonly noticed = new Set<string>();

  constructor(
    private readonly ctx: ClientContext,
    readonly verification: Verification,
  ) {}

  /** The protocol stores, with verification narrowing trust. */
  private get stores(): ProtocolStores {
    return this.verification.wrap(this.ctx.store);
  }

  /**
   * Announces (once per device and key) that a peer device's identity is not the trusted one: a changed key,
   * or a device of a verified user that was not verified. `conversationId`: where the app should show it.
   */
  async noticeIdentity(conversationId: string | null, address: PeerAddress, key: Uint8Array | null, direction: 'sending' | 'receiving'): Promise<void> {
    const tag = `${address.userId}.${address.deviceId}.${key ? toBase64(key) : '?'}`;
    if (this.noticed.has(tag)) return;
    if (this.noticed.size >= MAX_NOTICED) this.noticed.delete(this.noticed.values().next().value!);
    this.noticed.add(tag);
    const verified = (await this.verification.keys(address.userId)) !== null;
    await this.ctx.events.emit('identityChanged', { conversationId, userId: address.userId, deviceId: address.deviceId, verified, direction });
  }

  /** Runs protocol work under the session lock. */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock.run(fn);
  }

  private cipherOptions() {
    return { now: this.ctx.now(), rng: this.ctx.opts.rng };
  }

  /** Encrypts `plaintext` once for each target device (sessions must exist: see ensure). */
  encryptFor(targets: TargetDevice[], plaintext: Uint8Array): Promise<OutgoingEnvelope[]> {
    return this.locked(async () => {
      const out: OutgoingEnvelope[] = [];
      for (const t of targets) {
        const c = await signalEncrypt(plaintext, new ProtocolAddress(t.userId, t.deviceId), this.stores, this.cipherOptions());
        out.push({ deviceId: t.uuid, type: c.type, ciphertext: toBase64(c.body), registrationId: t.registrationId });
      }
      return out;
    });
  }

  /**
   * Makes sure there is a session with each target: fetches prekey bundles for the devices without
   * one. A device whose identity key differs from the one recorded is refused (UntrustedIdentityError)
   * until the app calls trustIdentity(); a device of a verified user whose key was not verified, until the
   * app verifies again. Either is announced as `identityChanged` on `conversationId`.
   */
  async ensure(targets: TargetDevice[], conversationId: string | null = null): Promise<void> {
    const { store, transport, events } = this.ctx;
    const missing = new Map<string, number[]>();
    for (const t of targets) {
      const address = new ProtocolAddress(t.userId, t.deviceId);
      const known = await store.getIdentity(address);
      const key = fromBase64(t.identityKey);
      if ((known && !known.equals(PublicKey.deserialize(key))) || !(await this.verification.allows(t.userId, key))) {
        const peer = { userId: t.userId, deviceId: t.deviceId };
        await this.noticeIdentity(conversationId, peer, key, 'sending');
        const err = new UntrustedIdentityError(peer, 'sending');
        await events.emit('error', err);
        throw err;
      }
      const session = await store.loadSession(address);
      if (!session?.hasCurrentState()) missing.set(t.userId, [...(missing.get(t.userId) ?? []), t.deviceId]);
    }
    for (const [userId, deviceIds] of missing) {
      const r = (await transport.request(PreKeyBundlesDocument, { userId, deviceIds })).preKeyBundles;
      if (r.__typename !== 'PreKeyBundles') throw domainError(r);
      for (const b of r.bundles) {
        const bundle: PreKeyBundle = {
          registrationId: b.registrationId,
          deviceId: b.deviceId,
          identityKey: PublicKey.deserialize(fromBase64(b.identityKey)),
          signedPreKeyId: b.signedPreKey.keyId,
          signedPreKeyPublic: PublicKey.deserialize(fromBase64(b.signedPreKey.publicKey)),
          signedPreKeySignature: fromBase64(b.signedPreKey.signature),
          ...(b.preKey ? { preKeyId: b.preKey.keyId, preKeyPublic: PublicKey.deserialize(fromBase64(b.preKey.publicKey)) } : {}),
          ...(b.kyberPreKey
            ? {
                kyberPreKeyId: b.kyberPreKey.keyId,
                kyberPreKeyPublic: KyberPublicKey.deserialize(fromBase64(b.kyberPreKey.publicKey)),
                kyberPreKeySignature: fromBase64(b.kyberPreKey.signature),
              }
            : {}),
        };
        const address = new ProtocolAddress(b.userId, b.deviceId);
        try {
          await this.locked(() => processPreKeyBundle(bundle, address, this.stores, this.cipherOptions()));
        } catch (e) {
          if (isProtocolError(e, 'UntrustedIdentity')) {
            const err = new UntrustedIdentityError({ userId: b.userId, deviceId: b.deviceId }, 'sending', { cause: e });
            await events.emit('error', err);
            throw err;
          }
          throw e;
        }
      }
    }
  }

  /**
   * Decrypts one envelope under the lock with session writes deferred: `handle` gets the plaintext and
   * calls `commit` once what it derived is stored (a crash before that leaves the session as it was, so the
   * envelope can be decrypted again).
   */
  decrypt(
    sender: PeerAddress,
    envelope: { id: string; type: number; ciphertext: string },
    handle: (plaintext: Uint8Array, commit: () => Promise<void>) => Promise<void>,
  ): Promise<void> {
    const address = new ProtocolAddress(sender.userId, sender.deviceId);
    return this.withDeferred(async (decrypt, commit) => {
      const plaintext = await decrypt(address, envelope.type, fromBase64(envelope.ciphertext), envelope.id);
      await handle(plaintext, commit);
    });
  }

  /**
   * Runs `fn` under the lock with session writes deferred: `decrypt` decrypts one pairwise message (2 =
   * whisper, 3 = prekey) through the deferred stores; `commit` writes the sessions (see decrypt).
   */
  withDeferred<T>(
    fn: (decrypt: (address: ProtocolAddress, type: number, body: Uint8Array, envelopeId: string) => Promise<Uint8Array>, commit: () => Promise<void>) => Promise<T>,
  ): Promise<T> {
    return this.locked(() =>
      this.ctx.store.withDeferredSessions(async (deferred: ProtocolStores, commit) => {
        const stores = this.verification.wrap(deferred);
        const decrypt = async (address: ProtocolAddress, type: number, body: Uint8Array, envelopeId: string) => {
          if (type === CiphertextMessageType.PreKey) return signalDecryptPreKey(body, address, stores, this.cipherOptions());
          if (type === CiphertextMessageType.Whisper) return signalDecrypt(body, address, stores);
          throw new DecryptionError({ userId: address.name, deviceId: address.deviceId }, envelopeId, `unknown envelope type ${type}`);
        };
        return fn(decrypt, commit);
      }),
    );
  }

  /** Drops the session with a device (it left, or re-registered). */
  async forget(address: PeerAddress): Promise<void> {
    await this.ctx.store.removeSession(new ProtocolAddress(address.userId, address.deviceId));
  }

  /**
   * Records the current identity key of a peer device as trusted and drops the old session. Refused
   * (VerificationRequired) for a verified user whose device key is not among the verified ones: only
   * verifying again trusts it.
   */
  async trust(address: PeerAddress): Promise<void> {
    const devices = (await this.ctx.transport.request(DevicesDocument, { userId: address.userId })).devices;
    const d = devices.find((x) => x.deviceId === address.deviceId);
    if (!d) throw new ServerError('NOT_FOUND', `device ${address.userId}.${address.deviceId} not found`);
    if (!(await this.verification.allows(address.userId, fromBase64(d.identityKey)))) {
      throw new ClientError('VerificationRequired', `${address.userId} was verified and this key was not: compare safety numbers and verify() again`);
    }
    await this.trustKey(address, fromBase64(d.identityKey));
  }

  /** Records `key` as the trusted identity of a peer device; a different key before drops its session. */
  async trustKey(address: PeerAddress, key: Uint8Array): Promise<void> {
    const a = new ProtocolAddress(address.userId, address.deviceId);
    const known = await this.ctx.store.getIdentity(a);
    await this.ctx.store.trustIdentity(a, key);
    if (!known?.equals(PublicKey.deserialize(key))) await this.ctx.store.removeSession(a);
  }

  /**
   * Archives the session with a peer device when `ratchetKey` (from its DecryptionErrorMessage) is our
   * current sending ratchet key: the failure is on the session we use, so the next message starts a new one.
   * Returns whether it archived.
   */
  archiveIfCurrent(address: PeerAddress, ratchetKey: PublicKey | undefined): Promise<boolean> {
    return this.locked(async () => {
      const a = new ProtocolAddress(address.userId, address.deviceId);
      const record = await this.ctx.store.loadSession(a);
      if (!record?.hasCurrentState() || !ratchetKey || !currentRatchetKeyMatches(record, ratchetKey)) return false;
      const copy = record.copy();
      copy.archiveCurrentState();
      await this.ctx.store.storeSession(a, copy);
      return true;
    });
  }
}
