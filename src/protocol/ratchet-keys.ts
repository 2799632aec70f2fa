// Double Ratchet key schedule (libsignal rust/protocol/src/ratchet/keys.rs; docs/signal-wire.md
// "Key derivation"): root key KDF_RK, chain key steps and message keys.
import { utf8 } from './bytes.js';
import type { PrivateKey, PublicKey } from './curve.js';
import { hkdfSha256, HmacSha256 } from './kdf.js';

const MESSAGE_KEY_SEED = Uint8Array.of(0x01);
const CHAIN_KEY_SEED = Uint8Array.of(0x02);
const INFO_RATCHET = utf8('WhisperRatchet');
const INFO_MESSAGE_KEYS = utf8('WhisperMessageKeys');

export class ChainKey {
  constructor(
    readonly key: Uint8Array,
    readonly index: number,
  ) {}

  private hmacKey?: HmacSha256;

  private mac(): HmacSha256 {
    this.hmacKey ??= new HmacSha256(this.key);
    return this.hmacKey;
  }

  /** HMAC(CK, 0x01): the seed message keys are derived from. */
  messageKeySeed(): Uint8Array {
    return this.mac().mac([MESSAGE_KEY_SEED]);
  }

  next(): ChainKey {
    return new ChainKey(this.mac().mac([CHAIN_KEY_SEED]), this.index + 1);
  }

  /** `salt`: the SPQR key of this message (Triple Ratchet), when it has one. */
  messageKeys(salt?: Uint8Array): MessageKeys {
    return MessageKeys.derive(this.messageKeySeed(), this.index, salt);
  }
}

export class MessageKeys {
  constructor(
    readonly cipherKey: Uint8Array,
    readonly macKey: Uint8Array,
    readonly iv: Uint8Array,
    readonly counter: number,
  ) {}

  /**
   * HKDF(seed, salt, "WhisperMessageKeys", 80) -> cipher key, MAC key, IV. The salt is the message's
   * SPQR key in a Triple Ratchet session (the message-key change of Double Ratchet rev. 3 section 6),
   * zeros otherwise.
   */
  static derive(seed: Uint8Array, counter: number, salt?: Uint8Array): MessageKeys {
    const okm = hkdfSha256(seed, salt, INFO_MESSAGE_KEYS, 80);
    return new MessageKeys(okm.subarray(0, 32), okm.subarray(32, 64), okm.subarray(64, 80), counter);
  }
}

/** KDF_RK(rk, dh) = HKDF(ikm = dh, salt = rk, "WhisperRatchet", 64) -> (new root, chain key). */
export function kdfRootKey(rootKey: Uint8Array, dh: Uint8Array): { rootKey: Uint8Array; chainKey: ChainKey } {
  const okm = hkdfSha256(dh, rootKey, INFO_RATCHET, 64);
  dh.fill(0);
  return { rootKey: okm.slice(0, 32), chainKey: new ChainKey(okm.slice(32, 64), 0) };
}

export async function createChain(
  rootKey: Uint8Array,
  theirRatchetKey: PublicKey,
  ourRatchetKey: PrivateKey,
): Promise<{ rootKey: Uint8Array; chainKey: ChainKey }> {
  return kdfRootKey(rootKey, await ourRatchetKey.agree(theirRatchetKey));
}
