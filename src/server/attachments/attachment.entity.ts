/** Encrypted attachment metadata and message bindings (tables from Migration20261125000005_attachments). */
import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { User } from '../accounts/account.entity.js';
import { Message } from '../messages/message.entity.js';

export const Attachment = defineEntity({
  name: 'Attachment',
  tableName: 'attachments',
  properties: {
    id: p.uuid().primary(),
    uploaderUser: p.manyToOne(User).fieldName('uploader_user_id'),
    size: p.bigint(),
    digest: p.uint8array(),
    createdAt: p.datetime().defaultRaw('now()'),
    attachedAt: p.datetime().nullable(),
  },
});
export type IAttachment = InferEntity<typeof Attachment>;

export const MessageAttachment = defineEntity({
  name: 'MessageAttachment',
  tableName: 'message_attachments',
  properties: {
    message: p.manyToOne(Message).fieldName('message_id').primary(),
    attachment: p.manyToOne(Attachment).fieldName('attachment_id').primary(),
  },
});
