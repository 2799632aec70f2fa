/**
 * Blocking (docs/trust.md). The block list is the user's (one list for all their devices, with a `trustSync`
 * event to every one of them). What a block does is enforced where it matters, through the shared SQL
 * predicates of db/predicates.ts: a blocked user's envelopes for the blocker's devices are not stored (the
 * send is accepted, as Signal does), the blocked user gets no presence, typing or receipts of the blocker,
 * no one-time prekeys of the blocker's devices, and cannot add the blocker to groups.
 *
 * Reads and writes by key through MikroORM (a cold path: block lists change rarely).
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { User } from '../accounts/account.entity.js';
import { query } from '../db/sql.js';
import { blockedEither } from '../db/predicates.js';
import type { Bus } from '../events.js';
import type { AuthDevice } from '../kernel/auth.js';
import { InvalidInputError, LimitExceededError, NotFoundError } from '../kernel/errors.js';
import { uuidOrNull } from '../kernel/ids.js';
import { Block } from './block.entity.js';

/** Users one user may block (bounds the list every device syncs and the per-stream caches). */
export const MAX_BLOCKED_USERS = 10_000;

export interface BlockedUserRow {
  userId: string;
  blockedAt: Date;
}

export class BlocksService {
  constructor(
    private readonly orm: MikroORM,
    private readonly bus: Bus,
  ) {}

  /** Blocks `userId` for the caller's user (blocking twice is one block). Returns the block list. */
  async block(auth: AuthDevice, userId: string): Promise<BlockedUserRow[]> {
    const target = await this.checkTarget(auth, userId);
    const em = this.orm.em.fork();
    const existing = await em.findOne(Block, { blocker: auth.userId, blocked: target });
    if (!existing) {
      const n = await em.count(Block, { blocker: auth.userId });
      if (n >= MAX_BLOCKED_USERS) throw new LimitExceededError('userId', MAX_BLOCKED_USERS, n + 1);
      await em.upsert(Block, { blocker: auth.userId, blocked: target, createdAt: new Date() });
      this.changed(auth.userId, target, true);
    }
    return this.list(auth.userId);
  }

  /** Lifts the caller's block of `userId` (a no-op when there is none). Returns the block list. */
  async unblock(auth: AuthDevice, userId: string): Promise<BlockedUserRow[]> {
    const target = await this.checkTarget(auth, userId);
    const removed = await this.orm.em.fork().nativeDelete(Block, { blocker: auth.userId, blocked: target });
    if (removed) this.changed(auth.userId, target, false);
    return this.list(auth.userId);
  }

  /** The users `userId` blocked, oldest block first. */
  async list(userId: string): Promise<BlockedUserRow[]> {
    const rows = await this.orm.em.fork().find(Block, { blocker: userId }, { orderBy: { createdAt: 'asc', blocked: 'asc' } });
    return rows.map((b) => ({ userId: b.blocked.id, blockedAt: b.createdAt }));
  }

  /** Users in a block with `userId`, either way round: whose typing and receipts a stream of `userId` drops. */
  async relationsOf(userId: string): Promise<Set<string>> {
    const rows = await query<{ u: string }>(
      this.orm.em.getKnex(),
      `select blocked_id as u from blocks where blocker_id = ? union select blocker_id from blocks where blocked_id = ?`,
      [userId, userId],
    );
    return new Set(rows.map((r) => r.u));
  }

  /** Whether either user blocked the other. */
  async blockedEither(a: string, b: string): Promise<boolean> {
    if (!uuidOrNull(a) || !uuidOrNull(b)) return false;
    const row = await query<{ x: boolean }>(this.orm.em.getKnex(), `select ${blockedEither('?::uuid', '?::uuid')} as x`, [a, b, b, a]);
    return row[0]?.x === true;
  }

  private async checkTarget(auth: AuthDevice, userId: string): Promise<string> {
    const target = uuidOrNull(userId);
    if (!target) throw new NotFoundError('User', String(userId).slice(0, 64));
    if (target === auth.userId) throw new InvalidInputError('userId', 'a user cannot block themself');
    if (!(await this.orm.em.fork().findOne(User, { id: target }, { fields: ['id'] }))) throw new NotFoundError('User', userId);
    return target;
  }

  private changed(blocker: string, blocked: string, isBlocked: boolean): void {
    this.bus.publish('trustSync', blocker, { kind: isBlocked ? 'BLOCKED' : 'UNBLOCKED', userId: blocked });
    // both sides' open streams refresh what they filter (never sent to a client)
    this.bus.publish('blockRelationChanged', blocker, { userId: blocker });
    this.bus.publish('blockRelationChanged', blocked, { userId: blocked });
  }
}
