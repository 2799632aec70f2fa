/**
 * Looking users up without exposing the directory (docs/trust.md). Anyone finds a user by exact username
 * (case-insensitive), unless the user turned discoverability off: then only the user's contacts do (users
 * in a conversation the user accepted). Substring search runs only over the caller's own contacts, so
 * nobody can page through every user. Exact lookups are rate limited per device (a bucket of
 * LOOKUP_BURST, one more every LOOKUP_REFILL_SECONDS), which bounds guessing usernames.
 *
 * Contacts of a user: the other members of the conversations the user accepted, less the users they
 * blocked. Hand-written SQL for keyset paging over a set driven from the caller's memberships.
 */
import type { Knex } from '@mikro-orm/postgresql';
import { USER_COLS, type UserRow } from '../accounts/accounts.service.js';
import { acceptedContact, blockedBy } from '../db/predicates.js';
import { query, queryOne } from '../db/sql.js';
import type { Bus } from '../events.js';
import type { AuthDevice } from '../kernel/auth.js';
import { checkFirst, decodeCursor, type Page, toPage } from '../kernel/paging.js';
import { checkText } from '../kernel/text.js';
import { budget, type RateLimiter } from '../ratelimit/index.js';

export const LOOKUP_BURST = 20;
export const LOOKUP_REFILL_SECONDS = 3;
export const MAX_CONTACTS_PAGE = 100;
const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;

/** The caller's contacts (`?` = the caller): members of conversations the caller accepted, not blocked by the caller. */
const CONTACTS = `id in (select o.user_id from conversation_members me join conversation_members o on o.conversation_id = me.conversation_id
                          where me.user_id = ?::uuid and me.accepted_at is not null and o.user_id <> me.user_id)
                  and not ${blockedBy('?::uuid', 'users.id')}`;

export class DirectoryService {
  private readonly lookupBudget = budget(LOOKUP_BURST, LOOKUP_REFILL_SECONDS);

  constructor(
    private readonly knex: Knex,
    private readonly limiter: RateLimiter,
    private readonly bus: Bus,
  ) {}

  /** The user with exactly this username (case-insensitive), or null (also for a non-discoverable stranger). */
  async userByUsername(auth: AuthDevice, username: string): Promise<UserRow | null> {
    const name = checkText('username', username, { min: 1, max: 64 });
    await this.limiter.take(`user-lookup:${auth.deviceUuid}`, this.lookupBudget, 1, 'username lookups');
    if (!USERNAME.test(name)) return null;
    const row = await queryOne<UserRow>(
      this.knex,
      `select ${USER_COLS} from users
        where lower(username) = lower(?) and (discoverable or id = ?::uuid or ${acceptedContact('users.id', '?::uuid')})`,
      [name, auth.userId, auth.userId],
    );
    return row ?? null;
  }

  /** The caller's contacts, by username (cursor: the last row's lower(username) and id). */
  contacts(auth: AuthDevice, first: number, after: string | null): Promise<Page<UserRow>> {
    return this.page(auth, null, first, after);
  }

  /** The caller's contacts whose username starts with, or display name contains, `search` (case-insensitive). */
  searchContacts(auth: AuthDevice, search: string, first: number, after: string | null): Promise<Page<UserRow>> {
    return this.page(auth, checkText('search', search, { min: 1, max: 64 }).toLowerCase(), first, after);
  }

  /** Whether strangers find the caller by exact username; every device of the user hears the change. */
  async setDiscoverable(auth: AuthDevice, discoverable: boolean): Promise<UserRow> {
    const row = (await queryOne<UserRow>(this.knex, `update users set discoverable = ? where id = ? returning ${USER_COLS}`, [discoverable, auth.userId]))!;
    this.bus.publish('trustSync', auth.userId, { kind: 'DISCOVERABLE', discoverable });
    return row;
  }

  private async page(auth: AuthDevice, term: string | null, first: number, after: string | null): Promise<Page<UserRow>> {
    checkFirst(first, MAX_CONTACTS_PAGE);
    const params: unknown[] = [auth.userId, auth.userId];
    let filter = '';
    if (term != null) {
      const like = term.replace(/[\\%_]/g, (c) => `\\${c}`);
      filter = 'and (lower(username) like ? or lower(display_name) like ?)';
      params.push(`${like}%`, `%${like}%`);
    }
    let cursorSql = '';
    if (after) {
      const [u, id] = decodeCursor(after, ['text', 'uuid']);
      cursorSql = 'and (lower(username), id) > (?, ?::uuid)';
      params.push(u, id);
    }
    params.push(first + 1);
    const rows = await query<UserRow>(
      this.knex,
      `select ${USER_COLS} from users where ${CONTACTS} ${filter} ${cursorSql} order by lower(username), id limit ?`,
      params,
    );
    return toPage(rows, first, (last) => [last.username.toLowerCase(), last.id]);
  }
}
