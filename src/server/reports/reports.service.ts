/**
 * Spam reports (docs/trust.md). With end-to-end encryption the server has no content to judge, so, as in
 * Signal, a report names real deliveries by their reporting tokens (reporting-token.ts): it tells operators
 * who sent what to whom and when, never what it said. Reports are kept for operators (the users named in
 * OPERATOR_USER_IDS), who page through them newest first; anyone else is refused with NotOperatorError.
 *
 * Hand-written SQL: reports are stored in one batch insert (`unnest`, `on conflict` for repeats) and read
 * with keyset paging on microsecond timestamps.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from '@mikro-orm/postgresql';
import { query, queryOne } from '../db/sql.js';
import type { AuthDevice } from '../kernel/auth.js';
import { InvalidInputError, LimitExceededError } from '../kernel/errors.js';
import { uuidOrNull } from '../kernel/ids.js';
import { checkFirst, decodeCursor, type Page, toPage } from '../kernel/paging.js';
import { mintReportingToken, openReportingToken } from './reporting-token.js';
import { InvalidReportingTokenError, NotOperatorError } from './reports.errors.js';

/** Tokens one report may name (Signal reports one message at a time; an app may report a whole request). */
export const MAX_REPORT_TOKENS = 100;
export const MAX_REPORTS_PAGE = 200;
const TOKEN_KEY_NAME = 'reporting-token';

export interface SpamReportRow {
  id: string;
  reporterUserId: string;
  senderUserId: string;
  messageId: string;
  conversationId: string | null;
  messageSentAt: Date | null;
  reportedAt: Date;
  /** reportedAt as PostgreSQL text (microseconds), for cursors. */
  reportedKey: string;
}

export class ReportsService {
  private key?: Promise<Uint8Array>;
  private readonly operators: ReadonlySet<string>;

  constructor(
    private readonly knex: Knex,
    operatorUserIds: readonly string[],
  ) {
    this.operators = new Set(operatorUserIds.map((u) => u.toLowerCase()));
  }

  isOperator(userId: string): boolean {
    return this.operators.has(userId.toLowerCase());
  }

  /** The key of the reporting tokens: made once (by whichever instance is first) and kept in PostgreSQL. */
  private tokenKey(): Promise<Uint8Array> {
    this.key ??= (async () => {
      // two statements: a concurrent first use on another instance commits its key, and both then read the one kept
      await query(this.knex, 'insert into server_secrets (name, secret) values (?, ?) on conflict (name) do nothing', [TOKEN_KEY_NAME, randomBytes(32)]);
      const row = await queryOne<{ secret: Buffer }>(this.knex, 'select secret from server_secrets where name = ?', [TOKEN_KEY_NAME]);
      return new Uint8Array(row!.secret);
    })().catch((err) => {
      this.key = undefined;
      throw err;
    });
    return this.key;
  }

  /** The reporting token of a message delivered to `recipientUserId` (null for the user's own messages). */
  async token(messageId: string, senderUserId: string, recipientUserId: string): Promise<string | null> {
    if (senderUserId === recipientUserId) return null;
    return mintReportingToken(await this.tokenKey(), messageId, senderUserId, recipientUserId);
  }

  /**
   * Reports the messages the tokens name as spam (each token must be one minted for the caller). Reporting a
   * message again changes nothing. Returns how many reports were new.
   */
  async reportSpam(auth: AuthDevice, tokens: readonly string[]): Promise<{ reported: number }> {
    if (tokens.length === 0) throw new InvalidInputError('reportingTokens', 'name at least one message');
    if (tokens.length > MAX_REPORT_TOKENS) throw new LimitExceededError('reportingTokens', MAX_REPORT_TOKENS, tokens.length);
    const key = await this.tokenKey();
    const named = new Map<string, string>();
    tokens.forEach((t, i) => {
      const opened = openReportingToken(key, t, auth.userId);
      if (!opened) throw new InvalidReportingTokenError(i);
      named.set(opened.messageId, opened.senderUserId);
    });
    const rows = await query(
      this.knex,
      `insert into spam_reports (id, reporter_user_id, sender_user_id, message_id, conversation_id, message_sent_at)
       select x.id, ?::uuid, x.sender, x.message, m.conversation_id, m.created_at
         from unnest(?::uuid[], ?::uuid[], ?::uuid[]) as x(id, message, sender)
         join users su on su.id = x.sender
         left join messages m on m.id = x.message
       on conflict (reporter_user_id, message_id) do nothing
       returning id`,
      [auth.userId, [...named.keys()].map(() => randomUUID()), [...named.keys()], [...named.values()]],
    );
    return { reported: rows.length };
  }

  /** Spam reports, newest first (optionally of one sender); operators only. */
  async list(auth: AuthDevice, opts: { first: number; after: string | null; senderUserId: string | null }): Promise<Page<SpamReportRow>> {
    if (!this.isOperator(auth.userId)) throw new NotOperatorError();
    checkFirst(opts.first, MAX_REPORTS_PAGE);
    const params: unknown[] = [];
    const where: string[] = [];
    if (opts.senderUserId != null) {
      const sender = uuidOrNull(opts.senderUserId);
      if (!sender) throw new InvalidInputError('senderUserId', 'not a user id');
      where.push('sender_user_id = ?');
      params.push(sender);
    }
    if (opts.after) {
      const [at, id] = decodeCursor(opts.after, ['timestamp', 'uuid']);
      where.push('(reported_at, id) < (?::timestamptz, ?::uuid)');
      params.push(at, id);
    }
    params.push(opts.first + 1);
    const rows = await query<SpamReportRow>(
      this.knex,
      `select id, reporter_user_id as "reporterUserId", sender_user_id as "senderUserId", message_id as "messageId",
              conversation_id as "conversationId", message_sent_at as "messageSentAt", reported_at as "reportedAt", reported_at::text as "reportedKey"
         from spam_reports ${where.length ? `where ${where.join(' and ')}` : ''}
        order by reported_at desc, id desc limit ?`,
      params,
    );
    return toPage(rows, opts.first, (last) => [last.reportedKey, last.id]);
  }
}
