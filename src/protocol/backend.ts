// X25519 and Ed25519 providers. WebCrypto (globalThis.crypto.subtle, Node 20+, modern browsers) runs
// these ~5-10x faster than pure JS, off the main thread; @noble/curves is the portable fallback.
// Selection: setCryptoBackend('auto' | 'webcrypto' | 'noble'); 'auto' probes WebCrypto once.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { fromBase64Url, isAllZero, toBase64Url } from './bytes.js';
import { ProtocolError } from './errors.js';

export type CryptoBackendName = 'webcrypto' | 'noble';

type Subtle = SubtleCrypto;
const subtle: Subtle | undefined = (globalThis as { crypto?: Crypto }).crypto?.subtle;

let requested: 'auto' | CryptoBackendName = 'auto';
let probed: boolean | undefined; // result of the WebCrypto probe, once known
let probe: Promise<boolean> | undefined;
/** Bumped on every backend switch so keys drop CryptoKey objects cached under another setting. */
export let backendEpoch = 0;

async function runProbe(): Promise<boolean> {
  if (!subtle) return false;
  try {
    const kp = (await subtle.generateKey({ name: 'X25519' }, true, ['deriveBits'])) as CryptoKeyPair;
    await subtle.deriveBits({ name: 'X25519', public: kp.publicKey }, kp.privateKey, 256);
    const ek = await subtle.importKey('raw', ed25519.Point.BASE.toBytes() as BufferSource, { name: 'Ed25519' }, false, ['verify']);
    await subtle.verify({ name: 'Ed25519' }, ek, new Uint8Array(64), new Uint8Array(1));
    return true;
  } catch {
    return false;
  }
}

export function setCryptoBackend(b: 'auto' | 'webcrypto' | 'noble'): void {
  if (b !== 'auto' && b !== 'webcrypto' && b !== 'noble')
    throw new ProtocolError('InvalidArgument', `"backend" expected 'auto', 'webcrypto' or 'noble', got ${String(b)}`);
  if (b === 'webcrypto' && !subtle) throw new ProtocolError('InvalidArgument', '"backend" webcrypto is not available on this platform');
  requested = b;
  backendEpoch++;
  keyPool.length = 0;
}

export function getCryptoBackend(): CryptoBackendName {
  if (requested !== 'auto') return requested;
  if (probed !== undefined) return probed ? 'webcrypto' : 'noble';
  return subtle ? 'webcrypto' : 'noble';
}

/** Resolves the backend to use for the next operation (awaiting the one-time probe under 'auto'). */
export function useWebCrypto(): boolean | Promise<boolean> {
  if (requested === 'webcrypto') return true;
  if (requested === 'noble') return false;
  if (probed !== undefined) return probed;
  probe ??= runProbe().then((ok) => (probed = ok));
  return probe;
}

// ---- X25519 -------------------------------------------------------------------------------------

export function importX25519Private(priv: Uint8Array, pub: Uint8Array): Promise<CryptoKey> {
  // JWK with both d and x imports ~4x faster in Node than PKCS#8 (which recomputes the public key).
  return subtle!.importKey('jwk', { kty: 'OKP', crv: 'X25519', d: toBase64Url(priv), x: toBase64Url(pub) }, { name: 'X25519' }, false, ['deriveBits']);
}

export function importX25519Public(pub: Uint8Array): Promise<CryptoKey> {
  return subtle!.importKey('raw', pub as BufferSource, { name: 'X25519' }, false, []);
}

export async function webcryptoX25519(priv: CryptoKey, pub: CryptoKey): Promise<Uint8Array> {
  let out: Uint8Array;
  try {
    out = new Uint8Array(await subtle!.deriveBits({ name: 'X25519', public: pub }, priv, 256));
  } catch (e) {
    // OpenSSL refuses an all-zero shared secret (small-order public key).
    throw new ProtocolError('InvalidKey', 'X25519 agreement failed: all-zero shared secret', { cause: e });
  }
  if (isAllZero(out)) throw new ProtocolError('InvalidKey', 'X25519 agreement failed: all-zero shared secret');
  return out;
}

export function nobleX25519(priv: Uint8Array, pub: Uint8Array): Uint8Array {
  let out: Uint8Array;
  try {
    out = x25519.getSharedSecret(priv, pub);
  } catch (e) {
    throw new ProtocolError('InvalidKey', 'X25519 agreement failed: all-zero shared secret', { cause: e });
  }
  if (isAllZero(out)) throw new ProtocolError('InvalidKey', 'X25519 agreement failed: all-zero shared secret');
  return out;
}

export interface GeneratedX25519 {
  priv: Uint8Array;
  pub: Uint8Array;
  cryptoKey?: CryptoKey;
}

/** WebCrypto key generation + JWK export (~0.2 ms) beats noble's fixed-base multiply (~0.5-0.9 ms). */
export async function webcryptoGenerateX25519(): Promise<GeneratedX25519> {
  const kp = (await subtle!.generateKey({ name: 'X25519' }, true, ['deriveBits'])) as CryptoKeyPair;
  const jwk = await subtle!.exportKey('jwk', kp.privateKey);
  return { priv: fromBase64Url(jwk.d!), pub: fromBase64Url(jwk.x!), cryptoKey: kp.privateKey };
}

/**
 * Ratchet and base keys are drawn from a few key pairs generated ahead of time in the background,
 * so a DH ratchet step never waits for key generation. The pool holds fresh, never-used keys in
 * process memory only; it is emptied when the backend changes.
 */
const KEY_POOL_SIZE = 4;
const keyPool: Promise<GeneratedX25519>[] = [];

function refill(): void {
  while (keyPool.length < KEY_POOL_SIZE) {
    const p = webcryptoGenerateX25519();
    p.catch(() => {});
    keyPool.push(p);
  }
}

export function takePooledX25519(): Promise<GeneratedX25519> {
  refill();
  const p = keyPool.shift()!;
  refill();
  return p;
}

// ---- Ed25519 verification (XEdDSA verification is Ed25519 verification on a converted key) -------

export function importEd25519Public(pub: Uint8Array): Promise<CryptoKey> {
  return subtle!.importKey('raw', pub as BufferSource, { name: 'Ed25519' }, false, ['verify']);
}

export async function webcryptoEd25519Verify(key: CryptoKey, message: Uint8Array, sig: Uint8Array): Promise<boolean> {
  try {
    return await subtle!.verify({ name: 'Ed25519' }, key, sig as BufferSource, message as BufferSource);
  } catch {
    return false;
  }
}

export function nobleEd25519Verify(pub: Uint8Array, message: Uint8Array, sig: Uint8Array): boolean {
  try {
    return ed25519.verify(sig, message, pub, { zip215: false });
  } catch {
    return false;
  }
}
