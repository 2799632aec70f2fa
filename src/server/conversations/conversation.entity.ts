/** Conversations and their participants (tables from Migration20261125000003_messaging). */
import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { User } from '../accounts/account.entity.js';

export const Conversation = defineEntity({
  name: 'Conversation',
  tableName: 'conversations',
  properties: {
    id: p.uuid().primary(),
    kind: p.text(),
    name: p.text().nullable(),
    avatarUrl: p.text().nullable(),
    directUserLo: p.uuid().nullable(),
    directUserHi: p.uuid().nullable(),
    disappearingSeconds: p.integer().nullable(),
    createdBy: p.uuid().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});
export type IConversation = InferEntity<typeof Conversation>;

export const ConversationMember = defineEntity({
  name: 'ConversationMember',
  tableName: 'conversation_members',
  properties: {
    conversation: p.manyToOne(Conversation).fieldName('conversation_id').primary(),
    user: p.manyToOne(User).fieldName('user_id').primary(),
    joinedAt: p.datetime().defaultRaw('now()'),
    joinedSeq: p.bigint(),
    lastReadSeq: p.bigint(),
    lastReadAt: p.datetime().nullable(),
    muted: p.boolean(),
    /** Null while the membership is a message request (docs/trust.md). */
    acceptedAt: p.datetime().nullable(),
    addedBy: p.uuid().nullable(),
  },
});
