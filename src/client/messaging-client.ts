/**
 * MessagingClient: one device of one user. It registers or links the device, keeps an access token
 * fresh, owns the device's prekeys (upload, refill, rotation), encrypts every outgoing message once per
 * recipient device (the other participants' devices and the user's own other devices) and decrypts
 * the device's queue of envelopes, storing each plaintext before acknowledging its envelope. The server only
 * ever sees ciphertext and routing metadata.
 *
 * Delivery guarantees: envelopes are processed one at a time in queue order; an envelope is
 * acknowledged only after its message is in the ClientStore (and the app's `onMessage` returned);
 * anything not acknowledged comes again on the next inbox stream, and is recognised by envelope id
 * (and message id), so a reconnect never shows a message twice.
 */
import {
  CiphertextMessageType,
  generateRegistrationId,
  IdentityKeyPair,
  isProtocolError,
  KyberPublicKey,
  type PreKeyBundle,
  processPreKeyBundle,
  ProtocolAddress,
  PublicKey,
  type Rng,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
} from '../protocol/index.js';
import { decryptAttachment, downloadAttachment, encryptAttachment, uploadAttachment } from './attachments.js';
import { fromBase64, toBase64 } from './base64.js';
import { type AttachmentPointer, ContentError, createContent, decodeContent, encodeContent } from './content.js';
import { Emitter } from './emitter.js';
import {
  ClientError,
  DecryptionError,
  decryptionErrorFrom,
  NetworkError,
  type PeerAddress,
  ServerError,
  UntrustedIdentityError,
} from './errors.js';
import {
  AcknowledgeEnvelopesDocument,
  ConversationDocument,
  type ConversationEventsSubscription,
  ConversationEventsDocument,
  type ConversationFieldsFragment,
  ConversationsDocument,
  CreateAccessTokenDocument,
  CreateDeviceLinkCodeDocument,
  CreateDirectConversationDocument,
  CreateGroupDocument,
  DeleteMessageDocument,
  DevicesDocument,
  InboxDocument,
  type EnvelopeFieldsFragment,
  LinkDeviceDocument,
  MarkReadDocument,
  MeDocument,
  type MessageFieldsFragment,
  MessageDocument,
  MyDevicesChangedDocument,
  PendingEnvelopesDocument,
  PreKeyBundlesDocument,
  PreKeyCountsDocument,
  PreKeysLowDocument,
  PresenceChangesDocument,
  PresenceDocument,
  RegisterDocument,
  RemoveDeviceDocument,
  SendMessageDocument,
  SetReactionDocument,
  SetTypingDocument,
  UploadPreKeysDocument,
  type ContentType,
  type TypedDocumentString,
} from './generated/graphql.js';
import { DEFAULT_KEY_POLICY, KeyManager, type KeyPolicy, type PreKeyCounts } from './keys.js';
import type { ClientStore, Credentials, StoredMessage } from './stores/types.js';
import { domainError, Transport } from './transport.js';

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

export interface RegisterOptions {
  username: string;
  displayName: string;
  deviceName?: string;
  avatarUrl?: string;
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
export interface PresenceState {
  userId: string;
  online: boolean;
  lastSeenAt: string | null;
}

export interface ClientEvents extends Record<string, unknown> {
  /** A new message was decrypted and stored (also delivered to `onMessage`). */
  message: StoredMessage;
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
}

interface TargetDevice {
  userId: string;
  /** Device.id */
  uuid: string;
  deviceId: number;
  registrationId: number;
  identityKey: string;
}

/** Tries after a MismatchedDevices / StaleDevices refusal, each after refreshing the device list. */
const SEND_RETRIES = 1;
/** Acknowledge in batches of at most this many ids (the server's own limit is higher). */
const ACK_BATCH = 100;

export class MessagingClient {
  readonly events = new Emitter<ClientEvents>();
  readonly transport: Transport;
  readonly keys: KeyManager;
  readonly store: ClientStore;
  private readonly now: () => number;
  private token: { value: string; expiresAt: number } | null = null;
  private tokenRefresh: Promise<string> | null = null;
  private readonly subscriptions = new Set<() => void>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private inboxTail: Promise<void> = Promise.resolve();
  private inboxQueued = 0;
  private pendingAcks: string[] = [];
  private sendTail: Promise<unknown> = Promise.resolve();
  /**
   * Session records are read, advanced and written back across awaits: an encrypt and a decrypt for the
   * same peer interleaving would lose one update (and reuse message keys). All protocol work runs
   * under this lock; network calls do not.
   */
  private cryptoTail: Promise<unknown> = Promise.resolve();
  private readonly conversationDevices = new Map<string, TargetDevice[]>();
  private readonly deviceByUuid = new Map<string, TargetDevice>();
  /** Envelopes queued for processing and not yet acknowledged: a later read of the queue skips them. */
  private readonly inFlight = new Set<string>();
  /** Envelopes from a peer whose identity key changed: left queued, not retried until trustIdentity(). */
  private readonly held = new Set<string>();
  private inboxGeneration = 0;
  private reopenInbox: (() => void) | null = null;
  private started = false;
  private stopped = false;

  private constructor(
    private readonly opts: MessagingClientOptions,
    readonly credentials: Credentials,
  ) {
    this.store = opts.store;
    this.now = opts.now ?? Date.now;
    this.transport = new Transport({
      url: opts.url,
      wsUrl: opts.wsUrl,
      webSocketImpl: opts.webSocketImpl,
      fetch: opts.fetch,
      getToken: (o) => this.accessToken(o?.refresh),
      onConnectionChange: (s) => void this.events.emit('connection', s),
      maxRetryDelayMs: opts.maxRetryDelayMs,
    });
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
      this.now,
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
    res: { deviceSecret: string; accessToken: string; accessTokenExpiresAt: string; user: { id: string; username: string }; device: { id: string; deviceId: number } },
  ): Promise<MessagingClient> {
    const credentials: Credentials = {
      userId: res.user.id,
      username: res.user.username,
      deviceUuid: res.device.id,
      deviceId: res.device.deviceId,
      deviceSecret: res.deviceSecret,
    };
    await opts.store.initializeIdentity(identity, registrationId);
    await opts.store.setCredentials(credentials);
    const client = new MessagingClient(opts, credentials);
    client.token = { value: res.accessToken, expiresAt: Date.parse(res.accessTokenExpiresAt) };
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
   * list (graphql-ws) and starts reading the queue. Resolves once the subscriptions are requested (not when the inbox is drained:
   * wait for the `drained` event or `whenIdle()`).
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    await this.accessToken();
    this.scheduleTokenRenewal();
    await this.checkKeys();
    this.subscribe(PreKeysLowDocument, {}, () => {
      void this.keys
        .refill(undefined, Number.POSITIVE_INFINITY)
        .then((c) => c && this.events.emit('preKeysRefilled', c))
        .catch((e) => this.events.emit('error', e));
    });
    this.subscribe(MyDevicesChangedDocument, {}, () => this.conversationDevices.clear());
    this.openInbox();
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
    for (const u of this.subscriptions) u();
    this.subscriptions.clear();
    this.inboxGeneration++;
    this.reopenInbox = null;
    await this.inboxTail.catch(() => {});
    await this.flushAcks().catch(() => {});
    await this.transport.close();
    this.inFlight.clear();
    this.held.clear();
  }

  /** Resolves when every envelope received so far is processed and acknowledged. */
  async whenIdle(): Promise<void> {
    let tail;
    do {
      tail = this.inboxTail;
      await tail;
    } while (tail !== this.inboxTail);
    await this.flushAcks();
  }

  private subscribe<R, V>(doc: TypedDocumentString<R, V>, variables: NoInfer<V>, next: (v: R) => unknown): () => void {
    const unsubscribe = this.transport.subscribe(doc, variables, {
      next: (v) => void next(v),
      error: (e) => void this.events.emit('error', e),
    });
    this.subscriptions.add(unsubscribe);
    return () => {
      this.subscriptions.delete(unsubscribe);
      unsubscribe();
    };
  }

  // ------------------------------------------------------------------ tokens

  /** A valid access token, refreshed with the device secret shortly before it expires. */
  async accessToken(refresh = false): Promise<string> {
    const margin = this.opts.tokenRefreshMarginMs ?? 60_000;
    if (!refresh && this.token && this.token.expiresAt - Date.now() > margin) return this.token.value;
    this.tokenRefresh ??= (async () => {
      try {
        const r = (
          await this.transport.request(
            CreateAccessTokenDocument,
            { deviceId: this.credentials.deviceUuid, deviceSecret: this.credentials.deviceSecret },
            { auth: false },
          )
        ).createAccessToken;
        if (r.__typename !== 'AccessToken') throw domainError(r);
        this.token = { value: r.token, expiresAt: Date.parse(r.expiresAt) };
        this.scheduleTokenRenewal();
        return r.token;
      } finally {
        this.tokenRefresh = null;
      }
    })();
    return this.tokenRefresh;
  }

  /**
   * The socket authenticated with the old token stops accepting new operations once it expires, so
   * shortly before expiry: fetch a new token and reconnect (subscriptions resume; the inbox redelivers
   * only unacknowledged envelopes, which are recognised).
   */
  private tokenTimer: ReturnType<typeof setTimeout> | null = null;
  private scheduleTokenRenewal() {
    if (!this.started || !this.token) return;
    if (this.tokenTimer) {
      clearTimeout(this.tokenTimer);
      this.timers.delete(this.tokenTimer);
    }
    const margin = this.opts.tokenRefreshMarginMs ?? 60_000;
    const t = setTimeout(
      () => {
        this.timers.delete(t);
        this.tokenTimer = null;
        void this.accessToken(true)
          .then(() => this.transport.terminateSocket())
          .catch((e) => this.events.emit('error', e));
      },
      Math.max(1_000, this.token.expiresAt - margin - Date.now()),
    );
    (t as { unref?: () => void }).unref?.();
    this.timers.add(t);
    this.tokenTimer = t;
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
    this.conversationDevices.clear();
  }

  /** Current devices of a user, with their identity keys. */
  async devices(userId: string) {
    return (await this.transport.request(DevicesDocument, { userId })).devices;
  }

  async me() {
    return (await this.transport.request(MeDocument, {})).me;
  }

  /**
   * Accepts the current identity key of a peer device after the app confirmed it (safety number):
   * records it, drops the old session, and re-reads the inbox so envelopes held back are decrypted.
   */
  async trustIdentity(address: PeerAddress): Promise<void> {
    const devices = (await this.transport.request(DevicesDocument, { userId: address.userId })).devices;
    const d = devices.find((x) => x.deviceId === address.deviceId);
    if (!d) throw new ServerError('NOT_FOUND', `device ${address.userId}.${address.deviceId} not found`);
    const a = new ProtocolAddress(address.userId, address.deviceId);
    await this.store.trustIdentity(a, fromBase64(d.identityKey));
    await this.store.removeSession(a);
    this.conversationDevices.clear();
    this.held.clear();
    // the held envelopes are still queued: a new stream delivers them again
    if (this.started) this.reopenInbox?.();
  }

  // ------------------------------------------------------------------ conversations

  async createDirectConversation(userId: string): Promise<Conversation> {
    const r = (await this.transport.request(CreateDirectConversationDocument, { userId })).createDirectConversation;
    if (r.__typename !== 'Conversation') throw domainError(r);
    this.rememberConversation(r);
    return r;
  }

  async createGroup(name: string, memberIds: string[]): Promise<Conversation> {
    const r = (await this.transport.request(CreateGroupDocument, { input: { name, memberIds } })).createGroup;
    if (r.__typename !== 'Conversation') throw domainError(r);
    this.rememberConversation(r);
    return r;
  }

  async conversation(id: string): Promise<Conversation> {
    const r = (await this.transport.request(ConversationDocument, { id })).conversation;
    if (r.__typename !== 'Conversation') throw domainError(r);
    this.rememberConversation(r);
    return r;
  }

  async conversations(first = 20, after?: string) {
    const r = (await this.transport.request(ConversationsDocument, { first, after })).conversations;
    if (r.__typename !== 'ConversationPage') throw domainError(r);
    return r;
  }

  /** Decrypted messages of a conversation held by this device, oldest first. */
  messages(conversationId: string): Promise<StoredMessage[]> {
    return this.store.listMessages(conversationId);
  }

  private rememberConversation(c: Conversation) {
    const targets: TargetDevice[] = [];
    for (const p of c.participants) {
      for (const d of p.user.devices) {
        const t = { userId: p.userId, uuid: d.id, deviceId: d.deviceId, registrationId: d.registrationId, identityKey: d.identityKey };
        this.deviceByUuid.set(d.id, t);
        if (d.id !== this.credentials.deviceUuid) targets.push(t);
      }
    }
    this.conversationDevices.set(c.id, targets);
  }

  private async recipients(conversationId: string, refresh: boolean): Promise<TargetDevice[]> {
    if (refresh || !this.conversationDevices.has(conversationId)) await this.conversation(conversationId);
    return this.conversationDevices.get(conversationId)!;
  }

  // ------------------------------------------------------------------ sending

  /**
   * Encrypts `body` (with replies/attachments in the encrypted content) for every recipient device and
   * sends it. Sends are serialized per client, so messages leave in call order.
   */
  sendMessage(conversationId: string, body: string, opts: SendOptions = {}): Promise<StoredMessage> {
    const run = this.sendTail.then(
      () => this.doSend(conversationId, body, opts),
      () => this.doSend(conversationId, body, opts),
    );
    this.sendTail = run.catch(() => {});
    return run;
  }

  /**
   * Sends a file (image, video, voice message or any file): encrypts it on the device (AES-256-GCM with a
   * fresh key), uploads only the ciphertext, and sends a message whose end-to-end encrypted content carries
   * the pointer (attachment id, key, SHA-256 digest, size, MIME type, file name). The server binds the
   * upload to the message (participants may download it; it is deleted with the message) but never sees
   * the key, the MIME type or the name.
   */
  async sendAttachment(
    conversationId: string,
    file: Uint8Array,
    opts: SendOptions & { contentType: Exclude<ContentType, 'TEXT'>; mimeType: string; fileName?: string; caption?: string },
  ): Promise<StoredMessage> {
    const enc = await encryptAttachment(file);
    const up = await uploadAttachment(this.opts.url, await this.accessToken(), enc.ciphertext);
    const pointer: AttachmentPointer = {
      url: `attachment:${up.id}`,
      contentType: opts.mimeType,
      size: enc.size,
      key: toBase64(enc.key),
      digest: toBase64(enc.digest),
      ...(opts.fileName ? { fileName: opts.fileName } : {}),
    };
    return this.sendMessage(conversationId, opts.caption ?? '', {
      ...opts,
      attachments: [...(opts.attachments ?? []), pointer],
      attachmentIds: [...(opts.attachmentIds ?? []), up.id],
    });
  }

  /**
   * Downloads and decrypts an attachment of a received (or sent) message: the ciphertext's SHA-256 is
   * checked against the digest from the encrypted content first (AttachmentDigestMismatchError), then
   * AES-GCM authenticates it. Returns the plaintext bytes.
   */
  async downloadAttachment(pointer: AttachmentPointer): Promise<Uint8Array> {
    const m = /^attachment:(.+)$/.exec(pointer.url);
    if (!m) throw new ContentError(`not an attachment of this server: ${pointer.url}`);
    const ciphertext = await downloadAttachment(this.opts.url, await this.accessToken(), m[1]);
    return decryptAttachment(ciphertext, fromBase64(pointer.key), fromBase64(pointer.digest));
  }

  private withCryptoLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.cryptoTail.then(fn, fn);
    this.cryptoTail = run.catch(() => {});
    return run;
  }

  private async doSend(conversationId: string, body: string, opts: SendOptions): Promise<StoredMessage> {
    const content = createContent(body, { replyTo: opts.replyTo ?? null, attachments: opts.attachments, sentAt: this.now() });
    const plaintext = encodeContent(content);
    const clientMessageId = randomId();
    for (let attempt = 0; ; attempt++) {
      const targets = await this.recipients(conversationId, attempt > 0);
      await this.ensureSessions(targets);
      const envelopes = await this.withCryptoLock(async () => {
        const out = [];
        for (const t of targets) {
          const c = await signalEncrypt(plaintext, new ProtocolAddress(t.userId, t.deviceId), this.store, { now: this.now(), rng: this.opts.rng });
          out.push({ deviceId: t.uuid, type: c.type, ciphertext: toBase64(c.body), registrationId: t.registrationId });
        }
        return out;
      });
      const input = {
        conversationId,
        clientMessageId,
        contentType: opts.contentType ?? 'TEXT',
        envelopes,
        replyTo: opts.replyTo ?? undefined,
        expiresIn: opts.expiresIn,
        attachmentIds: opts.attachmentIds,
      } as const;
      let r = (await this.transport.request(SendMessageDocument, { input })).sendMessage;
      // A refused send stored nothing: the same envelopes can go again once the budget allows.
      while (r.__typename === 'RateLimitedError' && r.retryAfterSeconds <= (this.opts.maxRateLimitWaitSeconds ?? 2)) {
        await new Promise((res) => setTimeout(res, r.__typename === 'RateLimitedError' ? r.retryAfterSeconds * 1000 : 0));
        r = (await this.transport.request(SendMessageDocument, { input })).sendMessage;
      }
      if (r.__typename === 'Message') {
        const stored: StoredMessage = {
          id: r.id,
          conversationId,
          senderUserId: this.credentials.userId,
          senderDeviceId: this.credentials.deviceId,
          envelopeId: null,
          serverMessageId: r.id,
          content,
          timestamp: r.createdAt,
          outgoing: true,
        };
        await this.store.saveMessage(stored);
        return stored;
      }
      if (r.__typename === 'MismatchedDevicesError' || r.__typename === 'StaleDevicesError') {
        if (attempt >= SEND_RETRIES) throw new ClientError(r.__typename === 'MismatchedDevicesError' ? 'MismatchedDevices' : 'StaleDevices', r.message);
        // Devices that left or re-registered: their sessions are useless now.
        const gone = r.__typename === 'MismatchedDevicesError' ? r.extra : r.stale;
        for (const d of gone) {
          const known = d.userId != null && d.deviceId != null ? { userId: d.userId, deviceId: d.deviceId } : this.deviceByUuid.get(d.id);
          if (known) await this.store.removeSession(new ProtocolAddress(known.userId, known.deviceId));
        }
        continue;
      }
      throw domainError(r);
    }
  }

  /**
   * Makes sure there is a session with each target: fetches prekey bundles for the devices without
   * one. A device whose identity key differs from the one recorded is refused (UntrustedIdentityError)
   * until the app calls trustIdentity().
   */
  private async ensureSessions(targets: TargetDevice[]): Promise<void> {
    const missing = new Map<string, number[]>();
    for (const t of targets) {
      const address = new ProtocolAddress(t.userId, t.deviceId);
      const known = await this.store.getIdentity(address);
      if (known && !known.equals(PublicKey.deserialize(fromBase64(t.identityKey)))) {
        const err = new UntrustedIdentityError({ userId: t.userId, deviceId: t.deviceId }, 'sending');
        await this.events.emit('error', err);
        throw err;
      }
      const session = await this.store.loadSession(address);
      if (!session || !session.hasCurrentState()) missing.set(t.userId, [...(missing.get(t.userId) ?? []), t.deviceId]);
    }
    for (const [userId, deviceIds] of missing) {
      const r = (await this.transport.request(PreKeyBundlesDocument, { userId, deviceIds })).preKeyBundles;
      if (r.__typename !== 'PreKeyBundles') throw domainError(r);
      for (const b of r.bundles) {
        const bundle: PreKeyBundle = {
          registrationId: b.registrationId,
          deviceId: b.deviceId,
          identityKey: PublicKey.deserialize(fromBase64(b.identityKey)),
          signedPreKeyId: b.signedPreKey.keyId,
          signedPreKeyPublic: PublicKey.deserialize(fromBase64(b.signedPreKey.publicKey)),
          signedPreKeySignature: fromBase64(b.signedPreKey.signature),
          ...(b.preKey ? { preKeyId: b.preKey.keyId, preKeyPublic: PublicKey.deserialize(fromBase64(b.preKey.publicKey)) } : {}),
          ...(b.kyberPreKey
            ? {
                kyberPreKeyId: b.kyberPreKey.keyId,
                kyberPreKeyPublic: KyberPublicKey.deserialize(fromBase64(b.kyberPreKey.publicKey)),
                kyberPreKeySignature: fromBase64(b.kyberPreKey.signature),
              }
            : {}),
        };
        const address = new ProtocolAddress(b.userId, b.deviceId);
        try {
          await this.withCryptoLock(() => processPreKeyBundle(bundle, address, this.store, { now: this.now(), rng: this.opts.rng }));
        } catch (e) {
          if (isProtocolError(e, 'UntrustedIdentity')) {
            const err = new UntrustedIdentityError({ userId: b.userId, deviceId: b.deviceId }, 'sending', { cause: e });
            await this.events.emit('error', err);
            throw err;
          }
          throw e;
        }
      }
    }
  }

  // ------------------------------------------------------------------ receiving

  /**
   * Receiving: the inbox subscription yields the pending envelopes in queue order, a drained marker,
   * then live envelopes. graphql-ws re-subscribes after a reconnect and the server starts again from
   * the oldest unacknowledged envelope; envelopes already in progress are skipped (inFlight), those
   * already stored are recognised and acknowledged again.
   */
  private openInbox() {
    const generation = ++this.inboxGeneration;
    const stop = this.subscribe(InboxDocument, {}, (v) => {
      if (generation !== this.inboxGeneration) return;
      const item = v.inbox;
      if (item.__typename === 'Envelope') this.accept(item);
      else if (item.__typename === 'InboxDrained') {
        this.enqueue(async () => {
          await this.flushAcks();
          await this.events.emit('drained', undefined);
        });
      } else if (item.__typename === 'InboxEnded') {
        void this.events.emit('inboxEnded', { reason: item.reason });
      }
    });
    this.reopenInbox = () => {
      stop();
      this.openInbox();
    };
  }

  /** Queues an envelope for processing unless it is in progress already or held back (untrusted identity). */
  private accept(e: EnvelopeFieldsFragment): void {
    if (this.inFlight.has(e.id) || this.held.has(e.id)) return;
    this.inFlight.add(e.id);
    this.enqueue(() => this.processEnvelope(e));
  }

  /** Reads the whole queue and enqueues what is not being processed already; returns the queue length. */
  private async readQueue(pageSize = 100): Promise<number> {
    let after: string | undefined;
    let n = 0;
    for (;;) {
      const r = (await this.transport.request(PendingEnvelopesDocument, { first: pageSize, after })).pendingEnvelopes;
      if (r.__typename !== 'EnvelopePage') throw domainError(r);
      for (const e of r.items) {
        if (this.stopped) break;
        this.accept(e);
      }
      n += r.items.length;
      if (!r.pageInfo.hasNextPage || !r.pageInfo.endCursor) break;
      after = r.pageInfo.endCursor;
    }
    return n;
  }

  /**
   * Reads the queue over HTTP (pendingEnvelopes) and processes it: for clients that do not keep a
   * socket open, or to catch up without the inbox stream.
   */
  async fetchPending(pageSize = 100): Promise<number> {
    const n = await this.readQueue(pageSize);
    await this.whenIdle();
    return n;
  }

  private enqueue(job: () => Promise<void>) {
    this.inboxQueued++;
    this.inboxTail = this.inboxTail
      .then(job)
      .catch((e) => this.events.emit('error', e))
      .then(async () => {
        this.inboxQueued--;
        if (this.inboxQueued === 0 || this.pendingAcks.length >= ACK_BATCH) await this.flushAcks().catch((e) => this.events.emit('error', e));
      });
  }

  private async processEnvelope(env: EnvelopeFieldsFragment): Promise<void> {
    const sender: PeerAddress = { userId: env.senderUserId, deviceId: env.senderDeviceId };
    if (await this.store.hasProcessedEnvelope(env.id)) {
      this.pendingAcks.push(env.id);
      return;
    }
    await this.events.emit('envelope', env);
    const address = new ProtocolAddress(env.senderUserId, env.senderDeviceId);
    let message: StoredMessage | null = null;
    let isNew = false;
    try {
      await this.withCryptoLock(() => this.store.withDeferredSessions(async (stores, commit) => {
        const body = fromBase64(env.ciphertext);
        let plaintext: Uint8Array;
        if (env.type === CiphertextMessageType.PreKey) plaintext = await signalDecryptPreKey(body, address, stores, { now: this.now(), rng: this.opts.rng });
        else if (env.type === CiphertextMessageType.Whisper) plaintext = await signalDecrypt(body, address, stores);
        else throw new DecryptionError(sender, env.id, `unknown envelope type ${env.type}`);
        let content;
        try {
          content = decodeContent(plaintext);
        } catch (e) {
          await commit(); // the ratchet did advance: keep it, drop the unreadable content
          throw e;
        }
        message = {
          id: env.messageId,
          conversationId: env.conversationId,
          senderUserId: env.senderUserId,
          senderDeviceId: env.senderDeviceId,
          envelopeId: env.id,
          serverMessageId: env.messageId,
          content,
          timestamp: env.createdAt,
          outgoing: env.senderUserId === this.credentials.userId,
        };
        isNew = await this.store.saveMessage(message);
        await this.store.markEnvelopeProcessed(env.id);
        await commit();
      }));
    } catch (e) {
      if (isProtocolError(e, 'DuplicatedMessage')) {
        await this.store.markEnvelopeProcessed(env.id);
        this.pendingAcks.push(env.id);
        return;
      }
      if (isProtocolError(e, 'UntrustedIdentity')) {
        // Held back (not acknowledged) until the app trusts the new key; it comes again then.
        this.held.add(env.id);
        this.inFlight.delete(env.id);
        await this.events.emit('error', new UntrustedIdentityError(sender, 'receiving', { cause: e }));
        return;
      }
      const err = e instanceof ContentError ? new DecryptionError(sender, env.id, `bad content: ${e.message}`, { cause: e }) : e instanceof ClientError ? e : decryptionErrorFrom(e, sender, env.id);
      await this.events.emit('error', err);
      await this.store.markEnvelopeProcessed(env.id);
      this.pendingAcks.push(env.id);
      return;
    }
    if (isNew && message) {
      await this.opts.onMessage?.(message);
      await this.events.emit('message', message);
    }
    this.pendingAcks.push(env.id);
  }

  private async flushAcks(): Promise<void> {
    while (this.pendingAcks.length) {
      const ids = this.pendingAcks.slice(0, ACK_BATCH);
      try {
        const r = (await this.transport.request(AcknowledgeEnvelopesDocument, { ids })).acknowledgeEnvelopes;
        if (r.__typename !== 'AcknowledgeResult') throw domainError(r);
      } catch (e) {
        // Unacknowledged envelopes come again and are recognised as processed: safe to retry later.
        if (e instanceof NetworkError) return;
        throw e;
      }
      this.pendingAcks = this.pendingAcks.slice(ids.length);
      for (const id of ids) this.inFlight.delete(id);
    }
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

  async deleteMessage(messageId: string): Promise<MessageMeta> {
    const r = (await this.transport.request(DeleteMessageDocument, { messageId })).deleteMessage;
    if (r.__typename !== 'Message') throw domainError(r);
    return r;
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

  /** Server-side metadata of a message: status, receipts, reactions, deletion. */
  async messageMeta(id: string): Promise<MessageMeta> {
    const r = (await this.transport.request(MessageDocument, { id })).message;
    if (r.__typename !== 'Message') throw domainError(r);
    return r;
  }
}

function randomId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
