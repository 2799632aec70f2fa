/**
 * What a valid public key is, in one place. An X25519 key whose point has small order (the all-zero key, 1,
 * p-1, the two points of order 8, and their non-canonical encodings) yields a shared secret an attacker
 * knows, whatever the other side's private key: such identity keys and prekeys are refused.
 */
const P = 2n ** 255n - 19n;
/** The u-coordinates of the points of order 1, 2, 4 and 8 (reduced mod p). */
const SMALL_ORDER = new Set([
  0n,
  1n,
  P - 1n,
  BigInt('0x00b8495f16056286fdb1329ceb8d09da6ac49ff1fae35616aeb8413b7c7aebe0'),
  BigInt('0x57119fd0dd4e22d8868e1c58c45c44045bef839c55b1d0b1248c50a3bc959c5f'),
]);

/** True when the 32-byte X25519 public key (little-endian u, top bit ignored) is of small order. */
export function isSmallOrderX25519(u: Uint8Array): boolean {
  if (u.length !== 32) return false;
  let n = 0n;
  for (let i = 31; i >= 0; i--) n = (n << 8n) | BigInt(i === 31 ? u[i] & 0x7f : u[i]);
  return SMALL_ORDER.has(n % P);
}
