/**
 * What a user's presence shows, and to whom: online (a live connection on any instance, from the realtime
 * PresenceTracker) and last seen (accounts). A user's presence reaches only their accepted contacts (users
 * in a conversation the user accepted, with no block between them either way) and the user themself: the
 * one rule, ConversationsService.contactsAmong (docs/trust.md).
 */
import type { AccountsService } from '../accounts/accounts.service.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import { InvalidInputError } from '../kernel/errors.js';
import type { PresenceTracker } from '../realtime/presence.js';

export const MAX_PRESENCE_USERS = 500;

export interface PresenceState {
  userId: string;
  online: boolean;
  lastSeenAt: Date | null;
}

export class PresenceService {
  constructor(
    readonly tracker: PresenceTracker,
    private readonly accounts: AccountsService,
    private readonly conversations: ConversationsService,
  ) {}

  /** Of `userIds`, those whose presence `viewer` may see (order kept); refuses more than MAX_PRESENCE_USERS. */
  async visibleTo(viewer: string, userIds: readonly string[]): Promise<string[]> {
    if (userIds.length > MAX_PRESENCE_USERS) throw new InvalidInputError('userIds', `at most ${MAX_PRESENCE_USERS}`);
    return this.conversations.contactsAmong(viewer, userIds);
  }

  /** Presence of existing users among `userIds` (no visibility check: callers filter with visibleTo first). */
  async states(userIds: readonly string[]): Promise<PresenceState[]> {
    if (userIds.length === 0) return [];
    const [online, lastSeen] = await Promise.all([this.tracker.online(userIds), this.accounts.lastSeen(userIds)]);
    return userIds.filter((u) => lastSeen.has(u)).map((u) => ({ userId: u, online: online.get(u) ?? false, lastSeenAt: lastSeen.get(u) ?? null }));
  }
}
