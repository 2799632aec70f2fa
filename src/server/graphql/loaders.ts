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

export function createLoaders(services: Services): Loaders {
  const opts = { cache: false };
  return {
    user: new DataLoader((ids) => services.accounts.usersByIds(ids), opts),
    devicesOfUser: new DataLoader((ids) => services.accounts.devicesOfUsers(ids), opts),
    conversationParticipants: new DataLoader((ids) => services.conversations.participantsOf(ids), opts),
    callParticipants: new DataLoader((ids) => services.calls.participantsOf(ids), opts),
    blockRelations: new DataLoader((ids) => Promise.all(ids.map((id) => services.blocks.relationsOf(id))), opts),
  };
}
