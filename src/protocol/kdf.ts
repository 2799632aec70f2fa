// Symmetric primitives used by the Double Ratchet (libsignal crypto.rs / ratchet/keys.rs):
// HMAC-SHA256, HKDF-SHA256 (RFC 5869) and AES-256-CBC with PKCS#7 padding.
import { cbc } from '@noble/ciphers/aes.js';
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ProtocolError } from './errors.js';

export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  return hmac(sha256, key, message);
}

export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array | undefined, info: Uint8Array, length: number): Uint8Array {
  return nobleHkdf(sha256, ikm, salt, info, length);
}

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
