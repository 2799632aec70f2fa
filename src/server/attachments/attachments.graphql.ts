/** Attachments in the schema: attachToMessage (the upload and download themselves are HTTP, attachments.http.ts). */
import { builder } from '../graphql/builder.js';
import { requireAuth } from '../graphql/context.js';
import { InvalidInputError, NotFoundError } from '../kernel/errors.js';

const AttachmentsBoundRef = builder.objectRef<{ messageId: string; attachmentIds: string[] }>('AttachmentsBound').implement({
  fields: (t) => ({
    messageId: t.exposeID('messageId'),
    attachmentIds: t.exposeIDList('attachmentIds'),
  }),
});

builder.mutationField('attachToMessage', (t) =>
  t.field({
    type: AttachmentsBoundRef,
    description:
      'Binds uploaded attachments (POST /attachments) to a message the caller sent, so its participants may download them; ' +
      'their keys and digests travel inside the encrypted message. Sender and uploader only.',
    errors: { types: [NotFoundError, InvalidInputError] },
    args: { messageId: t.arg.id({ required: true }), attachmentIds: t.arg.idList({ required: true }) },
    resolve: async (_r, a, ctx) => ({
      messageId: String(a.messageId),
      attachmentIds: await ctx.services.attachments.attachToMessage(requireAuth(ctx).userId, String(a.messageId), a.attachmentIds.map(String)),
    }),
  }),
);
