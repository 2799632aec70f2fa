/** Blocking in the schema: the caller's block list, blockUser / unblockUser. */
import { UserRef } from '../accounts/accounts.graphql.js';
import { builder } from '../graphql/builder.js';
import { requireAuth } from '../graphql/context.js';
import { InvalidInputError, LimitExceededError, NotFoundError } from '../kernel/errors.js';
import type { BlockedUserRow } from './blocks.service.js';

export const BlockedUserRef = builder.objectRef<BlockedUserRow>('BlockedUser').implement({
  fields: (t) => ({
    userId: t.exposeID('userId'),
    user: t.field({ type: UserRef, resolve: async (b, _a, ctx) => (await ctx.loaders.user.load(b.userId))! }),
    blockedAt: t.expose('blockedAt', { type: 'DateTime' }),
  }),
});

const BlockListRef = builder.objectRef<{ users: BlockedUserRow[] }>('BlockList').implement({
  description: "The caller's block list (the same on all of the user's devices).",
  fields: (t) => ({ users: t.field({ type: [BlockedUserRef], resolve: (l) => l.users }) }),
});

builder.queryField('blockedUsers', (t) =>
  t.field({
    type: [BlockedUserRef],
    description: 'The users the caller blocked, oldest block first.',
    resolve: (_r, _a, ctx) => ctx.services.blocks.list(requireAuth(ctx).userId),
  }),
);

builder.mutationFields((t) => ({
  blockUser: t.field({
    type: BlockListRef,
    description:
      'Blocks a user for all of the caller’s devices. From now on their envelopes for the caller’s devices are not stored (their sends still ' +
      'succeed, as in Signal), they see none of the caller’s presence, typing or receipts, get none of the caller’s one-time prekeys, and ' +
      'cannot add the caller to groups. Every device of the caller gets a BLOCKED trust event.',
    errors: { types: [NotFoundError, InvalidInputError, LimitExceededError] },
    args: { userId: t.arg.id({ required: true }) },
    resolve: async (_r, a, ctx) => ({ users: await ctx.services.blocks.block(requireAuth(ctx), String(a.userId)) }),
  }),
  unblockUser: t.field({
    type: BlockListRef,
    description: 'Lifts a block (messages sent while it lasted stay undelivered). Every device of the caller gets an UNBLOCKED trust event.',
    errors: { types: [NotFoundError, InvalidInputError] },
    args: { userId: t.arg.id({ required: true }) },
    resolve: async (_r, a, ctx) => ({ users: await ctx.services.blocks.unblock(requireAuth(ctx), String(a.userId)) }),
  }),
}));
