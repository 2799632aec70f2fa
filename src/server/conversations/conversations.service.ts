/**
 * Conversations: direct (exactly two users, one per ordered user pair, created race-free through a unique
 * index) and groups (named; members add and remove members). Every read and write checks that the caller
 * is a participant; a conversation the caller is not in is reported as NotFound, whether it exists or not.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from '@mikro-orm/postgresql';
import { decodeCursor, encodeCursor, uuidOrNull } from '../accounts/accounts.service.js';
import { query, queryOne, type Sql } from '../db/sql.js';
import { InvalidInputError, NotFoundError } from '../graphql/errors.js';
import type { EventBus } from '../realtime/pubsub.js';

export type ConversationKind = 'direct' | 'group';

export interface ConversationRow {
  id: string;
  kind: ConversationKind;
  name: string | null;
  avatarUrl: string | null;
  disappearingSeconds: number | null;
  createdAt: Date;
  /** Time of the newest visible message, null when there is none. */
  lastMessageAt: Date | null;
  /** lastMessageAt, or when the caller joined: the list's sort key. */
  lastActivityAt: Date;
  unreadCount: number;
  /** The caller's own participation. */
  muted: boolean;
  lastReadAt: Date | null;
  joinedAt: Date;
  /** lastActivityAt as PostgreSQL text (microseconds), for cursors. */
  activityKey: string;
}

export interface ParticipantRow {
  conversationId: string;
  userId: string;
  joinedAt: Date;
  lastReadAt: Date | null;
}

export interface Page<T> {
  items: T[];
  endCursor: string | null;
  hasNextPage: boolean;
}

export const MAX_GROUP_MEMBERS = 1000;
const VISIBLE = `(m.expires_at is null or m.expires_at > now())`;

/**
 * One row per conversation of user $1 (cm = the caller's membership). Unread: others' live messages after
 * the caller's read mark; last message: the newest visible message after the caller joined.
 */
const CONVERSATION_SELECT = `
  select c.id, c.kind, c.name, c.avatar_url as "avatarUrl", c.disappearing_seconds as "disappearingSeconds",
         c.created_at as "createdAt", cm.muted, cm.last_read_at as "lastReadAt", cm.joined_at as "joinedAt",
         lm.created_at as "lastMessageAt",
         greatest(cm.joined_at, lm.created_at) as "lastActivityAt",
         greatest(cm.joined_at, lm.created_at)::text as "activityKey",
         (select count(*)::int from messages m
           where m.conversation_id = c.id and m.seq > greatest(cm.last_read_seq, cm.joined_seq)
             and m.sender_user_id <> cm.user_id and m.deleted_at is null and ${VISIBLE}) as "unreadCount"
    from conversation_members cm
    join conversations c on c.id = cm.conversation_id
    left join lateral (select m.created_at from messages m
                        where m.conversation_id = c.id and m.seq > cm.joined_seq and ${VISIBLE}
                        order by m.seq desc limit 1) lm on true`;

function checkName(v: string): string {
  const s = v.trim();
  if (s.length < 1 || s.length > 100) throw new InvalidInputError('name', 'expected 1 to 100 characters');
  return s;
}

function checkAvatar(v: string | null | undefined): string | null {
  if (v == null || v === '') return null;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidInputError('avatarUrl', 'not a valid URL');
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || v.length > 2048) throw new InvalidInputError('avatarUrl', 'expected an http(s) URL of at most 2048 characters');
  return v;
}

function checkUserIds(field: string, ids: readonly string[]): string[] {
  const out = [...new Set(ids.map(String))];
  for (const id of out) if (!uuidOrNull(id)) throw new InvalidInputError(field, `unknown user ${id}`);
  return out;
}

export class ConversationsService {
  constructor(
    private readonly knex: Knex,
    private readonly bus: EventBus,
  ) {}

  /** Throws NotFound unless `userId` is a participant; the one authorization check of every operation. */
  async requireMember(db: Sql, conversationId: string, userId: string): Promise<{ kind: ConversationKind; disappearingSeconds: number | null }> {
    const row = await queryOne<{ kind: ConversationKind; disappearingSeconds: number | null }>(
      db,
      `select c.kind, c.disappearing_seconds as "disappearingSeconds" from conversation_members cm
         join conversations c on c.id = cm.conversation_id where cm.conversation_id = ? and cm.user_id = ?`,
      [uuidOrNull(conversationId), userId],
    );
    if (!row) throw new NotFoundError('Conversation', conversationId);
    return row;
  }

  private async missingUsers(db: Sql, ids: string[]): Promise<string[]> {
    const found = await query<{ id: string }>(db, 'select id from users where id = any(?::uuid[])', [ids]);
    const have = new Set(found.map((r) => r.id));
    return ids.filter((id) => !have.has(id));
  }

  /** The direct conversation of the caller and `otherUserId`, created if missing (race-free). */
  async createDirect(userId: string, otherUserId: string): Promise<ConversationRow> {
    const other = uuidOrNull(otherUserId);
    if (!other || other === userId) throw new InvalidInputError('userId', 'expected another user');
    if ((await this.missingUsers(this.knex, [other])).length) throw new NotFoundError('User', otherUserId);
    const [lo, hi] = userId < other ? [userId, other] : [other, userId];
    const id = randomUUID();
    const created = await queryOne<{ id: string }>(
      this.knex,
      `with c as (
         insert into conversations (id, kind, direct_user_lo, direct_user_hi, created_by)
         values (?, 'direct', ?, ?, ?)
         on conflict (direct_user_lo, direct_user_hi) where kind = 'direct' do nothing
         returning id),
       s as (select coalesce(max(seq), 0) as seq from messages)
       insert into conversation_members (conversation_id, user_id, joined_seq, last_read_seq)
       select c.id, u, s.seq, s.seq from c, s, unnest(?::uuid[]) as u
       returning conversation_id as id`,
      [id, lo, hi, userId, [lo, hi]],
    );
    const convId =
      created?.id ??
      (await queryOne<{ id: string }>(this.knex, `select id from conversations where kind = 'direct' and direct_user_lo = ? and direct_user_hi = ?`, [lo, hi]))!.id;
    if (created) this.bus.publish('conversationEvent', convId, { kind: 'membership', userId });
    return this.get(userId, convId);
  }

  async createGroup(userId: string, input: { name: string; avatarUrl?: string | null; memberIds: readonly string[] }): Promise<ConversationRow> {
    const name = checkName(input.name);
    const avatarUrl = checkAvatar(input.avatarUrl);
    const members = checkUserIds('memberIds', [userId, ...input.memberIds]);
    if (members.length > MAX_GROUP_MEMBERS) throw new InvalidInputError('memberIds', `a group has at most ${MAX_GROUP_MEMBERS} members`);
    const missing = await this.missingUsers(this.knex, members);
    if (missing.length) throw new NotFoundError('User', missing[0]);
    const id = randomUUID();
    await this.knex.transaction(async (trx) => {
      await query(trx, `insert into conversations (id, kind, name, avatar_url, created_by) values (?, 'group', ?, ?, ?)`, [id, name, avatarUrl, userId]);
      await query(
        trx,
        `insert into conversation_members (conversation_id, user_id, joined_seq, last_read_seq)
         select ?, u, s.seq, s.seq from unnest(?::uuid[]) as u, (select coalesce(max(seq), 0) as seq from messages) s`,
        [id, members],
      );
    });
    this.bus.publish('conversationEvent', id, { kind: 'membership', userId });
    return this.get(userId, id);
  }

  async updateGroup(userId: string, conversationId: string, patch: { name?: string | null; avatarUrl?: string | null }): Promise<ConversationRow> {
    const c = await this.requireMember(this.knex, conversationId, userId);
    if (c.kind !== 'group') throw new InvalidInputError('conversationId', 'not a group');
    const sets: string[] = [];
    const params: unknown[] = [];
    if (patch.name != null) {
      sets.push('name = ?');
      params.push(checkName(patch.name));
    }
    if (patch.avatarUrl !== undefined) {
      sets.push('avatar_url = ?');
      params.push(checkAvatar(patch.avatarUrl));
    }
    if (sets.length) await query(this.knex, `update conversations set ${sets.join(', ')} where id = ?`, [...params, conversationId]);
    this.bus.publish('conversationEvent', conversationId, { kind: 'membership', userId });
    return this.get(userId, conversationId);
  }

  /** Adds users to a group (any member may); users already in it are left as they are. */
  async addMembers(userId: string, conversationId: string, userIds: readonly string[]): Promise<ConversationRow> {
    const c = await this.requireMember(this.knex, conversationId, userId);
    if (c.kind !== 'group') throw new InvalidInputError('conversationId', 'members of a direct conversation cannot change');
    const ids = checkUserIds('userIds', userIds);
    const missing = await this.missingUsers(this.knex, ids);
    if (missing.length) throw new NotFoundError('User', missing[0]);
    const added = await this.knex.transaction(async (trx) => {
      await query(trx, 'select id from conversations where id = ? for update', [conversationId]);
      const n = await queryOne<{ n: number }>(trx, 'select count(*)::int as n from conversation_members where conversation_id = ?', [conversationId]);
      const rows = await query<{ userId: string }>(
        trx,
        `insert into conversation_members (conversation_id, user_id, joined_seq, last_read_seq)
         select ?, u, s.seq, s.seq from unnest(?::uuid[]) as u, (select coalesce(max(seq), 0) as seq from messages) s
         on conflict do nothing returning user_id as "userId"`,
        [conversationId, ids],
      );
      if (n!.n + rows.length > MAX_GROUP_MEMBERS) throw new InvalidInputError('userIds', `a group has at most ${MAX_GROUP_MEMBERS} members`);
      return rows;
    });
    for (const r of added) this.bus.publish('conversationEvent', conversationId, { kind: 'membership', userId: r.userId });
    return this.get(userId, conversationId);
  }

  /**
   * Removes a member from a group (any member may; removing oneself leaves). From the commit on, sends must
   * no longer include the removed user's devices, and the removed user can read nothing of the group.
   * Returns true if the user was a member.
   */
  async removeMember(userId: string, conversationId: string, memberId: string): Promise<boolean> {
    const c = await this.requireMember(this.knex, conversationId, userId);
    if (c.kind !== 'group') throw new InvalidInputError('conversationId', 'members of a direct conversation cannot change');
    const row = await queryOne(this.knex, 'delete from conversation_members where conversation_id = ? and user_id = ? returning user_id', [
      conversationId,
      uuidOrNull(memberId),
    ]);
    if (!row) throw new NotFoundError('User', memberId);
    this.bus.publish('conversationEvent', conversationId, { kind: 'membership', userId: memberId });
    return true;
  }

  async setMuted(userId: string, conversationId: string, muted: boolean): Promise<ConversationRow> {
    const r = await queryOne(this.knex, 'update conversation_members set muted = ? where conversation_id = ? and user_id = ? returning muted', [
      muted,
      uuidOrNull(conversationId),
      userId,
    ]);
    if (!r) throw new NotFoundError('Conversation', conversationId);
    return this.get(userId, conversationId);
  }

  /** Default lifetime of new messages in seconds (null turns it off). Applies to messages sent afterwards. */
  async setDisappearingTimer(userId: string, conversationId: string, seconds: number | null): Promise<ConversationRow> {
    await this.requireMember(this.knex, conversationId, userId);
    if (seconds != null && (!Number.isInteger(seconds) || seconds < 1 || seconds > 365 * 86_400)) {
      throw new InvalidInputError('seconds', 'expected 1 second to 1 year, or null');
    }
    await query(this.knex, 'update conversations set disappearing_seconds = ? where id = ?', [seconds, conversationId]);
    this.bus.publish('conversationEvent', conversationId, { kind: 'membership', userId });
    return this.get(userId, conversationId);
  }

  async get(userId: string, conversationId: string): Promise<ConversationRow> {
    const row = await queryOne<ConversationRow>(this.knex, `${CONVERSATION_SELECT} where cm.user_id = ? and cm.conversation_id = ?`, [
      userId,
      uuidOrNull(conversationId),
    ]);
    if (!row) throw new NotFoundError('Conversation', conversationId);
    return row;
  }

  /**
   * The caller's conversations, most recent activity first (ties by id); the cursor is the last row's
   * (lastActivityAt, id). Activity is the newest message, or the join time for a conversation without one.
   */
  async list(userId: string, first: number, after: string | null): Promise<Page<ConversationRow>> {
    if (!Number.isInteger(first) || first < 1 || first > 100) throw new InvalidInputError('first', 'expected 1..100');
    const params: unknown[] = [userId];
    let cursorSql = '';
    if (after) {
      const [at, id] = decodeCursor(after);
      if (!uuidOrNull(id) || !/^\d{4}-\d\d-\d\d [\d:.+-]+$/.test(at)) throw new InvalidInputError('after', 'malformed cursor');
      cursorSql = `where ("lastActivityAt", id) < (?::timestamptz, ?::uuid)`;
      params.push(at, id);
    }
    params.push(first + 1);
    const rows = await query<ConversationRow>(
      this.knex,
      `select * from (${CONVERSATION_SELECT} where cm.user_id = ?) x ${cursorSql} order by "lastActivityAt" desc, id desc limit ?`,
      params,
    );
    const hasNextPage = rows.length > first;
    const items = rows.slice(0, first);
    const last = items[items.length - 1];
    return { items, hasNextPage, endCursor: last ? encodeCursor([last.activityKey, last.id]) : null };
  }

  /** The caller's conversations whose name, or a participant's username or display name, contains `term`. */
  async search(userId: string, term: string, first: number): Promise<ConversationRow[]> {
    const t = term.trim().toLowerCase();
    if (t.length < 1 || t.length > 64) throw new InvalidInputError('query', 'expected 1 to 64 characters');
    if (!Number.isInteger(first) || first < 1 || first > 100) throw new InvalidInputError('first', 'expected 1..100');
    const like = `%${t.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    return query<ConversationRow>(
      this.knex,
      `select * from (${CONVERSATION_SELECT} where cm.user_id = ?
          and (lower(c.name) like ? or exists (
                select 1 from conversation_members o join users u on u.id = o.user_id
                 where o.conversation_id = c.id and o.user_id <> cm.user_id
                   and (lower(u.username) like ? or lower(u.display_name) like ?)))) x
        order by "lastActivityAt" desc, id desc limit ?`,
      [userId, like, like, like, first],
    );
  }

  /** Participants of several conversations at once (for list pages). */
  async participants(conversationIds: readonly string[]): Promise<Map<string, ParticipantRow[]>> {
    const rows = await query<ParticipantRow>(
      this.knex,
      `select conversation_id as "conversationId", user_id as "userId", joined_at as "joinedAt", last_read_at as "lastReadAt"
         from conversation_members where conversation_id = any(?::uuid[]) order by joined_at, user_id`,
      [conversationIds],
    );
    const out = new Map<string, ParticipantRow[]>();
    for (const r of rows) {
      let l = out.get(r.conversationId);
      if (!l) out.set(r.conversationId, (l = []));
      l.push(r);
    }
    return out;
  }
}
