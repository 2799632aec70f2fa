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
export { MAX_SENDER_KEY_STATES, SENDERKEY_MESSAGE_CURRENT_VERSION } from './consts.js';
export { SENDER_KEY_MESSAGE_TYPE, SenderKeyDistributionMessage, SenderKeyMessage } from './sender-key-messages.js';
export { SenderKeyRecord, SenderKeyState } from './sender-key-record.js';
export { InMemorySenderKeyStore, type SenderKeyStore } from './sender-key-store.js';
export {
  createSenderKeyDistributionMessage,
  processSenderKeyDistributionMessage,
  rotateSenderKey,
  groupEncrypt,
  groupDecrypt,
  type GroupCiphertextMessage,
  type GroupCipherOptions,
} from './group-cipher.js';
export {
  Fingerprint,
  DisplayableFingerprint,
  ScannableFingerprint,
  FINGERPRINT_VERSION,
  FINGERPRINT_ITERATIONS,
  MAX_FINGERPRINT_KEYS,
} from './fingerprint.js';
export {
  DecryptionErrorMessage,
  PlaintextContent,
  PLAINTEXT_CONTENT_TYPE,
  currentRatchetKeyMatches,
  type OriginalMessageType,
} from './decryption-error.js';
