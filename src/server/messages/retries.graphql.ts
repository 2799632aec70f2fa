/** Decryption-error recovery in the schema: reportDecryptionError (type-8 replies) and resendMessage. */
import { builder } from '../graphql/builder.js';
import { requireAuth } from '../graphql/context.js';
import { InvalidInputError, LimitExceededError, NotFoundError } from '../kernel/errors.js';
import { EnvelopeInput } from './messages.graphql.js';
import { StaleDevicesError } from './messages.errors.js';
import type { RelayedDecryptionError } from './retries.service.js';

const DecryptionErrorReportedRef = builder.objectRef<RelayedDecryptionError>('DecryptionErrorReported').implement({
  fields: (t) => ({
    envelopeId: t.exposeID('envelopeId', { description: 'The envelope answered: it left the queue (do not acknowledge it).' }),
    messageId: t.exposeID('messageId'),
  }),
});

const ResendResultRef = builder.objectRef<{ envelopeId: string | null }>('ResendResult').implement({
  fields: (t) => ({ resent: t.boolean({ resolve: () => true }) }),
});

builder.mutationFields((t) => ({
  reportDecryptionError: t.field({
    type: DecryptionErrorReportedRef,
    description:
      'Answers an envelope of the calling device that it could not decrypt (still queued, type 2, 3 or 7) with a PlaintextContent carrying a ' +
      'DecryptionErrorMessage (libsignal’s format) for the device that sent it. The envelope leaves the queue; the sender’s device gets the ' +
      'reply as a type-8 envelope and may resend the message once (resendMessage).',
    errors: { types: [NotFoundError, InvalidInputError, LimitExceededError] },
    args: {
      envelopeId: t.arg.id({ required: true }),
      content: t.arg({ type: 'Bytes', required: true, description: 'PlaintextContent: 0xC0 || Content { 8: DecryptionErrorMessage } || 0x80' }),
    },
    resolve: (_r, a, ctx) => ctx.services.retries.reportDecryptionError(requireAuth(ctx), String(a.envelopeId), a.content),
  }),
  resendMessage: t.field({
    type: ResendResultRef,
    description:
      'Sends a message of the calling device again to one device that asked for it with a decryption-error reply (one resend per reply, ' +
      'within 24 hours), encrypted afresh (usually a PreKey message on a new session). It keeps its message id and time.',
    errors: { types: [NotFoundError, InvalidInputError, LimitExceededError, StaleDevicesError] },
    args: { messageId: t.arg.id({ required: true }), envelope: t.arg({ type: EnvelopeInput, required: true }) },
    resolve: (_r, a, ctx) =>
      ctx.services.retries.resend(requireAuth(ctx), String(a.messageId), { ...a.envelope, deviceId: String(a.envelope.deviceId) }),
  }),
}));
