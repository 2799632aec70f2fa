/** Message metadata, the per-device envelope queue, shared payloads, receipts and reactions (Migration20261125000003_messaging, ..._group_send). */
import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { Device, User } from '../accounts/account.entity.js';
import { Conversation } from '../conversations/conversation.entity.js';

export const Message = defineEntity({
  name: 'Message',
  tableName: 'messages',
  properties: {
    id: p.uuid().primary(),
    seq: p.bigint(),
    conversation: p.manyToOne(Conversation).fieldName('conversation_id'),
    senderUser: p.manyToOne(User).fieldName('sender_user_id'),
    senderDeviceUuid: p.uuid(),
    senderDeviceId: p.integer(),
    clientMessageId: p.text(),
    contentType: p.text(),
    replyTo: p.uuid().nullable(),
    recipientCount: p.integer(),
    expiresAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    deletedAt: p.datetime().nullable(),
  },
});
export type IMessage = InferEntity<typeof Message>;

export const Envelope = defineEntity({
  name: 'Envelope',
  tableName: 'envelopes',
  properties: {
    id: p.bigint().primary(),
    recipientDevice: p.manyToOne(Device).fieldName('recipient_device'),
    message: p.manyToOne(Message).fieldName('message_id'),
    type: p.smallint(),
    /** Null for a type-7 envelope of a multi-recipient send: its ciphertext is the message's payload (MessagePayload). */
    ciphertext: p.uint8array().nullable(),
    /** Type 7 only: the per-device header (a pairwise-encrypted SenderKeyDistributionMessage) and its type (2 or 3). */
    headerType: p.smallint().nullable(),
    header: p.uint8array().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    /** Delivered while the recipient's membership was a message request. */
    request: p.boolean().default(false),
    /** Type 8 only (a decryption-error reply): its own sender, not the message's. */
    senderUserId: p.uuid().nullable(),
    senderDeviceUuid: p.uuid().nullable(),
    senderDeviceId: p.integer().nullable(),
  },
});

/** The one shared ciphertext of a multi-recipient send (Migration20261203000001_group_send). */
export const MessagePayload = defineEntity({
  name: 'MessagePayload',
  tableName: 'message_payloads',
  properties: {
    message: p.oneToOne(Message).fieldName('message_id').primary().owner(),
    type: p.smallint(),
    ciphertext: p.uint8array(),
    /** Queued envelopes that still need it. */
    remaining: p.integer(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});

export const MessageReceipt = defineEntity({
  name: 'MessageReceipt',
  tableName: 'message_receipts',
  properties: {
    message: p.manyToOne(Message).fieldName('message_id').primary(),
    user: p.manyToOne(User).fieldName('user_id').primary(),
    deliveredAt: p.datetime().nullable(),
    readAt: p.datetime().nullable(),
  },
});

export const MessageReaction = defineEntity({
  name: 'MessageReaction',
  tableName: 'message_reactions',
  properties: {
    message: p.manyToOne(Message).fieldName('message_id').primary(),
    user: p.manyToOne(User).fieldName('user_id').primary(),
    emoji: p.text(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});
