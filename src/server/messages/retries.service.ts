/**
 * Decryption-error recovery on the server (docs/trust.md; Signal's retry receipts). A device that cannot
 * decrypt an envelope answers it with a DecryptionErrorMessage in a PlaintextContent (libsignal's format,
 * src/protocol/decryption-error.ts), relayed unencrypted as a type-8 envelope to the device that sent the
 * message; that device may then resend the message, once, to that device only.
 *
 * Abuse bounds: a reply exists only in answer to an envelope still in the replying device's queue, and
 * consumes it (one reply per delivered envelope, to the device that sent it, never about a reply); its
 * content must parse as a DecryptionErrorMessage naming that device, at most MAX_PLAINTEXT_CONTENT_BYTES;
 * a user who blocked the replier gets nothing (and the reply still succeeds). A resend needs a pending
 * request (`envelope_retries`, consumed by the resend) younger than RESEND_WINDOW_HOURS.
 *
 * Hand-written SQL: each operation is one data-modifying statement (consume and store together).
 */
import { isProtocolError, PlaintextContent } from '../../protocol/index.js';
import type { Knex } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { blockedBy } from '../db/predicates.js';
import { query, queryOne } from '../db/sql.js';
import type { Bus } from '../events.js';
import type { AuthDevice } from '../kernel/auth.js';
import { base64Of } from '../kernel/bytes.js';
import { InvalidInputError, LimitExceededError, NotFoundError } from '../kernel/errors.js';
import { bigintIdOrNull, uuidOrNull } from '../kernel/ids.js';
import { CARRIED_ENVELOPE_BYTES, deleteDrainedPayloads, type EnvelopeInput, SHARED_ENVELOPE_TYPE } from './messages.service.js';
import { StaleDevicesError } from './messages.errors.js';

/** libsignal CiphertextMessageType.Plaintext: a PlaintextContent carrying a DecryptionErrorMessage. */
export const PLAINTEXT_CONTENT_ENVELOPE_TYPE = 8;
/** A DecryptionErrorMessage is ~50 bytes; anything much larger is not one. */
export const MAX_PLAINTEXT_CONTENT_BYTES = 256;
/** A resend request is good this long (the SDK resends messages up to as old, like Signal's send log). */
export const RESEND_WINDOW_HOURS = 24;
const PURGE_EVERY_MS = 60_000;

export interface RelayedDecryptionError {
  /** The failed envelope, removed from the caller's queue. */
  envelopeId: string;
  messageId: string;
}

export class RetriesService {
  private lastPurge = 0;

  constructor(
    private readonly knex: Knex,
    private readonly bus: Bus,
    private readonly config: Pick<Config, 'maxEnvelopeBytes'>,
  ) {}

  /** Told after commit of each envelope this service stores (push: see MessagesService.onEnvelopeStored). */
  onEnvelopeStored?: (deviceUuid: string, envelopeId: string) => void;

  /**
   * Answers the caller's queued envelope `envelopeId` with `content` (a PlaintextContent): the envelope
   * leaves the queue (no delivery receipt) and its sender's device gets the reply as a type-8 envelope.
   */
  async reportDecryptionError(auth: AuthDevice, envelopeId: string, content: Uint8Array): Promise<RelayedDecryptionError> {
    const id = bigintIdOrNull(envelopeId);
    if (!id) throw new NotFoundError('Envelope', String(envelopeId).slice(0, 40));
    if (content.length > MAX_PLAINTEXT_CONTENT_BYTES) throw new LimitExceededError('content', MAX_PLAINTEXT_CONTENT_BYTES, content.length);
    let deviceId: number;
    try {
      deviceId = PlaintextContent.deserialize(content).decryptionErrorMessage().deviceId;
    } catch (e) {
      if (isProtocolError(e)) throw new InvalidInputError('content', `not a PlaintextContent with a DecryptionErrorMessage (${e.code})`);
      throw e;
    }
    this.maybePurge();
    const row = await queryOne<{
      messageId: string;
      conversationId: string;
      newId: string | null;
      target: string | null;
      createdAt: Date | null;
      drained: boolean;
    }>(
      this.knex,
      `with f as (
         delete from envelopes e using messages m
          where e.id = ?::bigint and e.recipient_device = ?::uuid and e.type in (2, 3, ${SHARED_ENVELOPE_TYPE}) and m.id = e.message_id and m.sender_device_id = ?::int
         returning e.message_id, e.type, m.conversation_id, m.sender_user_id, m.sender_device_uuid),
       pl as (
         -- a type-7 envelope was one of those its message's shared payload counts (as an acknowledgement)
         update message_payloads p set remaining = greatest(p.remaining - 1, 0) from f
          where f.type = ${SHARED_ENVELOPE_TYPE} and p.message_id = f.message_id
         returning p.message_id, p.remaining),
       ok as (
         select f.* from f join devices td on td.id = f.sender_device_uuid where not ${blockedBy('f.sender_user_id', '?::uuid')}),
       n as (
         insert into envelopes (recipient_device, message_id, type, ciphertext, sender_user_id, sender_device_uuid, sender_device_id)
         select ok.sender_device_uuid, ok.message_id, ${PLAINTEXT_CONTENT_ENVELOPE_TYPE}, ?::bytea, ?::uuid, ?::uuid, ?::int from ok
         returning id, recipient_device, created_at),
       r as (
         insert into envelope_retries (message_id, device) select ok.message_id, ?::uuid from ok
         on conflict (message_id, device) do update set created_at = now())
       select f.message_id as "messageId", f.conversation_id as "conversationId", n.id::text as "newId", n.recipient_device as target,
              n.created_at as "createdAt", exists (select 1 from pl where pl.remaining = 0) as drained
         from f left join n on true`,
      [id, auth.deviceUuid, deviceId, auth.userId, Buffer.from(content), auth.userId, auth.deviceUuid, auth.deviceId, auth.deviceUuid],
    );
    if (row?.drained) await deleteDrainedPayloads(this.knex, [row.messageId]);
    if (!row) {
      const queued = await queryOne<{ type: number }>(this.knex, 'select type from envelopes where id = ?::bigint and recipient_device = ?', [id, auth.deviceUuid]);
      if (!queued) throw new NotFoundError('Envelope', envelopeId);
      if (queued.type === PLAINTEXT_CONTENT_ENVELOPE_TYPE) throw new InvalidInputError('envelopeId', 'a decryption-error reply is not answered with another');
      throw new InvalidInputError('content', 'the DecryptionErrorMessage must name the device that sent the envelope');
    }
    if (row.newId && row.target) {
      this.onEnvelopeStored?.(row.target, row.newId);
      this.bus.publish('envelopeStored', row.target, {
        envelopeId: row.newId,
        envelope: {
          id: row.newId,
          messageId: row.messageId,
          conversationId: row.conversationId,
          senderUserId: auth.userId,
          senderDeviceId: auth.deviceId,
          senderDeviceUuid: auth.deviceUuid,
          type: PLAINTEXT_CONTENT_ENVELOPE_TYPE,
          ciphertext: base64Of(content),
          createdAt: new Date(row.createdAt!).toISOString(),
          request: false,
        },
      });
    }
    return { envelopeId: id, messageId: row.messageId };
  }

  /**
   * Resends the caller's message `messageId` to the one device whose decryption-error reply asked for it
   * (a fresh encryption, usually a PreKey message on a new session). Consumes the request; the envelope
   * keeps the message's time. Returns the new envelope id (null when the recipient has blocked the caller
   * since: the resend still succeeds).
   */
  async resend(auth: AuthDevice, messageId: string, envelope: EnvelopeInput): Promise<{ envelopeId: string | null }> {
    const mid = uuidOrNull(messageId);
    if (!mid) throw new NotFoundError('Message', String(messageId).slice(0, 64));
    const device = uuidOrNull(envelope.deviceId);
    if (!device) throw new InvalidInputError('envelope.deviceId', 'not a device id (Device.id, a uuid)');
    if (envelope.type !== 2 && envelope.type !== 3) throw new InvalidInputError('envelope.type', 'expected 2 (whisper) or 3 (prekey)');
    if (envelope.ciphertext.length === 0) throw new InvalidInputError('envelope.ciphertext', 'empty');
    if (envelope.ciphertext.length > this.config.maxEnvelopeBytes) {
      throw new LimitExceededError('envelope.ciphertext', this.config.maxEnvelopeBytes, envelope.ciphertext.length);
    }
    const reg = envelope.registrationId ?? null;
    const row = await queryOne<{ newId: string | null; request: boolean | null; createdAt: Date | null; conversationId: string }>(
      this.knex,
      `with r as (
         delete from envelope_retries er using messages m, devices d, conversation_members cm
          where er.message_id = ?::uuid and er.device = ?::uuid and er.created_at > now() - interval '${RESEND_WINDOW_HOURS} hours'
            and m.id = er.message_id and m.sender_device_uuid = ?::uuid
            and d.id = er.device and (?::int is null or d.registration_id = ?::int)
            and cm.conversation_id = m.conversation_id and cm.user_id = d.user_id
         returning er.message_id, er.device, m.conversation_id, m.created_at, m.sender_user_id, d.user_id as ruid,
                   (cm.accepted_at is null and d.user_id <> m.sender_user_id) as request),
       e as (
         insert into envelopes (recipient_device, message_id, type, ciphertext, request, created_at)
         select r.device, r.message_id, ?::smallint, ?::bytea, r.request, r.created_at from r where not ${blockedBy('r.ruid', 'r.sender_user_id')}
         returning id, request, created_at)
       select r.conversation_id as "conversationId", e.id::text as "newId", e.request, e.created_at as "createdAt" from r left join e on true`,
      [mid, device, auth.deviceUuid, reg, reg, envelope.type, Buffer.from(envelope.ciphertext.buffer, envelope.ciphertext.byteOffset, envelope.ciphertext.byteLength)],
    );
    if (!row) {
      const current = await queryOne<{ id: string; userId: string; deviceId: number; registrationId: number }>(
        this.knex,
        `select d.id, d.user_id as "userId", d.device_id as "deviceId", d.registration_id as "registrationId"
           from envelope_retries er join devices d on d.id = er.device where er.message_id = ? and er.device = ?`,
        [mid, device],
      );
      if (current && reg != null && current.registrationId !== reg) throw new StaleDevicesError([current]);
      throw new NotFoundError('ResendRequest', `${messageId}/${envelope.deviceId}`);
    }
    if (row.newId) {
      this.onEnvelopeStored?.(device, row.newId);
      this.bus.publish('envelopeStored', device, {
        envelopeId: row.newId,
        envelope: envelope.ciphertext.length > CARRIED_ENVELOPE_BYTES ? undefined : {
          id: row.newId,
          messageId: mid,
          conversationId: row.conversationId,
          senderUserId: auth.userId,
          senderDeviceId: auth.deviceId,
          senderDeviceUuid: auth.deviceUuid,
          type: envelope.type,
          ciphertext: base64Of(envelope.ciphertext),
          createdAt: new Date(row.createdAt!).toISOString(),
          request: row.request === true,
        },
      });
    }
    return { envelopeId: row.newId };
  }

  /** Forgets resend requests nobody answered within the window (at most once a minute, in the background). */
  private maybePurge(): void {
    const now = Date.now();
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    query(this.knex, `delete from envelope_retries where created_at < now() - interval '${RESEND_WINDOW_HOURS} hours'`).catch(() => {
      // best effort: an old request left behind is refused by the window anyway
    });
  }
}
