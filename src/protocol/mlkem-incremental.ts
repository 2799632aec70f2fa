// Incremental ML-KEM-768 (ML-KEM Braid spec, "ML-KEM incremental interface"), written from FIPS 203
// over keccak.ts. The encapsulation key ek = ByteEncode12(t_hat) || rho splits into a 64-byte
// header (rho || H(ek)) and the 1152-byte vector t_hat; the ciphertext splits into ct1 (960 bytes,
// the compressed u, which needs only rho and the encapsulator's randomness) and ct2 (128 bytes, the
// compressed v, which needs t_hat). ct1 || ct2 is an ordinary ML-KEM-768 ciphertext, so key
// generation and decapsulation are plain ML-KEM-768 (mlkem.ts), and the test suite checks that
// encaps1 + encaps2 equal noble's encapsulate for the same message.
import { concatBytes, type Rng } from './bytes.js';
import { isProtocolError, ProtocolError } from './errors.js';
import { sha3_256, sha3_512 } from './keccak.js';
import * as mlkem from './mlkem.js';

const N = 256;
const K = 3;
const DU = 10;
const DV = 4;

export const EK_SEED_SIZE = 32;
export const EK_VECTOR_SIZE = 384 * K; // 1152
export const HEADER_SIZE = 64; // rho || H(ek)
export const CT1_SIZE = (N * DU * K) / 8; // 960
export const CT2_SIZE = (N * DV) / 8; // 128
export const DK_SIZE = 2400;
/** What encaps2 needs from encaps1: the 32-byte message m (r and the noise are re-derived from it). */
export const ENCAPS_SECRET_SIZE = 32;

export interface IncrementalKeyPair {
  /** FIPS 203 decapsulation key (2400 bytes) */
  dk: Uint8Array;
  /** rho || H(ek) */
  header: Uint8Array;
  /** ByteEncode12(t_hat) */
  ekVector: Uint8Array;
}

export function generateKeyPair(rng: Rng): IncrementalKeyPair {
  const { publicKey, secretKey } = mlkem.keygen(mlkem.ML_KEM_768, rng(64));
  const rho = publicKey.subarray(EK_VECTOR_SIZE);
  return { dk: secretKey, header: concatBytes(rho, sha3_256(publicKey)), ekVector: publicKey.slice(0, EK_VECTOR_SIZE) };
}

/** (K, r) = G(m || H(ek)), H(ek) being the header's second half. */
function derive(header: Uint8Array, m: Uint8Array): { sharedSecret: Uint8Array; r: Uint8Array } {
  const g = sha3_512(concatBytes(m, header.subarray(EK_SEED_SIZE)));
  return { sharedSecret: g.slice(0, 32), r: g.slice(32) };
}

/** From the header alone: ct1, the shared secret, and what encaps2 needs. */
export function encaps1(header: Uint8Array, rng: Rng): { ct1: Uint8Array; sharedSecret: Uint8Array; encapsSecret: Uint8Array } {
  if (header.length !== HEADER_SIZE) throw new ProtocolError('InvalidMessage', `ML-KEM header of ${header.length} bytes`);
  const m = rng(32).slice();
  const { sharedSecret, r } = derive(header, m);
  const ct1 = mlkem.encryptFirstHalf(mlkem.ML_KEM_768, header.subarray(0, EK_SEED_SIZE), r);
  r.fill(0);
  return { ct1, sharedSecret, encapsSecret: m };
}

/** Once the vector has arrived: ct2. Throws InvalidMessage if the vector does not match the header's hash. */
export function encaps2(header: Uint8Array, ekVector: Uint8Array, encapsSecret: Uint8Array): Uint8Array {
  if (ekVector.length !== EK_VECTOR_SIZE) throw new ProtocolError('InvalidMessage', `ML-KEM key vector of ${ekVector.length} bytes`);
  const ek = concatBytes(ekVector, header.subarray(0, EK_SEED_SIZE));
  const h = sha3_256(ek);
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= h[i] ^ header[EK_SEED_SIZE + i];
  if (diff !== 0) throw new ProtocolError('InvalidMessage', 'ML-KEM key vector does not match the header');
  const { r } = derive(header, encapsSecret);
  try {
    return mlkem.encryptSecondHalf(mlkem.ML_KEM_768, ekVector, encapsSecret, r);
  } catch (e) {
    if (isProtocolError(e)) throw new ProtocolError('InvalidMessage', 'ML-KEM encapsulation key vector is not reduced mod q', { cause: e });
    throw e;
  } finally {
    r.fill(0);
  }
}

/** The key vector of a key pair, from its decapsulation key (dk = dk_pke || ek || H(ek) || z, ek = vector || rho). */
export function ekVectorOf(dk: Uint8Array): Uint8Array {
  return dk.slice(EK_VECTOR_SIZE, 2 * EK_VECTOR_SIZE);
}

/** Decapsulation with FIPS 203's input checks (dk length and hash): a malformed dk throws InvalidMessage. */
export function decapsulate(dk: Uint8Array, ct1: Uint8Array, ct2: Uint8Array): Uint8Array {
  let x: mlkem.ExpandedDk;
  try {
    x = mlkem.expandDk(mlkem.ML_KEM_768, dk);
  } catch (e) {
    throw new ProtocolError('InvalidMessage', 'ML-KEM decapsulation key rejected', { cause: e });
  }
  return mlkem.decapsulate(x, concatBytes(ct1, ct2));
}
