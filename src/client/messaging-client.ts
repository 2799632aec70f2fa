/**
 * MessagingClient: one device of one user, the SDK's entry point. It registers or links the device, keeps
 * an access token fresh (tokens.ts), owns the device's prekeys (keys.ts: upload, refill, rotation),
 * encrypts every outgoing message once per recipient device (sending.ts, over the sessions of
 * sessions.ts and the device lists of directory.ts) and decrypts the device's queue of envelopes
 * (receiving.ts), storing each plaintext before acknowledging its envelope. The server only ever sees
 * ciphertext and routing metadata.
 *
 * Delivery guarantees: envelopes are processed one at a time in queue order; an envelope is
 * acknowledged only after its message is in the ClientStore (and the app's `onMessage` returned);
 * anything not acknowledged comes again on the next inbox stream, and is recognised by envelope id
 * (and message id), so a reconnect never shows a message twice.
 *
 * Trust and abuse (trust.ts, verification.ts, recovery.ts; docs/trust.md): safety numbers and verification,
 * identity-change notices, blocking, message requests, spam reports, the directory, and recovery from
 * envelopes that do not decrypt (the sender resends; the message is shown once).
 */
import { generateRegistrationId, IdentityKeyPair } from '../protocol/index.js';
import { decryptAttachment, downloadAttachment } from './attachments.js';
import { CallManager } from './calls.js';
import { fromBase64, toBase64 } from './base64.js';
import { type AttachmentPointer, ContentError } from './content.js';
import type {
  ClientContext,
  ClientEvents,
  Conversation,
  ConversationEvent,
  MessageMeta,
  MessagingClientOptions,
  PresenceState,
  SendOptions,
  Subscribe,
} from './context.js';
import { Push, type PushConfig, type PushKind, type PushTargetInfo, type PushTargetSpec } from './push.js';
import { Recovery } from './recovery.js';
import { type DirectoryUser, type MessageRequestAction, type MessageRequestAnswer, type SafetyNumber, type SpamReport, Trust, type VerificationState } from './trust.js';
import { Verification } from './verification.js';
import { Directory } from './directory.js';
import { Emitter } from './emitter.js';
import { ClientError, type PeerAddress } from './errors.js';
import {
  ConversationEventsDocument,
  ConversationsDocument,
  CreateDeviceLinkCodeDocument,
  CreateDirectConversationDocument,
  AddGroupMembersDocument,
  CreateGroupDocument,
  RemoveGroupMemberDocument,
  DevicesDocument,
  LinkDeviceDocument,
  MarkReadDocument,
  MeDocument,
  MessageDocument,
  MyDevicesChangedDocument,
  PreKeyCountsDocument,
  PreKeysLowDocument,
  PresenceChangesDocument,
  PresenceDocument,
  RegisterDocument,
  RemoveDeviceDocument,
  SearchUsersDocument,
  SetDisappearingTimerDocument,
  ConversationMessagesDocument,
  SetReactionDocument,
  SetTypingDocument,
  UploadPreKeysDocument,
} from './generated/graphql.js';
import { DEFAULT_KEY_POLICY, KeyManager } from './keys.js';
import { GroupSessions } from './groups.js';
import { type FetchResult, Receiver } from './receiving.js';
import { type AttachmentSendOptions, Sender } from './sending.js';
import { Sessions } from './sessions.js';
import type { ClientStore, Credentials, StoredMessage } from './stores/types.js';
import { AccessTokens } from './tokens.js';
import { domainError, Transport } from './transport.js';

export type {
  ClientEvents,
  Conversation,
  ConversationEvent,
  IdentityChange,
  MessageMeta,
  MessagingClientOptions,
  PresenceState,
  SendOptions,
  TrustEvent,
} from './context.js';
export type { DirectoryUser, MessageRequestAction, MessageRequestAnswer, SafetyNumber, SpamReport, VerificationState } from './trust.js';
export type { Envelope } from './context.js';

/** One row of the conversation list: server state and the newest locally decrypted message. */
export interface ConversationSummary {
  conversation: Conversation;
  unreadCount: number;
  lastActivityAt: string;
  lastMessage: StoredMessage | null;
}

export interface RegisterOptions {
  username: string;
  displayName: string;
  deviceName?: string;
  avatarUrl?: string;
}

export class MessagingClient {
  readonly events = new Emitter<ClientEvents>();
  readonly transport: Transport;
  readonly keys: KeyManager;
  readonly store: ClientStore;
  /** Call control and end-to-end encrypted call signaling (./calls.ts). */
  readonly calls: CallManager;
  private readonly ctx: ClientContext;
  private readonly tokens: AccessTokens;
  private readonly directory: Directory;
  private readonly sessions: Sessions;
  private readonly groups: GroupSessions;
  private readonly sender: Sender;
  private readonly receiver: Receiver;
  private readonly push: Push;
  private readonly trust: Trust;
  private readonly subscriptions = new Set<() => void>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private started = false;
  private stopped = false;

  private constructor(
    private readonly opts: MessagingClientOptions,
    readonly credentials: Credentials,
  ) {
    this.store = opts.store;
    const now = opts.now ?? Date.now;
    this.transport = new Transport({
      url: opts.url,
      wsUrl: opts.wsUrl,
      webSocketImpl: opts.webSocketImpl,
      fetch: opts.fetch,
      getToken: (o) => this.tokens.get(o?.refresh),
      onConnectionChange: (s) => void this.events.emit('connection', s),
      maxRetryDelayMs: opts.maxRetryDelayMs,
    });
    this.ctx = {
      opts,
      transport: this.transport,
      store: this.store,
      events: this.events,
      credentials,
      now,
      stopped: () => this.stopped,
    };
    this.tokens = new AccessTokens(this.ctx);
    this.directory = new Directory(this.ctx);
    this.sessions = new Sessions(this.ctx, new Verification(this.store));
    this.groups = new GroupSessions(this.ctx, this.sessions);
    this.sender = new Sender(this.ctx, this.directory, this.sessions, this.groups, () => this.tokens.get());
    this.push = new Push(this.ctx);
    this.receiver = new Receiver(this.ctx, this.sessions, this.groups, this.subscribe, new Recovery(this.ctx, this.sessions, this.directory, this.groups));
    this.calls = new CallManager(this.ctx, this.directory, this.sessions, this.subscribe);
    this.trust = new Trust(this.ctx, this.sessions, this.directory);
    this.keys = new KeyManager(
      this.store,
      {
        counts: async () => (await this.transport.request(PreKeyCountsDocument, {})).preKeyCounts,
        upload: async (input) => {
          const r = (await this.transport.request(UploadPreKeysDocument, { input })).uploadPreKeys;
          if (r.__typename !== 'PreKeyCounts') throw domainError(r);
          return r;
        },
      },
      now,
      { ...DEFAULT_KEY_POLICY, ...opts.keyPolicy },
      opts.rng,
    );
  }

  // ------------------------------------------------------------------ creating and opening devices

  /** Creates a user with this device as its first device and uploads its keys. */
  static async register(opts: MessagingClientOptions, r: RegisterOptions): Promise<MessagingClient> {
    const identity = IdentityKeyPair.generate(opts.rng);
    const registrationId = generateRegistrationId(opts.rng);
    const transport = new Transport({ url: opts.url, fetch: opts.fetch, getToken: async () => null });
    const res = (
      await transport.request(
        RegisterDocument,
        {
          input: {
            username: r.username,
            displayName: r.displayName,
            avatarUrl: r.avatarUrl,
            device: { name: r.deviceName ?? 'primary', registrationId, identityKey: toBase64(identity.publicKey.serialize()) },
          },
        },
        { auth: false },
      )
    ).register;
    if (res.__typename !== 'DeviceCredentials') throw domainError(res);
    return MessagingClient.created(opts, identity, registrationId, res);
  }

  /** Adds this device to the account that made `code` (see createLinkCode) and uploads its keys. */
  static async link(opts: MessagingClientOptions, code: string, deviceName = 'linked'): Promise<MessagingClient> {
    const identity = IdentityKeyPair.generate(opts.rng);
    const registrationId = generateRegistrationId(opts.rng);
    const transport = new Transport({ url: opts.url, fetch: opts.fetch, getToken: async () => null });
    const res = (
      await transport.request(
        LinkDeviceDocument,
        { code, device: { name: deviceName, registrationId, identityKey: toBase64(identity.publicKey.serialize()) } },
        { auth: false },
      )
    ).linkDevice;
    if (res.__typename !== 'DeviceCredentials') throw domainError(res);
    return MessagingClient.created(opts, identity, registrationId, res);
  }

  private static async created(
    opts: MessagingClientOptions,
    identity: IdentityKeyPair,
    registrationId: number,
    res: { deviceCredential: string; accessToken: string; accessTokenExpiresAt: string; user: { id: string; username: string }; device: { id: string; deviceId: number } },
  ): Promise<MessagingClient> {
    const credentials: Credentials = {
      userId: res.user.id,
      username: res.user.username,
      deviceUuid: res.device.id,
      deviceId: res.device.deviceId,
      deviceCredential: res.deviceCredential,
    };
    await opts.store.initializeIdentity(identity, registrationId);
    await opts.store.setCredentials(credentials);
    const client = new MessagingClient(opts, credentials);
    client.tokens.set(res.accessToken, res.accessTokenExpiresAt);
    await client.keys.initialUpload();
    return client;
  }

  /** Reopens a device from its store (after a restart). */
  static async open(opts: MessagingClientOptions): Promise<MessagingClient> {
    const credentials = await opts.store.getCredentials();
    if (!credentials || !(await opts.store.hasIdentity())) throw new ClientError('NotRegistered', 'the store holds no registered device');
    return new MessagingClient(opts, credentials);
  }

  get userId(): string {
    return this.credentials.userId;
  }
  get deviceId(): number {
    return this.credentials.deviceId;
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Goes online: checks the key stock and rotation, then listens for the low-stock alarm and the device
   * list (graphql-ws) and starts reading the queue. Resolves once the subscriptions are requested (not when
   * the inbox is drained: wait for the `drained` event or `whenIdle()`).
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    await this.tokens.get();
    this.tokens.startRenewal();
    await this.checkKeys();
    this.subscribe(PreKeysLowDocument, {}, () => {
      void this.keys
        .refill(undefined, Number.POSITIVE_INFINITY)
        .then((c) => c && this.events.emit('preKeysRefilled', c))
        .catch((e) => this.events.emit('error', e));
    });
    this.subscribe(MyDevicesChangedDocument, {}, () => this.directory.clear());
    this.trust.follow(this.subscribe);
    this.receiver.open();
    this.calls.open();
    this.scheduleRotation();
  }

  /** Refills the one-time stocks if low, and rotates the signed / last-resort keys if due. */
  async checkKeys(): Promise<void> {
    const refilled = await this.keys.refill();
    if (refilled) await this.events.emit('preKeysRefilled', refilled);
    await this.keys.rotateIfDue();
  }

  private scheduleRotation() {
    const interval = this.opts.rotationCheckIntervalMs ?? 3_600_000;
    void this.keys.msUntilRotation().then((ms) => {
      if (this.stopped) return;
      this.later(Math.min(interval, Math.max(1_000, ms)), async () => {
        await this.keys.rotateIfDue().catch((e) => this.events.emit('error', e));
        this.scheduleRotation();
      });
    });
  }

  private later(ms: number, fn: () => unknown) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      void fn();
    }, ms);
    (t as { unref?: () => void }).unref?.();
    this.timers.add(t);
  }

  /** Goes offline: ends subscriptions and timers, acknowledges what was processed, closes the socket. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.tokens.stopRenewal();
    this.calls.close();
    for (const u of this.subscriptions) u();
    this.subscriptions.clear();
    await this.receiver.stop();
    await this.transport.close();
  }

  /** Resolves when every envelope received so far is processed and acknowledged. */
  whenIdle(): Promise<void> {
    return this.receiver.whenIdle();
  }

  /**
   * Reads the queue over HTTP (pendingEnvelopes) and processes it: for clients that do not keep a
   * socket open, or to catch up without the inbox stream.
   */
  fetchPending(pageSize = 100): Promise<number> {
    return this.receiver.fetchPending(pageSize);
  }

  /**
   * For a notification extension or service worker woken by a push (no socket, no start()): reads at most
   * `limit` pending envelopes over HTTP, decrypts and stores them, acknowledges only what was stored, and
   * returns the new messages to show.
   */
  fetchAndDecrypt(opts: { limit?: number } = {}): Promise<FetchResult> {
    return this.receiver.fetchAndDecrypt(opts.limit ?? 50);
  }

  // ------------------------------------------------------------------ push

  /** Registers where this device is woken when it has no live inbox stream (one target per kind; again replaces it). */
  registerPush(target: PushTargetSpec): Promise<PushTargetInfo> {
    return this.push.register(target);
  }

  /** Removes this device's push target of `kind`; false when it had none. */
  removePush(kind: PushKind): Promise<boolean> {
    return this.push.remove(kind);
  }

  /** The server's VAPID public key (for PushManager.subscribe) and the push kinds it delivers to. */
  pushConfig(): Promise<PushConfig> {
    return this.push.config();
  }

  /** This device's push targets (kinds and dates only). */
  pushTargets(): Promise<PushTargetInfo[]> {
    return this.push.targets();
  }

  private readonly subscribe: Subscribe = (doc, variables, next) => {
    const unsubscribe = this.transport.subscribe(doc, variables, {
      next: (v) => void next(v),
      error: (e) => void this.events.emit('error', e),
    });
    this.subscriptions.add(unsubscribe);
    return () => {
      this.subscriptions.delete(unsubscribe);
      unsubscribe();
    };
  };

  /** A valid access token, refreshed with the device secret shortly before it expires. */
  accessToken(refresh = false): Promise<string> {
    return this.tokens.get(refresh);
  }

  // ------------------------------------------------------------------ devices and identities

  /** A one-time code another installation passes to `MessagingClient.link`. */
  async createLinkCode(): Promise<{ code: string; expiresAt: string }> {
    return (await this.transport.request(CreateDeviceLinkCodeDocument, {})).createDeviceLinkCode;
  }

  /** Removes one of the user's devices (Device.id); its sessions are dropped by peers on their next send. */
  async removeDevice(deviceUuid: string): Promise<void> {
    const r = (await this.transport.request(RemoveDeviceDocument, { id: deviceUuid })).removeDevice;
    if (r.__typename !== 'Device') throw domainError(r);
    this.directory.clear();
  }

  /** Current devices of a user, with their identity keys. */
  async devices(userId: string) {
    return (await this.transport.request(DevicesDocument, { userId })).devices;
  }

  async me() {
    return (await this.transport.request(MeDocument, {})).me;
  }

  /** The directory: users whose username starts with, or whose display name contains, `search`. */
  async users(search: string, first = 20): Promise<{ id: string; username: string; displayName: string }[]> {
    const r = (await this.transport.request(SearchUsersDocument, { search, first })).users;
    if (r.__typename !== 'UserPage') throw domainError(r);
    return r.items;
  }

  /**
   * Accepts the current identity key of a peer device after the app confirmed it (safety number):
   * records it, drops the old session, and re-reads the inbox so envelopes held back are decrypted.
   * Refused with VerificationRequired for a user the app verified: call verify() again instead.
   */
  async trustIdentity(address: PeerAddress): Promise<void> {
    await this.sessions.trust(address);
    this.directory.clear();
    // the held envelopes are still queued: a new stream delivers them again
    if (this.started) this.receiver.releaseHeld();
  }

  // ------------------------------------------------------------------ safety numbers and verification

  /** The safety number of this user and `userId` (60 digits and a QR code), over both users' current devices. */
  safetyNumber(userId: string): Promise<SafetyNumber> {
    return this.trust.safetyNumber(userId);
  }

  /** Whether the other side's scanned QR code matches our safety number with `userId`. */
  compareSafetyNumber(userId: string, scanned: Uint8Array): Promise<boolean> {
    return this.trust.compareSafetyNumber(userId, scanned);
  }

  /**
   * Marks the current identity keys of `userId`'s devices verified (the user compared safety numbers) and
   * trusts them; pass the number shown to refuse (SafetyNumberChanged) if it changed meanwhile. Afterwards a
   * changed key or a new device of theirs is not trusted until verified again. Held envelopes are re-read.
   */
  async verify(userId: string, shown?: SafetyNumber): Promise<SafetyNumber> {
    const n = await this.trust.verify(userId, shown);
    if (this.started) this.receiver.releaseHeld();
    return n;
  }

  /** Forgets a verification (back to trust on first use). */
  unverify(userId: string): Promise<void> {
    return this.trust.unverify(userId);
  }

  verificationState(userId: string): Promise<VerificationState> {
    return this.trust.verificationState(userId);
  }

  // ------------------------------------------------------------------ blocking, message requests, spam, directory

  /** Blocks a user on all of this user's devices (the server drops their messages to this user). Returns the block list. */
  block(userId: string): Promise<string[]> {
    return this.trust.block(userId);
  }

  unblock(userId: string): Promise<string[]> {
    return this.trust.unblock(userId);
  }

  blockedUsers(): Promise<string[]> {
    return this.trust.blockedUsers();
  }

  /** Answers a message request (ACCEPT, DELETE, BLOCK, BLOCK_AND_DELETE, SPAM, BLOCK_AND_SPAM); all devices follow. */
  respondToMessageRequest(conversationId: string, action: MessageRequestAction): Promise<MessageRequestAnswer> {
    return this.trust.respondToMessageRequest(conversationId, action);
  }

  /** Reports received messages as spam (of a conversation, or the named ones) by their reporting tokens: no content. */
  reportSpam(target: { conversationId: string } | { messageIds: string[] }): Promise<number> {
    return this.trust.reportSpam(target);
  }

  /** Spam reports, for operators only (others: ServerError NOT_OPERATOR). */
  spamReports(opts?: { first?: number; after?: string; senderUserId?: string }): Promise<{ items: SpamReport[]; endCursor: string | null; hasNextPage: boolean }> {
    return this.trust.spamReports(opts);
  }

  /** The user with exactly this username, or null. */
  findUser(username: string): Promise<DirectoryUser | null> {
    return this.trust.findUser(username);
  }

  /** This user's contacts: members of conversations they accepted, less blocked users. */
  contacts(first?: number, after?: string) {
    return this.trust.contacts(first, after);
  }

  /** Substring search among this user's contacts (strangers: findUser). */
  searchContacts(term: string, first?: number, after?: string) {
    return this.trust.searchContacts(term, first, after);
  }

  /** Whether strangers find this user by exact username. */
  setDiscoverable(discoverable: boolean): Promise<void> {
    return this.trust.setDiscoverable(discoverable);
  }

  // ------------------------------------------------------------------ conversations

  async createDirectConversation(userId: string): Promise<Conversation> {
    const r = (await this.transport.request(CreateDirectConversationDocument, { userId })).createDirectConversation;
    if (r.__typename !== 'Conversation') throw domainError(r);
    this.directory.remember(r);
    return r;
  }

  async createGroup(name: string, memberIds: string[]): Promise<Conversation> {
    const r = (await this.transport.request(CreateGroupDocument, { input: { name, memberIds } })).createGroup;
    if (r.__typename !== 'Conversation') throw domainError(r);
    this.directory.remember(r);
    return r;
  }

  /** Adds users to a group; they (all their devices) get this device's sender key with its next message there. */
  async addGroupMembers(conversationId: string, userIds: string[]): Promise<Conversation> {
    const r = (await this.transport.request(AddGroupMembersDocument, { conversationId, userIds })).addGroupMembers;
    if (r.__typename !== 'Conversation') throw domainError(r);
    this.directory.remember(r);
    return r;
  }

  /**
   * Removes a member from a group (the caller's own id: leave). This device's sender key for the group is
   * rotated: the next message starts a new chain that the removed member never gets. (Other members'
   * devices rotate when their next send finds the member's devices gone.)
   */
  async removeGroupMember(conversationId: string, userId: string): Promise<void> {
    const r = (await this.transport.request(RemoveGroupMemberDocument, { conversationId, userId })).removeGroupMember;
    if (r.__typename !== 'MemberRemoved') throw domainError(r);
    await this.groups.rotate(conversationId);
    if (userId !== this.userId) await this.directory.conversation(conversationId);
  }

  /** Sets (seconds) or clears (null) the conversation's disappearing-message timer: the default lifetime of new messages. */
  async setDisappearingTimer(conversationId: string, seconds: number | null): Promise<Conversation> {
    const r = (await this.transport.request(SetDisappearingTimerDocument, { conversationId, seconds })).setDisappearingTimer;
    if (r.__typename !== 'Conversation') throw domainError(r);
    this.directory.remember(r);
    return r;
  }

  conversation(id: string): Promise<Conversation> {
    return this.directory.conversation(id);
  }

  async conversations(first = 20, after?: string) {
    const r = (await this.transport.request(ConversationsDocument, { first, after })).conversations;
    if (r.__typename !== 'ConversationPage') throw domainError(r);
    return r;
  }

  /** Decrypted messages of a conversation held by this device, oldest first (tombstones included, `deleted`). */
  messages(conversationId: string): Promise<StoredMessage[]> {
    return this.store.listMessages(conversationId);
  }

  /**
   * A page of the local history of a conversation, newest last: at most `limit` messages before the message
   * `before` (exclusive), or the newest ones. Reads only this device's store (the server holds no plaintext).
   */
  async history(conversationId: string, opts: { limit?: number; before?: string } = {}): Promise<{ messages: StoredMessage[]; hasMore: boolean }> {
    const all = await this.store.listMessages(conversationId);
    const end = opts.before ? all.findIndex((m) => m.id === opts.before) : all.length;
    const upTo = end < 0 ? all.length : end;
    const limit = Math.max(1, Math.min(opts.limit ?? 50, 500));
    const start = Math.max(0, upTo - limit);
    return { messages: all.slice(start, upTo), hasMore: start > 0 };
  }

  /**
   * The user's conversations, most recent activity first, each with its unread count and last activity (from
   * the server) and the newest message this device holds (decrypted locally) for a preview.
   */
  async conversationList(first = 50, after?: string): Promise<{ items: ConversationSummary[]; endCursor: string | null; hasNextPage: boolean }> {
    const page = await this.conversations(first, after);
    const items = await Promise.all(
      page.items.map(async (c) => {
        this.directory.remember(c);
        return { conversation: c, unreadCount: c.unreadCount, lastActivityAt: c.lastActivityAt, lastMessage: await this.store.latestMessage(c.id) };
      }),
    );
    return { items, endCursor: page.pageInfo.endCursor ?? null, hasNextPage: page.pageInfo.hasNextPage };
  }

  // ------------------------------------------------------------------ sending and media

  /**
   * Encrypts `body` (with replies/attachments in the encrypted content) for every recipient device and
   * sends it. Sends are serialized per client, so messages leave in call order.
   */
  async sendMessage(conversationId: string, body: string, opts: SendOptions = {}): Promise<StoredMessage> {
    await this.trust.assertMaySend(conversationId);
    return this.sender.sendMessage(conversationId, body, opts);
  }

  /**
   * Sends a file (image, video, voice message or any file): encrypts it on the device (AES-256-GCM with a
   * fresh key), uploads only the ciphertext, and sends a message whose end-to-end encrypted content carries
   * the pointer (attachment id, key, SHA-256 digest, size, MIME type, file name). The server binds the
   * upload to the message (participants may download it; it is deleted with the message) but never sees
   * the key, the MIME type or the name. `onUploadProgress` reports the upload (bytes sent, total).
   */
  async sendAttachment(
    conversationId: string,
    file: Uint8Array,
    opts: AttachmentSendOptions,
  ): Promise<StoredMessage> {
    await this.trust.assertMaySend(conversationId);
    return this.sender.sendAttachment(conversationId, file, opts);
  }

  /**
   * Downloads and decrypts an attachment of a received (or sent) message: the ciphertext's SHA-256 is
   * checked against the digest from the encrypted content first (AttachmentDigestMismatchError), then
   * AES-GCM authenticates it. Returns the plaintext bytes.
   */
  async downloadAttachment(pointer: AttachmentPointer): Promise<Uint8Array> {
    const m = /^attachment:(.+)$/.exec(pointer.url);
    if (!m) throw new ContentError(`not an attachment of this server: ${pointer.url}`);
    const ciphertext = await downloadAttachment(this.opts.url, await this.tokens.get(), m[1]);
    return decryptAttachment(ciphertext, fromBase64(pointer.key), fromBase64(pointer.digest));
  }

  // ------------------------------------------------------------------ receipts, reactions, deletes, typing, presence

  async markRead(conversationId: string, upToMessageId: string): Promise<void> {
    const r = (await this.transport.request(MarkReadDocument, { conversationId, upToMessageId })).markRead;
    if (r.__typename !== 'Conversation') throw domainError(r);
  }

  async react(messageId: string, emoji: string | null): Promise<MessageMeta> {
    const r = (await this.transport.request(SetReactionDocument, { messageId, emoji })).setReaction;
    if (r.__typename !== 'Message') throw domainError(r);
    return r;
  }

  /**
   * Delete for everyone (the sender's own messages): the server tombstones it and purges undelivered copies;
   * an end-to-end encrypted delete removes it from the local stores of every device that has it (each emits
   * `messageDeleted`). Returns the server's metadata of the tombstone.
   */
  deleteMessage(messageId: string): Promise<MessageMeta> {
    return this.sender.deleteForEveryone(messageId);
  }

  async setTyping(conversationId: string, typing: boolean): Promise<void> {
    await this.transport.request(SetTypingDocument, { conversationId, typing });
  }

  /** Live events of a conversation (new message metadata, receipts, reactions, deletes, typing). */
  watchConversation(conversationId: string, handler: (event: ConversationEvent) => unknown): () => void {
    return this.subscribe(ConversationEventsDocument, { conversationId }, (v) => handler(v.conversationEvents));
  }

  async presence(userIds: string[]): Promise<PresenceState[]> {
    return (await this.transport.request(PresenceDocument, { userIds })).presence;
  }

  watchPresence(userIds: string[], handler: (state: PresenceState) => unknown): () => void {
    return this.subscribe(PresenceChangesDocument, { userIds }, (v) => handler(v.presence));
  }

  /**
   * Server-side metadata of a conversation's newest messages (newest first): status and receipts (for the
   * sender), reactions, deletion, expiry. One request for a screen of ticks and reactions.
   */
  async messageMetas(conversationId: string, first = 50, after?: string): Promise<{ items: MessageMeta[]; endCursor: string | null; hasNextPage: boolean }> {
    const r = (await this.transport.request(ConversationMessagesDocument, { conversationId, first, after })).messages;
    if (r.__typename !== 'MessagePage') throw domainError(r);
    return { items: r.items, endCursor: r.pageInfo.endCursor ?? null, hasNextPage: r.pageInfo.hasNextPage };
  }

  /** Server-side metadata of a message: status, receipts, reactions, deletion. */
  async messageMeta(id: string): Promise<MessageMeta> {
    const r = (await this.transport.request(MessageDocument, { id })).message;
    if (r.__typename !== 'Message') throw domainError(r);
    return r;
  }
}
