/** The device's inbox stream and the per-conversation event stream in the schema. */
import { GraphQLError } from 'graphql';
import { Repeater } from 'graphql-yoga';
import { builder } from '../graphql/builder.js';
import { type Context, requireAuth } from '../graphql/context.js';
import { EnvelopeRef, MessageRef } from '../messages/messages.graphql.js';
import { type EnvelopeRow, envelopeFromWire, type MessageView } from '../messages/messages.service.js';
import type { Topics } from './pubsub.js';
import { type InboxItem, inboxStream } from './inbox.js';
import { isMember } from './realtime.graphql.js';

type Drained = { kind: 'drained' };
type Ended = { kind: 'ended'; reason: 'CONNECTED_ELSEWHERE' | 'DEVICE_REMOVED' };

const InboxEndReason = builder.enumType('InboxEndReason', {
  values: {
    CONNECTED_ELSEWHERE: { description: 'Another inbox stream of this device opened (one live stream per device).' },
    DEVICE_REMOVED: { description: 'The device was removed from its account.' },
  } as const,
});

const InboxDrainedRef = builder.objectRef<Drained>('InboxDrained').implement({
  description: 'Every envelope that was pending when the stream opened has been sent; what follows is live.',
  fields: (t) => ({ drained: t.boolean({ resolve: () => true }) }),
});

const InboxEndedRef = builder.objectRef<Ended>('InboxEnded').implement({
  description: 'The stream ends after this item, for the given reason.',
  fields: (t) => ({ reason: t.field({ type: InboxEndReason, resolve: (e) => e.reason }) }),
});

const InboxItemRef = builder.unionType('InboxItem', {
  types: [EnvelopeRef, InboxDrainedRef, InboxEndedRef],
  resolveType: (item) => {
    const kind = (item as Partial<Drained | Ended>).kind;
    return kind === 'drained' ? 'InboxDrained' : kind === 'ended' ? 'InboxEnded' : 'Envelope';
  },
});

builder.subscriptionField('inbox', (t) =>
  t.field({
    type: InboxItemRef,
    description:
      "The calling device's envelopes: first the pending ones in queue order, then one InboxDrained, then new ones as they are stored. " +
      'Acknowledge with acknowledgeEnvelopes; anything not acknowledged comes again on the next subscription. ' +
      'One live stream per device: opening another ends this one with InboxEnded(CONNECTED_ELSEWHERE).',
    subscribe: (_r, _a, ctx) => {
      const auth = requireAuth(ctx);
      const { messages, bus } = ctx.services;
      return inboxStream<EnvelopeRow>({
        deviceUuid: auth.deviceUuid,
        bus,
        queue: {
          pending: (device, after, limit) => messages.pendingEnvelopes(device, after, limit),
          byIds: (device, ids) => messages.envelopesByIds(device, ids),
          fromWire: envelopeFromWire,
        },
      });
    },
    resolve: (item: InboxItem<EnvelopeRow>) => (item.kind === 'envelope' ? item.envelope : item) as never,
  }),
);

type ConversationTopic = Topics['conversationEvent'][1];
type ConversationEventShape = {
  kind: ConversationTopic['kind'] | 'typing';
  conversationId: string;
  userId: string | null;
  messageId: string | null;
  typing: boolean | null;
};

const ConversationEventKind = builder.enumType('ConversationEventKind', {
  values: ['MESSAGE', 'RECEIPT', 'REACTION', 'DELETED', 'EXPIRED', 'MEMBERSHIP', 'TYPING'] as const,
});

const ConversationEventRef = builder.objectRef<ConversationEventShape>('ConversationEvent').implement({
  description:
    'Something happened in a conversation: a new message (metadata only), a delivery or read receipt, a reaction, a deletion or expiry, ' +
    'a membership change, or typing (ephemeral). Re-read `message` for its current state.',
  fields: (t) => ({
    kind: t.field({ type: ConversationEventKind, resolve: (e) => e.kind.toUpperCase() as never }),
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
        } catch {
          return null;
        }
      },
    }),
  }),
});

async function requireMembership(ctx: Context, conversationId: string, userId: string): Promise<void> {
  if (!(await isMember(ctx, conversationId, userId))) {
    throw new GraphQLError('not a participant of this conversation', { extensions: { code: 'FORBIDDEN' } });
  }
}

builder.subscriptionField('conversationEvents', (t) =>
  t.field({
    type: ConversationEventRef,
    description: "Live events of one of the caller's conversations. Ends when the caller is removed from it.",
    args: { conversationId: t.arg.id({ required: true }) },
    subscribe: async (_r, a, ctx) => {
      const auth = requireAuth(ctx);
      const conversationId = String(a.conversationId);
      await requireMembership(ctx, conversationId, auth.userId);
      const { bus } = ctx.services;
      return new Repeater<ConversationEventShape>(async (push, stop) => {
        const events = bus.subscribe('conversationEvent', conversationId);
        const typing = bus.subscribe('typing', conversationId);
        void (async () => {
          for await (const e of events) {
            if (e.kind === 'membership' && !(await isMember(ctx, conversationId, auth.userId))) {
              stop();
              return;
            }
            await push({ kind: e.kind, conversationId, userId: e.userId ?? null, messageId: e.messageId ?? null, typing: null });
          }
        })().catch(() => stop());
        void (async () => {
          for await (const e of typing) {
            if (e.userId === auth.userId) continue;
            await push({ kind: 'typing', conversationId, userId: e.userId, messageId: null, typing: e.typing });
          }
        })().catch(() => stop());
        await stop;
        await Promise.all([events.return?.(), typing.return?.()]);
      });
    },
    resolve: (e) => e,
  }),
);
