/** A user's block of another user (Migration20261202000001_trust). */
import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { User } from '../accounts/account.entity.js';

export const Block = defineEntity({
  name: 'Block',
  tableName: 'blocks',
  properties: {
    blocker: p.manyToOne(User).fieldName('blocker_id').primary(),
    blocked: p.manyToOne(User).fieldName('blocked_id').primary(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});
export type IBlock = InferEntity<typeof Block>;
