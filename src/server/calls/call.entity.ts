/** Calls and their participants (tables from Migration20261125000004_calls). */
import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { User } from '../accounts/account.entity.js';
import { Conversation } from '../conversations/conversation.entity.js';

export const Call = defineEntity({
  name: 'Call',
  tableName: 'calls',
  properties: {
    id: p.uuid().primary(),
    conversation: p.manyToOne(Conversation).fieldName('conversation_id'),
    callerUser: p.manyToOne(User).fieldName('caller_user_id'),
    callerDeviceUuid: p.uuid(),
    media: p.text(),
    status: p.text(),
    startedAt: p.datetime().defaultRaw('now()'),
    answeredAt: p.datetime().nullable(),
    endedAt: p.datetime().nullable(),
  },
});
export type ICall = InferEntity<typeof Call>;

export const CallParticipant = defineEntity({
  name: 'CallParticipant',
  tableName: 'call_participants',
  properties: {
    call: p.manyToOne(Call).fieldName('call_id').primary(),
    user: p.manyToOne(User).fieldName('user_id').primary(),
    state: p.text(),
    startedAt: p.datetime(),
    deviceUuid: p.uuid().nullable(),
    joinedAt: p.datetime().nullable(),
    leftAt: p.datetime().nullable(),
  },
});
