/**
 * Receiving: the inbox subscription yields the pending envelopes in queue order, a drained marker, then
 * live envelopes; `fetchPending` reads the same queue over HTTP. Envelopes are processed one at a time in
 * queue order: decrypted, decoded and stored, and only then acknowledged (in batches). graphql-ws
 * re-subscribes after a reconnect and the server starts again from the oldest unacknowledged envelope;
 * envelopes already in progress are skipped (inFlight), those already stored are recognised and
 * acknowledged again, so a reconnect never shows a message twice.
 *
 * Group messages (type 7) are decrypted with the sender's sender key (groups.ts), after storing the
 * distribution message their header may carry.
 *
 * Recovery (recovery.ts): an envelope that fails on a broken or missing session is answered with a
 * decryption-error reply instead of being acknowledged (its sender resends it); a type-8 envelope (such a
 * reply about one of our messages) is answered with a resend.
 */
import { isProtocolError } from '../protocol/index.js';
import { ContentError, decodeContent } from './content.js';
import type { ClientContext, Envelope, Subscribe } from './context.js';
import { ClientError, DecryptionError, decryptionErrorFrom, NetworkError, type PeerAddress, UntrustedIdentityError } from './errors.js';
import { AcknowledgeEnvelopesDocument, type EnvelopeFieldsFragment, InboxDocument, PendingEnvelopesDocument } from './generated/graphql.js';
import { PLAINTEXT_CONTENT_TYPE, type Recovery } from './recovery.js';
import { SENDER_KEY_MESSAGE_TYPE, type GroupSessions } from './groups.js';
import type { Sessions } from './sessions.js';
import type { StoredMessage } from './stores/types.js';
import { domainError } from './transport.js';

/** Acknowledge in batches of at most this many ids (the server's own limit is higher). */
const ACK_BATCH = 100;
/** The server's largest `pendingEnvelopes` page. */
const MAX_PAGE = 500;

/** What `fetchAndDecrypt` read: the messages newly stored from it (what a notification shows). */
export interface FetchResult {
  messages: StoredMessage[];
  /** Envelopes read from the queue (also those that were not messages: deletes, receipts of resends, failures). */
  fetched: number;
  /** More envelopes were pending beyond `limit`. */
  hasMore: boolean;
}

export class Receiver {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;
  private pendingAcks: string[] = [];
  /** Envelopes queued for processing and not yet acknowledged: a later read of the queue skips them. */
  private readonly inFlight = new Set<string>();
  /** Envelopes from a peer whose identity key changed: left queued, not retried until trustIdentity(). */
  private readonly held = new Set<string>();
  private generation = 0;
  private reopen: (() => void) | null = null;
  /** Told of each message newly stored (fetchAndDecrypt collects those of the envelopes it read). */
  private readonly collectors = new Set<(m: StoredMessage) => void>();

  constructor(
    private readonly ctx: ClientContext,
    private readonly sessions: Sessions,
    private readonly groups: GroupSessions,
    private readonly subscribe: Subscribe,
    private readonly recovery: Recovery,
  ) {}

  /** Opens the inbox stream (again: a new generation ignores items of the previous one). */
  open(): void {
    const generation = ++this.generation;
    const stop = this.subscribe(InboxDocument, {}, (v) => {
      if (generation !== this.generation) return;
      const item = v.inbox;
      if (item.__typename === 'Envelope') this.accept(item);
      else if (item.__typename === 'InboxDrained') {
        this.enqueue(async () => {
          await this.flushAcks();
          await this.ctx.events.emit('drained', undefined);
        });
      } else if (item.__typename === 'InboxEnded') {
        void this.ctx.events.emit('inboxEnded', { reason: item.reason });
      }
    });
    this.reopen = () => {
      stop();
      this.open();
    };
  }

  /** Releases envelopes held back for an untrusted identity: the server delivers them again on a new stream. */
  releaseHeld(): void {
    this.held.clear();
    this.reopen?.();
  }

  /** Reads the queue over HTTP and processes it; returns how many envelopes it read. */
  async fetchPending(pageSize = 100): Promise<number> {
    const n = await this.readQueue(pageSize);
    await this.whenIdle();
    return n;
  }

  /**
   * For a notification extension or service worker (no socket): reads at most `limit` pending envelopes over
   * HTTP, decrypts them with the stored sessions, stores the results and acknowledges what was stored (an
   * envelope held back, e.g. for an untrusted identity, stays queued). Returns the messages newly stored from
   * these envelopes; a second call finds nothing new (acknowledged, or recognised as already stored).
   */
  async fetchAndDecrypt(limit: number): Promise<FetchResult> {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`fetchAndDecrypt: limit must be a positive integer, got ${limit}`);
    const ids = new Set<string>();
    const messages: StoredMessage[] = [];
    const collect = (m: StoredMessage) => {
      if (m.envelopeId && ids.has(m.envelopeId)) messages.push(m);
    };
    this.collectors.add(collect);
    try {
      let after: string | undefined;
      let fetched = 0;
      let hasMore = false;
      while (fetched < limit) {
        const r = (await this.ctx.transport.request(PendingEnvelopesDocument, { first: Math.min(limit - fetched, MAX_PAGE), after })).pendingEnvelopes;
        if (r.__typename !== 'EnvelopePage') throw domainError(r);
        for (const e of r.items) {
          ids.add(e.id);
          this.accept(e);
        }
        fetched += r.items.length;
        hasMore = r.pageInfo.hasNextPage;
        if (!hasMore || !r.pageInfo.endCursor || r.items.length === 0) break;
        after = r.pageInfo.endCursor;
      }
      await this.whenIdle();
      return { messages, fetched, hasMore };
    } finally {
      this.collectors.delete(collect);
    }
  }

  /** Resolves when every envelope received so far is processed and acknowledged. */
  async whenIdle(): Promise<void> {
    let tail;
    do {
      tail = this.tail;
      await tail;
    } while (tail !== this.tail);
    await this.flushAcks();
  }

  /** Stops reading: waits for the envelope in progress and acknowledges what was processed. */
  async stop(): Promise<void> {
    this.generation++;
    this.reopen = null;
    await this.tail.catch(() => {});
    await this.flushAcks().catch(() => {});
    this.inFlight.clear();
    this.held.clear();
  }

  /** Queues an envelope for processing unless it is in progress already or held back (untrusted identity). */
  private accept(e: EnvelopeFieldsFragment): void {
    if (this.inFlight.has(e.id) || this.held.has(e.id)) return;
    this.inFlight.add(e.id);
    this.enqueue(() => this.process(e));
  }

  private async readQueue(pageSize: number): Promise<number> {
    let after: string | undefined;
    let n = 0;
    for (;;) {
      const r = (await this.ctx.transport.request(PendingEnvelopesDocument, { first: pageSize, after })).pendingEnvelopes;
      if (r.__typename !== 'EnvelopePage') throw domainError(r);
      for (const e of r.items) {
        if (this.ctx.stopped()) break;
        this.accept(e);
      }
      n += r.items.length;
      if (!r.pageInfo.hasNextPage || !r.pageInfo.endCursor) break;
      after = r.pageInfo.endCursor;
    }
    return n;
  }

  private enqueue(job: () => Promise<void>): void {
    this.queued++;
    this.tail = this.tail
      .then(job)
      .catch((e) => this.ctx.events.emit('error', e))
      .then(async () => {
        this.queued--;
        if (this.queued === 0 || this.pendingAcks.length >= ACK_BATCH) await this.flushAcks().catch((e) => this.ctx.events.emit('error', e));
      });
  }

  private async process(env: Envelope): Promise<void> {
    const { store, events, credentials, opts } = this.ctx;
    const sender: PeerAddress = { userId: env.senderUserId, deviceId: env.senderDeviceId };
    if (await store.hasProcessedEnvelope(env.id)) {
      this.pendingAcks.push(env.id);
      return;
    }
    await events.emit('envelope', env);
    if (env.type === PLAINTEXT_CONTENT_TYPE) {
      // a decryption-error reply about one of our messages: resend it (a failure to do so is reported, and the reply acknowledged)
      try {
        await this.recovery.answer(env);
      } finally {
        await store.markEnvelopeProcessed(env.id);
        this.pendingAcks.push(env.id);
      }
      return;
    }
    let message: StoredMessage | null = null;
    let isNew = false;
    let deleted: { messageId: string; conversationId: string } | null = null;
    try {
      // a group message (type 7): the sender key's SenderKeyMessage, with its distribution message in the header when this device needs it
      const decrypt = env.type === SENDER_KEY_MESSAGE_TYPE ? this.groups.decrypt.bind(this.groups) : this.sessions.decrypt.bind(this.sessions);
      await decrypt(sender, env, async (plaintext, commit) => {
        let content;
        try {
          content = decodeContent(plaintext);
        } catch (e) {
          await commit(); // the ratchet did advance: keep it, drop the unreadable content
          throw e;
        }
        if (content.delete) {
          deleted = await this.applyDelete(env, content.delete.messageId);
          await store.markEnvelopeProcessed(env.id);
          await commit();
          return;
        }
        message = {
          id: env.messageId,
          conversationId: env.conversationId,
          senderUserId: env.senderUserId,
          senderDeviceId: env.senderDeviceId,
          envelopeId: env.id,
          serverMessageId: env.messageId,
          request: env.request,
          reportingToken: env.reportingToken,
          content,
          timestamp: env.createdAt,
          outgoing: env.senderUserId === credentials.userId,
        };
        isNew = await store.saveMessage(message);
        await store.markEnvelopeProcessed(env.id);
        await commit();
      });
    } catch (e) {
      if (isProtocolError(e, 'DuplicatedMessage')) {
        await store.markEnvelopeProcessed(env.id);
        this.pendingAcks.push(env.id);
        return;
      }
      if (isProtocolError(e, 'UntrustedIdentity')) {
        // Held back (not acknowledged) until the app trusts the new key; it comes again then.
        this.held.add(env.id);
        this.inFlight.delete(env.id);
        await this.sessions.noticeIdentity(env.conversationId, sender, null, 'receiving');
        await events.emit('error', new UntrustedIdentityError(sender, 'receiving', { cause: e }));
        return;
      }
      if (await this.recovery.requestResend(env, e)) {
        // the reply replaced the envelope in the queue: its sender resends the message, which is shown then
        await store.markEnvelopeProcessed(env.id);
        this.inFlight.delete(env.id);
        return;
      }
      const err =
        e instanceof ContentError
          ? new DecryptionError(sender, env.id, `bad content: ${e.message}`, { cause: e })
          : e instanceof ClientError
            ? e
            : decryptionErrorFrom(e, sender, env.id);
      await events.emit('error', err);
      await store.markEnvelopeProcessed(env.id);
      this.pendingAcks.push(env.id);
      return;
    }
    if (isNew && message) {
      for (const c of this.collectors) c(message);
      await opts.onMessage?.(message);
      await events.emit('message', message);
    }
    if (deleted) await events.emit('messageDeleted', deleted);
    this.pendingAcks.push(env.id);
  }

  /**
   * A remote delete (delete for everyone): only the message's own sender may delete it. The local copy
   * becomes a tombstone; when the delete arrives before the message, the tombstone is stored first and the
   * message, should it still come, is then dropped as already stored.
   */
  private async applyDelete(env: Envelope, messageId: string): Promise<{ messageId: string; conversationId: string } | null> {
    const { store } = this.ctx;
    const target = await store.getMessage(messageId);
    if (target && (target.senderUserId !== env.senderUserId || target.conversationId !== env.conversationId)) return null;
    if (target?.deleted) return null;
    const tombstone: StoredMessage = {
      ...(target ?? {
        id: messageId,
        conversationId: env.conversationId,
        senderUserId: env.senderUserId,
        senderDeviceId: env.senderDeviceId,
        envelopeId: null,
        serverMessageId: messageId,
        timestamp: env.createdAt,
        outgoing: env.senderUserId === this.ctx.credentials.userId,
      }),
      content: { ...(target?.content ?? { v: 1, sentAt: 0, replyTo: null }), body: '', attachments: [] },
      deleted: true,
    };
    if (target) await store.replaceMessage(tombstone);
    else await store.saveMessage(tombstone);
    return { messageId, conversationId: env.conversationId };
  }

  private async flushAcks(): Promise<void> {
    while (this.pendingAcks.length) {
      const ids = this.pendingAcks.slice(0, ACK_BATCH);
      try {
        const r = (await this.ctx.transport.request(AcknowledgeEnvelopesDocument, { ids })).acknowledgeEnvelopes;
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
}
