/** Public entry point of the client SDK (browsers and Node). Node-only helpers are in ./node.ts. */
export type { AttachmentSendOptions } from './sending.js';
export {
  MessagingClient,
  type MessagingClientOptions,
  type RegisterOptions,
  type SendOptions,
  type ClientEvents,
  type ConversationSummary,
  type Conversation,
  type ConversationEvent,
  type PresenceState,
  type Envelope,
  type MessageMeta,
  type IdentityChange,
  type TrustEvent,
  type DirectoryUser,
  type MessageRequestAction,
  type MessageRequestAnswer,
  type SafetyNumber,
  type SpamReport,
  type VerificationState,
} from './messaging-client.js';
export type { PushConfig, PushKind, PushTargetInfo, PushTargetSpec } from './push.js';
export type { FetchResult } from './receiving.js';
export {
  CallManager,
  CALL_SIGNAL_VERSION,
  MAX_CANDIDATES_PER_SIGNAL,
  type Call,
  type CallEvent,
  type CallMedia,
  type CallSignalPayload,
  type IceCandidate,
  type IncomingCallSignal,
} from './calls.js';
export {
  CONTENT_VERSION,
  ContentError,
  createContent,
  decodeContent,
  encodeContent,
  type AttachmentPointer,
  type MessageContent,
} from './content.js';
export {
  ClientError,
  DecryptionError,
  isClientError,
  NetworkError,
  RateLimitError,
  ServerError,
  UnauthenticatedError,
  UntrustedIdentityError,
  type ClientErrorCode,
  type PeerAddress,
} from './errors.js';
export { KeyManager, DEFAULT_KEY_POLICY, type KeyPolicy, type PreKeyCounts } from './keys.js';
export { KeyValueClientStore } from './stores/kv-store.js';
export { createMemoryStore, MemoryBackend } from './stores/memory-store.js';
export type { ClientStore, Credentials, KeyState, KeyValueBackend, MessageStore, StoredMessage } from './stores/types.js';
export { Transport, type TransportOptions } from './transport.js';
export {
  AttachmentDigestMismatchError,
  AttachmentError,
  type AttachmentErrorCode,
  decryptAttachment,
  downloadAttachment,
  type EncryptedAttachment,
  encryptAttachment,
  type UploadedAttachment,
  type UploadProgress,
  uploadAttachment,
} from './attachments.js';
