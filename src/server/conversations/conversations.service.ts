/**
 * Conversations: direct (exactly two users, one per ordered user pair, created race-free through a unique
 * index) and groups (named; members add and remove members). Every read and write checks that the caller
 * is a participant; a conversation the caller is not in is reported as NotFound, whether it exists or not.
 *
 * Message requests (docs/trust.md): a membership is a request (`accepted_at` null) until the member accepts
 * it. The creator's membership is accepted; so is one whose adder is already the member's contact (the
 * member accepted a conversation the adder is in: a shared group, an earlier conversation); a member
 * accepts by sending in the conversation or by answering ACCEPT. A request without visible messages is
 * left out of the member's conversation list. Nobody can add a user who blocked them.
 */
import { randomUUID } from 'node:crypto';
import type { Knex, MikroORM } from '@mikro-orm/postgresql';
import { acceptedContact, blockedBy, blockedEither, notWithheld, VISIBLE_MESSAGE } from '../db/predicates.js';
import { query, queryOne, type Sql } from '../db/sql.js';
import type { Bus } from '../events.js';
import { rowsPerKey } from '../kernel/batch.js';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../kernel/errors.js';
import { isUuid, uuidOrNull } from '../kernel/ids.js';
import { checkFirst, decodeCursor, type Page, toPage } from '../kernel/paging.js';
import { checkHttpUrl, checkText } from '../kernel/text.js';
import { Conversation, ConversationMember } from './conversation.entity.js';

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
  /** The caller's membership is a message request (not accepted yet). */
  messageRequest: boolean;
  /** lastActivityAt as PostgreSQL text (microseconds), for cursors. */
  activityKey: string;
}

export interface ParticipantRow {
  conversationId: string;
  userId: string;
  joinedAt: Date;
  lastReadAt: Date | null;
  /** The membership is accepted (not a message request). */
  accepted: boolean;
}

export const MAX_GROUP_MEMBERS = 1000;
const VISIBLE = VISIBLE_MESSAGE;

/**
 * One row per conversation of user $1 (cm = the caller's membership). Unread: others' live messages after
 * the caller's read mark; last message: the newest visible message after the caller joined. Messages
 * withheld from the caller (sent by someone the caller had blocked) count for neither.
 */
const CONVERSATION_SELECT = `
  select c.id, c.kind, c.name, c.avatar_url as "avatarUrl", c.disappearing_seconds as "disappearingSeconds",
         c.created_at as "createdAt", cm.muted, cm.last_read_at as "lastReadAt", cm.joined_at as "joinedAt",
         (cm.accepted_at is null) as "messageRequest",
         lm.created_at as "lastMessageAt",
         greatest(cm.joined_at, lm.created_at) as "lastActivityAt",
         greatest(cm.joined_at, lm.created_at)::text as "activityKey",
         (select count(*)::int from messages m
           where m.conversation_id = c.id and m.seq > greatest(cm.last_read_seq, cm.joined_seq)
             and m.sender_user_id <> cm.user_id and m.deleted_at is null and ${VISIBLE} and ${notWithheld('cm.user_id')}) as "unreadCount"
    from conversation_members cm
    join conversations c on c.id = cm.conversation_id
    left join lateral (select m.created_at from messages m
                        where m.conversation_id = c.id and m.seq > cm.joined_seq and ${VISIBLE} and ${notWithheld('cm.user_id')}
                        order by m.seq desc limit 1) lm on true`;

/** Listed conversations: accepted ones, and requests once they have a visible message. */
const LISTED = `(cm.accepted_at is not null or lm.created_at is not null)`;

/** The accepted_at of a new member `u` added by `adder` (SQL expressions): now when it needs no request. */
const acceptedAtFor = (u: string, adder: string) => `case when ${u} = ${adder} or ${acceptedContact(u, adder)} then now() end`;

function checkName(v: string): string {
  return checkText('name', v, { min: 1, max: 100 });
}

function checkUserIds(field: string, ids: readonly string[]): string[] {
  const out = [...new Set(ids.map(String))];
  for (const id of out) if (!isUuid(id)) throw new InvalidInputError(field, `unknown user ${String(id).slice(0, 40)}`);
  return out;
}

export class ConversationsService {
  private readonly knex: Knex;

  constructor(
    private readonly orm: MikroORM,
    private readonly bus: Bus,
  ) {
    this.knex = orm.em.getKnex();
  }

  /** Whether `userId` is a participant of the conversation (false for an id that is not a conversation id). */
  async isMember(conversationId: string, userId: string, db: Sql = this.knex): Promise<boolean> {
    if (!isUuid(conversationId)) return false;
    return (await query(db, 'select 1 from conversation_members where conversation_id = ? and user_id = ?', [conversationId, userId])).length > 0;
  }

  /**
   * Of `userIds`, those whose presence `viewer` may see, and `viewer` itself: users who accepted a
   * conversation the viewer is in (the viewer is their contact), with no block between them either way.
   * Presence and typing reach only accepted contacts, so a stranger's request learns nothing. Order kept.
   */
  async contactsAmong(viewer: string, userIds: readonly string[]): Promise<string[]> {
    const candidates = [...new Set(userIds.filter((u) => u !== viewer && isUuid(u)))];
    const rows = candidates.length
      ? await query<{ userId: string }>(
          this.knex,
          `select distinct o.user_id as "userId"
             from conversation_members v
             join conversation_members o on o.conversation_id = v.conversation_id
            where v.user_id = ? and o.user_id = any(?::uuid[]) and o.accepted_at is not null
              and not ${blockedEither('o.user_id', 'v.user_id')}`,
          [viewer, candidates],
        )
      : [];
    const visible = new Set(rows.map((r) => r.userId));
    visible.add(viewer);
    return userIds.filter((u) => visible.has(u));
  }

  /** Throws NotFound unless `userId` is a participant; the one authorization check of every operation. */
  async requireMember(
    conversationId: string,
    userId: string,
    db: Sql = this.knex,
  ): Promise<{ kind: ConversationKind; disappearingSeconds: number | null; accepted: boolean }> {
    const row = await queryOne<{ kind: ConversationKind; disappearingSeconds: number | null; accepted: boolean }>(
      db,
      `select c.kind, c.disappearing_seconds as "disappearingSeconds", cm.accepted_at is not null as accepted from conversation_members cm
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

  /** Refuses to add to a group any user who blocked the adder (the only refusal that names a block). */
  private async refuseBlockers(db: Sql, adder: string, ids: string[]): Promise<void> {
    const rows = await query<{ u: string }>(db, `select u from unnest(?::uuid[]) as u where ${blockedBy('u', '?::uuid')}`, [ids, adder]);
    if (rows.length) throw new ForbiddenError(`user ${rows[0].u} cannot be added to a group by this user`);
  }

  /** The direct conversation of the caller and `otherUserId`, created if missing (race-free). */
  async createDirect(userId: string, otherUserId: string): Promise<ConversationRow> {
    const other = uuidOrNull(otherUserId);
    if (!other || other === userId) throw new InvalidInputError('userId', 'expected another user');
    if ((await this.missingUsers(this.knex, [other])).length) throw new NotFoundError('User', otherUserId);
    const [lo, hi] = userId < other ? [userId, other] : [other, userId];
    const id = randomUUID();
    // the other user's membership is a message request unless the caller is already their contact
    const created = await queryOne<{ id: string }>(
      this.knex,
      `with c as (
         insert into conversations (id, kind, direct_user_lo, direct_user_hi, created_by)
         values (?, 'direct', ?, ?, ?)
         on conflict (direct_user_lo, direct_user_hi) where kind = 'direct' do nothing
         returning id, created_by),
       s as (select coalesce(max(seq), 0) as seq from messages)
       insert into conversation_members (conversation_id, user_id, joined_seq, last_read_seq, accepted_at, added_by)
       select c.id, u, s.seq, s.seq, ${acceptedAtFor('u', 'c.created_by')}, case when u <> c.created_by then c.created_by end
         from c, s, unnest(?::uuid[]) as u
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
    const avatarUrl = checkHttpUrl('avatarUrl', input.avatarUrl);
    const members = checkUserIds('memberIds', [userId, ...input.memberIds]);
    if (members.length > MAX_GROUP_MEMBERS) throw new InvalidInputError('memberIds', `a group has at most ${MAX_GROUP_MEMBERS} members`);
    const missing = await this.missingUsers(this.knex, members);
    if (missing.length) throw new NotFoundError('User', missing[0]);
    await this.refuseBlockers(this.knex, userId, members);
    const id = randomUUID();
    await this.knex.transaction(async (trx) => {
      await query(trx, `insert into conversations (id, kind, name, avatar_url, created_by) values (?, 'group', ?, ?, ?)`, [id, name, avatarUrl, userId]);
      await this.insertMembers(trx, id, userId, members);
    });
    this.bus.publish('conversationEvent', id, { kind: 'membership', userId });
    return this.get(userId, id);
  }

  async updateGroup(userId: string, conversationId: string, patch: { name?: string | null; avatarUrl?: string | null }): Promise<ConversationRow> {
    const c = await this.requireMember(conversationId, userId);
    if (c.kind !== 'group') throw new InvalidInputError('conversationId', 'not a group');
    const name = patch.name != null ? checkName(patch.name) : undefined;
    const avatarUrl = patch.avatarUrl !== undefined ? checkHttpUrl('avatarUrl', patch.avatarUrl) : undefined;
    const em = this.orm.em.fork();
    const conv = await em.findOneOrFail(Conversation, { id: conversationId });
    if (name !== undefined) conv.name = name;
    if (avatarUrl !== undefined) conv.avatarUrl = avatarUrl;
    await em.flush();
    this.bus.publish('conversationEvent', conversationId, { kind: 'membership', userId });
    return this.get(userId, conversationId);
  }

  /** Adds users to a group (any member may); users already in it are left as they are. */
  async addMembers(userId: string, conversationId: string, userIds: readonly string[]): Promise<ConversationRow> {
    const c = await this.requireMember(conversationId, userId);
    if (c.kind !== 'group') throw new InvalidInputError('conversationId', 'members of a direct conversation cannot change');
    const ids = checkUserIds('userIds', userIds);
    const missing = await this.missingUsers(this.knex, ids);
    if (missing.length) throw new NotFoundError('User', missing[0]);
    await this.refuseBlockers(this.knex, userId, ids);
    const added = await this.knex.transaction(async (trx) => {
      await query(trx, 'select id from conversations where id = ? for update', [conversationId]);
      const n = await queryOne<{ n: number }>(trx, 'select count(*)::int as n from conversation_members where conversation_id = ?', [conversationId]);
      const rows = await this.insertMembers(trx, conversationId, userId, ids);
      if (n!.n + rows.length > MAX_GROUP_MEMBERS) throw new InvalidInputError('userIds', `a group has at most ${MAX_GROUP_MEMBERS} members`);
      return rows;
    });
    for (const r of added) this.bus.publish('conversationEvent', conversationId, { kind: 'membership', userId: r.userId });
    return this.get(userId, conversationId);
  }

  /**
   * Adds `ids` to a conversation on behalf of `adder` (users already in it are left as they are). Each new
   * membership is accepted when it is the adder's own or the adder is already the member's contact, else
   * it is a message request.
   */
  private insertMembers(db: Sql, conversationId: string, adder: string, ids: string[]): Promise<{ userId: string }[]> {
    return query<{ userId: string }>(
      db,
      `with a as (select ?::uuid as adder, coalesce((select max(seq) from messages), 0) as seq)
       insert into conversation_members (conversation_id, user_id, joined_seq, last_read_seq, accepted_at, added_by)
       select ?, u, a.seq, a.seq, ${acceptedAtFor('u', 'a.adder')}, case when u <> a.adder then a.adder end
         from unnest(?::uuid[]) as u, a
       on conflict do nothing returning user_id as "userId"`,
      [adder, conversationId, ids],
    );
  }

  /**
   * Accepts the caller's membership (answers a message request with ACCEPT; accepting twice changes
   * nothing). Returns whether it was a request until now.
   */
  async accept(userId: string, conversationId: string): Promise<boolean> {
    await this.requireMember(conversationId, userId);
    const row = await queryOne(
      this.knex,
      'update conversation_members set accepted_at = now() where conversation_id = ? and user_id = ? and accepted_at is null returning user_id',
      [conversationId, userId],
    );
    return Boolean(row);
  }

  /**
   * Empties the conversation for the caller (a DELETE answer): its history and unread count start after
   * the newest message, so a message request without new messages drops out of the list. The membership
   * itself stays what it was (a direct conversation's members never change); a later message brings it back.
   */
  async clearHistory(userId: string, conversationId: string): Promise<void> {
    await this.requireMember(conversationId, userId);
    await query(
      this.knex,
      `update conversation_members set joined_seq = s.seq, last_read_seq = greatest(last_read_seq, s.seq)
         from (select coalesce(max(seq), 0) as seq from messages) s
        where conversation_id = ? and user_id = ?`,
      [conversationId, userId],
    );
  }

  /** Who added `userId` to the conversation (null for its creator, or when unknown). */
  async addedBy(userId: string, conversationId: string): Promise<string | null> {
    const row = await queryOne<{ addedBy: string | null }>(
      this.knex,
      'select added_by as "addedBy" from conversation_members where conversation_id = ? and user_id = ?',
      [uuidOrNull(conversationId), userId],
    );
    return row?.addedBy ?? null;
  }

  /** The other participant of a direct conversation the caller is in (null for a group). */
  async directPeer(userId: string, conversationId: string): Promise<string | null> {
    const c = await this.requireMember(conversationId, userId);
    if (c.kind !== 'direct') return null;
    const row = await queryOne<{ u: string }>(this.knex, 'select user_id as u from conversation_members where conversation_id = ? and user_id <> ?', [
      conversationId,
      userId,
    ]);
    return row?.u ?? null;
  }

  /**
   * Removes a member from a group (any member may; removing oneself leaves). From the commit on, sends must
   * no longer include the removed user's devices, and the removed user can read nothing of the group.
   * Returns true if the user was a member.
   */
  async removeMember(userId: string, conversationId: string, memberId: string): Promise<boolean> {
    const c = await this.requireMember(conversationId, userId);
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
    const em = this.orm.em.fork();
    const member = isUuid(conversationId) ? await em.findOne(ConversationMember, { conversation: conversationId, user: userId }) : null;
    if (!member) throw new NotFoundError('Conversation', conversationId);
    member.muted = muted;
    await em.flush();
    return this.get(userId, conversationId);
  }

  /** Default lifetime of new messages in seconds (null turns it off). Applies to messages sent afterwards. */
  async setDisappearingTimer(userId: string, conversationId: string, seconds: number | null): Promise<ConversationRow> {
    await this.requireMember(conversationId, userId);
    if (seconds != null && (!Number.isInteger(seconds) || seconds < 1 || seconds > 365 * 86_400)) {
      throw new InvalidInputError('seconds', 'expected 1 second to 1 year, or null');
    }
    const em = this.orm.em.fork();
    const conv = await em.findOneOrFail(Conversation, { id: conversationId });
    conv.disappearingSeconds = seconds;
    await em.flush();
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
    checkFirst(first, 100);
    const params: unknown[] = [userId];
    let cursorSql = '';
    if (after) {
      const [at, id] = decodeCursor(after, ['timestamp', 'uuid']);
      cursorSql = `where ("lastActivityAt", id) < (?::timestamptz, ?::uuid)`;
      params.push(at, id);
    }
    params.push(first + 1);
    const rows = await query<ConversationRow>(
      this.knex,
      `select * from (${CONVERSATION_SELECT} where cm.user_id = ? and ${LISTED}) x ${cursorSql} order by "lastActivityAt" desc, id desc limit ?`,
      params,
    );
    return toPage(rows, first, (last) => [last.activityKey, last.id]);
  }

  /** The caller's conversations whose name, or a participant's username or display name, contains `term`. */
  async search(userId: string, term: string, first: number): Promise<ConversationRow[]> {
    const t = checkText('query', term, { min: 1, max: 64 }).toLowerCase();
    checkFirst(first, 100);
    const like = `%${t.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    return query<ConversationRow>(
      this.knex,
      `select * from (${CONVERSATION_SELECT} where cm.user_id = ? and ${LISTED}
          and (lower(c.name) like ? or exists (
                select 1 from conversation_members o join users u on u.id = o.user_id
                 where o.conversation_id = c.id and o.user_id <> cm.user_id
                   and (lower(u.username) like ? or lower(u.display_name) like ?)))) x
        order by "lastActivityAt" desc, id desc limit ?`,
      [userId, like, like, like, first],
    );
  }

  /** Participants of each conversation, in join order: the batch behind the per-request participants loader. */
  async participantsOf(conversationIds: readonly string[]): Promise<ParticipantRow[][]> {
    const valid = [...new Set(conversationIds.filter(isUuid))];
    const rows = valid.length
      ? await this.orm.em.fork().find(ConversationMember, { conversation: { $in: valid } }, { orderBy: { joinedAt: 'asc', user: 'asc' } })
      : [];
    const participants: ParticipantRow[] = rows.map((m) => ({
      conversationId: m.conversation.id,
      userId: m.user.id,
      joinedAt: m.joinedAt,
      lastReadAt: m.lastReadAt ?? null,
      accepted: m.acceptedAt != null,
    }));
    return rowsPerKey(conversationIds, participants, (p) => p.conversationId);
  }
}
