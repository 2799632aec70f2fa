/** Presence in the schema: `User.presence`, the `presence` query and the `presence` subscription. */
import { UserRef } from '../accounts/accounts.graphql.js';
import { builder } from '../graphql/builder.js';
import { requireAuth } from '../graphql/context.js';
import type { PresenceState } from './presence.service.js';

export const PresenceRef = builder.objectRef<PresenceState>('Presence').implement({
  description: 'Whether a user has a live connection now, and when one of their devices was last seen.',
  fields: (t) => ({
    userId: t.exposeID('userId'),
    online: t.exposeBoolean('online'),
    lastSeenAt: t.expose('lastSeenAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.objectField(UserRef, 'presence', (t) =>
  t.field({
    type: PresenceRef,
    nullable: true,
    description: 'Null unless this user accepted a conversation the caller is in, with no block between them (or the caller is this user).',
    resolve: async (u, _a, ctx) => {
      const { presence } = ctx.services;
      const [visible] = await presence.visibleTo(requireAuth(ctx).userId, [u.id]);
      if (!visible) return null;
      return (await presence.states([u.id]))[0] ?? null;
    },
  }),
);

builder.queryField('presence', (t) =>
  t.field({
    type: [PresenceRef],
    description: 'Presence of the given users; users whose contact the caller is not (see User.presence) are left out.',
    args: { userIds: t.arg.idList({ required: true }) },
    resolve: async (_r, { userIds }, ctx) => {
      const { presence } = ctx.services;
      return presence.states(await presence.visibleTo(requireAuth(ctx).userId, userIds.map(String)));
    },
  }),
);

builder.subscriptionField('presence', (t) =>
  t.field({
    type: PresenceRef,
    description:
      'First the current presence of each visible user, then every change while they are visible: a user appears once they accept a conversation ' +
      'with the caller and disappears when a block comes between them (see User.presence).',
    args: { userIds: t.arg.idList({ required: true }) },
    subscribe: async (_r, { userIds }, ctx) => {
      const { presence, bus } = ctx.services;
      const viewer = requireAuth(ctx).userId;
      const asked = [...new Set(userIds.map(String))];
      const visible = await presence.visibleTo(viewer, asked);
      const last = new Map<string, string>();
      const emit = async (states: PresenceState[], push: (p: PresenceState) => Promise<unknown>) => {
        for (const st of states) {
          const key = `${st.online}:${st.lastSeenAt?.valueOf() ?? ''}`;
          if (last.get(st.userId) === key) continue;
          last.set(st.userId, key);
          await push(st);
        }
      };
      // visibility is asked again on every change: an accepted request or a new block takes effect at once
      return bus.stream<PresenceState>(
        (source) =>
          asked.map((u) =>
            source('presenceChanged', u, async (ev, push) => {
              if ((await presence.visibleTo(viewer, [ev.userId])).length) await emit(await presence.states([ev.userId]), push);
            }),
          ),
        { onStart: async (push) => emit(await presence.states(visible), push) },
      );
    },
    resolve: (p) => p,
  }),
);
