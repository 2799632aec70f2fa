/** Conversations in the schema: lists, search, groups and membership, mute, disappearing timer. */
import { UserRef } from '../accounts/accounts.graphql.js';
import { builder } from '../graphql/builder.js';
import { requireAuth } from '../graphql/context.js';
import { PageInfo } from '../graphql/types.js';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../kernel/errors.js';
import type { Page } from '../kernel/paging.js';
import type { ConversationRow, ParticipantRow } from './conversations.service.js';


const ConversationKindEnum = builder.enumType('ConversationKind', {
  values: { DIRECT: { value: 'direct' }, GROUP: { value: 'group' } } as const,
});

export const ParticipantRef = builder.objectRef<ParticipantRow>('Participant').implement({
  fields: (t) => ({
    userId: t.exposeID('userId'),
    user: t.field({
      type: UserRef,
      resolve: async (p, _a, ctx) => (await ctx.loaders.user.load(p.userId))!,
    }),
    joinedAt: t.expose('joinedAt', { type: 'DateTime' }),
    lastReadAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'How far this participant has read; null while their membership is a message request or a block stands between them and the caller.',
      resolve: async (p, _a, ctx) => {
        if (!p.accepted) return null;
        const viewer = ctx.auth?.userId;
        if (viewer && p.userId !== viewer && (await ctx.loaders.blockRelations.load(viewer)).has(p.userId)) return null;
        return p.lastReadAt;
      },
    }),
  }),
});

export const ConversationRef = builder.objectRef<ConversationRow>('Conversation').implement({
  description: 'A direct conversation (two users) or a group. Fields about reading and muting are the caller’s own.',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: ConversationKindEnum, resolve: (c) => c.kind }),
    name: t.exposeString('name', { nullable: true, description: 'Group name; null for a direct conversation.' }),
    avatarUrl: t.exposeString('avatarUrl', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastMessageAt: t.expose('lastMessageAt', { type: 'DateTime', nullable: true }),
    lastActivityAt: t.expose('lastActivityAt', { type: 'DateTime', description: 'The list sort key: last message, or when the caller joined.' }),
    unreadCount: t.exposeInt('unreadCount', { description: "Other users' messages after the caller's read mark." }),
    muted: t.exposeBoolean('muted'),
    lastReadAt: t.expose('lastReadAt', { type: 'DateTime', nullable: true }),
    joinedAt: t.expose('joinedAt', { type: 'DateTime' }),
    messageRequest: t.exposeBoolean('messageRequest', {
      description:
        'The caller has not accepted this conversation: it was started (or the caller added) by someone who is not their contact. Answer with respondToMessageRequest; until it is accepted the others get no presence, typing or receipts of the caller.',
    }),
    disappearingSeconds: t.exposeInt('disappearingSeconds', { nullable: true, description: 'Default lifetime of new messages.' }),
    participants: t.field({
      type: [ParticipantRef],
      description: "Current members; encrypt for every device of each (and for the caller's other devices).",
      resolve: (c, _a, ctx) => ctx.loaders.conversationParticipants.load(c.id),
    }),
  }),
});

const ConversationPage = builder.objectRef<Page<ConversationRow>>('ConversationPage').implement({
  fields: (t) => ({
    items: t.field({ type: [ConversationRef], resolve: (p) => p.items }),
    pageInfo: t.field({ type: PageInfo, resolve: (p) => p }),
  }),
});

const MemberRemovedRef = builder.objectRef<{ conversationId: string; userId: string }>('MemberRemoved').implement({
  fields: (t) => ({ conversationId: t.exposeID('conversationId'), userId: t.exposeID('userId') }),
});

const CreateGroupInput = builder.inputType('CreateGroupInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    avatarUrl: t.string(),
    memberIds: t.idList({ required: true, description: 'Other users to add (the caller is always a member).' }),
  }),
});

builder.queryFields((t) => ({
  conversations: t.field({
    type: ConversationPage,
    description: "The caller's conversations, most recent activity first.",
    errors: { types: [InvalidInputError] },
    args: { first: t.arg.int({ defaultValue: 20 }), after: t.arg.string() },
    resolve: (_r, a, ctx) => ctx.services.conversations.list(requireAuth(ctx).userId, a.first ?? 20, a.after ?? null),
  }),
  conversation: t.field({
    type: ConversationRef,
    errors: { types: [NotFoundError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.services.conversations.get(requireAuth(ctx).userId, String(id)),
  }),
  searchConversations: t.field({
    type: ConversationPage,
    description: "The caller's conversations whose name or a participant's username / display name contains `query`.",
    errors: { types: [InvalidInputError] },
    args: { query: t.arg.string({ required: true }), first: t.arg.int({ defaultValue: 20 }) },
    resolve: async (_r, a, ctx) => ({
      items: await ctx.services.conversations.search(requireAuth(ctx).userId, a.query, a.first ?? 20),
      endCursor: null,
      hasNextPage: false,
    }),
  }),
}));

builder.mutationFields((t) => ({
  createDirectConversation: t.field({
    type: ConversationRef,
    description: 'The direct conversation with a user, created on first use (the same one for both users).',
    errors: { types: [NotFoundError, InvalidInputError] },
    args: { userId: t.arg.id({ required: true }) },
    resolve: (_r, a, ctx) => ctx.services.conversations.createDirect(requireAuth(ctx).userId, String(a.userId)),
  }),
  createGroup: t.field({
    type: ConversationRef,
    description: 'A group with the caller and `memberIds`. Members the caller is not a contact of get it as a message request; a user who blocked the caller cannot be added (ForbiddenError).',
    errors: { types: [NotFoundError, InvalidInputError, ForbiddenError] },
    args: { input: t.arg({ type: CreateGroupInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.conversations.createGroup(requireAuth(ctx).userId, { ...input, memberIds: input.memberIds.map(String) }),
  }),
  updateGroup: t.field({
    type: ConversationRef,
    errors: { types: [NotFoundError, InvalidInputError] },
    args: { conversationId: t.arg.id({ required: true }), name: t.arg.string(), avatarUrl: t.arg.string() },
    resolve: (_r, a, ctx) =>
      ctx.services.conversations.updateGroup(requireAuth(ctx).userId, String(a.conversationId), {
        name: a.name,
        avatarUrl: a.avatarUrl === undefined ? undefined : a.avatarUrl,
      }),
  }),
  addGroupMembers: t.field({
    type: ConversationRef,
    description: 'Adds users to a group (as message requests for those the caller is not a contact of); a user who blocked the caller cannot be added (ForbiddenError).',
    errors: { types: [NotFoundError, InvalidInputError, ForbiddenError] },
    args: { conversationId: t.arg.id({ required: true }), userIds: t.arg.idList({ required: true }) },
    resolve: (_r, a, ctx) => ctx.services.conversations.addMembers(requireAuth(ctx).userId, String(a.conversationId), a.userIds.map(String)),
  }),
  removeGroupMember: t.field({
    type: MemberRemovedRef,
    description: 'Removes a member (any member may; remove yourself to leave). The removed user receives nothing sent afterwards.',
    errors: { types: [NotFoundError, InvalidInputError] },
    args: { conversationId: t.arg.id({ required: true }), userId: t.arg.id({ required: true }) },
    resolve: async (_r, a, ctx) => {
      await ctx.services.conversations.removeMember(requireAuth(ctx).userId, String(a.conversationId), String(a.userId));
      return { conversationId: String(a.conversationId), userId: String(a.userId) };
    },
  }),
  setMuted: t.field({
    type: ConversationRef,
    errors: { types: [NotFoundError] },
    args: { conversationId: t.arg.id({ required: true }), muted: t.arg.boolean({ required: true }) },
    resolve: (_r, a, ctx) => ctx.services.conversations.setMuted(requireAuth(ctx).userId, String(a.conversationId), a.muted),
  }),
  setDisappearingTimer: t.field({
    type: ConversationRef,
    description: 'Default lifetime in seconds of messages sent afterwards (null: off).',
    errors: { types: [NotFoundError, InvalidInputError] },
    args: { conversationId: t.arg.id({ required: true }), seconds: t.arg.int() },
    resolve: (_r, a, ctx) => ctx.services.conversations.setDisappearingTimer(requireAuth(ctx).userId, String(a.conversationId), a.seconds ?? null),
  }),
}));
