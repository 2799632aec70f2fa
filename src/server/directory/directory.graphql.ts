/** The directory in the schema: userByUsername, contacts, users (contact search), setDiscoverable, User.discoverable. */
import { UserRef } from '../accounts/accounts.graphql.js';
import type { UserRow } from '../accounts/accounts.service.js';
import { builder } from '../graphql/builder.js';
import { requireAuth } from '../graphql/context.js';
import { PageInfo } from '../graphql/types.js';
import { InvalidInputError, RateLimitedError } from '../kernel/errors.js';
import type { Page } from '../kernel/paging.js';

const UserPage = builder.objectRef<Page<UserRow>>('UserPage').implement({
  fields: (t) => ({
    items: t.field({ type: [UserRef], resolve: (p) => p.items }),
    pageInfo: t.field({ type: PageInfo, resolve: (p) => p }),
  }),
});

builder.objectField(UserRef, 'discoverable', (t) =>
  t.boolean({
    nullable: true,
    description: 'Whether strangers find this user by exact username; shown to the user only (null for others).',
    resolve: (u, _a, ctx) => (ctx.auth?.userId === u.id ? u.discoverable : null),
  }),
);

builder.queryFields((t) => ({
  userByUsername: t.field({
    type: UserRef,
    nullable: true,
    description:
      'The user with exactly this username (case-insensitive), for anyone; null when there is none, or when the user is not discoverable and the caller is not one of their contacts. Rate limited per device.',
    errors: { types: [InvalidInputError, RateLimitedError] },
    args: { username: t.arg.string({ required: true }) },
    resolve: (_r, a, ctx) => ctx.services.directory.userByUsername(requireAuth(ctx), a.username),
  }),
  contacts: t.field({
    type: UserPage,
    description: 'The caller’s contacts (the other members of conversations the caller accepted, less blocked users), by username.',
    errors: { types: [InvalidInputError] },
    args: { first: t.arg.int({ defaultValue: 50 }), after: t.arg.string() },
    resolve: (_r, a, ctx) => ctx.services.directory.contacts(requireAuth(ctx), a.first ?? 50, a.after ?? null),
  }),
  users: t.field({
    type: UserPage,
    description: 'Search the caller’s contacts by username prefix or display-name substring (strangers: userByUsername).',
    errors: { types: [InvalidInputError] },
    args: { search: t.arg.string({ required: true }), first: t.arg.int({ defaultValue: 20 }), after: t.arg.string() },
    resolve: (_r, a, ctx) => ctx.services.directory.searchContacts(requireAuth(ctx), a.search, a.first ?? 20, a.after ?? null),
  }),
}));

builder.mutationField('setDiscoverable', (t) =>
  t.field({
    type: UserRef,
    description: 'Whether strangers find the caller by exact username (contacts always do). Every device of the caller gets a DISCOVERABLE trust event.',
    args: { discoverable: t.arg.boolean({ required: true }) },
    resolve: (_r, a, ctx) => ctx.services.directory.setDiscoverable(requireAuth(ctx), a.discoverable),
  }),
);
