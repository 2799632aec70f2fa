/**
 * Calls in a conversation: history (calls + call_participants) and the state machine; signaling is relayed
 * as live events only (never stored).
 *
 * Call status: RINGING -> ONGOING (someone accepted) -> COMPLETED (fewer than two joined remain);
 * RINGING -> DECLINED (every callee declined), CANCELLED (the caller hung up), MISSED (nobody answered
 * within CALL_RING_TIMEOUT_SECONDS; set by CallSweeper, or at once by an accept that comes too late).
 * Participant state: the caller starts JOINED, everyone else RINGING; then JOINED / DECLINED / LEFT / MISSED.
 *
 * Every transition runs in one transaction that locks the call row (SELECT ... FOR UPDATE), so concurrent
 * accepts, declines, hang-ups and the ring-timeout sweep (an UPDATE ... WHERE status = 'RINGING') serialize
 * on it; events are published after commit to every participant (topic callEvent, per user).
 */
import { randomUUID } from 'node:crypto';
import type { Knex, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import { blockedBy } from '../db/predicates.js';
import { query, queryOne, type Sql } from '../db/sql.js';
import type { Bus, CallEventKind } from '../events.js';
import type { AuthDevice } from '../kernel/auth.js';
import { rowsPerKey } from '../kernel/batch.js';
import { base64Of } from '../kernel/bytes.js';
import { InvalidInputError, NotFoundError } from '../kernel/errors.js';
import { isUuid, uuidOrNull } from '../kernel/ids.js';
import { checkFirst, decodeCursor, type Page, toPage } from '../kernel/paging.js';
import { CallParticipant } from './call.entity.js';
import { type CallAction, CallSignalTargetError, type CallStatus, IllegalCallTransitionError } from './calls.errors.js';

export const CALL_MEDIA = ['AUDIO', 'VIDEO'] as const;
export type CallMedia = (typeof CALL_MEDIA)[number];
export const PARTICIPANT_STATES = ['RINGING', 'JOINED', 'DECLINED', 'LEFT', 'MISSED'] as const;
export type ParticipantState = (typeof PARTICIPANT_STATES)[number];
export const CALL_EVENT_KINDS = ['RINGING', 'ACCEPTED', 'DECLINED', 'LEFT', 'ENDED', 'MISSED', 'CANCELLED'] as const satisfies readonly CallEventKind[];
export type { CallEventKind };
/** Signal ciphertext message types: 2 = whisper (SignalMessage), 3 = prekey (PreKeySignalMessage). */
export const SIGNAL_TYPES = [2, 3] as const;

export type CallsConfig = Pick<Config, 'callRingTimeoutSeconds' | 'maxEnvelopeBytes' | 'maxEnvelopesPerSend'>;

export interface CallRow {
  id: string;
  conversationId: string;
  callerUserId: string;
  callerDeviceUuid: string;
  media: CallMedia;
  status: CallStatus;
  startedAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
  /** Seconds from the first answer to the end; null unless the call was answered and has ended. */
  durationSeconds: number | null;
}

/** A call as one participant sees it. */
export interface CallView extends CallRow {
  viewerUserId: string;
  viewerState: ParticipantState;
  /** started_at as PostgreSQL text (microseconds), for cursors. */
  startedKey: string;
}

export interface CallParticipantRow {
  callId: string;
  userId: string;
  state: ParticipantState;
  deviceUuid: string | null;
  joinedAt: Date | null;
  leftAt: Date | null;
}

export interface CallSignalInput {
  /** Device.id (uuid) of the target device. */
  deviceId: string;
  type: number;
  ciphertext: Uint8Array;
}

const CALL_COLS = `c.id, c.conversation_id as "conversationId", c.caller_user_id as "callerUserId", c.caller_device_uuid as "callerDeviceUuid",
  c.media, c.status, c.started_at as "startedAt", c.answered_at as "answeredAt", c.ended_at as "endedAt",
  case when c.answered_at is not null and c.ended_at is not null then floor(extract(epoch from c.ended_at - c.answered_at))::int end as "durationSeconds"`;

const VIEW_SELECT = `select ${CALL_COLS}, me.user_id as "viewerUserId", me.state as "viewerState", me.started_at::text as "startedKey"
  from call_participants me join calls c on c.id = me.call_id`;

/**
 * Marks overdue ringing calls missed (at most `limit`, optionally one call): callees still ringing become
 * MISSED, joined ones (the caller) LEFT. Returns the call ids. Safe across instances: the row locks and the
 * status recheck make a call go RINGING -> MISSED once, and never after an accept committed.
 */
function missOverdueSql(oneCall: boolean): string {
  return `with c as (
      update calls set status = 'MISSED', ended_at = now()
       where id in (select id from calls
                     where status = 'RINGING' and started_at <= now() - ?::int * interval '1 second' ${oneCall ? 'and id = ?' : ''}
                     order by started_at limit ? for update skip locked)
       returning id),
    p as (
      update call_participants cp set state = case when cp.state = 'RINGING' then 'MISSED' else 'LEFT' end, left_at = now()
        from c where cp.call_id = c.id and cp.state in ('RINGING', 'JOINED')
      returning cp.call_id)
    select c.id, (select count(*) from p)::int as n from c`;
}

export class CallsService {
  private readonly knex: Knex;

  constructor(
    private readonly orm: MikroORM,
    private readonly bus: Bus,
    private readonly conversations: ConversationsService,
    private readonly config: CallsConfig,
  ) {
    this.knex = orm.em.getKnex();
  }

  /**
   * Told after a new call's RINGING events with the callee devices (set by createServices: the push notifier's
   * notifyCall per device). Must return at once and never throw.
   */
  onRinging?: (callId: string, deviceUuids: string[]) => void;

  /** Starts a call in a conversation the caller is in: every other member's devices ring. */
  async start(auth: AuthDevice, conversationId: string, media: CallMedia): Promise<CallView> {
    if (!CALL_MEDIA.includes(media)) throw new InvalidInputError('media', `expected one of ${CALL_MEDIA.join(', ')}`);
    await this.conversations.requireMember(conversationId, auth.userId);
    const id = randomUUID();
    // one statement: the call (only if anybody else is in the conversation), its participants, and the devices to
    // wake. Members who blocked the caller, or have not accepted the conversation (a message request), are not
    // rung and never hear of the call: to the caller it rings unanswered until it is missed (docs/trust.md)
    const users = await query<{ userId: string; devices: string[] }>(
      this.knex,
      `with c as (
         insert into calls (id, conversation_id, caller_user_id, caller_device_uuid, media, status)
         select ?, ?, ?, ?, ?, 'RINGING'
          where exists (select 1 from conversation_members where conversation_id = ? and user_id <> ?)
         returning *),
       p as (
         insert into call_participants (call_id, user_id, state, started_at, device_uuid, joined_at)
         select c.id, cm.user_id, case when cm.user_id = c.caller_user_id then 'JOINED' else 'RINGING' end, c.started_at,
                case when cm.user_id = c.caller_user_id then c.caller_device_uuid end,
                case when cm.user_id = c.caller_user_id then c.started_at end
           from c join conversation_members cm on cm.conversation_id = c.conversation_id
          where cm.user_id = c.caller_user_id or (cm.accepted_at is not null and not ${blockedBy('cm.user_id', 'c.caller_user_id')})
         returning user_id)
       select p.user_id as "userId", coalesce(array_agg(d.id) filter (where d.id is not null), '{}') as devices
         from p left join devices d on d.user_id = p.user_id
        group by p.user_id`,
      [id, conversationId, auth.userId, auth.deviceUuid, media, conversationId, auth.userId],
    );
    // a conversation with nobody else in it (e.g. a group everyone else left): nothing to ring, nothing stored
    if (users.length === 0) throw new InvalidInputError('conversationId', 'nobody else is in this conversation');
    this.publish(
      id,
      users.map((u) => u.userId),
      'RINGING',
      auth.userId,
    );
    const callees = users.filter((u) => u.userId !== auth.userId).flatMap((u) => u.devices);
    if (callees.length) this.onRinging?.(id, callees);
    return this.get(auth.userId, id);
  }

  accept(auth: AuthDevice, callId: string): Promise<CallView> {
    return this.transition(auth, callId, 'ACCEPT', async (trx, call, me) => {
      if (call.status !== 'RINGING' && call.status !== 'ONGOING') throw illegal(call, me, 'ACCEPT', 'the call has ended');
      if (me === 'JOINED') throw illegal(call, me, 'ACCEPT', call.callerUserId === auth.userId && call.status === 'RINGING' ? 'it is your own call' : 'you already joined it');
      // a call in progress (a group call) can be joined late, also after declining, missing or leaving it
      if (call.status === 'RINGING' && me !== 'RINGING') throw illegal(call, me, 'ACCEPT', 'you declined it');
      await query(
        trx,
        `update call_participants set state = 'JOINED', device_uuid = ?, joined_at = now(), left_at = null where call_id = ? and user_id = ?`,
        [auth.deviceUuid, callId, auth.userId],
      );
      if (call.status === 'RINGING') await query(trx, `update calls set status = 'ONGOING', answered_at = now() where id = ?`, [callId]);
      return 'ACCEPTED';
    });
  }

  decline(auth: AuthDevice, callId: string): Promise<CallView> {
    return this.transition(auth, callId, 'DECLINE', async (trx, call, me) => {
      if (call.status !== 'RINGING' && call.status !== 'ONGOING') throw illegal(call, me, 'DECLINE', 'the call has ended');
      if (call.callerUserId === auth.userId) throw illegal(call, me, 'DECLINE', 'it is your own call (cancel it instead)');
      if (me !== 'RINGING') throw illegal(call, me, 'DECLINE', 'it is not ringing for you');
      await query(trx, `update call_participants set state = 'DECLINED', left_at = now() where call_id = ? and user_id = ?`, [callId, auth.userId]);
      if (call.status === 'RINGING') {
        // the last callee to decline a call nobody answered ends it
        const ended = await query(
          trx,
          `update calls set status = 'DECLINED', ended_at = now()
            where id = ? and not exists (select 1 from call_participants where call_id = ? and state = 'RINGING')
           returning id`,
          [callId, callId],
        );
        if (ended.length) await query(trx, `update call_participants set state = 'LEFT', left_at = now() where call_id = ? and state = 'JOINED'`, [callId]);
      }
      return 'DECLINED';
    });
  }

  /** The caller hangs up before anyone answered. */
  cancel(auth: AuthDevice, callId: string): Promise<CallView> {
    return this.transition(auth, callId, 'CANCEL', async (trx, call, me) => {
      if (call.callerUserId !== auth.userId) throw illegal(call, me, 'CANCEL', 'only the caller can cancel');
      if (call.status !== 'RINGING') throw illegal(call, me, 'CANCEL', 'only a ringing call can be cancelled');
      await this.cancelIn(trx, callId);
      return 'CANCELLED';
    });
  }

  /**
   * Hang up: a joined participant leaves. The call is COMPLETED when fewer than two joined remain (a 1:1
   * call ends when either side hangs up). The caller hanging up a call still ringing cancels it.
   */
  end(auth: AuthDevice, callId: string): Promise<CallView> {
    return this.transition(auth, callId, 'END', async (trx, call, me) => {
      if (call.status !== 'RINGING' && call.status !== 'ONGOING') throw illegal(call, me, 'END', 'the call has already ended');
      if (me !== 'JOINED') throw illegal(call, me, 'END', 'you are not in the call');
      if (call.status === 'RINGING') {
        await this.cancelIn(trx, callId);
        return 'CANCELLED';
      }
      await query(trx, `update call_participants set state = 'LEFT', left_at = now() where call_id = ? and user_id = ?`, [callId, auth.userId]);
      const ended = await query(
        trx,
        `update calls set status = 'COMPLETED', ended_at = now()
          where id = ? and (select count(*) from call_participants where call_id = ? and state = 'JOINED') < 2
         returning id`,
        [callId, callId],
      );
      if (!ended.length) return 'LEFT';
      await query(
        trx,
        `update call_participants set state = case when state = 'RINGING' then 'MISSED' else 'LEFT' end, left_at = now()
          where call_id = ? and state in ('RINGING', 'JOINED')`,
        [callId],
      );
      return 'ENDED';
    });
  }

  private async cancelIn(trx: Sql, callId: string): Promise<void> {
    await query(trx, `update calls set status = 'CANCELLED', ended_at = now() where id = ?`, [callId]);
    await query(
      trx,
      `update call_participants set state = case when state = 'RINGING' then 'MISSED' else 'LEFT' end, left_at = now()
        where call_id = ? and state in ('RINGING', 'JOINED')`,
      [callId],
    );
  }

  /**
   * Locks the call, checks the caller is a participant (else NotFound, as for a call that does not exist),
   * applies `fn`, commits, publishes. A ringing call past its timeout is first marked missed (committed),
   * then the action is refused from MISSED.
   */
  private async transition(
    auth: AuthDevice,
    callId: string,
    action: CallAction,
    fn: (trx: Knex.Transaction, call: CallRow, me: ParticipantState) => Promise<CallEventKind>,
  ): Promise<CallView> {
    const id = uuidOrNull(callId);
    if (!id) throw new NotFoundError('Call', callId);
    const outcome = await this.knex.transaction(async (trx) => {
      const call = await queryOne<CallRow & { overdue: boolean; me: ParticipantState | null; member: boolean }>(
        trx,
        `select ${CALL_COLS}, c.status = 'RINGING' and c.started_at <= now() - ?::int * interval '1 second' as overdue,
                (select state from call_participants where call_id = c.id and user_id = ?) as me,
                exists (select 1 from conversation_members cm where cm.conversation_id = c.conversation_id and cm.user_id = ?) as member
           from calls c where c.id = ? for update`,
        [this.config.callRingTimeoutSeconds, auth.userId, auth.userId, id],
      );
      // re-checked on every operation: someone removed from the conversation is out of its calls too
      if (!call?.me || !call.member) throw new NotFoundError('Call', callId);
      if (call.overdue) {
        await query(trx, missOverdueSql(true), [this.config.callRingTimeoutSeconds, id, 1]);
        return { kind: 'MISSED' as const, refused: illegal({ status: 'MISSED' }, call.me === 'RINGING' ? 'MISSED' : 'LEFT', action, 'nobody answered in time') };
      }
      return { kind: await fn(trx, call, call.me), refused: null };
    });
    // only participants who are still members of the conversation hear about it
    const users = await query<{ userId: string }>(
      this.knex,
      `select cp.user_id as "userId" from call_participants cp join calls c on c.id = cp.call_id
         join conversation_members cm on cm.conversation_id = c.conversation_id and cm.user_id = cp.user_id
        where cp.call_id = ?`,
      [id],
    );
    this.publish(
      id,
      users.map((u) => u.userId),
      outcome.kind,
      outcome.kind === 'MISSED' ? null : auth.userId,
    );
    if (outcome.refused) throw outcome.refused;
    return this.get(auth.userId, id);
  }

  private publish(callId: string, userIds: string[], kind: CallEventKind, actorUserId: string | null): void {
    for (const u of userIds) this.bus.publish('callEvent', u, { callId, kind, actorUserId });
  }

  /**
   * Marks overdue ringing calls missed, in batches, and members of answered group calls who are still ringing
   * past the timeout; publishes MISSED to the users concerned. Returns the ids of the calls marked missed.
   */
  async sweepMissed(batchSize = 500): Promise<string[]> {
    const ids: string[] = [];
    for (;;) {
      const rows = await query<{ id: string }>(this.knex, missOverdueSql(false), [this.config.callRingTimeoutSeconds, batchSize]);
      ids.push(...rows.map((r) => r.id));
      if (rows.length < batchSize) break;
    }
    const events: { callId: string; userId: string }[] = ids.length
      ? await query<{ callId: string; userId: string }>(
          this.knex,
          'select call_id as "callId", user_id as "userId" from call_participants where call_id = any(?::uuid[])',
          [ids],
        )
      : [];
    // group calls answered by someone: members still ringing past the timeout missed it (the call goes on)
    for (;;) {
      const rows = await query<{ callId: string; userId: string }>(
        this.knex,
        `update call_participants cp set state = 'MISSED', left_at = now()
          where (cp.call_id, cp.user_id) in (
                  select p.call_id, p.user_id from call_participants p join calls c on c.id = p.call_id
                   where p.state = 'RINGING' and c.status = 'ONGOING' and p.started_at <= now() - ?::int * interval '1 second'
                   limit ? for update of p skip locked)
         returning cp.call_id as "callId", cp.user_id as "userId"`,
        [this.config.callRingTimeoutSeconds, batchSize],
      );
      events.push(...rows);
      if (rows.length < batchSize) break;
    }
    for (const e of events) this.bus.publish('callEvent', e.userId, { callId: e.callId, kind: 'MISSED', actorUserId: null });
    return ids;
  }

  /** A call as `userId` sees it; NotFound unless `userId` is a participant. */
  async get(userId: string, callId: string): Promise<CallView> {
    const row = await queryOne<CallView>(this.knex, `${VIEW_SELECT} where me.user_id = ? and me.call_id = ?`, [userId, uuidOrNull(callId)]);
    if (!row) throw new NotFoundError('Call', callId);
    return row;
  }

  /** The user's calls (as caller or callee), newest first; the cursor is the last row's (startedAt, id). */
  async history(userId: string, first: number, after: string | null): Promise<Page<CallView>> {
    checkFirst(first, 100);
    const params: unknown[] = [userId];
    let cursorSql = '';
    if (after) {
      // keyset paging on the microsecond start time (hand-written: a JS Date would cut it to milliseconds)
      const [at, id] = decodeCursor(after, ['timestamp', 'uuid']);
      cursorSql = 'and (me.started_at, me.call_id) < (?::timestamptz, ?::uuid)';
      params.push(at, id);
    }
    params.push(first + 1);
    const rows = await query<CallView>(
      this.knex,
      `${VIEW_SELECT} where me.user_id = ? ${cursorSql} order by me.started_at desc, me.call_id desc limit ?`,
      params,
    );
    return toPage(rows, first, (last) => [last.startedKey, last.id]);
  }

  /** Participants of each call, joined first: the batch behind the per-request call-participants loader. */
  async participantsOf(callIds: readonly string[]): Promise<CallParticipantRow[][]> {
    const valid = [...new Set(callIds.filter(isUuid))];
    const rows = valid.length
      ? await this.orm.em.fork().find(CallParticipant, { call: { $in: valid } }, { orderBy: { joinedAt: 'asc nulls last', user: 'asc' } })
      : [];
    const participants: CallParticipantRow[] = rows.map((p) => ({
      callId: p.call.id,
      userId: p.user.id,
      state: p.state as ParticipantState,
      deviceUuid: p.deviceUuid ?? null,
      joinedAt: p.joinedAt ?? null,
      leftAt: p.leftAt ?? null,
    }));
    return rowsPerKey(callIds, participants, (p) => p.callId);
  }

  /**
   * Relays encrypted signaling payloads (offer, answer, ICE candidates, hangup: opaque to the server) to
   * devices of the call's participants, as live events only. The sender must be a participant still ringing
   * or joined, the call active, every target a device of a participant (not the sending device). All or
   * nothing. Returns the number of payloads relayed. Devices that are offline miss them: nothing is stored.
   */
  async sendSignal(auth: AuthDevice, callId: string, envelopes: CallSignalInput[]): Promise<number> {
    const id = uuidOrNull(callId);
    if (!id) throw new NotFoundError('Call', callId);
    if (envelopes.length < 1 || envelopes.length > this.config.maxEnvelopesPerSend) {
      throw new InvalidInputError('envelopes', `expected 1..${this.config.maxEnvelopesPerSend}`);
    }
    const seen = new Set<string>();
    envelopes.forEach((e, i) => {
      if (!e.ciphertext.length || e.ciphertext.length > this.config.maxEnvelopeBytes) {
        throw new InvalidInputError(`envelopes[${i}].ciphertext`, `expected 1..${this.config.maxEnvelopeBytes} bytes`);
      }
      if (!(SIGNAL_TYPES as readonly number[]).includes(e.type)) throw new InvalidInputError(`envelopes[${i}].type`, 'expected 2 (whisper) or 3 (prekey)');
      if (seen.has(e.deviceId)) throw new InvalidInputError(`envelopes[${i}].deviceId`, 'device listed twice');
      seen.add(e.deviceId);
    });
    const targets = [...seen];
    // the sender and every target must still be members of the conversation (checked on every signal)
    const row = await queryOne<CallRow & { me: ParticipantState | null; allowed: string[] }>(
      this.knex,
      `select ${CALL_COLS},
              (select cp.state from call_participants cp
                 join conversation_members cm on cm.conversation_id = c.conversation_id and cm.user_id = cp.user_id
                where cp.call_id = c.id and cp.user_id = ?) as me,
              coalesce((select json_agg(d.id) from devices d
                          join call_participants cp on cp.call_id = c.id and cp.user_id = d.user_id and cp.state in ('RINGING', 'JOINED')
                          join conversation_members cm on cm.conversation_id = c.conversation_id and cm.user_id = cp.user_id
                         where d.id = any(?::uuid[]) and d.id <> ?), '[]') as allowed
         from calls c where c.id = ?`,
      [auth.userId, targets.filter((t) => uuidOrNull(t)), auth.deviceUuid, id],
    );
    if (!row?.me) throw new NotFoundError('Call', callId);
    if (row.status !== 'RINGING' && row.status !== 'ONGOING') throw illegal(row, row.me, 'SIGNAL', 'the call has ended');
    if (row.me !== 'RINGING' && row.me !== 'JOINED') throw illegal(row, row.me, 'SIGNAL', 'you left the call');
    const allowed = new Set(row.allowed);
    const refused = targets.filter((t) => !allowed.has(t));
    if (refused.length) throw new CallSignalTargetError(refused);
    for (const e of envelopes) {
      this.bus.publish('callSignal', e.deviceId, {
        callId: id,
        fromUserId: auth.userId,
        fromDeviceUuid: auth.deviceUuid,
        fromDeviceId: auth.deviceId,
        type: e.type,
        ciphertext: base64Of(e.ciphertext),
      });
    }
    return envelopes.length;
  }
}

function illegal(call: Pick<CallRow, 'status'>, me: ParticipantState | null, action: CallAction, reason: string): IllegalCallTransitionError {
  return new IllegalCallTransitionError(call.status, action, me, reason);
}
