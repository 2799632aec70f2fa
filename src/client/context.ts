/** What the pieces of a MessagingClient share: its options, transport, store, identity and event emitter. */
import type { Rng } from '../protocol/index.js';
import type { Emitter } from './emitter.js';
import type {
  ContentType,
  ConversationEventsSubscription,
  ConversationFieldsFragment,
  EnvelopeFieldsFragment,
  MessageFieldsFragment,
  TrustEventFieldsFragment,
  TypedDocumentString,
} from './generated/graphql.js';
import type { KeyPolicy, PreKeyCounts } from './keys.js';
import type { AttachmentPointer } from './content.js';
import type { CallEvent, IncomingCallSignal } from './call-types.js';
import type { ClientStore, Credentials, StoredMessage } from './stores/types.js';
import type { Transport } from './transport.js';

export interface MessagingClientOptions {
  /** http(s)://host/graphql */
  url: string;
  wsUrl?: string;
  /** WebSocket constructor; browsers have one, Node 20 needs `ws` (see ./node.ts). */
  webSocketImpl?: unknown;
  fetch?: typeof fetch;
  store: ClientStore;
  /** Clock for key rotation and protocol timestamps (ms since epoch). */
  now?: () => number;
  rng?: Rng;
  keyPolicy?: Partial<KeyPolicy>;
  /** Refresh the access token this long before it expires. */
  tokenRefreshMarginMs?: number;
  /** How often to check whether the signed prekey / last-resort key is due for rotation. */
  rotationCheckIntervalMs?: number;
  /** Called with each new message; the envelope is acknowledged only after this resolves. */
  onMessage?: (message: StoredMessage) => unknown;
  maxRetryDelayMs?: number;
  /** A send refused by the rate limit is retried by itself when the wait is at most this (s); else RateLimitError. */
  maxRateLimitWaitSeconds?: number;
}

export interface SendOptions {
  replyTo?: string | null;
  attachments?: AttachmentPointer[];
  contentType?: ContentType;
  /** Seconds until the message disappears. */
  expiresIn?: number;
  /** Uploaded attachment ids (see ./attachments.ts) to bind to the message; their keys go in `attachments`. */
  attachmentIds?: string[];
}

export type Conversation = ConversationFieldsFragment;
export type MessageMeta = MessageFieldsFragment;
export type Envelope = EnvelopeFieldsFragment;
export type ConversationEvent = ConversationEventsSubscription['conversationEvents'];
export type TrustEvent = TrustEventFieldsFragment;

/** A peer device's identity is not the trusted one (docs/trust.md): show it on the conversation. */
export interface IdentityChange {
  /** The conversation it concerns (null when it was met outside one). */
  conversationId: string | null;
  userId: string;
  deviceId: number;
  /** The user had been verified: only verify() trusts the device now (trustIdentity() refuses). */
  verified: boolean;
  /** Met while sending to the device, or receiving from it. */
  direction: 'sending' | 'receiving';
}

export interface PresenceState {
  userId: string;
  online: boolean;
  lastSeenAt: string | null;
}

export interface ClientEvents extends Record<string, unknown> {
  /** A new message was decrypted and stored (also delivered to `onMessage`). */
  message: StoredMessage;
  /** A message was deleted for everyone by its sender: the local copy is now a tombstone. */
  messageDeleted: { messageId: string; conversationId: string };
  /** An envelope arrived, before decryption: exactly what the server holds (for diagnostics and demos). */
  envelope: Envelope;
  /** The inbox stream ended for good (another stream of this device took over, or it was removed). */
  inboxEnded: { reason: string };
  /** Every envelope pending when the inbox stream opened has been processed and acknowledged. */
  drained: undefined;
  /** An error the app should see: UntrustedIdentityError, DecryptionError, RateLimitError, ... */
  error: unknown;
  /** The one-time prekey stock was topped up. */
  preKeysRefilled: PreKeyCounts;
  connection: 'connected' | 'closed';
  /** A call the user takes part in changed (RINGING on an incoming call: ring). See ./calls.ts. */
  call: CallEvent;
  /** A decrypted signaling payload (offer, answer, ICE candidates, hang-up) from another device of a call. */
  callSignal: IncomingCallSignal;
  /** A peer device's identity changed, or a verified user has a device that was not verified. */
  identityChanged: IdentityChange;
  /** This device could not decrypt an envelope and asked its sender to resend it (a DecryptionErrorMessage). */
  retryRequested: { envelopeId: string; messageId: string; sender: { userId: string; deviceId: number } };
  /** This device resent one of its messages to a device that could not decrypt it. */
  resent: { messageId: string; to: { userId: string; deviceId: number }; newSession: boolean };
  /** The user's trust settings changed on one of their devices (this one included): blocks, message requests, discoverability. */
  trust: TrustEvent;
}

/** Subscribes to a typed subscription for as long as the client runs; returns the unsubscribe function. */
export type Subscribe = <R, V>(doc: TypedDocumentString<R, V>, variables: NoInfer<V>, next: (v: R) => unknown) => () => void;

export interface ClientContext {
  readonly opts: MessagingClientOptions;
  readonly transport: Transport;
  readonly store: ClientStore;
  readonly events: Emitter<ClientEvents>;
  readonly credentials: Credentials;
  readonly now: () => number;
  /** Whether the client has been stopped (background work ends). */
  stopped(): boolean;
}
