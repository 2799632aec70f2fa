/**
 * Encrypted attachments: the client encrypts a file (AES-256-GCM, fresh random key), uploads the ciphertext
 * (HTTP, attachments.http.ts), and sends id + key + digest + size + content type inside the E2EE message.
 * The server keeps the opaque blob (BlobStore) with its uploader, size and SHA-256 digest, and serves it to
 * its uploader and to participants of a conversation it was sent in (a live message, sent after they joined).
 *
 * Lifetime: an upload is bound to messages (bindToMessage, sender = uploader). AttachmentSweeper deletes
 * blobs whose messages are all deleted, expired or gone, and uploads never bound within
 * ATTACHMENT_UNBOUND_TTL_SECONDS.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { Knex } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { LIVE_MESSAGE } from '../db/predicates.js';
import { query, queryOne, type Sql } from '../db/sql.js';
import { InvalidInputError, NotFoundError } from '../kernel/errors.js';
import { uuidOrNull } from '../kernel/ids.js';
import { IncompleteUploadError } from './attachments.errors.js';
import type { BlobStore } from './blob-store.js';

export const MAX_ATTACHMENTS_PER_MESSAGE = 32;
/** Blobs and incomplete uploads older than this without a row are crash leftovers (an upload in progress is younger). */
const ORPHAN_AGE_MS = 60 * 60_000;
/** The orphan sweep lists every blob file: at most this often. */
const ORPHAN_SWEEP_EVERY_MS = 60 * 60_000;
/** Binding refuses unbound uploads this close to their purge, so the sweep never races a bind. */
const BIND_MARGIN_SECONDS = 300;

export type AttachmentsConfig = Pick<Config, 'maxAttachmentBytes' | 'attachmentUnboundTtlSeconds'>;

export interface AttachmentRow {
  id: string;
  uploaderUserId: string;
  size: number;
  digest: Uint8Array;
  createdAt: Date;
}

/** Counts and hashes bytes passing through; fails unless exactly `expected` bytes pass. */
export class DigestMeter extends Transform {
  private readonly hash = createHash('sha256');
  received = 0;
  digest: Buffer | undefined;

  constructor(readonly expected: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.expected) {
      cb(new IncompleteUploadError(this.expected, this.received));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.received !== this.expected) {
      cb(new IncompleteUploadError(this.expected, this.received));
      return;
    }
    this.digest = this.hash.digest();
    cb();
  }
}

export class AttachmentsService {
  constructor(
    private readonly knex: Knex,
    readonly store: BlobStore,
    readonly config: AttachmentsConfig,
    private readonly log?: Logger,
  ) {}

  /** Records a stored blob; if that fails the blob is deleted. */
  async record(uploaderUserId: string, id: string, size: number, digest: Uint8Array): Promise<AttachmentRow> {
    try {
      return (await queryOne<AttachmentRow>(
        this.knex,
        `insert into attachments (id, uploader_user_id, size, digest) values (?, ?, ?, ?)
         returning id, uploader_user_id as "uploaderUserId", size::float8 as size, digest, created_at as "createdAt"`,
        [id, uploaderUserId, size, Buffer.from(digest)],
      ))!;
    } catch (err) {
      await this.store.delete(id).catch(() => undefined);
      throw err;
    }
  }

  /**
   * The attachment if `userId` may download it: its uploader, or a participant of a conversation with a live
   * message it was bound to (sent after the participant joined). Null otherwise (also when it does not exist).
   */
  async readable(userId: string, attachmentId: string): Promise<AttachmentRow | null> {
    const id = uuidOrNull(attachmentId);
    if (!id) return null;
    const row = await queryOne<AttachmentRow>(
      this.knex,
      `select a.id, a.uploader_user_id as "uploaderUserId", a.size::float8 as size, a.digest, a.created_at as "createdAt"
         from attachments a
        where a.id = ? and (a.uploader_user_id = ? or exists (
                select 1 from message_attachments ma
                  join messages m on m.id = ma.message_id
                  join conversation_members cm on cm.conversation_id = m.conversation_id and cm.user_id = ?
                 where ma.attachment_id = a.id and ${LIVE_MESSAGE} and m.seq > cm.joined_seq))`,
      [id, userId, userId],
    );
    return row ?? null;
  }

  /**
   * Binds uploads to a message, inside the caller's transaction `trx`: the message must be `senderUserId`'s
   * (and not deleted), every attachment uploaded by `senderUserId` and still bindable (an upload not yet bound
   * and not about to be purged, or one already bound to a live message, e.g. when forwarding). Idempotent.
   * Throws NotFound (message or attachment; others' uploads are reported as not found), Forbidden (not the
   * sender), InvalidInput (too many).
   */
  async bindToMessage(trx: Sql, messageId: string, senderUserId: string, attachmentIds: readonly string[]): Promise<void> {
    const ids = [...new Set(attachmentIds.map(String))];
    if (!ids.length) return;
    if (ids.length > MAX_ATTACHMENTS_PER_MESSAGE) throw new InvalidInputError('attachmentIds', `at most ${MAX_ATTACHMENTS_PER_MESSAGE}`);
    for (const id of ids) if (!uuidOrNull(id)) throw new NotFoundError('Attachment', id);
    const msg = await queryOne<{ senderUserId: string; deleted: boolean }>(
      trx,
      `select m.sender_user_id as "senderUserId", not (${LIVE_MESSAGE}) as deleted from messages m where m.id = ?`,
      [uuidOrNull(messageId)],
    );
    // someone else's message is reported as not found, like one that does not exist (no existence oracle)
    if (!msg || msg.deleted || msg.senderUserId !== senderUserId) throw new NotFoundError('Message', messageId);
    // lock the attachments: the sweep (FOR UPDATE SKIP LOCKED) leaves them alone until we commit
    const rows = await query<{ id: string; bindable: boolean }>(
      trx,
      `select a.id,
              (a.attached_at is null and a.created_at > now() - ?::int * interval '1 second')
              or exists (select 1 from message_attachments ma join messages m on m.id = ma.message_id
                          where ma.attachment_id = a.id and ${LIVE_MESSAGE}) as bindable
         from attachments a where a.id = any(?::uuid[]) and a.uploader_user_id = ? for update of a`,
      [Math.max(60, this.config.attachmentUnboundTtlSeconds - BIND_MARGIN_SECONDS), ids, senderUserId],
    );
    const ok = new Set(rows.filter((r) => r.bindable).map((r) => r.id));
    const bad = ids.find((id) => !ok.has(id));
    if (bad) throw new NotFoundError('Attachment', bad);
    await query(trx, `insert into message_attachments (message_id, attachment_id) select ?, unnest(?::uuid[]) on conflict do nothing`, [messageId, ids]);
    await query(trx, `update attachments set attached_at = coalesce(attached_at, now()) where id = any(?::uuid[])`, [ids]);
  }

  /** bindToMessage in a transaction of its own (the `attachToMessage` mutation). */
  async attachToMessage(senderUserId: string, messageId: string, attachmentIds: readonly string[]): Promise<string[]> {
    if (!attachmentIds.length) throw new InvalidInputError('attachmentIds', 'expected at least one');
    await this.knex.transaction((trx) => this.bindToMessage(trx, messageId, senderUserId, attachmentIds));
    return [...new Set(attachmentIds.map(String))];
  }

  /** Ids of the attachments bound to a message. */
  async ofMessage(messageId: string): Promise<string[]> {
    const rows = await query<{ id: string }>(this.knex, 'select attachment_id as id from message_attachments where message_id = ? order by attachment_id', [
      uuidOrNull(messageId),
    ]);
    return rows.map((r) => r.id);
  }

  /**
   * Deletes attachments nobody may read any more (rows first, one batch per statement, then their blobs):
   * bound ones whose messages are all deleted, expired or gone, and uploads never bound within the TTL.
   * A blob whose delete fails (or a crash between the two steps) is left behind as an orphan file.
   */
  async sweepOnce(batchSize = 500): Promise<string[]> {
    const deleted = await this.sweepRows(batchSize);
    if (Date.now() - this.lastOrphanSweep >= ORPHAN_SWEEP_EVERY_MS) deleted.push(...(await this.sweepOrphans()));
    if (deleted.length) this.log?.info({ deletedAttachments: deleted.length }, 'attachment sweep');
    return deleted;
  }

  private lastOrphanSweep = 0;

  /**
   * Blobs no row knows (a crash between storing the blob and recording it, or between deleting the row and
   * the blob) and incomplete uploads, older than ORPHAN_AGE_MS: deleted. Returns the ids of deleted blobs.
   */
  async sweepOrphans(olderThanMs = ORPHAN_AGE_MS): Promise<string[]> {
    this.lastOrphanSweep = Date.now();
    if (!this.store.sweep) return [];
    const { incompleteDeleted, stored } = await this.store.sweep(olderThanMs);
    const orphans: string[] = [];
    for (let i = 0; i < stored.length; i += 1000) {
      const chunk = stored.slice(i, i + 1000);
      const known = new Set((await query<{ id: string }>(this.knex, 'select id from attachments where id = any(?::uuid[])', [chunk])).map((r) => r.id));
      for (const id of chunk) {
        if (known.has(id)) continue;
        await this.store.delete(id);
        orphans.push(id);
      }
    }
    if (incompleteDeleted || orphans.length) this.log?.info({ incompleteDeleted, orphanBlobs: orphans.length }, 'attachment orphan sweep');
    return orphans;
  }

  private async sweepRows(batchSize: number): Promise<string[]> {
    const deleted: string[] = [];
    for (;;) {
      const rows = await query<{ id: string }>(
        this.knex,
        `delete from attachments where id in (
           select a.id from attachments a
            where (a.attached_at is null and a.created_at <= now() - ?::int * interval '1 second')
               or (a.attached_at is not null and not exists (
                     select 1 from message_attachments ma join messages m on m.id = ma.message_id
                      where ma.attachment_id = a.id and ${LIVE_MESSAGE}))
            limit ? for update skip locked)
         returning id`,
        [this.config.attachmentUnboundTtlSeconds, batchSize],
      );
      for (const r of rows) {
        try {
          await this.store.delete(r.id);
          deleted.push(r.id);
        } catch (err) {
          this.log?.error({ err, attachmentId: r.id }, 'blob delete failed');
        }
      }
      if (rows.length < batchSize) break;
    }
    return deleted;
  }
}
