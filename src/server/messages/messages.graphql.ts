/**
 * Messages in the schema: sendMessage, the delivery queue (pendingEnvelopes / acknowledgeEnvelopes),
 * history, receipts, reactions and deletion. `EnvelopeRef` is the Envelope type live delivery reuses.
 */
import { ConversationRef } from '../conversations/conversations.graphql.js';
import { builder } from '../graphql/builder.js';
import { requireAuth } from '../graphql/context.js';
import { errorOptions, PageInfo } from '../graphql/types.js';
import { ForbiddenError, InvalidInputError, LimitExceededError, NotFoundError, RateLimitedError } from '../kernel/errors.js';
import type { Page } from '../kernel/paging.js';
import type { EnvelopeRow } from './envelope.js';
import { type DeviceRefShape, MismatchedDevicesError, StaleDevicesError } from './messages.errors.js';
import { CONTENT_TYPES, MAX_HEADER_BYTES, SHARED_ENVELOPE_TYPE, type MessageView, messageStatus, type ReactionRow, type ReceiptRow } from './messages.service.js';

const ContentTypeEnum = builder.enumType('ContentType', { values: CONTENT_TYPES });
const MessageStatusEnum = builder.enumType('MessageStatus', {
  values: ['SENT', 'DELIVERED', 'READ'] as const,
  description: 'SENT: stored; DELIVERED: every recipient user acknowledged it on a device; READ: every recipient user read it.',
});

const DeviceRefType = builder.objectRef<DeviceRefShape>('DeviceRef').implement({
  description: 'A recipient device. For an unknown (e.g. removed) device only `id` is set.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Device.id' }),
    userId: t.exposeID('userId', { nullable: true }),
    deviceId: t.exposeInt('deviceId', { nullable: true, description: 'Signal device id' }),
    registrationId: t.exposeInt('registrationId', { nullable: true }),
  }),
});

builder.objectType(MismatchedDevicesError, {
  ...errorOptions(
    MismatchedDevicesError,
    'MismatchedDevicesError',
    'The envelopes must cover exactly the current devices of every other participant and the sender’s other devices. Nothing was stored.',
  ),
  fields: (t) => ({
    missing: t.field({ type: [DeviceRefType], resolve: (e) => e.missing }),
    extra: t.field({ type: [DeviceRefType], resolve: (e) => e.extra }),
  }),
});
builder.objectType(StaleDevicesError, {
  ...errorOptions(StaleDevicesError, 'StaleDevicesError', 'Devices re-registered since the sender encrypted for them (registration id changed). Nothing was stored.'),
  fields: (t) => ({ stale: t.field({ type: [DeviceRefType], resolve: (e) => e.stale }) }),
});
const ReceiptRef = builder.objectRef<ReceiptRow>('MessageReceipt').implement({
  fields: (t) => ({
    userId: t.exposeID('userId'),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
    readAt: t.expose('readAt', { type: 'DateTime', nullable: true }),
  }),
});

const ReactionRef = builder.objectRef<ReactionRow>('Reaction').implement({
  fields: (t) => ({
    userId: t.exposeID('userId'),
    emoji: t.exposeString('emoji'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const MessageRef = builder.objectRef<MessageView>('Message').implement({
  description: 'Message metadata. The content travels only as per-device envelopes.',
  fields: (t) => ({
    id: t.exposeID('id'),
    conversationId: t.exposeID('conversationId'),
    senderUserId: t.exposeID('senderUserId'),
    senderDeviceId: t.exposeInt('senderDeviceId', { description: 'Signal device id of the sending device' }),
    senderDeviceUuid: t.exposeID('senderDeviceUuid', { description: 'Device.id of the sending device' }),
    clientMessageId: t.exposeString('clientMessageId'),
    contentType: t.field({ type: ContentTypeEnum, resolve: (m) => m.contentType }),
    replyToId: t.exposeID('replyToId', { nullable: true }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    deleted: t.boolean({ resolve: (m) => m.deletedAt != null, description: 'Deleted for everyone: a tombstone.' }),
    status: t.field({
      type: MessageStatusEnum,
      nullable: true,
      description: 'For the sender only (null for others).',
      resolve: (m) => (m.senderUserId === m.viewerUserId ? messageStatus(m) : null),
    }),
    receipts: t.field({
      type: [ReceiptRef],
      description: 'Per recipient user; for the sender only (empty for others).',
      resolve: (m) => m.receipts,
    }),
    reactions: t.field({ type: [ReactionRef], resolve: (m) => m.reactions }),
  }),
});

export const EnvelopeRef = builder.objectRef<EnvelopeRow>('Envelope').implement({
  description: 'One queued ciphertext for the calling device. Acknowledge it once processed, or it is delivered again.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Queue position (increasing per device) and acknowledgement handle.' }),
    messageId: t.exposeID('messageId'),
    conversationId: t.exposeID('conversationId'),
    senderUserId: t.exposeID('senderUserId'),
    senderDeviceId: t.exposeInt('senderDeviceId', { description: 'Signal device id of the sender (for the protocol address).' }),
    senderDeviceUuid: t.exposeID('senderDeviceUuid', { description: 'Device.id of the sender.' }),
    type: t.exposeInt('type', {
      description:
        '2 = whisper (SignalMessage), 3 = prekey (PreKeySignalMessage), 7 = sender key (SenderKeyMessage: the shared ciphertext of a sendGroupMessage, with this device’s `header`), 8 = plaintext content: a DecryptionErrorMessage from `senderUserId`’s device about `messageId`, which this device sent (answer it with resendMessage).',
    }),
    ciphertext: t.expose('ciphertext', { type: 'Bytes' }),
    headerType: t.int({
      nullable: true,
      description: 'Type 7 only: the type of `header` (2 = whisper, 3 = prekey), when this device has one.',
      resolve: (e) => e.headerType ?? null,
    }),
    header: t.field({
      type: 'Bytes',
      nullable: true,
      description: 'Type 7 only: this device’s own part of the send, encrypted pairwise (the sender’s SenderKeyDistributionMessage, when this device needs it).',
      resolve: (e) => e.header ?? null,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the message was sent (a resend keeps it).' }),
    request: t.exposeBoolean('request', {
      description: 'Delivered while the calling user had not accepted the conversation (a message request).',
    }),
  }),
});

const MessagePage = builder.objectRef<Page<MessageView>>('MessagePage').implement({
  fields: (t) => ({
    items: t.field({ type: [MessageRef], resolve: (p) => p.items }),
    pageInfo: t.field({ type: PageInfo, resolve: (p) => p }),
  }),
});

const EnvelopePage = builder.objectRef<{ items: EnvelopeRow[]; hasNextPage: boolean }>('EnvelopePage').implement({
  fields: (t) => ({
    items: t.field({ type: [EnvelopeRef], resolve: (p) => p.items }),
    pageInfo: t.field({
      type: PageInfo,
      resolve: (p) => ({ hasNextPage: p.hasNextPage, endCursor: p.items.length ? p.items[p.items.length - 1].id : null }),
    }),
  }),
});

const AckResult = builder.objectRef<{ acknowledged: string[] }>('AcknowledgeResult').implement({
  fields: (t) => ({
    acknowledged: t.exposeIDList('acknowledged', { description: 'The ids removed from the queue (others’ or unknown ids are ignored).' }),
  }),
});

export const EnvelopeInput = builder.inputType('EnvelopeInput', {
  fields: (t) => ({
    deviceId: t.id({ required: true, description: 'The recipient device’s Device.id (uuid), not its Signal device id.' }),
    type: t.int({ required: true, description: '2 = whisper, 3 = prekey' }),
    ciphertext: t.field({ type: 'Bytes', required: true }),
    registrationId: t.int({ description: 'The registration id encrypted for; a mismatch gives StaleDevicesError.' }),
  }),
});

const EnvelopeHeaderInput = builder.inputType('EnvelopeHeaderInput', {
  fields: (t) => ({
    type: t.int({ required: true, description: '2 = whisper, 3 = prekey' }),
    ciphertext: t.field({ type: 'Bytes', required: true, description: `At most ${MAX_HEADER_BYTES} bytes.` }),
  }),
});

const GroupRecipientInput = builder.inputType('GroupRecipientInput', {
  fields: (t) => ({
    deviceId: t.id({ required: true, description: 'The recipient device’s Device.id (uuid).' }),
    registrationId: t.int({ description: 'The registration id the sender knows; a mismatch gives StaleDevicesError.' }),
    header: t.field({ type: EnvelopeHeaderInput, description: 'This device’s own pairwise-encrypted part (e.g. a SenderKeyDistributionMessage).' }),
  }),
});

const SendGroupMessageInput = builder.inputType('SendGroupMessageInput', {
  fields: (t) => ({
    conversationId: t.id({ required: true }),
    clientMessageId: t.string({ required: true, description: 'Unique per sending device (1-64 chars), shared with sendMessage: a retry with the same id stores nothing new.' }),
    contentType: t.field({ type: ContentTypeEnum, required: true }),
    type: t.int({ required: true, description: `${SHARED_ENVELOPE_TYPE} = sender key (SenderKeyMessage)` }),
    ciphertext: t.field({ type: 'Bytes', required: true, description: 'The one ciphertext every recipient device receives (stored once).' }),
    recipients: t.field({ type: [GroupRecipientInput], required: true, description: 'Exactly the devices sendMessage would need envelopes for.' }),
    replyTo: t.id(),
    expiresIn: t.int({ description: 'Seconds until the message disappears (default: the conversation timer).' }),
    attachmentIds: t.idList({ description: 'As in sendMessage.' }),
  }),
});

const SendMessageInput = builder.inputType('SendMessageInput', {
  fields: (t) => ({
    conversationId: t.id({ required: true }),
    clientMessageId: t.string({ required: true, description: 'Unique per sending device (1-64 chars): a retry with the same id stores nothing new.' }),
    contentType: t.field({ type: ContentTypeEnum, required: true }),
    envelopes: t.field({ type: [EnvelopeInput], required: true }),
    replyTo: t.id(),
    expiresIn: t.int({ description: 'Seconds until the message disappears (default: the conversation timer).' }),
    attachmentIds: t.idList({
      description:
        'Encrypted attachments uploaded with POST /attachments (by the sender), bound to this message in the same transaction. Their keys and digests travel inside the envelopes.',
    }),
  }),
});

builder.queryFields((t) => ({
  messages: t.field({
    type: MessagePage,
    description: 'History of a conversation, newest first (metadata only).',
    errors: { types: [NotFoundError, InvalidInputError] },
    args: { conversationId: t.arg.id({ required: true }), first: t.arg.int({ defaultValue: 50 }), after: t.arg.string() },
    resolve: (_r, a, ctx) => ctx.services.messages.history(requireAuth(ctx).userId, String(a.conversationId), a.first ?? 50, a.after ?? null),
  }),
  message: t.field({
    type: MessageRef,
    errors: { types: [NotFoundError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, a, ctx) => ctx.services.messages.view(requireAuth(ctx).userId, String(a.id)),
  }),
  pendingEnvelopes: t.field({
    type: EnvelopePage,
    description: "The calling device's queue in order. Envelopes stay until acknowledged.",
    errors: { types: [InvalidInputError] },
    args: { first: t.arg.int({ defaultValue: 100 }), after: t.arg.id({ description: 'An envelope id (exclusive).' }) },
    resolve: (_r, a, ctx) => ctx.services.messages.pendingPage(requireAuth(ctx).deviceUuid, a.after == null ? null : String(a.after), a.first ?? 100),
  }),
}));

/** What a send can be refused with (sendMessage and sendGroupMessage alike). */
const SEND_ERRORS = [MismatchedDevicesError, StaleDevicesError, LimitExceededError, RateLimitedError, NotFoundError, InvalidInputError];

/** The fields both sends share, from GraphQL ids to the service's strings. */
function sendCommon(input: { conversationId: string | number; replyTo?: string | number | null; attachmentIds?: readonly (string | number)[] | null }) {
  return {
    conversationId: String(input.conversationId),
    replyTo: input.replyTo == null ? null : String(input.replyTo),
    attachmentIds: input.attachmentIds?.map(String),
  };
}

builder.mutationFields((t) => ({
  sendMessage: t.field({
    type: MessageRef,
    errors: { types: SEND_ERRORS },
    args: { input: t.arg({ type: SendMessageInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.messages.send(requireAuth(ctx), {
        ...input,
        ...sendCommon(input),
        envelopes: input.envelopes.map((e) => ({ ...e, deviceId: String(e.deviceId) })),
      }),
  }),
  sendGroupMessage: t.field({
    type: MessageRef,
    description:
      'A multi-recipient send (a Sender Keys group message): one shared ciphertext, stored once and queued for every recipient device with its optional header. ' +
      'The same device-set checks, idempotency, rate limit and blocking rules as sendMessage, all or nothing.',
    errors: { types: SEND_ERRORS },
    args: { input: t.arg({ type: SendGroupMessageInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.messages.sendGroup(requireAuth(ctx), {
        ...input,
        ...sendCommon(input),
        recipients: input.recipients.map((r) => ({ ...r, deviceId: String(r.deviceId) })),
      }),
  }),
  acknowledgeEnvelopes: t.field({
    type: AckResult,
    description: "Removes processed envelopes from the calling device's queue; records delivery receipts.",
    errors: { types: [InvalidInputError, LimitExceededError] },
    args: { ids: t.arg.idList({ required: true }) },
    resolve: async (_r, a, ctx) => ({ acknowledged: await ctx.services.messages.acknowledge(requireAuth(ctx).deviceUuid, a.ids.map(String)) }),
  }),
  markRead: t.field({
    type: ConversationRef,
    description: 'Marks the conversation read up to a message (inclusive); records read receipts.',
    errors: { types: [NotFoundError] },
    args: { conversationId: t.arg.id({ required: true }), upToMessageId: t.arg.id({ required: true }) },
    resolve: async (_r, a, ctx) => {
      const { userId } = requireAuth(ctx);
      await ctx.services.messages.markRead(userId, String(a.conversationId), String(a.upToMessageId));
      return ctx.services.conversations.get(userId, String(a.conversationId));
    },
  }),
  deleteMessage: t.field({
    type: MessageRef,
    description: 'Delete for everyone (sender only): leaves a tombstone and purges undelivered envelopes.',
    errors: { types: [NotFoundError, ForbiddenError] },
    args: { messageId: t.arg.id({ required: true }) },
    resolve: (_r, a, ctx) => ctx.services.messages.deleteForEveryone(requireAuth(ctx).userId, String(a.messageId)),
  }),
  setReaction: t.field({
    type: MessageRef,
    description: "Sets or changes the caller's reaction (one emoji), or removes it with `emoji: null`.",
    errors: { types: [NotFoundError, InvalidInputError] },
    args: { messageId: t.arg.id({ required: true }), emoji: t.arg.string() },
    resolve: (_r, a, ctx) => ctx.services.messages.react(requireAuth(ctx).userId, String(a.messageId), a.emoji ?? null),
  }),
}));
