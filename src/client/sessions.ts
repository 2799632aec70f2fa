/**
 * The device's Signal sessions: set-up from prekey bundles, encryption once per recipient device,
 * decryption of envelopes, and identity trust. All protocol work runs under one lock: a session record is
 * read, advanced and written back across awaits, and an encrypt and a decrypt for the same peer
 * interleaving would lose one update (and reuse message keys). Network calls run outside the lock.
 */
import {
  CiphertextMessageType,
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
import { DecryptionError, type PeerAddress, UntrustedIdentityError } from './errors.js';
import { DevicesDocument, PreKeyBundlesDocument } from './generated/graphql.js';
import { Serial } from './serial.js';
import { domainError } from './transport.js';
import { ServerError } from './errors.js';

export interface OutgoingEnvelope {
  /** Device.id of the recipient device. */
  deviceId: string;
  type: number;
  ciphertext: string;
  registrationId: number;
}

export class Sessions {
  private readonly lock = new Serial();

  constructor(private readonly ctx: ClientContext) {}

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
        const c = await signalEncrypt(plaintext, new ProtocolAddress(t.userId, t.deviceId), this.ctx.store, this.cipherOptions());
        out.push({ deviceId: t.uuid, type: c.type, ciphertext: toBase64(c.body), registrationId: t.registrationId });
      }
      return out;
    });
  }

  /**
   * Makes sure there is a session with each target: fetches prekey bundles for the devices without
   * one. A device whose identity key differs from the one recorded is refused (UntrustedIdentityError)
   * until the app calls trustIdentity().
   */
  async ensure(targets: TargetDevice[]): Promise<void> {
    const { store, transport, events } = this.ctx;
    const missing = new Map<string, number[]>();
    for (const t of targets) {
      const address = new ProtocolAddress(t.userId, t.deviceId);
      const known = await store.getIdentity(address);
      if (known && !known.equals(PublicKey.deserialize(fromBase64(t.identityKey)))) {
        const err = new UntrustedIdentityError({ userId: t.userId, deviceId: t.deviceId }, 'sending');
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
          await this.locked(() => processPreKeyBundle(bundle, address, store, this.cipherOptions()));
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
    return this.locked(() =>
      this.ctx.store.withDeferredSessions(async (stores: ProtocolStores, commit) => {
        const body = fromBase64(envelope.ciphertext);
        let plaintext: Uint8Array;
        if (envelope.type === CiphertextMessageType.PreKey) plaintext = await signalDecryptPreKey(body, address, stores, this.cipherOptions());
        else if (envelope.type === CiphertextMessageType.Whisper) plaintext = await signalDecrypt(body, address, stores);
        else throw new DecryptionError(sender, envelope.id, `unknown envelope type ${envelope.type}`);
        await handle(plaintext, commit);
      }),
    );
  }

  /** Drops the session with a device (it left, or re-registered). */
  async forget(address: PeerAddress): Promise<void> {
    await this.ctx.store.removeSession(new ProtocolAddress(address.userId, address.deviceId));
  }

  /** Records the current identity key of a peer device as trusted and drops the old session. */
  async trust(address: PeerAddress): Promise<void> {
    const devices = (await this.ctx.transport.request(DevicesDocument, { userId: address.userId })).devices;
    const d = devices.find((x) => x.deviceId === address.deviceId);
    if (!d) throw new ServerError('NOT_FOUND', `device ${address.userId}.${address.deviceId} not found`);
    const a = new ProtocolAddress(address.userId, address.deviceId);
    await this.ctx.store.trustIdentity(a, fromBase64(d.identityKey));
    await this.ctx.store.removeSession(a);
  }
}
