/**
 * Live events of a conversation in the schema: messages (metadata), receipts, reactions, deletions, expiry,
 * membership changes, and typing (ephemeral; `setTyping`). Membership is checked when the stream opens and
 * again on every membership change: a removed member's stream ends.
 *
 * Trust (docs/trust.md): typing is announced only by members who accepted the conversation (a message
 * request tells its sender nothing), and a stream drops the typing and receipts of users in a block with
 * its user, either way round (the set is loaded when the stream opens and reloaded when a block changes).
 */
import { builder } from '../graphql/builder.js';
import { requireAuth } from '../graphql/context.js';
import type { ConversationEventKind } from '../events.js';
import { NotFoundError } from '../kernel/errors.js';
import { MessageRef } from './messages.graphql.js';
import type { MessageView } from './messages.service.js';

type ConversationEventShape = {
  kind: ConversationEventKind | 'typing';
  conversationId: string;
  userId: string | null;
  messageId: string | null;
  typing: boolean | null;
};

const ConversationEventKindEnum = builder.enumType('ConversationEventKind', {
  values: ['MESSAGE', 'RECEIPT', 'REACTION', 'DELETED', 'EXPIRED', 'MEMBERSHIP', 'TYPING'] as const,
});

const ConversationEventRef = builder.objectRef<ConversationEventShape>('ConversationEvent').implement({
  description:
    'Something happened in a conversation: a new message (metadata only), a delivery or read receipt, a reaction, a deletion or expiry, ' +
    'a membership change, or typing (ephemeral). Re-read `message` for its current state.',
  fields: (t) => ({
    kind: t.field({ type: ConversationEventKindEnum, resolve: (e) => e.kind.toUpperCase() as never }),
    conversationId: t.exposeID('conversationId'),
    userId: t.exposeID('userId', { nullable: true, description: 'Who acted (sender, reader, reactor, typist, member).' }),
    messageId: t.exposeID('messageId', { nullable: true }),
    typing: t.exposeBoolean('typing', { nullable: true }),
    message: t.field({
      type: MessageRef,
      nullable: true,
      description: 'The message concerned, as the caller sees it now (null once it is gone).',
      resolve: async (e, _a, ctx): Promise<MessageView | null> => {
        if (!e.messageId) return null;
        try {
          return await ctx.services.messages.view(requireAuth(ctx).userId, e.messageId);
        } catch (err) {
          // gone (deleted, expired) or no longer visible: null, as documented; anything else is a real error
          if (err instanceof NotFoundError) return null;
          throw err;
        }
      },
    }),
  }),
});

builder.subscriptionField('conversationEvents', (t) =>
  t.field({
    type: ConversationEventRef,
    description: "Live events of one of the caller's conversations. Ends when the caller is removed from it.",
    args: { conversationId: t.arg.id({ required: true }) },
    subscribe: async (_r, a, ctx) => {
      const auth = requireAuth(ctx);
      const conversationId = String(a.conversationId);
      const { conversations, bus } = ctx.services;
      await conversations.requireMember(conversationId, auth.userId);
      let blocked = new Set<string>();
      const reload = async () => {
        blocked = await ctx.services.blocks.relationsOf(auth.userId);
      };
      return bus.stream<ConversationEventShape>(
        (source) => [
          source('blockRelationChanged', auth.userId, reload),
          source('conversationEvent', conversationId, async (e, push, stop) => {
            if (e.kind === 'membership' && !(await conversations.isMember(conversationId, auth.userId))) return stop();
            if (e.kind === 'receipt' && e.userId && blocked.has(e.userId)) return;
            await push({ kind: e.kind, conversationId, userId: e.userId ?? null, messageId: e.messageId ?? null, typing: null });
          }),
          source('typing', conversationId, async (e, push) => {
            if (e.userId !== auth.userId && !blocked.has(e.userId)) await push({ kind: 'typing', conversationId, userId: e.userId, messageId: null, typing: e.typing });
          }),
        ],
        { onStart: reload },
      );
    },
    resolve: (e) => e,
  }),
);

builder.mutationField('setTyping', (t) =>
  t.field({
    type: 'Boolean',
    description:
      'Tell the other participants the caller is (or stopped) typing. Lapses after a few seconds unless repeated. Not announced while the ' +
      'caller’s membership is a message request, nor to users in a block with the caller.',
    args: { conversationId: t.arg.id({ required: true }), typing: t.arg.boolean({ required: true }) },
    resolve: async (_r, a, ctx) => {
      const auth = requireAuth(ctx);
      const { accepted } = await ctx.services.conversations.requireMember(String(a.conversationId), auth.userId);
      if (accepted) ctx.services.typing.set(String(a.conversationId), auth.userId, a.typing);
      return true;
    },
  }),
);
