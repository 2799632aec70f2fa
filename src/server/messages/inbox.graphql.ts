/** The device's inbox stream in the schema (the streaming machinery itself is realtime/inbox.ts). */
import { builder } from '../graphql/builder.js';
import { requireAuth } from '../graphql/context.js';
import { type InboxItem, inboxStream } from '../realtime/inbox.js';
import type { EnvelopeRow } from './envelope.js';
import { EnvelopeRef } from './messages.graphql.js';

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
      const { messages } = ctx.services;
      return inboxStream<EnvelopeRow>({
        deviceUuid: auth.deviceUuid,
        signals: messages.inboxSignals(),
        queue: {
          pending: (device, after, limit) => messages.pendingEnvelopes(device, after, limit),
          byIds: (device, ids) => messages.envelopesByIds(device, ids),
        },
      });
    },
    resolve: (item: InboxItem<EnvelopeRow>) => (item.kind === 'envelope' ? item.envelope : item) as never,
  }),
);
