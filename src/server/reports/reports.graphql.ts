/** Spam reports in the schema: Envelope.reportingToken, reportSpam, and the operators' spamReports query. */
import { UserRef } from '../accounts/accounts.graphql.js';
import { builder } from '../graphql/builder.js';
import { requireAuth } from '../graphql/context.js';
import { errorOptions, PageInfo } from '../graphql/types.js';
import { InvalidInputError, LimitExceededError } from '../kernel/errors.js';
import type { Page } from '../kernel/paging.js';
import { EnvelopeRef } from '../messages/messages.graphql.js';
import { InvalidReportingTokenError, NotOperatorError } from './reports.errors.js';
import type { SpamReportRow } from './reports.service.js';

builder.objectType(InvalidReportingTokenError, {
  ...errorOptions(InvalidReportingTokenError, 'InvalidReportingTokenError', 'A reporting token this server did not mint for the caller; `index` names it. Nothing was stored.'),
  fields: (t) => ({ index: t.exposeInt('index') }),
});
builder.objectType(NotOperatorError, {
  ...errorOptions(NotOperatorError, 'NotOperatorError', 'Only operators (OPERATOR_USER_IDS) may read spam reports.'),
  fields: () => ({}),
});

builder.objectField(EnvelopeRef, 'reportingToken', (t) =>
  t.string({
    nullable: true,
    description:
      'Names this delivery in a spam report (reportSpam) without any content; only the calling user can use it. Null for envelopes of the user’s own devices.',
    resolve: (e, _a, ctx) => (e.type === 8 ? null : ctx.services.reports.token(e.messageId, e.senderUserId, requireAuth(ctx).userId)),
  }),
);

const SpamReportRef = builder.objectRef<SpamReportRow>('SpamReport').implement({
  description: 'One user’s report of one message as spam: who sent it, to whom, when; never its content.',
  fields: (t) => ({
    id: t.exposeID('id'),
    reporterUserId: t.exposeID('reporterUserId'),
    senderUserId: t.exposeID('senderUserId'),
    sender: t.field({ type: UserRef, nullable: true, resolve: (r, _a, ctx) => ctx.loaders.user.load(r.senderUserId) }),
    messageId: t.exposeID('messageId'),
    conversationId: t.exposeID('conversationId', { nullable: true, description: 'Null once the message is gone (expired, deleted).' }),
    messageSentAt: t.expose('messageSentAt', { type: 'DateTime', nullable: true }),
    reportedAt: t.expose('reportedAt', { type: 'DateTime' }),
  }),
});

const SpamReportPage = builder.objectRef<Page<SpamReportRow>>('SpamReportPage').implement({
  fields: (t) => ({
    items: t.field({ type: [SpamReportRef], resolve: (p) => p.items }),
    pageInfo: t.field({ type: PageInfo, resolve: (p) => p }),
  }),
});

const SpamReportedRef = builder.objectRef<{ reported: number }>('SpamReported').implement({
  fields: (t) => ({ reported: t.exposeInt('reported', { description: 'Reports stored now (a message reported before counts once).' }) }),
});

builder.queryField('spamReports', (t) =>
  t.field({
    type: SpamReportPage,
    description: 'Spam reports, newest first, optionally of one sender. Operators only (OPERATOR_USER_IDS): anyone else gets NotOperatorError.',
    errors: { types: [NotOperatorError, InvalidInputError] },
    args: { first: t.arg.int({ defaultValue: 50 }), after: t.arg.string(), senderUserId: t.arg.id() },
    resolve: (_r, a, ctx) =>
      ctx.services.reports.list(requireAuth(ctx), {
        first: a.first ?? 50,
        after: a.after ?? null,
        senderUserId: a.senderUserId == null ? null : String(a.senderUserId),
      }),
  }),
);

builder.mutationField('reportSpam', (t) =>
  t.field({
    type: SpamReportedRef,
    description: 'Reports delivered messages as spam by their reporting tokens (Envelope.reportingToken), at most 100 at once; no content is sent.',
    errors: { types: [InvalidReportingTokenError, InvalidInputError, LimitExceededError] },
    args: { reportingTokens: t.arg.stringList({ required: true }) },
    resolve: (_r, a, ctx) => ctx.services.reports.reportSpam(requireAuth(ctx), a.reportingTokens),
  }),
);
