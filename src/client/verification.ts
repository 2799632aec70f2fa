/**
 * Verified safety numbers (docs/trust.md): which identity keys of a peer user the app verified, and the
 * trust rule they add on top of trust-on-first-use (stores/kv-store.ts). For a user the app verified, only
 * the verified keys are trusted: a changed key or a new device is refused in both directions (the protocol
 * asks the identity store, wrapped here) until the app verifies again, and trustIdentity() does not accept
 * it. Unverified users keep trust on first use (a changed key until trustIdentity()).
 */
import type { IdentityKeyStore, ProtocolStores, PublicKey } from '../protocol/index.js';
import { toBase64 } from './base64.js';
import type { ClientStore } from './stores/types.js';

export class Verification {
  private readonly cache = new Map<string, Set<string> | null>();

  constructor(private readonly store: ClientStore) {}

  /** The verified keys of a user (base64 of the 33-byte keys), or null when the app never verified them. */
  async keys(userId: string): Promise<Set<string> | null> {
    if (!this.cache.has(userId)) {
      const keys = await this.store.getVerifiedKeys(userId);
      this.cache.set(userId, keys ? new Set(keys) : null);
    }
    return this.cache.get(userId)!;
  }

  async set(userId: string, keys: readonly string[] | null): Promise<void> {
    await this.store.setVerifiedKeys(userId, keys ? [...keys] : null);
    this.cache.set(userId, keys ? new Set(keys) : null);
  }

  /** Whether a key of a user's device may be trusted as far as verification goes. */
  async allows(userId: string, key: PublicKey | Uint8Array): Promise<boolean> {
    const verified = await this.keys(userId);
    return !verified || verified.has(toBase64(key instanceof Uint8Array ? key : key.serialize()));
  }

  /** The protocol stores with the identity store's trust decision narrowed by verification. */
  wrap(stores: ProtocolStores): ProtocolStores {
    const base = stores.identity;
    const identity: IdentityKeyStore = {
      getIdentityKeyPair: () => base.getIdentityKeyPair(),
      getLocalRegistrationId: () => base.getLocalRegistrationId(),
      saveIdentity: (a, key) => base.saveIdentity(a, key),
      getIdentity: (a) => base.getIdentity(a),
      isTrustedIdentity: async (a, key, direction) => (await base.isTrustedIdentity(a, key, direction)) && (await this.allows(a.name, key)),
    };
    return { ...stores, identity };
  }
}
