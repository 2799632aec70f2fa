/**
 * What the SDK persists, as interfaces: the five Signal protocol stores (src/protocol), the device's
 * credentials and key-rotation bookkeeping, and the received-message store. Implementations:
 * `createMemoryStore()` (tests, ephemeral clients) and `createFileStore(dir)` (Node, survives restarts),
 * both built on `KeyValueClientStore` over a byte key-value backend, which is the one thing a new
 * backend (IndexedDB, SQLite...) has to provide.
 */
import type {
  IdentityKeyPair,
  IdentityKeyStore,
  KyberPreKeyStore,
  PreKeyStore,
  ProtocolAddress,
  ProtocolStores,
  SenderKeyStore,
  SessionRecord,
  SessionStore,
  SignedPreKeyStore,
} from '../../protocol/index.js';
import type { MessageContent } from '../content.js';

/** A byte key-value backend. Keys are printable ASCII; `set` must be atomic per key. */
export interface KeyValueBackend {
  get(key: string): Promise<Uint8Array | null>;
  set(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys starting with `prefix`, in any order. */
  keys(prefix: string): Promise<string[]>;
}

export interface Credentials {
  userId: string;
  username: string;
  /** Server id of this device (Device.id), used for tokens. */
  deviceUuid: string;
  /** Signal device id (1..127). */
  deviceId: number;
  deviceCredential: string;
}

/** Bookkeeping for our own prekeys: id counters and when the rotating keys were made. */
export interface KeyState {
  nextPreKeyId: number;
  nextKyberPreKeyId: number;
  nextSignedPreKeyId: number;
  signedPreKeyId: number | null;
  signedPreKeyCreatedAt: number;
  lastResortKyberPreKeyId: number | null;
  lastResortCreatedAt: number;
  /** Previous signed/last-resort ids still accepted for late PreKey messages, with their retirement time. */
  retired: { kind: 'signed' | 'kyber'; id: number; retiredAt: number }[];
}

export interface StoredMessage {
  /** Client message id (the sender's; stable across devices and redeliveries). */
  id: string;
  conversationId: string;
  senderUserId: string;
  senderDeviceId: number;
  /** Server envelope id of the copy this device received (absent for messages we sent). */
  envelopeId: string | null;
  /** Server message id, when the server gave one. */
  serverMessageId: string | null;
  /** Received while this user had not accepted the conversation (a message request). */
  request?: boolean;
  /** Names this delivery in a spam report (the server's Envelope.reportingToken); absent for own messages. */
  reportingToken?: string | null;
  content: MessageContent;
  /** Server time (ISO) or our send time. */
  timestamp: string;
  outgoing: boolean;
  /** Deleted for everyone by its sender: a tombstone (its content is emptied). */
  deleted?: boolean;
}

export interface MessageStore {
  /** Stores a message; returns false (and keeps the first) when a message with this id is already there. */
  saveMessage(message: StoredMessage): Promise<boolean>;
  getMessage(id: string): Promise<StoredMessage | null>;
  /** Messages of one conversation, oldest first (by arrival order). */
  listMessages(conversationId: string): Promise<StoredMessage[]>;
  /** The newest message of one conversation (by arrival order), or null. */
  latestMessage(conversationId: string): Promise<StoredMessage | null>;
  /** Overwrites a stored message in place (same id, same position); false when there is none. */
  replaceMessage(message: StoredMessage): Promise<boolean>;
  /** Whether an envelope was already processed (decrypted and stored, or deliberately dropped). */
  hasProcessedEnvelope(envelopeId: string): Promise<boolean>;
  markEnvelopeProcessed(envelopeId: string): Promise<void>;
}

/**
 * This device's sender key in one group (src/client/groups.ts): the distribution id of its current chain and
 * the recipient devices (Device.id -> registration id) that were given its SenderKeyDistributionMessage.
 */
export interface GroupSendState {
  distributionId: string;
  distributedTo: Record<string, number>;
}

/** Everything a MessagingClient needs persisted. */
export interface ClientStore
  extends ProtocolStores,
    SessionStore,
    IdentityKeyStore,
    PreKeyStore,
    SignedPreKeyStore,
    KyberPreKeyStore,
    SenderKeyStore,
    MessageStore {
  /** Creates the local identity (once per device). */
  initializeIdentity(identity: IdentityKeyPair, registrationId: number): Promise<void>;
  hasIdentity(): Promise<boolean>;
  getCredentials(): Promise<Credentials | null>;
  setCredentials(credentials: Credentials): Promise<void>;
  getKeyState(): Promise<KeyState | null>;
  setKeyState(state: KeyState): Promise<void>;
  removeSession(address: ProtocolAddress): Promise<void>;
  /** Device ids with a stored session for a user. */
  sessionDeviceIds(userId: string): Promise<number[]>;
  /** Replaces the recorded identity key for an address (the app confirmed a changed key). */
  trustIdentity(address: ProtocolAddress, key: Uint8Array): Promise<void>;
  removePreKey(id: number): Promise<void>;
  removeSignedPreKey(id: number): Promise<void>;
  removeKyberPreKey(id: number): Promise<void>;
  /** Runs `fn` with session writes held back, then writes them; see KeyValueClientStore.withDeferredSessions. */
  withDeferredSessions<T>(fn: (stores: ProtocolStores, commit: () => Promise<void>) => Promise<T>): Promise<T>;
  /** Raw session for tests and diagnostics. */
  loadSession(address: ProtocolAddress): Promise<SessionRecord | null>;
  /** Identity keys (33-byte serialized, base64, sorted) of a user's devices as the app verified them, or null. */
  getVerifiedKeys(userId: string): Promise<string[] | null>;
  /** Records (or, with null, forgets) the verified identity keys of a user. */
  setVerifiedKeys(userId: string, keys: string[] | null): Promise<void>;
  /** This device's sender key state in a group conversation (null: none yet, or forgotten to force a rotation). */
  getGroupSendState(conversationId: string): Promise<GroupSendState | null>;
  setGroupSendState(conversationId: string, state: GroupSendState | null): Promise<void>;
  /** The conversation a peer's sender key (distribution id) was received in, or null. */
  getSenderKeyConversation(sender: ProtocolAddress, distributionId: string): Promise<string | null>;
  setSenderKeyConversation(sender: ProtocolAddress, distributionId: string, conversationId: string): Promise<void>;
  /** Forgets every stored message of a conversation (a message request answered with DELETE, on any device). */
  removeConversationMessages(conversationId: string): Promise<number>;
}
