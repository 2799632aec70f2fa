/** Presence and setTyping in the schema (the inbox stream and conversation events, typing included, live in inbox.graphql.ts). */
import { GraphQLError } from 'graphql';
import { Repeater } from 'graphql-yoga';
import { UserRef } from '../accounts/accounts.graphql.js';
import { query } from '../db/sql.js';
import { builder } from '../graphql/builder.js';
import { type Context, requireAuth } from '../graphql/context.js';
import { ForbiddenError, InvalidInputError } from '../graphql/errors.js';
import type { PresenceState } from './presence.js';

const MAX_PRESENCE_USERS = 500;

export const PresenceRef = builder.objectRef<PresenceState>('Presence').implement({
  description: 'Whether a user has a live connection now, and when one of their devices was last seen.',
  fields: (t) => ({
    userId: t.exposeID('userId'),
    online: t.exposeBoolean('online'),
    lastSeenAt: t.expose('lastSeenAt', { type: 'DateTime', nullable: true }),
  }),
});

/** Of `userIds`, those who may see `viewer`'s presence and vice versa: the viewer, and users sharing a conversation. */
export async function visibleUsers(ctx: Context, viewer: string, userIds: readonly string[]): Promise<string[]> {
  const candidates = userIds.filter((u) => u !== viewer);
  const rows = candidates.length
    ? await query<{ userId: string }>(
        ctx.services.knex,
        `select distinct m2.user_id as "userId"
           from conversation_members m1
           join conversation_members m2 on m2.conversation_id = m1.conversation_id
          where m1.user_id = ? and m2.user_id = any(?::uuid[])`,
        [viewer, candidates.filter((u) => UUID.test(u))],
      )
    : [];
  const visible = new Set(rows.map((r) => r.userId));
  if (userIds.includes(viewer)) visible.add(viewer);
  return userIds.filter((u) => visible.has(u));
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function isMember(ctx: Context, conversationId: string, userId: string): Promise<boolean> {
  if (!UUID.test(conversationId)) return false;
  const rows = await query(ctx.services.knex, 'select 1 from conversation_members where conversation_id = ? and user_id = ?', [conversationId, userId]);
  return rows.length > 0;
}

builder.objectField(UserRef, 'presence', (t) =>
  t.field({
    type: PresenceRef,
    nullable: true,
    description: 'Null unless the caller shares a conversation with this user (or is this user).',
    resolve: async (u, _a, ctx) => {
      const auth = requireAuth(ctx);
      const [visible] = await visibleUsers(ctx, auth.userId, [u.id]);
      if (!visible) return null;
      return (await ctx.services.presence.states([u.id]))[0] ?? null;
    },
  }),
);

builder.queryField('presence', (t) =>
  t.field({
    type: [PresenceRef],
    description: 'Presence of the given users; users who share no conversation with the caller are left out.',
    args: { userIds: t.arg.idList({ required: true }) },
    resolve: async (_r, { userIds }, ctx) => {
      const auth = requireAuth(ctx);
      if (userIds.length > MAX_PRESENCE_USERS) throw new InvalidInputError('userIds', `at most ${MAX_PRESENCE_USERS}`);
      return ctx.services.presence.states(await visibleUsers(ctx, auth.userId, userIds.map(String)));
    },
  }),
);

builder.subscriptionField('presence', (t) =>
  t.field({
    type: PresenceRef,
    description:
      "First the current presence of each visible user, then every change. Users who share no conversation with the caller are left out.",
    args: { userIds: t.arg.idList({ required: true }) },
    subscribe: async (_r, { userIds }, ctx) => {
      const auth = requireAuth(ctx);
      if (userIds.length > MAX_PRESENCE_USERS) throw new GraphQLError(`userIds: at most ${MAX_PRESENCE_USERS}`, { extensions: { code: 'INVALID_INPUT' } });
      const users = await visibleUsers(ctx, auth.userId, userIds.map(String));
      const { presence, bus } = ctx.services;
      return new Repeater<PresenceState>(async (push, stop) => {
        const subs = users.map((u) => bus.subscribe('presenceChanged', u));
        const last = new Map<string, string>();
        const emit = async (states: PresenceState[]) => {
          for (const st of states) {
            const key = `${st.online}:${st.lastSeenAt?.valueOf() ?? ''}`;
            if (last.get(st.userId) === key) continue;
            last.set(st.userId, key);
            await push(st);
          }
        };
        await emit(await presence.states(users));
        for (const sub of subs) {
          void (async () => {
            for await (const ev of sub) await emit(await presence.states([ev.userId]));
          })().catch(() => undefined);
        }
        await stop;
        await Promise.all(subs.map((s) => s.return?.()));
      });
    },
    resolve: (p) => p,
  }),
);

builder.mutationField('setTyping', (t) =>
  t.field({
    type: 'Boolean',
    description: 'Tell the other participants the caller is (or stopped) typing. Lapses after a few seconds unless repeated.',
    args: { conversationId: t.arg.id({ required: true }), typing: t.arg.boolean({ required: true }) },
    resolve: async (_r, a, ctx) => {
      const auth = requireAuth(ctx);
      if (!(await isMember(ctx, String(a.conversationId), auth.userId))) throw new ForbiddenError('not a participant of this conversation');
      ctx.services.typing.set(String(a.conversationId), auth.userId, a.typing);
      return true;
    },
  }),
);
