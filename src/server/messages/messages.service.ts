/**
 * Messages and the durable per-device delivery queue.
 *
 * A send stores one `messages` row (metadata only) and one `envelopes` row per recipient device (the
 * ciphertext, queued in that device's order by the bigserial id) in ONE statement (a data-modifying CTE
 * with a multi-row INSERT over unnest), preceded by one read (participants' devices + the idempotency
 * check). A device reads its queue in id order and acknowledges envelopes; an acknowledgement is one
 * DELETE ... RETURNING that also records the delivery receipt. Unacknowledged envelopes are delivered again.
 *
 * A multi-recipient send (sendGroup: a Sender Keys group message) stores its one shared ciphertext ONCE, in
 * `message_payloads`, and gives each recipient device a type-7 envelope without ciphertext of its own (only an
 * optional small header: a pairwise-encrypted SenderKeyDistributionMessage), in the same one statement with
 * the same checks. Queue reads join the payload in; the acknowledgement that leaves no envelope of the
 * message queued deletes it (a counter, `remaining`, decremented under the row lock); the sweeper deletes
 * payloads whose envelopes went by other paths.
 *
 * Envelopes address the recipient device by its server id (Device.id, a uuid): a removed device whose
 * Signal device id is reused is then a different device, and never receives what was meant for the old one.
 */
import { randomUUID } from 'node:crypto';
import type { Knex, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import { GroupCommit } from '../db/group-commit.js';
import { blockedBy, blockedEither, notWithheld, VISIBLE_MESSAGE } from '../db/predicates.js';
import { query, queryOne, type Sql } from '../db/sql.js';
import type { Bus } from '../events.js';
import type { AuthDevice } from '../kernel/auth.js';
import { base64Of } from '../kernel/bytes.js';
import { ForbiddenError, InvalidInputError, LimitExceededError, NotFoundError } from '../kernel/errors.js';
import { bigintIdOrNull, bigintIds, uuidOrNull } from '../kernel/ids.js';
import { checkFirst, decodeCursor, type Page, toPage } from '../kernel/paging.js';
import { assertStorableText } from '../kernel/text.js';
import type { InboxSignals } from '../realtime/inbox.js';
import type { EnvelopeRow, EnvelopeWire } from './envelope.js';
import { MessageReaction, MessageReceipt } from './message.entity.js';
import { type DeviceRefShape, MismatchedDevicesError, StaleDevicesError } from './messages.errors.js';

export const CONTENT_TYPES = ['TEXT', 'IMAGE', 'VIDEO', 'AUDIO', 'FILE'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];
/** Signal ciphertext message types: 2 = whisper (SignalMessage), 3 = prekey (PreKeySignalMessage). */
export const ENVELOPE_TYPES = [2, 3] as const;
/** The envelope type of a multi-recipient send: the shared ciphertext is a SenderKeyMessage (libsignal's CiphertextMessageType.SenderKey). */
export const SHARED_ENVELOPE_TYPE = 7;
/** Most bytes of one per-device header of a multi-recipient send (a SenderKeyDistributionMessage in a PreKeySignalMessage, with its ML-KEM ciphertext, is about 2 KiB). */
export const MAX_HEADER_BYTES = 4096;
const MAX_EXPIRES_IN = 365 * 86_400;

/** The rate limiter (src/server/ratelimit RateLimiter: PostgreSQL token buckets, throws RateLimitedError). */
export interface Limiter {
  /** One take for each row of an SQL relation with a distinct `key` column (RateLimiter.takeEachStatement). */
  takeEachStatement(budget: { burst: number; refillPerSecond: number }, source: string, cost?: number): string;
  /** Purges full buckets now and then (RateLimiter.maybePurge); called by users of takeEachStatement. */
  maybePurge(): void;
  /** Throws the refusal of a take that returned no row. */
  refuse(key: string, budget: { burst: number; refillPerSecond: number }, cost?: number, what?: string): Promise<never>;
}

export type MessagingConfig = Pick<Config, 'maxEnvelopeBytes' | 'maxEnvelopesPerSend' | 'sendRateBurst' | 'sendRatePerSecond'>;

export interface EnvelopeInput {
  /** The recipient's Device.id (uuid). */
  deviceId: string;
  type: number;
  ciphertext: Uint8Array;
  /** The registration id the sender encrypted for; a mismatch means the device was re-created (stale). */
  registrationId?: number | null;
}

/** What a send has besides its recipients' ciphertexts. */
export interface SendCommon {
  conversationId: string;
  clientMessageId: string;
  contentType: ContentType;
  replyTo?: string | null;
  /** Seconds until the message disappears; defaults to the conversation's timer. */
  expiresIn?: number | null;
  /** Uploaded attachments (POST /attachments) bound to the message in the same transaction; the sender must be their uploader. */
  attachmentIds?: string[] | null;
}

export interface SendInput extends SendCommon {
  envelopes: EnvelopeInput[];
}

/** One recipient device of a multi-recipient send. */
export interface GroupRecipientInput {
  /** The recipient's Device.id (uuid). */
  deviceId: string;
  registrationId?: number | null;
  /** A small per-device part, encrypted pairwise (2 = whisper, 3 = prekey): e.g. this sender's SenderKeyDistributionMessage. */
  header?: { type: number; ciphertext: Uint8Array } | null;
}

/** A multi-recipient send: one shared ciphertext (type 7, a SenderKeyMessage) for every recipient device. */
export interface GroupSendInput extends SendCommon {
  type: number;
  ciphertext: Uint8Array;
  recipients: GroupRecipientInput[];
}

/** One recipient device of a send as the store statement takes it (type/ciphertext: the envelope's own, or the header of a shared send). */
interface Recipient {
  deviceId: string;
  type: number | null;
  ciphertext: Uint8Array | null;
  registrationId: number | null;
}

export interface MessageRow {
  id: string;
  seq: string;
  conversationId: string;
  senderUserId: string;
  senderDeviceUuid: string;
  senderDeviceId: number;
  clientMessageId: string;
  contentType: ContentType;
  replyToId: string | null;
  recipientCount: number;
  expiresAt: Date | null;
  createdAt: Date;
  deletedAt: Date | null;
}

export interface ReceiptRow {
  messageId: string;
  userId: string;
  deliveredAt: Date | null;
  readAt: Date | null;
}

export interface ReactionRow {
  messageId: string;
  userId: string;
  emoji: string;
  createdAt: Date;
}

/** A message with what the caller may see of its receipts (sender only) and its reactions. */
export interface MessageView extends MessageRow {
  viewerUserId: string;
  receipts: ReceiptRow[];
  reactions: ReactionRow[];
}

type StoredMessage = MessageRow & { envelopes: { id: string; device: string; request: boolean }[] };

/** What the store statement found and did for one send (the facts of one snapshot). */
type SendOutcome = {
  member: boolean;
  existing: string | null;
  replyOk: boolean;
  ok: boolean;
  rateOk: boolean;
  devices: DeviceRefShape[] | null;
} & Partial<StoredMessage>;

/** A validated send waiting for its batch. */
interface PendingSend {
  auth: AuthDevice;
  input: SendCommon;
  recipients: Recipient[];
  /** The shared ciphertext of a multi-recipient send (null: one ciphertext per envelope). */
  shared: { type: number; ciphertext: Uint8Array } | null;
  id: string;
  conversationId: string;
  replyTo: string | null;
  rateKey: string;
}

/** At most this many sends, and (unless one send alone is larger) this many ciphertext bytes, share one store statement. */
const MAX_SEND_BATCH = 128;
const MAX_SEND_BATCH_BYTES = 4 * 1024 * 1024;

const MESSAGE_COLS = (a: string) => `${a}.id, ${a}.seq::text as seq, ${a}.conversation_id as "conversationId", ${a}.sender_user_id as "senderUserId",
  ${a}.sender_device_uuid as "senderDeviceUuid", ${a}.sender_device_id as "senderDeviceId", ${a}.client_message_id as "clientMessageId",
  ${a}.content_type as "contentType", ${a}.reply_to as "replyToId", ${a}.recipient_count as "recipientCount",
  ${a}.expires_at as "expiresAt", ${a}.created_at as "createdAt", ${a}.deleted_at as "deletedAt"`;

/**
 * A queued envelope; a type-8 envelope (a decryption-error reply) names its own sender, others their message's.
 * A type-7 envelope (multi-recipient send) presents its message's shared payload as its ciphertext.
 */
const ENVELOPE_SELECT = `
  select e.id::text as id, e.message_id as "messageId", m.conversation_id as "conversationId",
         coalesce(e.sender_user_id, m.sender_user_id) as "senderUserId", coalesce(e.sender_device_id, m.sender_device_id) as "senderDeviceId",
         coalesce(e.sender_device_uuid, m.sender_device_uuid) as "senderDeviceUuid", e.type, coalesce(e.ciphertext, pl.ciphertext) as ciphertext,
         e.header_type as "headerType", e.header, e.created_at as "createdAt", e.request
    from envelopes e join messages m on m.id = e.message_id
    left join message_payloads pl on e.ciphertext is null and pl.message_id = e.message_id`;
/** (never an envelope without a ciphertext: a payload outlives its envelopes, this only guards the non-null field) */
const HAS_CIPHERTEXT = '(e.ciphertext is not null or pl.message_id is not null)';

const VISIBLE = VISIBLE_MESSAGE;

/** Most envelopes read from a queue at once (the inbox stream's page), and acknowledged in one call. */
export const MAX_PENDING_PAGE = 1000;
/** Most envelopes a client asks for in one `pendingEnvelopes` page. */
export const MAX_PENDING_FIRST = 500;
/** Envelopes up to this size ride on the `envelopeStored` event to the recipient's live stream (larger ones are read back). */
export const CARRIED_ENVELOPE_BYTES = 16 * 1024;

/** One emoji: a single extended grapheme cluster that is pictographic, a flag (regional-indicator pair) or a keycap. */
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
export function isSingleEmoji(s: string): boolean {
  if (!s || s.length > 64) return false;
  const segs = [...segmenter.segment(s)];
  if (segs.length !== 1) return false;
  return /\p{Extended_Pictographic}/u.test(s) || /^\p{Regional_Indicator}{2}$/u.test(s) || /^[0-9#*]\uFE0F?\u20E3$/u.test(s);
}

export class MessagesService {
  private readonly knex: Knex;

  constructor(
    private readonly orm: MikroORM,
    private readonly bus: Bus,
    private readonly conversations: ConversationsService,
    private readonly config: MessagingConfig,
    private readonly limiter: Limiter,
  ) {
    this.knex = orm.em.getKnex();
  }

  /** Binds attachments to a new message inside the send's transaction (set by createServices: AttachmentsService.bindToMessage). */
  bindAttachments?: (trx: Sql, messageId: string, senderUserId: string, attachmentIds: readonly string[]) => Promise<void>;

  /**
   * Told after commit of each envelope stored for a device (set by createServices: the push notifier's
   * notifyEnvelope). Must return at once and never throw: it only touches memory.
   */
  onEnvelopeStored?: (deviceUuid: string, envelopeId: string) => void;

  /** Told when a device's inbox stream opens or closes and when it reads its queue over HTTP (push: device activity). */
  activity?: { streamOpened(deviceUuid: string): void; streamClosed(deviceUuid: string): void; queueRead(deviceUuid: string): void };

  /**
   * Stores a message and one envelope per recipient device, or refuses with nothing stored. Idempotent on
   * (sending device, clientMessageId): a repeat (also a concurrent one) returns the first message.
   */
  async send(auth: AuthDevice, input: SendInput): Promise<MessageView> {
    const { maxEnvelopeBytes, maxEnvelopesPerSend } = this.config;
    if (input.envelopes.length > maxEnvelopesPerSend) throw new LimitExceededError('envelopes', maxEnvelopesPerSend, input.envelopes.length);
    const seen = new Set<string>();
    input.envelopes.forEach((e, i) => {
      if (e.ciphertext.length > maxEnvelopeBytes) throw new LimitExceededError(`envelopes[${i}].ciphertext`, maxEnvelopeBytes, e.ciphertext.length);
      if (e.ciphertext.length === 0) throw new InvalidInputError(`envelopes[${i}].ciphertext`, 'empty');
      if (!(ENVELOPE_TYPES as readonly number[]).includes(e.type)) throw new InvalidInputError(`envelopes[${i}].type`, 'expected 2 (whisper) or 3 (prekey)');
      checkRecipientDevice(seen, e.deviceId, `envelopes[${i}]`);
    });
    const recipients = input.envelopes.map((e) => ({ deviceId: e.deviceId, type: e.type, ciphertext: e.ciphertext, registrationId: e.registrationId ?? null }));
    return this.store(auth, input, recipients, null);
  }

  /**
   * A multi-recipient send: one shared ciphertext (a SenderKeyMessage) stored once and queued for every
   * recipient device, each with its optional header, with the same exact device-set checks, idempotency,
   * rate limit and blocking rules as `send`, in the same one statement: all recipient devices get it, or
   * nothing is stored.
   */
  async sendGroup(auth: AuthDevice, input: GroupSendInput): Promise<MessageView> {
    const { maxEnvelopeBytes, maxEnvelopesPerSend } = this.config;
    if (input.type !== SHARED_ENVELOPE_TYPE) throw new InvalidInputError('type', `expected ${SHARED_ENVELOPE_TYPE} (a SenderKeyMessage)`);
    if (input.ciphertext.length === 0) throw new InvalidInputError('ciphertext', 'empty');
    if (input.ciphertext.length > maxEnvelopeBytes) throw new LimitExceededError('ciphertext', maxEnvelopeBytes, input.ciphertext.length);
    if (input.recipients.length > maxEnvelopesPerSend) throw new LimitExceededError('recipients', maxEnvelopesPerSend, input.recipients.length);
    const seen = new Set<string>();
    input.recipients.forEach((r, i) => {
      checkRecipientDevice(seen, r.deviceId, `recipients[${i}]`);
      if (r.registrationId != null && (!Number.isInteger(r.registrationId) || r.registrationId < 0)) {
        throw new InvalidInputError(`recipients[${i}].registrationId`, 'expected a non-negative integer');
      }
      const h = r.header;
      if (h == null) return;
      if (!(ENVELOPE_TYPES as readonly number[]).includes(h.type)) throw new InvalidInputError(`recipients[${i}].header.type`, 'expected 2 (whisper) or 3 (prekey)');
      if (h.ciphertext.length === 0) throw new InvalidInputError(`recipients[${i}].header.ciphertext`, 'empty');
      if (h.ciphertext.length > MAX_HEADER_BYTES) throw new LimitExceededError(`recipients[${i}].header.ciphertext`, MAX_HEADER_BYTES, h.ciphertext.length);
    });
    const recipients = input.recipients.map((r) => ({
      deviceId: r.deviceId,
      type: r.header?.type ?? null,
      ciphertext: r.header?.ciphertext ?? null,
      registrationId: r.registrationId ?? null,
    }));
    return this.store(auth, input, recipients, { type: input.type, ciphertext: input.ciphertext });
  }

  private async store(
    auth: AuthDevice,
    input: SendCommon,
    recipients: Recipient[],
    shared: PendingSend['shared'],
    retried = false,
  ): Promise<MessageView> {
    const cmid = input.clientMessageId;
    if (typeof cmid !== 'string' || cmid.length < 1 || cmid.length > 64) throw new InvalidInputError('clientMessageId', 'expected 1 to 64 characters');
    assertStorableText('clientMessageId', cmid);
    if (!CONTENT_TYPES.includes(input.contentType)) throw new InvalidInputError('contentType', `expected one of ${CONTENT_TYPES.join(', ')}`);
    const seen = new Set(recipients.map((r) => r.deviceId));
    if (input.expiresIn != null && (!Number.isInteger(input.expiresIn) || input.expiresIn < 1 || input.expiresIn > MAX_EXPIRES_IN)) {
      throw new InvalidInputError('expiresIn', `expected 1..${MAX_EXPIRES_IN} seconds`);
    }
    const conversationId = uuidOrNull(input.conversationId);
    if (!conversationId) throw new NotFoundError('Conversation', String(input.conversationId).slice(0, 64));
    const replyTo = input.replyTo == null ? null : uuidOrNull(input.replyTo);
    if (input.replyTo != null && !replyTo) throw new NotFoundError('Message', String(input.replyTo).slice(0, 64));

    // ONE statement (storeBatch): read the participants' devices, the idempotency key and the reply target,
    // check the envelopes against the device set, take the sender's rate-limit token (SEND_RATE_BURST,
    // refilled at SEND_RATE_PER_SECOND), and store the message row and every envelope row, only if all of
    // that holds. When nothing was stored, the same snapshot's facts come back and name the reason.
    const rateKey = `send:${auth.deviceUuid}`;
    const pendingSend: PendingSend = { auth, input, recipients, shared, id: randomUUID(), conversationId, replyTo, rateKey };
    let outcome: SendOutcome;
    try {
      const alone = async (db: Sql) => (await this.storeBatch([pendingSend], db))[0];
      const attachmentIds = input.attachmentIds ?? [];
      const bind = this.bindAttachments;
      if (attachmentIds.length && !bind) throw new InvalidInputError('attachmentIds', 'attachments are not available');
      outcome =
        attachmentIds.length && bind
          ? await this.knex.transaction(async (trx) => {
              const row = await alone(trx);
              if (row.id) await bind(trx, row.id, auth.userId, attachmentIds);
              return row;
            })
          : retried
            ? await alone(this.knex)
            : await this.sends.submit(pendingSend);
    } catch (err) {
      // A recipient device was removed between the check and the commit: check again (now a mismatch).
      if ((err as { code?: string }).code === '23503' && !retried) return this.store(auth, input, recipients, shared, true);
      throw err;
    }
    const { member, existing, replyOk, ok, rateOk, devices, ...rest } = outcome;
    if (!member) throw new NotFoundError('Conversation', input.conversationId);
    if (existing) return this.view(auth.userId, existing);
    if (!replyOk) throw new NotFoundError('Message', input.replyTo!);
    if (!ok) {
      const all = devices ?? [];
      const expected = new Map(all.filter((r) => r.id !== auth.deviceUuid).map((r) => [r.id, r]));
      const missing = [...expected.values()].filter((r) => !seen.has(r.id));
      const extra = recipients
        .filter((e) => !expected.has(e.deviceId))
        .map((e) => all.find((r) => r.id === e.deviceId) ?? { id: e.deviceId, userId: null, deviceId: null, registrationId: null });
      if (missing.length || extra.length) throw new MismatchedDevicesError(missing, extra);
      const stale = recipients
        .filter((e) => e.registrationId != null && e.registrationId !== expected.get(e.deviceId)!.registrationId)
        .map((e) => expected.get(e.deviceId)!);
      if (stale.length) throw new StaleDevicesError(stale);
      throw new Error('sendMessage: refused by the store statement for no reason the checks name');
    }
    if (!rateOk) return this.limiter.refuse(rateKey, this.sendBudget, 1, 'sendMessage');
    const stored = rest.id ? (rest as StoredMessage) : undefined;
    if (!stored) {
      // A concurrent identical send won the unique index: return its message.
      const first = await queryOne<{ id: string }>(this.knex, 'select id from messages where sender_device_uuid = ? and client_message_id = ?', [
        auth.deviceUuid,
        cmid,
      ]);
      // (or the sender left the conversation since the read above)
      if (!first) throw new NotFoundError('Conversation', input.conversationId);
      return this.view(auth.userId, first.id);
    }
    const { envelopes, ...message } = stored;
    const byDevice = new Map(recipients.map((e) => [e.deviceId, e]));
    const createdAt = new Date(message.createdAt).toISOString();
    // a shared ciphertext is encoded once for all the events that carry it
    const sharedText = shared && shared.ciphertext.length <= CARRIED_ENVELOPE_BYTES ? base64Of(shared.ciphertext) : null;
    for (const e of envelopes) {
      const sent = byDevice.get(e.device)!;
      const own = sent.ciphertext?.length ?? 0;
      const carried = shared ? sharedText != null && shared.ciphertext.length + own <= CARRIED_ENVELOPE_BYTES : own <= CARRIED_ENVELOPE_BYTES;
      const envelope: EnvelopeWire | undefined = carried
          ? {
              id: e.id,
              messageId: message.id,
              conversationId: message.conversationId,
              senderUserId: auth.userId,
              senderDeviceId: auth.deviceId,
              senderDeviceUuid: auth.deviceUuid,
              type: shared ? shared.type : sent.type!,
              // the text it arrived as: carried envelopes are never decoded and encoded again
              ciphertext: shared ? sharedText! : base64Of(sent.ciphertext!),
              headerType: shared ? sent.type : null,
              header: shared && sent.ciphertext ? base64Of(sent.ciphertext) : null,
              createdAt,
              request: e.request,
            }
          : undefined;
      this.bus.publish('envelopeStored', e.device, { envelopeId: e.id, envelope });
    }
    const notify = this.onEnvelopeStored;
    if (notify) for (const e of envelopes) if (e.device !== auth.deviceUuid) notify(e.device, e.id);
    this.bus.publish('conversationEvent', message.conversationId, { kind: 'message', messageId: message.id, userId: auth.userId });
    return { ...message, viewerUserId: auth.userId, receipts: [], reactions: [] };
  }

  private get sendBudget() {
    return { burst: this.config.sendRateBurst, refillPerSecond: this.config.sendRatePerSecond };
  }

  /**
   * Group commit of sends (db/group-commit.ts): up to MAX_SEND_BATCH sends and MAX_SEND_BATCH_BYTES of
   * ciphertext per store statement, with the same checks per send as alone and each send's own outcome.
   * A batch holds at most one send per sending device (one rate-limit row each; a device's sends keep
   * their order across batches). If a batch fails as a whole (a recipient device deleted between the
   * check and the commit), each of its sends runs again on its own and meets its own outcome.
   */
  readonly sends = new GroupCommit<PendingSend, SendOutcome>({
    run: (batch) => this.storeBatch(batch),
    onBatchError: 'alone',
    admit: () => {
      const keys = new Set<string>();
      let bytes = 0;
      return (p) => {
        const size = p.recipients.reduce((n, e) => n + (e.ciphertext?.length ?? 0), p.shared?.ciphertext.length ?? 0);
        if (keys.size > 0 && (keys.size >= MAX_SEND_BATCH || bytes + size > MAX_SEND_BATCH_BYTES || keys.has(p.rateKey))) return false;
        keys.add(p.rateKey);
        bytes += size;
        return true;
      };
    },
  });

  /** The store statement's text, built once (it depends only on the send budget from the config). */
  private storeSql?: string;

  private async storeBatch(batch: PendingSend[], db: Sql = this.knex): Promise<SendOutcome[]> {
    this.limiter.maybePurge();
    const env = { k: [] as number[], d: [] as string[], t: [] as (number | null)[], c: [] as (Buffer | null)[], reg: [] as (number | null)[] };
    batch.forEach((p, k) => {
      for (const e of p.recipients) {
        env.k.push(k);
        env.d.push(e.deviceId);
        env.t.push(e.type);
        env.c.push(e.ciphertext ? bufferOf(e.ciphertext) : null);
        env.reg.push(e.registrationId);
      }
    });
    this.storeSql ??= `with s as (
         select * from unnest(?::int[], ?::uuid[], ?::uuid[], ?::uuid[], ?::int[], ?::text[], ?::text[], ?::uuid[], ?::int[], ?::uuid[], ?::text[],
                              ?::smallint[], ?::bytea[])
           as s(k, conv, uid, dev, devno, cmid, ctype, reply, expires_in, mid, key, stype, sc)),
       req as (select * from unnest(?::int[], ?::uuid[], ?::smallint[], ?::bytea[], ?::int[]) as r(k, d, t, c, reg)),
       devs as (
         select s.k, d.id, d.user_id, d.device_id, d.registration_id
           from s join conversation_members cm on cm.conversation_id = s.conv join devices d on d.user_id = cm.user_id),
       -- what each send's checks need, aggregated once per send (hash joins on k, not one scan of a CTE per send)
       dagg as (
         select s.k,
                coalesce(bool_or(devs.user_id = s.uid), false) as member,
                coalesce(array_agg(devs.id order by devs.id) filter (where devs.id <> s.dev), '{}') as others,
                count(distinct devs.user_id) filter (where devs.user_id <> s.uid)::int as recipients,
                json_agg(json_build_object('id', devs.id, 'userId', devs.user_id, 'deviceId', devs.device_id,
                                           'registrationId', devs.registration_id)) filter (where devs.id is not null) as devices
           from s left join devs on devs.k = s.k group by s.k),
       ragg as (select req.k, array_agg(req.d order by req.d) as ids from req group by req.k),
       stale as (
         select distinct req.k from req join devs on devs.k = req.k and devs.id = req.d
          where req.reg is not null and req.reg <> devs.registration_id),
       chk as (
         select s.k, dagg.member, dagg.recipients, dagg.devices,
                (select x.id from messages x where x.sender_device_uuid = s.dev and x.client_message_id = s.cmid) as existing,
                (s.reply is null or exists (select 1 from messages r where r.id = s.reply and r.conversation_id = s.conv)) as reply_ok,
                dagg.others = coalesce(ragg.ids, '{}') as devices_match,
                stale.k is null as fresh
           from s join dagg on dagg.k = s.k left join ragg on ragg.k = s.k left join stale on stale.k = s.k),
       ok as (select s.k, s.key from chk join s on s.k = chk.k where chk.member and chk.existing is null and chk.reply_ok and chk.devices_match and chk.fresh),
       rl as (${this.limiter.takeEachStatement(this.sendBudget, 'ok')}),
       m as (
         insert into messages (id, conversation_id, sender_user_id, sender_device_uuid, sender_device_id, client_message_id,
                               content_type, reply_to, recipient_count, expires_at)
         select s.mid, c.id, s.uid, s.dev, s.devno, s.cmid, s.ctype, s.reply,
                chk.recipients,
                now() + coalesce(s.expires_in, c.disappearing_seconds) * interval '1 second'
           from s join rl on rl.key = s.key join chk on chk.k = s.k join conversations c on c.id = s.conv
          order by s.k
         on conflict (sender_device_uuid, client_message_id) do nothing
         returning *),
       rq as (
         -- the stored messages' recipient devices: only devices of current participants (also re-checked by
         -- the foreign keys at commit), each with whether its user blocked the sender (then nothing is
         -- stored for it: the send still succeeds, as in Signal) and whether it is a message request
         select req.k, req.d, req.t, req.c, m.id as mid, d.user_id as ruid,
                ${blockedBy('d.user_id', 's.uid')} as blocked,
                (cm.accepted_at is null and d.user_id <> s.uid) as request
           from m join s on s.mid = m.id join req on req.k = s.k
           join devices d on d.id = req.d
           join conversation_members cm on cm.user_id = d.user_id and cm.conversation_id = m.conversation_id),
       e as (
         -- a shared send's envelopes: its type (7) and no ciphertext of their own, the per-device part as header
         insert into envelopes (recipient_device, message_id, type, ciphertext, header_type, header, request)
         select rq.d, rq.mid, coalesce(s.stype, rq.t), case when s.sc is null then rq.c end,
                case when s.sc is not null then rq.t end, case when s.sc is not null then rq.c end, rq.request
           from rq join s on s.k = rq.k where not rq.blocked
          order by rq.k
         returning id, recipient_device, message_id, request),
       pl as (
         -- the shared ciphertext, once per message, counting the envelopes that need it
         insert into message_payloads (message_id, type, ciphertext, remaining)
         select m.id, s.stype, s.sc, n.n
           from m join s on s.mid = m.id
           join (select rq.mid, count(*)::int as n from rq where not rq.blocked group by rq.mid) n on n.mid = m.id
          where s.sc is not null),
       w as (
         -- withheld from the blockers: never in their history or unread counts either
         insert into message_withheld (message_id, user_id) select distinct rq.mid, rq.ruid from rq where rq.blocked
         on conflict do nothing),
       acc as (
         -- sending in a conversation accepts it (answers a message request)
         update conversation_members cm set accepted_at = now()
           from m join s on s.mid = m.id
          where cm.conversation_id = m.conversation_id and cm.user_id = s.uid and cm.accepted_at is null),
       eagg as (
         select e.message_id, json_agg(json_build_object('id', e.id::text, 'device', e.recipient_device, 'request', e.request)) as envelopes
           from e group by e.message_id)
       select chk.k, chk.member, chk.existing, chk.reply_ok as "replyOk", (ok.k is not null) as ok, (rl.key is not null) as "rateOk",
              chk.devices,
              ${MESSAGE_COLS('m')},
              coalesce(eagg.envelopes, '[]') as envelopes
         from chk join s on s.k = chk.k left join ok on ok.k = chk.k left join rl on rl.key = s.key left join m on m.id = s.mid
         left join eagg on eagg.message_id = m.id
        order by chk.k`;
    const rows = await query<SendOutcome & { k: number }>(
      db,
      this.storeSql,
      [
        batch.map((_, k) => k),
        batch.map((p) => p.conversationId),
        batch.map((p) => p.auth.userId),
        batch.map((p) => p.auth.deviceUuid),
        batch.map((p) => p.auth.deviceId),
        batch.map((p) => p.input.clientMessageId),
        batch.map((p) => p.input.contentType),
        batch.map((p) => p.replyTo),
        batch.map((p) => p.input.expiresIn ?? null),
        batch.map((p) => p.id),
        batch.map((p) => p.rateKey),
        batch.map((p) => p.shared?.type ?? null),
        batch.map((p) => (p.shared ? bufferOf(p.shared.ciphertext) : null)),
        env.k,
        env.d,
        env.t,
        env.c,
        env.reg,
      ],
    );
    return rows.map(({ k: _k, ...o }) => o);
  }

  /** A page of the device's queue after `after` (an envelope id, exclusive), in queue order: `pendingEnvelopes`. */
  async pendingPage(deviceUuid: string, after: string | null, first: number): Promise<{ items: EnvelopeRow[]; hasNextPage: boolean }> {
    checkFirst(first, MAX_PENDING_FIRST);
    if (after != null && bigintIdOrNull(after) == null) throw new InvalidInputError('after', 'not an envelope id');
    this.activity?.queueRead(deviceUuid);
    const rows = await this.pendingEnvelopes(deviceUuid, after, first + 1);
    return { items: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /** The device's queued envelopes after `afterId` (exclusive), in queue order. */
  async pendingEnvelopes(deviceUuid: string, afterId: bigint | string | null, limit: number): Promise<EnvelopeRow[]> {
    checkFirst(limit, MAX_PENDING_PAGE + 1, 'limit');
    const after = afterId == null ? '0' : bigintIds('after', [afterId])[0];
    return query<EnvelopeRow>(this.knex, `${ENVELOPE_SELECT} where e.recipient_device = ? and e.id > ?::bigint and ${HAS_CIPHERTEXT} order by e.id limit ?`, [
      deviceUuid,
      after,
      limit,
    ]);
  }

  /** The device's still-queued envelopes among `ids`, in queue order (ids of other devices are ignored). */
  async envelopesByIds(deviceUuid: string, ids: readonly string[]): Promise<EnvelopeRow[]> {
    if (ids.length === 0) return [];
    return query<EnvelopeRow>(this.knex, `${ENVELOPE_SELECT} where e.recipient_device = ? and e.id = any(?::bigint[]) and ${HAS_CIPHERTEXT} order by e.id`, [
      deviceUuid,
      bigintIds('ids', ids),
    ]);
  }

  /**
   * Deletes the device's envelopes among `ids` (ids of other devices' envelopes, or already acknowledged
   * ones, are ignored) and records a delivery receipt for each newly delivered message of another user.
   * Returns the ids actually acknowledged.
   *
   * Acknowledgements are group-committed (db/group-commit.ts): one DELETE + receipts statement for the calls
   * of many devices.
   */
  async acknowledge(deviceUuid: string, ids: readonly (string | bigint)[]): Promise<string[]> {
    if (ids.length === 0) return [];
    if (ids.length > MAX_PENDING_PAGE) throw new LimitExceededError('ids', MAX_PENDING_PAGE, ids.length);
    return this.acks.submit({ deviceUuid, ids: bigintIds('ids', ids) });
  }

  // a batch that fails as a whole runs each call alone: one device's bad call never fails another's
  readonly acks = new GroupCommit<{ deviceUuid: string; ids: string[] }, string[]>({
    run: (batch) => this.storeAcks(batch),
    onBatchError: 'alone',
  });

  private async storeAcks(batch: { deviceUuid: string; ids: string[] }[]): Promise<string[][]> {
    const devices: string[] = [];
    const envelopeIds: string[] = [];
    for (const b of batch) {
      for (const id of b.ids) {
        devices.push(b.deviceUuid);
        envelopeIds.push(id);
      }
    }
    const row = await queryOne<{
      acked: { id: string; device: string }[] | null;
      delivered: { messageId: string; conversationId: string; userId: string }[] | null;
      drained: string[] | null;
    }>(
      this.knex,
      `with a as (select * from unnest(?::uuid[], ?::bigint[]) as a(d, i)),
       del as (
         delete from envelopes e using a where e.recipient_device = a.d and e.id = a.i
         returning e.id, e.message_id, e.recipient_device, e.type),
       pl as (
         -- shared payloads: one fewer envelope needs each (under the row lock, so concurrent acks count right)
         update message_payloads p set remaining = greatest(p.remaining - n.n, 0)
           from (select del.message_id, count(*)::int as n from del where del.type = ${SHARED_ENVELOPE_TYPE} group by 1) n
          where p.message_id = n.message_id
         returning p.message_id, p.remaining),
       r as (
         -- a delivery receipt, unless the recipient has not accepted the conversation (a message request
         -- tells its sender nothing) or a block stands between recipient and sender
         insert into message_receipts (message_id, user_id, delivered_at)
         select distinct del.message_id, d.user_id, now()
           from del join devices d on d.id = del.recipient_device join messages m on m.id = del.message_id
           join conversation_members cm on cm.conversation_id = m.conversation_id and cm.user_id = d.user_id
          where m.sender_user_id <> d.user_id and cm.accepted_at is not null and not ${blockedEither('d.user_id', 'm.sender_user_id')}
          order by 1, 2
         on conflict (message_id, user_id) do update set delivered_at = excluded.delivered_at
           where message_receipts.delivered_at is null
         returning message_id, user_id)
       select (select json_agg(json_build_object('id', del.id::text, 'device', del.recipient_device) order by del.id) from del) as acked,
              (select json_agg(json_build_object('messageId', r.message_id, 'conversationId', m.conversation_id, 'userId', r.user_id))
                 from r join messages m on m.id = r.message_id) as delivered,
              (select array_agg(pl.message_id) from pl where pl.remaining = 0) as drained`,
      [devices, envelopeIds],
    );
    // the last envelope that needed a shared payload is gone: so is the payload (a second statement, once
    // per message; the update's row lock made exactly one acknowledgement see zero)
    if (row?.drained?.length) {
      await deleteDrainedPayloads(this.knex, row.drained);
    }
    for (const d of row?.delivered ?? []) {
      this.bus.publish('conversationEvent', d.conversationId, { kind: 'receipt', messageId: d.messageId, userId: d.userId });
    }
    // each deleted envelope is reported to exactly one caller (the first in the batch that named it), as
    // if the calls had run one after another
    const left = new Set((row?.acked ?? []).map((e) => `${e.device}/${e.id}`));
    return batch.map((b) =>
      [...new Set(b.ids)].filter((id) => left.delete(`${b.deviceUuid}/${id}`)).sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1)),
    );
  }

  /**
   * History of a conversation (metadata only), newest first. The cursor is the message's seq (bigserial),
   * so messages sent while paging never shift or repeat a page. Members see messages from when they joined.
   */
  async history(userId: string, conversationId: string, first: number, after: string | null): Promise<Page<MessageView>> {
    checkFirst(first, 200);
    await this.conversations.requireMember(conversationId, userId);
    const before = after ? decodeCursor(after, ['bigint'])[0] : null;
    const rows = await query<MessageRow>(
      this.knex,
      `select ${MESSAGE_COLS('m')} from messages m
         join conversation_members cm on cm.conversation_id = m.conversation_id and cm.user_id = ?
        where m.conversation_id = ? and m.seq > cm.joined_seq and ${VISIBLE} and ${notWithheld('cm.user_id')}
          -- a bound rather than an "is null or" test: the generic plan of the prepared statement keeps an index range scan
          and m.seq < coalesce(?::bigint, 9223372036854775807)
        order by m.seq desc limit ?`,
      [userId, conversationId, before, first + 1],
    );
    const page = toPage(rows, first, (last) => [last.seq]);
    return { ...page, items: await this.decorate(userId, page.items) };
  }

  /** One message as `userId` sees it; NotFound unless the user is a participant who may see it. */
  async view(userId: string, messageId: string): Promise<MessageView> {
    const row = await this.visibleMessage(userId, messageId);
    return (await this.decorate(userId, [row]))[0];
  }

  private async visibleMessage(userId: string, messageId: string): Promise<MessageRow> {
    const row = await queryOne<MessageRow>(
      this.knex,
      `select ${MESSAGE_COLS('m')} from messages m
         join conversation_members cm on cm.conversation_id = m.conversation_id and cm.user_id = ?
        where m.id = ? and (m.seq > cm.joined_seq or m.sender_user_id = cm.user_id) and ${VISIBLE} and ${notWithheld('cm.user_id')}`,
      [userId, uuidOrNull(messageId)],
    );
    if (!row) throw new NotFoundError('Message', messageId);
    return row;
  }

  /** Loads receipts (for the sender's own messages only) and reactions of a page in two queries. */
  private async decorate(userId: string, rows: MessageRow[]): Promise<MessageView[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const own = rows.filter((r) => r.senderUserId === userId).map((r) => r.id);
    const em = this.orm.em.fork();
    const [receipts, reactions] = await Promise.all([
      own.length ? em.find(MessageReceipt, { message: { $in: own } }, { orderBy: { user: 'asc' } }) : Promise.resolve([]),
      em.find(MessageReaction, { message: { $in: ids } }, { orderBy: { createdAt: 'asc', user: 'asc' } }),
    ]);
    const receiptRows: ReceiptRow[] = receipts.map((r) => ({ messageId: r.message.id, userId: r.user.id, deliveredAt: r.deliveredAt ?? null, readAt: r.readAt ?? null }));
    const reactionRows: ReactionRow[] = reactions.map((r) => ({ messageId: r.message.id, userId: r.user.id, emoji: r.emoji, createdAt: r.createdAt }));
    return rows.map((r) => ({
      ...r,
      viewerUserId: userId,
      receipts: receiptRows.filter((x) => x.messageId === r.id),
      reactions: r.deletedAt ? [] : reactionRows.filter((x) => x.messageId === r.id),
    }));
  }

  /**
   * Marks the conversation read up to a message (inclusive) for the caller: advances the read mark (never
   * backwards) and records read receipts (which imply delivery) for the other users' messages in between.
   * While the caller's membership is a message request, or for senders in a block with the caller, no
   * receipt is recorded (the read mark still moves) and nothing is announced.
   */
  async markRead(userId: string, conversationId: string, upToMessageId: string): Promise<void> {
    const changed = await this.knex.transaction(async (trx) => {
      const mem = await queryOne<{ lastReadSeq: string; joinedSeq: string; accepted: boolean }>(
        trx,
        `select last_read_seq::text as "lastReadSeq", joined_seq::text as "joinedSeq", accepted_at is not null as accepted from conversation_members
          where conversation_id = ? and user_id = ? for update`,
        [uuidOrNull(conversationId), userId],
      );
      if (!mem) throw new NotFoundError('Conversation', conversationId);
      const target = await queryOne<{ seq: string }>(trx, 'select seq::text as seq from messages where id = ? and conversation_id = ? and seq > ?', [
        uuidOrNull(upToMessageId),
        conversationId,
        mem.joinedSeq,
      ]);
      if (!target) throw new NotFoundError('Message', upToMessageId);
      if (BigInt(target.seq) <= BigInt(mem.lastReadSeq)) return false;
      if (mem.accepted) {
        await query(
          trx,
          `insert into message_receipts (message_id, user_id, delivered_at, read_at)
           select m.id, ?::uuid, now(), now() from messages m
            where m.conversation_id = ? and m.seq > ? and m.seq <= ? and m.sender_user_id <> ?::uuid and m.deleted_at is null
              and ${notWithheld('?::uuid')} and not ${blockedEither('?::uuid', 'm.sender_user_id')}
           on conflict (message_id, user_id) do update
             set read_at = coalesce(message_receipts.read_at, excluded.read_at),
                 delivered_at = coalesce(message_receipts.delivered_at, excluded.delivered_at)`,
          [userId, conversationId, mem.lastReadSeq, target.seq, userId, userId, userId, userId],
        );
      }
      await query(trx, 'update conversation_members set last_read_seq = ?, last_read_at = now() where conversation_id = ? and user_id = ?', [
        target.seq,
        conversationId,
        userId,
      ]);
      return mem.accepted;
    });
    if (changed) this.bus.publish('conversationEvent', conversationId, { kind: 'receipt', messageId: upToMessageId, userId });
  }

  /** Delete for everyone (sender only): the message becomes a tombstone and its undelivered envelopes go. */
  async deleteForEveryone(userId: string, messageId: string): Promise<MessageView> {
    const msg = await this.visibleMessage(userId, messageId);
    if (msg.senderUserId !== userId) throw new ForbiddenError('only the sender can delete a message for everyone');
    if (!msg.deletedAt) {
      await queryOne(
        this.knex,
        `with m as (update messages set deleted_at = now() where id = ? and deleted_at is null returning id),
              e as (delete from envelopes where message_id in (select id from m)),
              p as (delete from message_payloads where message_id in (select id from m)),
              r as (delete from message_reactions where message_id in (select id from m))
         select count(*) from m`,
        [msg.id],
      );
      this.bus.publish('conversationEvent', msg.conversationId, { kind: 'deleted', messageId: msg.id, userId });
    }
    return this.view(userId, messageId);
  }

  /** Sets, changes (`emoji`) or removes (`null`) the caller's one reaction on a message. */
  async react(userId: string, messageId: string, emoji: string | null): Promise<MessageView> {
    if (emoji != null && !isSingleEmoji(emoji)) throw new InvalidInputError('emoji', 'expected a single emoji');
    const msg = await this.visibleMessage(userId, messageId);
    if (msg.deletedAt) throw new InvalidInputError('messageId', 'the message was deleted');
    const em = this.orm.em.fork();
    if (emoji == null) await em.nativeDelete(MessageReaction, { message: msg.id, user: userId });
    else await em.upsert(MessageReaction, { message: msg.id, user: userId, emoji, createdAt: new Date() });
    this.bus.publish('conversationEvent', msg.conversationId, { kind: 'reaction', messageId: msg.id, userId });
    return this.view(userId, messageId);
  }

  /**
   * Drops the envelopes of one conversation still queued for a user's devices (answering a message request
   * with DELETE): they are never delivered, and record no receipt.
   */
  async purgeQueued(userId: string, conversationId: string): Promise<number> {
    const rows = await query(
      this.knex,
      `delete from envelopes e using messages m, devices d
        where m.id = e.message_id and m.conversation_id = ? and d.id = e.recipient_device and d.user_id = ?
       returning e.id`,
      [uuidOrNull(conversationId), userId],
    );
    return rows.length;
  }

  /** The inbox stream's view of the bus: stored-envelope events (with carried envelopes) and stream control. */
  inboxSignals(): InboxSignals<EnvelopeRow> {
    return {
      onStored: (deviceUuid, listener) => this.bus.listen('envelopeStored', deviceUuid, (p) => listener(p.envelopeId, p.envelope)),
      onControl: (deviceUuid, listener) => this.bus.listen('inboxControl', deviceUuid, listener),
      opened: (deviceUuid, streamId) => this.bus.publish('inboxControl', deviceUuid, { openedStreamId: streamId }),
      live: (deviceUuid, open) => {
        if (open) this.activity?.streamOpened(deviceUuid);
        else this.activity?.streamClosed(deviceUuid);
      },
    };
  }
}

/** SENT until every recipient user has the message, DELIVERED when all have it, READ when all have read it. */
export function messageStatus(m: MessageView): 'SENT' | 'DELIVERED' | 'READ' {
  if (m.recipientCount === 0) return 'SENT';
  const read = m.receipts.filter((r) => r.readAt).length;
  const delivered = m.receipts.filter((r) => r.deliveredAt).length;
  if (read >= m.recipientCount) return 'READ';
  if (delivered >= m.recipientCount) return 'DELIVERED';
  return 'SENT';
}

/**
 * Deletes the shared payloads whose last envelope is gone (`remaining` reached 0 under the row lock of the
 * statement that consumed it): the second statement of an acknowledgement or a decryption-error reply.
 */
export async function deleteDrainedPayloads(db: Sql, messageIds: readonly string[]): Promise<void> {
  await query(db, 'delete from message_payloads where message_id = any(?::uuid[]) and remaining = 0', [messageIds]);
}

function checkRecipientDevice(seen: Set<string>, deviceId: string, field: string): void {
  if (!uuidOrNull(deviceId)) throw new InvalidInputError(`${field}.deviceId`, 'not a device id (Device.id, a uuid)');
  if (seen.has(deviceId)) throw new InvalidInputError(`${field}.deviceId`, 'device listed twice');
  seen.add(deviceId);
}

function bufferOf(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
