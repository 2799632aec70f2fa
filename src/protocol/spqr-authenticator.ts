// The ML-KEM Braid's ratcheted authenticator (spec section "Internal Authentication"): a root key
// and a MAC key, updated with each epoch's secret; it MACs the encapsulation-key header and the
// ciphertext so a peer that does not hold the session's secrets cannot inject either.
// Labels from the spec's PROTOCOL_INFO scheme ("Signal_PQCKA_V1_MLKEM768"); the update's HKDF input
// (root key || new key, zero salt) and the initial update (epoch 1 with the session's SPQR key) were
// established against libsignal's header MACs.
import { concatBytes, equalBytes, utf8 } from './bytes.js';
import { hkdfSha256, hmacSha256 } from './kdf.js';

export const PROTOCOL_INFO = 'Signal_PQCKA_V1_MLKEM768';
export const MAC_SIZE = 32;
const INFO_UPDATE = utf8(`${PROTOCOL_INFO}:Authenticator Update`);
const INFO_HEADER = utf8(`${PROTOCOL_INFO}:ekheader`);
const INFO_CIPHERTEXT = utf8(`${PROTOCOL_INFO}:ciphertext`);

/** ToBytes(epoch): 8 bytes big-endian. */
export function epochBytes(epoch: number): Uint8Array {
  const b = new Uint8Array(8);
  let v = epoch;
  for (let i = 7; i >= 0; i--) {
    b[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return b;
}

export interface Authenticator {
  rootKey: Uint8Array;
  macKey: Uint8Array;
}

export function updateAuthenticator(a: Authenticator | undefined, epoch: number, key: Uint8Array): Authenticator {
  const root = a?.rootKey ?? new Uint8Array(32);
  const okm = hkdfSha256(concatBytes(root, key), new Uint8Array(32), concatBytes(INFO_UPDATE, epochBytes(epoch)), 64);
  return { rootKey: okm.slice(0, 32), macKey: okm.slice(32, 64) };
}

export function macHeader(a: Authenticator, epoch: number, header: Uint8Array): Uint8Array {
  return hmacSha256(a.macKey, INFO_HEADER, epochBytes(epoch), header);
}

export function macCiphertext(a: Authenticator, epoch: number, ciphertext: Uint8Array): Uint8Array {
  return hmacSha256(a.macKey, INFO_CIPHERTEXT, epochBytes(epoch), ciphertext);
}

export function verifyHeader(a: Authenticator, epoch: number, header: Uint8Array, mac: Uint8Array): boolean {
  return equalBytes(macHeader(a, epoch, header), mac);
}

export function verifyCiphertext(a: Authenticator, epoch: number, ciphertext: Uint8Array, mac: Uint8Array): boolean {
  return equalBytes(macCiphertext(a, epoch, ciphertext), mac);
}
