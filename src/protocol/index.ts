// Public entry point of the Signal protocol library (contract: docs/protocol-api.md).
export { ProtocolError, isProtocolError, type ProtocolErrorCode } from './errors.js';
export type { Rng } from './bytes.js';
export { setCryptoBackend, getCryptoBackend, type CryptoBackendName } from './backend.js';
export { PublicKey, PrivateKey, IdentityKeyPair, type KeyPair } from './curve.js';
export { KyberPublicKey, KyberKeyPair } from './kyber.js';
export { ProtocolAddress } from './address.js';
export {
  PreKeyRecord,
  SignedPreKeyRecord,
  KyberPreKeyRecord,
  generateRegistrationId,
  generatePreKeys,
  generateSignedPreKey,
  generateKyberPreKey,
} from './records.js';
