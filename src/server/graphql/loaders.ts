/**
 * Per-operation DataLoaders: a list resolves its rows' users, device lists and participants in one query
 * each, not one per row (N+1). Built for every operation; they batch within a tick and do not cache, so a
 * long-lived subscription never serves a stale row.
 */
import DataLoader from 'dataloader';
import type { DeviceRow, UserRow } from '../accounts/accounts.service.js';
import type { CallParticipantRow } from '../calls/calls.service.js';
import type { ParticipantRow } from '../conversations/conversations.service.js';
import type { Services } from '../services.js';

export interface Loaders {
  user: DataLoader<string, UserRow | null>;
  devicesOfUser: DataLoader<string, DeviceRow[]>;
  conversationParticipants: DataLoader<string, ParticipantRow[]>;
  callParticipants: DataLoader<string, CallParticipantRow[]>;
  /** Users in a block with the given user, either way round (docs/trust.md). */
  blockRelations: DataLoader<string, Set<string>>;
}

const NO_CACHE = { cache: false };

/**
 * Each loader is made when an operation first asks for it: most operations (a send, an acknowledgement, an
 * inbox subscription that lives as long as its socket) never do, and pay nothing for the five.
 */
class LazyLoaders implements Loaders {
  private made: Partial<Loaders> = {};
  constructor(private readonly services: Services) {}
  get user() {
    return (this.made.user ??= new DataLoader((ids: readonly string[]) => this.services.accounts.usersByIds(ids), NO_CACHE));
  }
  get devicesOfUser() {
    return (this.made.devicesOfUser ??= new DataLoader((ids: readonly string[]) => this.services.accounts.devicesOfUsers(ids), NO_CACHE));
  }
  get conversationParticipants() {
    return (this.made.conversationParticipants ??= new DataLoader((ids: readonly string[]) => this.services.conversations.participantsOf(ids), NO_CACHE));
  }
  get callParticipants() {
    return (this.made.callParticipants ??= new DataLoader((ids: readonly string[]) => this.services.calls.participantsOf(ids), NO_CACHE));
  }
  get blockRelations() {
    return (this.made.blockRelations ??= new DataLoader(
      (ids: readonly string[]) => Promise.all(ids.map((id) => this.services.blocks.relationsOf(id))),
      NO_CACHE,
    ));
  }
}

export function createLoaders(services: Services): Loaders {
  return new LazyLoaders(services);
}
