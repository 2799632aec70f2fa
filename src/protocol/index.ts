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
export { SessionRecord } from './session-state.js';
export {
  InMemorySignalProtocolStore,
  type Direction,
  type SessionStore,
  type IdentityKeyStore,
  type PreKeyStore,
  type SignedPreKeyStore,
  type KyberPreKeyStore,
  type ProtocolStores,
} from './stores.js';
export {
  CiphertextMessageType,
  processPreKeyBundle,
  signalEncrypt,
  signalDecrypt,
  signalDecryptPreKey,
  type CiphertextMessage,
  type PreKeyBundle,
  type CipherOptions,
} from './session-cipher.js';
export {
  MAX_MESSAGE_KEYS,
  MAX_FORWARD_JUMPS,
  MAX_RECEIVER_CHAINS,
  ARCHIVED_STATES_MAX_LENGTH,
  MAX_UNACKNOWLEDGED_SESSION_AGE_MS,
} from './consts.js';
