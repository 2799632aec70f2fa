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

/**
 * Each loader is made when an operation first asks for it: most operations (a send, an acknowledgement, an
 * inbox subscription that lives as long as its socket) never do, and pay nothing for the five.
 */
export function createLoaders(services: Services): Loaders {
  const opts = { cache: false };
  const made: Partial<Loaders> = {};
  const lazy = <K extends keyof Loaders>(key: K, make: () => Loaders[K]) => ({
    get: () => (made[key] ??= make()),
    enumerable: true,
  });
  return Object.defineProperties({} as Loaders, {
    user: lazy('user', () => new DataLoader((ids: readonly string[]) => services.accounts.usersByIds(ids), opts)),
    devicesOfUser: lazy('devicesOfUser', () => new DataLoader((ids: readonly string[]) => services.accounts.devicesOfUsers(ids), opts)),
    conversationParticipants: lazy('conversationParticipants', () => new DataLoader((ids: readonly string[]) => services.conversations.participantsOf(ids), opts)),
    callParticipants: lazy('callParticipants', () => new DataLoader((ids: readonly string[]) => services.calls.participantsOf(ids), opts)),
    blockRelations: lazy('blockRelations', () => new DataLoader((ids: readonly string[]) => Promise.all(ids.map((id) => services.blocks.relationsOf(id))), opts)),
  });
}
