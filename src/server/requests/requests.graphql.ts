/**
 * Message requests in the schema (respondToMessageRequest) and the caller's trust events: what every device
 * of a user hears when the user blocks or unblocks someone, answers a message request, or changes their
 * discoverability on any device.
 */
import { ConversationRef } from '../conversations/conversations.graphql.js';
import { builder } from '../graphql/builder.js';
import { requireAuth } from '../graphql/context.js';
import type { TrustSyncKind } from '../events.js';
import { ForbiddenError, InvalidInputError, LimitExceededError, NotFoundError } from '../kernel/errors.js';
import { InvalidReportingTokenError } from '../reports/reports.errors.js';
import { MESSAGE_REQUEST_ACTIONS, type MessageRequestAction, type MessageRequestResponse } from './requests.service.js';

const MessageRequestActionEnum = builder.enumType('MessageRequestAction', {
  values: MESSAGE_REQUEST_ACTIONS,
  description:
    'Signal’s answers to a message request. ACCEPT; DELETE (direct: empty it for the caller; group: leave); BLOCK (direct: block the other user; ' +
    'group: block whoever added the caller, and leave); BLOCK_AND_DELETE; SPAM (report the named messages, then DELETE); BLOCK_AND_SPAM.',
});

const TrustEventKindEnum = builder.enumType('TrustEventKind', {
  values: ['BLOCKED', 'UNBLOCKED', 'MESSAGE_REQUEST', 'DISCOVERABLE'] as const,
});

type TrustEventShape = { kind: TrustSyncKind; userId: string | null; conversationId: string | null; action: string | null; discoverable: boolean | null };

const TrustEventRef = builder.objectRef<TrustEventShape>('TrustEvent').implement({
  description: 'A change of the caller’s own trust settings, made on any of the user’s devices.',
  fields: (t) => ({
    kind: t.field({ type: TrustEventKindEnum, resolve: (e) => e.kind }),
    userId: t.exposeID('userId', { nullable: true, description: 'BLOCKED / UNBLOCKED: the user concerned.' }),
    conversationId: t.exposeID('conversationId', { nullable: true, description: 'MESSAGE_REQUEST: the conversation answered.' }),
    action: t.field({ type: MessageRequestActionEnum, nullable: true, resolve: (e) => e.action as MessageRequestAction | null }),
    discoverable: t.exposeBoolean('discoverable', { nullable: true }),
  }),
});

const MessageRequestResponseRef = builder.objectRef<MessageRequestResponse>('MessageRequestResponse').implement({
  fields: (t) => ({
    conversationId: t.exposeID('conversationId'),
    action: t.field({ type: MessageRequestActionEnum, resolve: (r) => r.action }),
    conversation: t.field({ type: ConversationRef, nullable: true, description: 'Null when the caller left (a group).', resolve: (r) => r.conversation }),
    reported: t.exposeInt('reported'),
    blockedUserId: t.exposeID('blockedUserId', { nullable: true }),
  }),
});

builder.mutationField('respondToMessageRequest', (t) =>
  t.field({
    type: MessageRequestResponseRef,
    description:
      'Answers a message request (or any conversation) in one call; every device of the caller gets a MESSAGE_REQUEST trust event, the ' +
      'requester nothing. SPAM and BLOCK_AND_SPAM report the deliveries named by `reportingTokens` (Envelope.reportingToken).',
    errors: { types: [NotFoundError, InvalidInputError, InvalidReportingTokenError, LimitExceededError, ForbiddenError] },
    args: {
      conversationId: t.arg.id({ required: true }),
      action: t.arg({ type: MessageRequestActionEnum, required: true }),
      reportingTokens: t.arg.stringList(),
    },
    resolve: (_r, a, ctx) => ctx.services.requests.respond(requireAuth(ctx), String(a.conversationId), a.action, a.reportingTokens ?? []),
  }),
);

builder.subscriptionField('trustEvents', (t) =>
  t.field({
    type: TrustEventRef,
    description: 'The caller’s own trust changes made on any of their devices: blocks, unblocks, answers to message requests, discoverability.',
    subscribe: (_r, _a, ctx) =>
      ctx.services.bus.stream<TrustEventShape>((source) => [
        source('trustSync', requireAuth(ctx).userId, async (e, push) => {
          await push({ kind: e.kind, userId: e.userId ?? null, conversationId: e.conversationId ?? null, action: e.action ?? null, discoverable: e.discoverable ?? null });
        }),
      ]),
    resolve: (e) => e,
  }),
);
