/**
 * Periodic purges, in batches (one DELETE of at most `batchSize` rows per statement, repeated until a
 * batch comes back short):
 * - disappearing messages whose expires_at has passed (their envelopes, receipts and reactions go by
 *   cascade), each announced as a conversationEvent 'expired';
 * - envelopes nobody acknowledged within the retention period (ENVELOPE_RETENTION_DAYS, default 30).
 *   Found through the index on created_at, oldest first, so a sweep reads only what it deletes. Envelopes
 *   of removed devices go at once through the foreign key cascade;
 * - shared payloads of multi-recipient sends that no queued envelope needs any more (their last envelope
 *   went by retention, a removed device, a message request answered with DELETE, or an acknowledgement
 *   whose follow-up delete did not run). A payload's envelopes are stored in the same statement as the
 *   payload itself, so a payload without envelopes is never one still being sent.
 */
import type { Knex } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { query } from '../db/sql.js';
import type { Bus } from '../events.js';

export interface SweepResult {
  expiredMessages: number;
  staleEnvelopes: number;
  orphanPayloads: number;
}

/** The purge itself; run on a schedule by a kernel Periodic (services.ts). */
export class MessageSweeper {
  constructor(
    private readonly knex: Knex,
    private readonly bus: Bus,
    private readonly opts: { retentionDays: number; batchSize?: number; log?: Logger },
  ) {}

  private get batch(): number {
    return this.opts.batchSize ?? 1000;
  }

  async sweepOnce(): Promise<SweepResult> {
    let expiredMessages = 0;
    for (;;) {
      const rows = await query<{ id: string; conversationId: string }>(
        this.knex,
        `delete from messages where id in (
           select id from messages where expires_at <= now() order by expires_at limit ?)
         returning id, conversation_id as "conversationId"`,
        [this.batch],
      );
      expiredMessages += rows.length;
      for (const r of rows) this.bus.publish('conversationEvent', r.conversationId, { kind: 'expired', messageId: r.id });
      if (rows.length < this.batch) break;
    }
    let staleEnvelopes = 0;
    for (;;) {
      const rows = await query<{ n: number }>(
        this.knex,
        `with del as (delete from envelopes where id in (
                         select id from envelopes where created_at < now() - ?::int * interval '1 day' order by created_at limit ?)
                       returning id)
         select count(*)::int as n from del`,
        [this.opts.retentionDays, this.batch],
      );
      staleEnvelopes += rows[0].n;
      if (rows[0].n < this.batch) break;
    }
    let orphanPayloads = 0;
    for (;;) {
      const rows = await query<{ n: number }>(
        this.knex,
        `with del as (delete from message_payloads where message_id in (
                         select p.message_id from message_payloads p
                          where p.remaining = 0 or not exists (select 1 from envelopes e where e.message_id = p.message_id)
                          limit ?)
                       returning message_id)
         select count(*)::int as n from del`,
        [this.batch],
      );
      orphanPayloads += rows[0].n;
      if (rows[0].n < this.batch) break;
    }
    if (expiredMessages || staleEnvelopes || orphanPayloads) this.opts.log?.info({ expiredMessages, staleEnvelopes, orphanPayloads }, 'messaging sweep');
    return { expiredMessages, staleEnvelopes, orphanPayloads };
  }
}
