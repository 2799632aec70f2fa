// Symmetric primitives used by the Double Ratchet (libsignal crypto.rs / ratchet/keys.rs):
// HMAC-SHA256 and HKDF-SHA256 (RFC 5869, in sha256.ts) and AES-256-CBC with PKCS#7 padding.
import { cbc } from '@noble/ciphers/aes.js';
import { ProtocolError } from './errors.js';

export { hkdfSha256, hmacSha256, HmacSha256 } from './sha256.js';

export function aes256CbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return cbc(key, iv).encrypt(plaintext);
}

/** Throws InvalidMessage on bad padding or a length that is not a whole number of blocks. */
export function aes256CbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0)
    throw new ProtocolError('InvalidMessage', 'decryption failed: ciphertext is not a whole number of AES blocks');
  try {
    return cbc(key, iv).decrypt(ciphertext);
  } catch (e) {
    throw new ProtocolError('InvalidMessage', 'decryption failed', { cause: e });
  }
}
